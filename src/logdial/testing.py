"""Test support: the records logdial's systems make during one test, and settings for that test alone.

pytest users get it as the ``logdial_logs`` fixture (logdial installs the plugin; nothing
changes in a project that does not ask for the fixture)::

    def test_orders_log(logdial_logs, caplog):
        logdial_logs.set(shop_logs, "+orders")      # for this test only
        place_order()
        assert ["order placed"] == logdial_logs.messages
        assert "order placed" in caplog.text        # caplog sees each record once

While it is active, every ``LogSystem`` (and every one initialised meanwhile) writes
nothing to the console and lets its records propagate to the root logger's handlers,
where both this capture and pytest's ``caplog`` find each record exactly once (on pytest 8
and 9). A file output (``{P}_LOGS_OUT``) stays. Everything is undone when the test ends.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping

from ._formatting import GlogFormatter
from ._output import capturing
from ._settings import Settings
from ._system import LogSystem, live_systems

__all__ = ["LogCapture"]


class _Collector(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.NOTSET)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        if _belongs(record.name):
            self.records.append(record)


def _belongs(name: str) -> bool:
    # A record of one of logdial's systems: its logger is a system's root, a logger a
    # component registers, or one below them.
    for system in live_systems():
        for top in (system.root, *system.registry.logger_names):
            if name == top or name.startswith(f"{top}."):
                return True
    return False


class LogCapture:
    """
    The records logdial's systems made since the capture began (or since ``clear``).

    Attributes:
        records: the ``logging.LogRecord`` objects, in the order they were made.
    """

    def __init__(self) -> None:
        self.records: list[logging.LogRecord] = []
        self._stack = contextlib.ExitStack()
        self._formatter = GlogFormatter()
        self._collector: _Collector | None = None

    def __enter__(self) -> LogCapture:
        """
        Begin capturing (logdial's pytest fixture does it for each test; elsewhere, as in
        ``unittest``, use ``with LogCapture() as logs:``): every system prints nothing to
        the console and lets its records reach the root logger's handlers, one of which
        collects them here. One object is entered once; captures nest (a ``with`` block
        inside a test that has the fixture).
        """
        collector = self._collector = _Collector(self.records)
        self._stack.enter_context(capturing())
        logging.getLogger().addHandler(collector)
        return self

    def __exit__(self, *exc_info: object) -> None:
        """
        Stop capturing: undo what ``set`` applied and what ``__enter__`` changed.
        """
        if self._collector is not None:
            logging.getLogger().removeHandler(self._collector)
        self._stack.close()

    def set(
        self,
        system: LogSystem,
        settings: str | None = None,
        /,
        *,
        modules: Mapping[str, int | str] | None = None,
        **values: int | str | bool | None,
    ) -> Settings:
        """
        Apply settings to ``system`` until the test ends (``system.override`` for the rest
        of the test; it takes what ``set_logs`` takes). Returns the settings in force.
        """
        return self._stack.enter_context(system.override(settings, modules=modules, **values))

    @property
    def messages(self) -> list[str]:
        """
        Each record's message, its arguments merged (``record.getMessage()``).
        """
        return [record.getMessage() for record in self.records]

    @property
    def text(self) -> str:
        """
        The records as logdial's default (glog-style) lines, one per line.
        """
        return "".join(f"{self._formatter.format(record)}\n" for record in self.records)

    def clear(self) -> None:
        """
        Forget the records captured so far.
        """
        self.records.clear()
