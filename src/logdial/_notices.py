"""What logdial tells the user outside logging: one line (or a few) on stderr, each at most once.

A bad setting, an output that cannot be opened, a record that cannot be written: these
are reported on stderr, not through logging (whose handlers may be what failed). Each line
has its control characters escaped, and a system says each distinct thing once, up to
``NOTICE_LIMIT`` things.
"""

from __future__ import annotations

import contextlib
import sys

from ._formatting import escape_controls

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final

__all__ = ["NOTICE_LIMIT", "Notices", "cannot_load", "notice"]

#: How many different notices (settings errors, unusable outputs, failing trace
#: callbacks) a system prints and remembers until ``reset()``; one line then says that
#: later ones are not shown, so that a notice made of changing text cannot flood stderr.
NOTICE_LIMIT: Final = 100


def notice(message: str) -> None:
    """
    Tell the user something on stderr, outside logging: the one way logdial's notices
    are written. Each line of ``message`` has its control characters escaped (a path or
    a setting quoted in it cannot clear a terminal or make a line of its own); a stderr
    that cannot take it loses it, never the program.
    """
    stream = sys.stderr
    if stream is not None:
        text = "\n".join(escape_controls(line, newlines=False) for line in message.rstrip("\n").split("\n"))
        with contextlib.suppress(Exception):
            stream.write(text + "\n")
            stream.flush()


def cannot_load(exc: OSError) -> str:
    """
    Why a part of logdial loaded on first use is missing, for a notice.
    """
    return f"cannot load a part of logdial ({exc.strerror or exc})"


class Notices:
    """
    One system's notices: each distinct message once, at most ``NOTICE_LIMIT`` of them.
    """

    def __init__(self, system: str) -> None:
        self.system = system
        self.said: set[str] = set()
        self._firsts: set[str] = set()
        self._capped = False

    def first(self, key: str) -> bool:
        """
        Whether ``key`` comes for the first time: for what is said another way once (a
        warning).
        """
        if key in self._firsts:
            return False
        self._firsts.add(key)
        return True

    def once(self, message: str) -> None:
        """
        Say ``message`` unless it was said already (or the limit was reached).
        """
        said = self.said
        if message in said:
            return
        if len(said) < NOTICE_LIMIT:
            said.add(message)
            notice(message)
        elif not self._capped:
            self._capped = True
            notice(f"{self.system}: {NOTICE_LIMIT} different notices so far; later ones are not shown")

    def forget(self) -> None:
        """
        Forget what was said: it may be said again.
        """
        self.said.clear()
        self._firsts.clear()
        self._capped = False
