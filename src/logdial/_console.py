"""The console handler: writes to ``sys.stderr`` or ``sys.stdout`` as they are at each record."""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import Callable

from ._handlers import TAG, Output, ReportsOnce, terminal_safe

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final, Literal, TextIO, TypeVar

    Console = Literal["stderr", "stdout", "none"]
    _T = TypeVar("_T")
    _StreamHandler = logging.StreamHandler[TextIO]
else:
    _StreamHandler = logging.StreamHandler

__all__ = ["CONSOLES", "NONBLOCKING_WAIT", "ConsoleHandler"]

CONSOLES: Final = ("stderr", "stdout", "none")

#: How long (seconds) one record may wait for a non-blocking console (a descriptor another
#: program set ``O_NONBLOCK`` on) to take it, before the console counts as failing.
NONBLOCKING_WAIT: Final = 10.0


class ConsoleHandler(ReportsOnce, _StreamHandler):
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
