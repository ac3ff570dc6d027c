"""The file handler: appends to ``{P}_LOGS_OUT``, one ``os.write`` per record, and follows rotation."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import time

from ._handlers import TAG, Output, ReportsOnce, terminal_safe
from ._writes import Written, take_back, write_rest

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final

__all__ = ["ROTATION_CHECK", "FileHandler"]

_CLOEXEC: Final = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK: Final = getattr(os, "O_NONBLOCK", 0)

#: How often (seconds) a log file's path is checked for a rotation (a rename or deletion
#: of the file): at the first record after that much time.
ROTATION_CHECK: Final = 1.0


class FileHandler(ReportsOnce, logging.FileHandler):
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
            count, rest = 0, None
            try:
                count = os.write(fd, data)
                if count < len(data):  # the kernel took only part of it: the rest
                    rest = Written(count)
                    write_rest(fd, data, rest)
                output.torn = False
            except BaseException:
                # On a regular file a write is whole or not at all, unless the disk is
                # full part way: the part written is taken back. On a pipe an interrupted
                # write may have left part of the record.
                done = count if rest is None else rest.count
                partial = 0 < done < len(data)  # (a whole record stays, whatever came after it)
                if partial and output.regular and take_back(fd, done):
                    pass
                elif not output.regular or partial:
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


def _close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
