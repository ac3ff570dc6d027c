"""Writing a record to a file descriptor whole: the kernel may take part of it (a full disk,
a pipe, a signal), and a part written to a regular file can be taken back."""

from __future__ import annotations

import os

__all__ = ["Written", "take_back", "write_all"]


class Written:
    """
    How many bytes of the data ``write_all`` was given it has written so far (read it
    when it raises: 0 < ``count`` means a part of the record is in the file).
    """

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


def write_all(fd: int, data: bytes, written: Written) -> None:
    """
    Write all of ``data`` to ``fd``: when the kernel takes only part of it, write the rest.
    ``written.count`` follows each write.

    Raises:
        OSError: (or whatever interrupts a write) with ``written.count`` bytes written.
    """
    view: bytes | memoryview = data  # (no memoryview for the usual whole write)
    while True:
        # One loop for every write, the first included: the jump back to its top runs the
        # signal handlers a write cut short left pending (Ctrl-C), so that an interrupt
        # raises here instead of the next write blocking on a pipe no one reads.
        count = os.write(fd, view)
        written.count += count
        if count == len(view):
            return
        view = memoryview(view)[count:]


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
