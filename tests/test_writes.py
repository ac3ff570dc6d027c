"""``logdial._writes``: a record written whole over short writes, and a part taken back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from logdial._writes import Written, take_back, write_rest


def test_a_short_write_is_counted() -> None:
    """
    A non-blocking pipe takes only what fits: after a short first write, ``write_rest``
    writes on until the pipe is full, and ``Written.count`` says how much of the data is
    in it when it raises.
    """
    read_end, write_end = os.pipe()
    try:
        os.set_blocking(write_end, False)
        data = b"x" * (1 << 22)  # more than any pipe holds
        written = Written(os.write(write_end, data))
        first = written.count
        os.read(read_end, first // 2)  # room for a part of the rest
        with pytest.raises(BlockingIOError):
            write_rest(write_end, data, written)
        assert first < written.count < len(data)
    finally:
        os.close(read_end)
        os.close(write_end)


def test_the_rest_is_written(tmp_path: Path) -> None:
    """
    On a regular file the rest of the data after a short write is written, and counted.
    """
    fd = os.open(tmp_path / "log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        written = Written(os.write(fd, b"one "))
        write_rest(fd, b"one line\n", written)
        assert (9, b"one line\n") == (written.count, (tmp_path / "log").read_bytes())
    finally:
        os.close(fd)


def test_take_back(tmp_path: Path) -> None:
    """
    The part this process appended last is taken back; not when another writer appended
    after it (the file is not this process's alone).
    """
    path = tmp_path / "log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    other = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, b"whole\npart")
        taken = take_back(fd, 4)
        os.write(fd, b"part")
        os.write(other, b"theirs\n")
        assert (True, False, b"whole\nparttheirs\n") == (
            taken,
            take_back(fd, 4),
            path.read_bytes(),
        )
    finally:
        os.close(fd)
        os.close(other)
