"""What logdial's handlers share: the tag, the output state, failure reports once per place, the null handler.

The console handler is in ``_console``, the file handler in ``_files``; ``retire_handler`` and
``sibling_of`` work on any of them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from ._formatting import escape_controls
from ._notices import notice

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final

__all__ = [
    "TAG",
    "NullHandler",
    "Output",
    "ReportsOnce",
    "RoutingFormatter",
    "is_logdial_handler",
    "report_failed_record",
    "retire_handler",
    "sibling_of",
]

#: The attribute that marks a handler as logdial's, holding the name of its system.
TAG: Final = "_logdial_system"

#: How many records logged by signal handlers while a write was interrupted an output
#: keeps to write after it (more are dropped: a handler that logs in a loop).
DEFERRED_LIMIT: Final = 1024

#: How many places in the code (file, line) a handler reports a failing record of, with
#: logging's own traceback; records failing elsewhere after that are dropped quietly.
ERROR_SITES_LIMIT: Final = 64


def is_logdial_handler(handler: logging.Handler, system: str | None = None) -> bool:
    """
    Whether ``handler`` is one of logdial's (of the system named ``system``, if given).
    """
    owner = getattr(handler, TAG, None)
    return owner is not None and (system is None or owner == system)


class RoutingFormatter(logging.Formatter):
    """
    Formats each record with the formatter of its artifact, if it has one, else ``base``.
    """

    def __init__(self, base: logging.Formatter, override_of: Callable[[str], logging.Formatter | None]) -> None:
        super().__init__()
        self.base = base
        self._override_of = override_of

    def format(self, record: logging.LogRecord) -> str:
        """
        Format ``record`` with its artifact's formatter or the base one.
        """
        return (self._override_of(record.name) or self.base).format(record)


class Output:
    """
    The state of one output, shared by every handler object that writes to it: a system
    whose loggers each carry handler objects of their own (``placement="components"``)
    has one console and one file all the same, and reports a failure of each once.

    Attributes:
        failed: a failure of the output was reported (it is not reported again).
        dead: the console stream that failed with an ``OSError``: nothing more is written
            to it, until ``sys.stderr`` (or stdout) is another stream.
        tty: the console stream last asked whether it is a terminal, and the answer.
        fd: the log file's descriptor (``None`` once closed).
        regular: whether the log file is a regular file (else a pipe, a terminal...).
        torn: a record may have been cut short: the next one starts on a line of its own.
        owner: the handler that opened the file, and closes it.
        terminal, identity, checked, retired: see ``FileHandler``.
    """

    __slots__ = (
        "__weakref__",
        "busy",
        "checked",
        "console_fd",
        "dead",
        "deferred",
        "failed",
        "fd",
        "identity",
        "owner",
        "regular",
        "retired",
        "terminal",
        "torn",
        "tty",
    )

    def __init__(self) -> None:
        #: A record is being written (under the output's lock): a record logged now, in
        #: the same thread, comes from a signal handler that interrupted the write.
        self.busy = False
        #: Such records, written as soon as the interrupted write is done.
        self.deferred: list[tuple[logging.Handler, logging.LogRecord]] = []
        self.failed = False
        self.dead: object = None
        self.tty: tuple[object, bool] = (None, False)
        self.fd: int | None = None
        self.regular = False
        self.torn = False
        self.owner: object = None
        #: The file is a terminal: records are escaped as on the console.
        self.terminal = False
        #: (device, inode) of the file opened, and when the path was last checked.
        self.identity: tuple[int, int] = (0, 0)
        self.checked = 0.0
        #: logdial replaced the handler: it never opens the path again.
        self.retired = False
        #: The console stream last looked at, and its descriptor (None: it has none).
        self.console_fd: tuple[object, int | None] = (None, None)


class ReportsOnce(logging.Handler):
    """
    ``handleError`` that reports each kind of failure once, not once per record.

    A failing output (an ``OSError``: a full disk, a closed or broken stream) is said
    once per handler in one line naming the output and the reason; the records it then
    loses are dropped quietly, and the program goes on. A record that cannot be
    formatted (an argument whose ``str()`` raises, a wrong ``%`` argument) is reported
    as logging reports it, with the traceback, once per place in the code that logs it
    (up to ``ERROR_SITES_LIMIT`` places), in ``error_sites``: the handlers of one system
    share it, so that the same bad call is not reported by each of them.
    ``logging.raiseExceptions = False`` silences both, as it silences logging's own reports.
    """

    error_sites: set[tuple[str, int]]
    output: Output

    def handle(self, record: logging.LogRecord) -> logging.LogRecord | bool:  # type: ignore[override]
        """
        Filter ``record`` and emit it under the lock, as ``logging.Handler.handle`` does;
        a record logged while this output is being written in the same thread (by a
        signal handler that interrupted the write: the lock is re-entrant) is written
        right after that write instead of into the middle of it, where a stream would
        raise or the bytes would mix.
        """
        passed = self.filter(record)
        if isinstance(passed, logging.LogRecord):  # Python 3.12+: a filter may return a record
            record = passed
        if not passed:
            return passed
        output = self.output
        with self.lock:  # type: ignore[union-attr]  # (created by logging.Handler.__init__)
            if output.busy:
                if len(output.deferred) < DEFERRED_LIMIT:
                    output.deferred.append((self, record))
                return passed
            output.busy = True
            try:
                self.emit(record)
                if output.deferred:
                    self._write_deferred()
            finally:
                output.busy = False
        return passed

    def _write_deferred(self) -> None:
        # The records signal handlers logged while this output was written, once: those
        # logged meanwhile wait for the next record or flush(), so that signals coming
        # faster than the output takes their records cannot hold the program here.
        output = self.output
        if output.deferred:
            waiting, output.deferred = output.deferred, []
            for handler, deferred in waiting:
                handler.emit(deferred)

    def flush(self) -> None:
        """
        Write the records signal handlers logged during the last write, then flush.
        """
        with self.lock:  # type: ignore[union-attr]
            output = self.output
            if not output.busy:
                output.busy = True
                try:
                    self._write_deferred()
                finally:
                    output.busy = False
            super().flush()

    #: The output as the notice names it: "to stderr", "the log file PATH".
    target = "the log output"

    def _output_error(self, exc: OSError) -> None:
        if not self.output.failed:
            self.output.failed = True
            reason = exc.strerror or str(exc) or type(exc).__name__
            notice(
                f"{getattr(self, TAG)} logs: cannot write {self.target} ({reason}); "
                "records that cannot be written are dropped, and this is not reported again"
            )

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (the stdlib's name)
        """
        Report the exception being handled, once per kind (see the class).
        """
        if not logging.raiseExceptions:
            return
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            self._output_error(exc)
            return
        site = (str(record.pathname), int(record.lineno or 0))
        sites = self.error_sites
        if site in sites or len(sites) >= ERROR_SITES_LIMIT:
            return
        sites.add(site)
        report_failed_record(record)


def report_failed_record(record: logging.LogRecord) -> None:
    """
    Say that ``record`` could not be written, with the exception being handled: what
    ``logging.Handler.handleError`` says, through ``notice`` (so a message, argument or
    exception text cannot put control characters on the terminal).
    """
    import traceback  # a failure is rare: not at import

    def shown(value: object) -> str:
        try:
            return repr(value)
        except Exception as exc:  # a repr that raises: say so rather than fail again
            return f"<{type(value).__name__} whose repr() raised {type(exc).__name__}>"

    kind, exc, tb = sys.exc_info()
    lines = ["--- Logging error ---"]
    if kind is not None:
        lines += "".join(traceback.format_exception(kind, exc, tb)).rstrip("\n").split("\n")
    lines.append(f"Logged from file {record.pathname}, line {record.lineno}")
    lines.append(f"Message: {shown(record.msg)}")
    lines.append(f"Arguments: {shown(record.args)}")
    notice("\n".join(lines))


def terminal_safe(record: logging.LogRecord, formatter: logging.Formatter) -> logging.LogRecord:
    """
    A copy of ``record`` whose text holds no control character but newline and tab: the
    message (with its arguments applied), traceback, stack and every other text field
    have them escaped (``\\x1b``), so that no record can move the cursor, retitle the
    window or make a link on the terminal showing it. ``record`` is not changed.
    """
    safe = logging.LogRecord.__new__(type(record))
    fields = safe.__dict__
    fields.update(record.__dict__)
    for key, value in fields.items():
        if isinstance(value, str) and not value.isprintable():
            fields[key] = escape_controls(value)
    fields["msg"], fields["args"] = escape_controls(record.getMessage()), None
    if record.exc_info and record.exc_info[0] is not None:
        fields["exc_info"] = None
        fields["exc_text"] = escape_controls(formatter.formatException(record.exc_info))
    return safe


class NullHandler(logging.NullHandler):
    """
    Stands on a logger whose output is switched off, so logging's last resort stays quiet.
    """

    def __init__(self, system: str) -> None:
        super().__init__()
        setattr(self, TAG, system)

    def sibling(self) -> NullHandler:
        """
        Another one, for another logger to carry.
        """
        return NullHandler(getattr(self, TAG))

    def handle(self, record: logging.LogRecord) -> bool:
        """
        Run the filters (which give the record logdial's fields, for the application's
        handlers it propagates to), and write nothing.
        """
        return bool(self.filter(record))


def retire_handler(handler: logging.Handler) -> None:
    """
    A handler logdial no longer places: out of logging's list of handlers to flush at
    exit; a file handler keeps its file open for the records already on their way to it
    (see ``FileHandler.retire``).
    """
    retire = getattr(handler, "retire", None)
    if callable(retire):
        retire()
    else:
        handler.close()


def sibling_of(handler: logging.Handler) -> logging.Handler:
    """
    Another handler object writing to ``handler``'s output, for another logger to carry.

    Raises:
        TypeError: for a handler that is not one of logdial's.
    """
    sibling = getattr(handler, "sibling", None)
    if not is_logdial_handler(handler) or not callable(sibling):
        raise TypeError(f"not one of logdial's handlers: {handler!r}")
    made: logging.Handler = sibling()
    return made
