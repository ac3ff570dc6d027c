"""logdial's own handlers: a console handler that finds its stream at emit time, and the file."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import stat
import sys
import time
from collections.abc import Callable

from ._formatting import escape_controls
from ._notices import notice

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final, Literal, TextIO, TypeVar

    Console = Literal["stderr", "stdout", "none"]
    _T = TypeVar("_T")
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
    "report_failed_record",
    "retire_handler",
    "sibling_of",
]

CONSOLES: Final = ("stderr", "stdout", "none")
_CLOEXEC: Final = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK: Final = getattr(os, "O_NONBLOCK", 0)

#: How long (seconds) one record may wait for a non-blocking console (a descriptor another
#: program set ``O_NONBLOCK`` on) to take it, before the console counts as failing.
NONBLOCKING_WAIT: Final = 10.0

#: How often (seconds) a log file's path is checked for a rotation (a rename or deletion
#: of the file): at the first record after that much time.
ROTATION_CHECK: Final = 1.0

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


class ConsoleHandler(_ReportsOnce, _StreamHandler):
    """
    Writes to ``sys.stderr`` or ``sys.stdout`` as they are at emit time, so redirection and
    pytest's ``capsys`` see the records; colours the output only on a terminal (or when
    ``forced``), and only with a ``color`` formatter (none for ``NO_COLOR``, ``TERM=dumb``).
    """

    def __init__(
        self,
        system: str,
        which: Literal["stderr", "stdout"],
        plain: logging.Formatter,
        color: logging.Formatter | None,
        *,
        error_sites: set[tuple[str, int]] | None = None,
        forced: bool = False,
    ) -> None:
        logging.Handler.__init__(self)  # StreamHandler.__init__ would pin one stream
        setattr(self, TAG, system)
        self.error_sites = set() if error_sites is None else error_sites
        self.which = which
        self._plain = plain
        self._color = color
        #: Written as for a terminal (coloured, escaped) even when the stream is not one
        #: (``FORCE_COLOR``: a pipe to ``less -R``, a CI log that shows colours).
        self.forced = forced
        self.output = Output()

    def sibling(self) -> ConsoleHandler:
        """
        Another handler object for the same console: same formatters, lock, level and
        state (a failure is reported once for both), for another logger to carry.
        """
        twin = ConsoleHandler(getattr(self, TAG), self.which, self._plain, self._color, error_sites=self.error_sites,
                              forced=self.forced)  # fmt: skip
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
        try:
            text = self.format(record) + self.terminator
            fd = self._nonblocking_descriptor(stream)
            if fd is None:
                stream.write(text)
                stream.flush()
            else:  # another program made it non-blocking: the stream would drop what it refuses
                _when_ready(fd, stream.flush)  # what the stream holds goes first
                data = text.encode(stream.encoding or "utf-8", stream.errors or "backslashreplace")
                while data:
                    data = data[_when_ready(fd, functools.partial(os.write, fd, data)) :]
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def _nonblocking_descriptor(self, stream: TextIO) -> int | None:
        # The stream's descriptor if it is non-blocking now (another process sharing it
        # may set O_NONBLOCK at any time), else None; the descriptor is looked up once
        # per stream.
        cached, fd = self.output.console_fd
        if cached is not stream:
            try:
                fd = stream.fileno()
            except (AttributeError, OSError, ValueError):  # a stream without one (capsys, StringIO)
                fd = None
            self.output.console_fd = (stream, fd)
        if fd is None:
            return None
        try:
            return None if os.get_blocking(fd) else fd
        except OSError:
            return None

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
        if self.forced or self._is_tty():
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


def _when_ready(fd: int, write: Callable[[], _T]) -> _T:
    # write() to non-blocking ``fd``, again each time the descriptor has room, for up to
    # NONBLOCKING_WAIT; then its BlockingIOError (reported, as any failing output).
    import select  # a non-blocking console is rare: not at import

    deadline = time.monotonic() + NONBLOCKING_WAIT
    while True:
        try:
            return write()
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            select.select([], [fd], [], min(left, 0.1))


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

    Opening never blocks: a FIFO with no reader is an ``OSError`` at once (``ENXIO``), and
    a pipe with one (``>(gzip > f)``) is then written as usual, waiting for its reader.
    On a terminal (``/dev/tty``) records are escaped as on the console.

    The file stays the one at the path: closed by someone else (``logging.shutdown()`` at
    exit, an application's ``dictConfig``), it is opened again at the next record, as
    logging's ``FileHandler`` does; renamed or deleted (``logrotate``), a new file is
    opened at the path within a second (``ROTATION_CHECK``), and at once by ``init()``.
    A handler logdial replaces (``retire``) keeps writing to its file the records that
    were already on their way to it, and its descriptor is closed once none is.

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
        self.output = Output()
        self._open_path()  # now, so that a path that cannot be written is known at once
        self.output.owner = self

    def _open_path(self) -> int:
        # Opens the path into this handler's output, without blocking; OSError if it cannot.
        output = self.output
        try:
            fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _CLOEXEC | _NONBLOCK, 0o644)
        except OSError as exc:
            import errno  # a failure is rare: not at import

            if exc.errno == errno.ENXIO:  # what open(O_WRONLY | O_NONBLOCK) says of a FIFO with no reader
                raise OSError(exc.errno, "a FIFO with no reader; logdial does not wait for one", exc.filename) from None
            raise
        try:
            info = os.fstat(fd)
            os.set_blocking(fd, True)  # writes wait for a slow pipe's reader: nothing is dropped
            terminal = os.isatty(fd)
        except OSError:  # pragma: no cover - fstat of a descriptor just opened
            os.close(fd)
            raise
        output.fd, output.regular, output.terminal = fd, stat.S_ISREG(info.st_mode), terminal
        output.identity, output.checked = (info.st_dev, info.st_ino), time.time()
        return fd

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

    def format(self, record: logging.LogRecord) -> str:
        """
        Format ``record``; on a terminal with its control characters escaped, as on the console.
        """
        formatter = self.formatter or logging.Formatter()
        if self.output.terminal:
            return formatter.format(terminal_safe(record, formatter))
        return formatter.format(record)

    def _reopened(self, fd: int | None) -> int | None:
        # emit() found no descriptor (the file was closed by someone else), or that it is
        # time to check for a rotation: the descriptor to write to, the path opened again
        # if the file was closed, renamed or deleted; None for a retired handler.
        output = self.output
        if fd is None:
            return None if output.retired else self._open_path()
        output.checked = time.time()
        if self.same_file():
            return fd
        self._close_descriptor()
        return self._open_path()

    def same_file(self) -> bool:
        """
        Whether the path still names the file this handler writes to (not renamed or
        deleted since it was opened).
        """
        try:
            info = os.stat(self.baseFilename)
        except OSError:
            return False
        return (info.st_dev, info.st_ino) == self.output.identity

    def emit(self, record: logging.LogRecord) -> None:
        """
        Format ``record`` and append it with one write; errors go to ``handleError``.
        """
        try:
            data = (self.format(record) + "\n").encode("utf-8", "backslashreplace")
            output = self.output
            fd = output.fd
            # (The record's own time, not another clock reading; abs(): a clock set back
            # checks at once instead of never.)
            if fd is None or (output.regular and abs(record.created - output.checked) >= ROTATION_CHECK):
                fd = self._reopened(fd)
                if fd is None:
                    return
            if output.torn:  # (until a record is written, every attempt starts with it)
                data = b"\n" + data
            view = None
            try:
                written = os.write(fd, data)
                if written < len(data):  # the kernel took only part of it: the rest
                    view = memoryview(data)[written:]
                    while view:
                        view = view[os.write(fd, view) :]
                output.torn = False
            except BaseException:
                # On a regular file a write is whole or not at all, unless the disk is
                # full part way: the part written is taken back. On a pipe an interrupted
                # write may have left part of the record.
                if view is not None and output.regular and _take_back(fd, len(data) - len(view)):
                    pass
                elif not output.regular or view is not None:
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

    def _close_descriptor(self) -> None:
        output = self.output
        fd, output.fd = output.fd, None
        if fd is not None:
            _close_quietly(fd)

    def close(self) -> None:
        """
        Close the descriptor, if this handler opened it (and what the stdlib class holds).
        A handler still in place opens the path again at its next record, as logging's
        ``FileHandler`` does after ``logging.shutdown()``.
        """
        self.acquire()
        try:
            if self.output.owner is self:
                self._close_descriptor()
        finally:
            self.release()
        super().close()

    def retire(self) -> None:
        """
        logdial no longer writes new records here: the records already on their way to
        this handler (in another thread) are still written, and the descriptor is closed
        once no handler object holds it. The path is never opened again by it.
        """
        self.acquire()
        try:
            output = self.output
            if output.owner is self and not output.retired:
                output.retired = True
                fd = output.fd
                if fd is not None:
                    import weakref

                    weakref.finalize(output, _close_quietly, fd)
        finally:
            self.release()
        logging.Handler.close(self)  # out of logging's list of handlers to flush at exit


def _take_back(fd: int, count: int) -> bool:
    # Truncate the last ``count`` bytes this process appended to a regular file, if no
    # one appended after them (another process sharing the file); whether it did.
    try:
        end = os.lseek(fd, 0, os.SEEK_CUR)  # (O_APPEND: just after what this write wrote)
        if os.fstat(fd).st_size != end:
            return False
        os.ftruncate(fd, end - count)
    except OSError:
        return False
    return True


def _close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


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
    if isinstance(handler, FileHandler):
        handler.retire()
    else:
        handler.close()


def sibling_of(handler: logging.Handler) -> logging.Handler:
    """
    Another handler object writing to ``handler``'s output, for another logger to carry.

    Raises:
        TypeError: for a handler that is not one of logdial's.
    """
    if not isinstance(handler, (ConsoleHandler, FileHandler, NullHandler)):
        raise TypeError(f"not one of logdial's handlers: {handler!r}")
    return handler.sibling()
