"""
What the structured-trace tests share: the MD5 ``has_payload`` holds, the line of the next
call, a trace file's records, the one file of a directory, callbacks that count their
calls, and the stack frames a string table leaves unresolved.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from logdial._report._tracefile import TraceRecord, read_trace


def md5(text: str) -> str:
    """
    The lowercase hex MD5 of ``text`` in UTF-8, as ``has_payload`` holds it.
    """
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def line_of_next() -> int:
    """
    The line after the caller's: where the call on the next line is made.
    """
    return sys._getframe(1).f_lineno + 1


def events(path: str | Path | None) -> list[TraceRecord]:
    """
    The records of the trace file at ``path`` but the string-table (``str``) ones.
    """
    assert path is not None
    return [r for r in read_trace(path) if r.name != "str"]


def only_file(directory: Path) -> Path:
    """
    The one file in ``directory``.
    """
    files = sorted(directory.iterdir())
    assert 1 == len(files), files
    return files[0]


class Counter:
    """
    Callbacks that count their calls.
    """

    def __init__(self) -> None:
        self.metadata = 0
        self.payload = 0

    def metadata_fn(self) -> dict[str, object]:
        """
        Metadata ``{"n": <calls so far>}``.
        """
        self.metadata += 1
        return {"n": self.metadata}

    def payload_fn(self) -> str:
        """
        A two-line payload.
        """
        self.payload += 1
        return "one\ntwo"


def unresolved_stack_frames(path: Path) -> list[dict[str, object]]:
    """
    The stack frames in the file at ``path`` whose interned file name no earlier ``str``
    record defines.
    """
    table: dict[object, object] = {}
    missing = []
    for record in read_trace(path):
        if record.name == "str":
            text, index = record.metadata
            table[index] = text
        frames = record.envelope.get("stack", [])
        if record.name == "dynamo_start":
            frames = record.metadata["stack"]
        missing += [f for f in frames if f["filename"] not in table]
    return missing
