"""logdial's own handlers: a console handler that finds its stream at emit time, and the file."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import sys
from collections.abc import Callable

from ._formatting import escape_controls

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final, Literal, TextIO

    Console = Literal["stderr", "stdout", "none"]
    _StreamHandler = logging.StreamHandler[TextIO]
else:
    _StreamHandler = logging.StreamHandler

__all__ = [
    "ConsoleHandler",
    "FileHandler",
    "NullHandler",
    "Output",
    "RoutingFormatter",
    "is_logdial_handler",
    "sibling_of",
]

CONSOLES: Final = ("stderr", "stdout", "none")
_CLOEXEC: Final = getattr(os, "O_CLOEXEC", 0)

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


def _notice(message: str) -> None:
    # One line on stderr, outside logging; a stderr that cannot take it loses it.
    stream = sys.stderr
    if stream is not None:
        with contextlib.suppress(Exception):
            stream.write(message + "\n")
            stream.flush()


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
    """

    __slots__ = ("busy", "dead", "deferred", "failed", "fd", "owner", "regular", "torn", "tty")

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


class _ReportsOnce(logging.Handler):
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
            _notice(
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
        super().handleError(record)


class ConsoleHandler(_ReportsOnce, _StreamHandler):
    """
    Writes to ``sys.stderr`` or ``sys.stdout`` as they are at emit time, so redirection and
    pytest's ``capsys`` see the records; colours the output only on a terminal.
    """

    def __init__(
        self,
        system: str,
        which: Literal["stderr", "stdout"],
        plain: logging.Formatter,
        color: logging.Formatter | None,
        *,
        error_sites: set[tuple[str, int]] | None = None,
    ) -> None:
        logging.Handler.__init__(self)  # StreamHandler.__init__ would pin one stream
        setattr(self, TAG, system)
        self.error_sites = set() if error_sites is None else error_sites
        self.which = which
        self._plain = plain
        self._color = color
        self.output = Output()

    def sibling(self) -> ConsoleHandler:
        """
        Another handler object for the same console: same formatters, lock, level and
        state (a failure is reported once for both), for another logger to carry.
        """
        twin = ConsoleHandler(getattr(self, TAG), self.which, self._plain, self._color, error_sites=self.error_sites)
        twin.output, twin.lock, twin.level = self.output, self.lock, self.level
        return twin

    @property
    def stream(self) -> TextIO:
        """
        The stream as it is now.
        """
        return sys.stderr if self.which == "stderr" else sys.stdout

    @stream.setter
    def stream(self, value: object) -> None:  # StreamHandler.setStream assigns it; ignore
        pass

    def emit(self, record: logging.LogRecord) -> None:
        """
        Write ``record`` to the stream; drop it when there is none or it is closed.
        """
        stream = self.stream
        # sys.stderr is None under pythonw and may be closed at shutdown: writing there
        # would raise out of the caller's log call, since logging's handleError writes
        # to that same closed stream.
        if stream is None or stream is self.output.dead or getattr(stream, "closed", False):
            return
        super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (the stdlib's name)
        """
        After an ``OSError`` stop writing to the stream; a broken pipe (the reader went
        away, as ``| head`` does) is no error to report. Other failures: see the base class.
        """
        import errno  # a failure is rare: not at import

        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            self.output.dead = self.stream
            if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
                return
        super().handleError(record)

    @property
    def target(self) -> str:  # type: ignore[override]
        """
        The stream, as the notice of a failure names it.
        """
        return f"to {self.which}"

    def format(self, record: logging.LogRecord) -> str:
        """
        Format ``record``; on a terminal in colour, with its control characters escaped.

        A formatter set with ``setFormatter`` (torch users restyle torch's output so)
        replaces logdial's layout and colour; on a terminal it too is given the record
        with its control characters escaped.
        """
        custom = self.formatter
        if self._is_tty():
            record = terminal_safe(record, custom or self._plain)
            if custom is None and self._color is not None:
                return self._color.format(record)
        return (custom or self._plain).format(record)

    def _is_tty(self) -> bool:
        stream = self.stream
        cached, answer = self.output.tty
        if cached is not stream:
            try:
                answer = bool(stream.isatty())
            except (AttributeError, ValueError, OSError):  # closed or file-like without isatty
                answer = False
            self.output.tty = (stream, answer)
        return answer


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


class FileHandler(_ReportsOnce, logging.FileHandler):
    """
    Appends to ``{P}_LOGS_OUT`` in UTF-8; each record is one ``os.write`` on a descriptor
    opened with ``O_APPEND``, so records of threads and of processes sharing the file land
    whole, one after the other, and nothing waits in a buffer.

    On a file that is not a regular one (a pipe, a terminal), a record interrupted part
    way (a ``KeyboardInterrupt`` while the reader is slow) may be cut short there; the
    next record then starts on a line of its own.
    """

    def __init__(
        self,
        system: str,
        path: str,
        formatter: logging.Formatter,
        *,
        error_sites: set[tuple[str, int]] | None = None,
        output: Output | None = None,
    ) -> None:
        super().__init__(path, mode="a", encoding="utf-8", delay=True)
        setattr(self, TAG, system)
        self.error_sites = set() if error_sites is None else error_sites
        self.setFormatter(formatter)
        if output is not None:  # a sibling: the file is open already
            self.output = output
            return
        self.output = output = Output()
        # Opened now, so that a path that cannot be written is known at once.
        output.fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _CLOEXEC, 0o644)
        output.owner = self
        try:
            output.regular = stat.S_ISREG(os.fstat(output.fd).st_mode)
        except OSError:  # pragma: no cover - fstat of a descriptor just opened
            output.regular = False

    def sibling(self) -> FileHandler:
        """
        Another handler object writing to the same descriptor (see ``ConsoleHandler.sibling``);
        only the handler that opened the file closes it.
        """
        formatter = self.formatter or logging.Formatter()
        twin = FileHandler(getattr(self, TAG), self.baseFilename, formatter, error_sites=self.error_sites,
                           output=self.output)  # fmt: skip
        twin.lock, twin.level = self.lock, self.level
        return twin

    def emit(self, record: logging.LogRecord) -> None:
        """
        Format ``record`` and append it with one write; errors go to ``handleError``.
        """
        try:
            data = (self.format(record) + "\n").encode("utf-8", "backslashreplace")
            output = self.output
            fd = output.fd
            if fd is None:
                return
            if output.torn:
                data, output.torn = b"\n" + data, False
            view = None
            try:
                written = os.write(fd, data)
                if written < len(data):  # the kernel took only part of it: the rest
                    view = memoryview(data)[written:]
                    while view:
                        view = view[os.write(fd, view) :]
            except BaseException:
                # On a regular file a write is whole or not at all; on a pipe an
                # interrupted one may have written part of the record.
                if not output.regular or view is not None:
                    output.torn = True
                raise
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    @property
    def target(self) -> str:  # type: ignore[override]
        """
        The file, as the notice of a failure names it.
        """
        return f"the log file {self.baseFilename}"

    def close(self) -> None:
        """
        Close the descriptor, if this handler opened it (and what the stdlib class holds).
        """
        self.acquire()
        try:
            output = self.output
            if output.owner is self:
                fd, output.fd = output.fd, None
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
        finally:
            self.release()
        super().close()


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


def sibling_of(handler: logging.Handler) -> logging.Handler:
    """
    Another handler object writing to ``handler``'s output, for another logger to carry.

    Raises:
        TypeError: for a handler that is not one of logdial's.
    """
    if not isinstance(handler, (ConsoleHandler, FileHandler, NullHandler)):
        raise TypeError(f"not one of logdial's handlers: {handler!r}")
    return handler.sibling()
