"""Writing a record to a file descriptor whole: the kernel may take part of it (a full disk,
a pipe, a signal), and a part written to a regular file can be taken back."""

from __future__ import annotations

import os

__all__ = ["Written", "take_back", "write_rest"]


class Written:
    """
    How many bytes of a record are written so far, kept by ``write_rest`` (read it when
    it raises: 0 < ``count`` means a part of the record is in the file).
    """

    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count


def write_rest(fd: int, data: bytes, written: Written) -> None:
    """
    After a write that took only the first ``written.count`` bytes of ``data`` (the usual
    whole write is the caller's one ``os.write``: no call here), write the rest, following
    ``written.count``. Entering, and each jump back to the loop's top, runs the signal
    handlers a write cut short left pending (Ctrl-C), so that an interrupt raises here
    instead of the next write blocking on a pipe no one reads.

    Raises:
        OSError: (or whatever interrupts a write) with ``written.count`` bytes written.
    """
    view = memoryview(data)[written.count :]
    while view:
        more = os.write(fd, view)
        written.count += more
        view = view[more:]


def take_back(fd: int, count: int) -> bool:
    """
    Truncate the last ``count`` bytes this process appended to the regular file ``fd``, if
    no one appended after them (another process sharing the file); return whether it did.
    """
    try:
        end = os.lseek(fd, 0, os.SEEK_CUR)  # (O_APPEND: just after what this write wrote)
        if os.fstat(fd).st_size != end:
            return False
        os.ftruncate(fd, end - count)
    except OSError:
        return False
    return True
