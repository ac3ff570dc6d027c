"""The output choices (``_output``): the console a system may write to."""

from __future__ import annotations

import pytest

from logdial import LogSystem


class TestCheckConsole:
    """
    ``check_console``: stderr, stdout or none.
    """

    def test_invalid_console(self, system: LogSystem) -> None:
        """
        An unknown console is a ValueError naming the accepted ones, from ``set_output``
        and from the constructor alike.
        """
        message = r"^console must be one of stderr, stdout, none, not 'tty'$"
        with pytest.raises(ValueError, match=message):
            system.set_output(console="tty")
        with pytest.raises(ValueError, match=message):
            LogSystem("consolesys", console="tty")  # type: ignore[arg-type]
