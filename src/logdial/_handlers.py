"""logdial's own handlers: a console handler that finds its stream at emit time, and the file."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final, Literal, TextIO

    Console = Literal["stderr", "stdout", "none"]
    _StreamHandler = logging.StreamHandler[TextIO]
else:
    _StreamHandler = logging.StreamHandler

__all__ = ["ConsoleHandler", "FileHandler", "NullHandler", "RoutingFormatter", "is_logdial_handler"]

CONSOLES: Final = ("stderr", "stdout", "none")
_CLOEXEC: Final = getattr(os, "O_CLOEXEC", 0)

#: The attribute that marks a handler as logdial's, holding the name of its system.
TAG: Final = "_logdial_system"


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


class ConsoleHandler(_StreamHandler):
    """
    Writes to ``sys.stderr`` or ``sys.stdout`` as they are at emit time, so redirection and
    pytest's ``capsys`` see the records; colours the output only on a terminal.
    """

    def __init__(self, system: str, which: Literal["stderr", "stdout"], plain: logging.Formatter,
                 color: logging.Formatter | None) -> None:  # fmt: skip
        logging.Handler.__init__(self)  # StreamHandler.__init__ would pin one stream
        setattr(self, TAG, system)
        self.which = which
        self._plain = plain
        self._color = color
        self._tty: tuple[object, bool] = (None, False)

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
        if stream is None or getattr(stream, "closed", False):
            return
        super().emit(record)

    def format(self, record: logging.LogRecord) -> str:
        """
        Format ``record``, in colour when the stream is a terminal.
        """
        if self._color is not None and self._is_tty():
            return self._color.format(record)
        return self._plain.format(record)

    def _is_tty(self) -> bool:
        stream = self.stream
        cached, answer = self._tty
        if cached is not stream:
            try:
                answer = bool(stream.isatty())
            except (AttributeError, ValueError, OSError):  # closed or file-like without isatty
                answer = False
            self._tty = (stream, answer)
        return answer


class FileHandler(logging.FileHandler):
    """
    Appends to ``{P}_LOGS_OUT`` in UTF-8; each record is one ``os.write`` on a descriptor
    opened with ``O_APPEND``, so records of threads and of processes sharing the file land
    whole, one after the other, and nothing waits in a buffer.
    """

    def __init__(self, system: str, path: str, formatter: logging.Formatter) -> None:
        super().__init__(path, mode="a", encoding="utf-8", delay=True)
        setattr(self, TAG, system)
        self.setFormatter(formatter)
        # Opened now, so that a path that cannot be written is known at once.
        self._fd: int | None = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _CLOEXEC, 0o644)

    def emit(self, record: logging.LogRecord) -> None:
        """
        Format ``record`` and append it with one write; errors go to ``handleError``.
        """
        try:
            data = (self.format(record) + "\n").encode("utf-8", "backslashreplace")
            fd = self._fd
            if fd is None:
                return
            view = memoryview(data)
            while view:  # one write, unless the kernel takes only part of it
                view = view[os.write(fd, view) :]
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        """
        Close the descriptor (and what the stdlib class holds).
        """
        self.acquire()
        try:
            fd, self._fd = self._fd, None
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
