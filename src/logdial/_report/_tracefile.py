"""Reading trace files back: records and payloads, streamed, with errors that name the line."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

from .._context import CONTEXT_KEYS, LABEL_KEY
from .._errors import LogdialError

__all__ = ["TraceFormatError", "TraceRecord", "read_trace"]

_HEADER: Final = re.compile(
    rb"(?P<level>[VIWEC])(?P<date>\d{4} \d{2}:\d{2}:\d{2}\.\d{6}) (?P<pid>\d+) "
    rb"(?P<path>[^:]+):(?P<line>\d+)\] (?P<json>.+)"
)
_NOT_EVENTS: Final = frozenset({*CONTEXT_KEYS, LABEL_KEY, "rank", "has_payload", "stack"})


class TraceFormatError(LogdialError, ValueError):
    """
    A trace file that is not in the format logdial writes; the message names the file and line.
    """


@dataclass(frozen=True, slots=True)
class TraceRecord:
    """
    One record of a trace file.

    Attributes:
        lineno: the line of its header (1-based).
        level: the glog letter.
        time: ``MMDD HH:MM:SS.ffffff`` as written (local time, no year).
        pid: the writing process.
        path: the source file that made the record, relative to ``sys.path``.
        line: the line in it.
        envelope: the JSON object of the header.
        payload: the payload, or ``None``.
    """

    lineno: int
    level: str
    time: str
    pid: int
    path: str
    line: int
    envelope: dict[str, object] = field(compare=True)
    payload: str | None = None

    @property
    def name(self) -> str:
        """
        The event's key (``artifact``, ``dynamo_start``, ``str``, ...), or ``""``.
        """
        return next((k for k in self.envelope if k not in _NOT_EVENTS), "")

    @property
    def metadata(self) -> object:
        """
        The value of the event's key.
        """
        return self.envelope.get(self.name)


def _no_constant(name: str) -> object:
    # NaN and the infinities are Python's extension, not JSON; tlparse rejects them.
    raise ValueError(f"{name} is not JSON")


def read_trace(path: str | Path, *, check_md5: bool = True) -> Iterator[TraceRecord]:
    """
    Stream the records of the trace file at ``path``, in order.

    Raises:
        TraceFormatError: at the first line that is not valid UTF-8, not a header, a
            payload line without a header that announced one, a header whose JSON is not
            an object, or a payload whose MD5 differs from ``has_payload``.
    """
    name = str(path).encode("utf-8", "backslashreplace").decode("utf-8")  # (a file name that is not UTF-8)
    pending: tuple[int, re.Match[bytes], dict[str, object]] | None = None
    # The payload's lines, as the UTF-8 bytes they were (one buffer, not a string per
    # line: a payload costs its size here, and once more as the text made of it).
    payload = bytearray()
    with _open_regular(path, name) as stream:
        for lineno, raw in enumerate(_lines(stream, name), 1):
            line = raw.rstrip(b"\n").rstrip(b"\r")
            if not line:
                continue  # tlparse drops empty lines anywhere
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise TraceFormatError(f"{name}:{lineno}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
            if line.startswith(b"\t"):
                if pending is None or "has_payload" not in pending[2]:
                    raise TraceFormatError(f"{name}:{lineno}: a payload line with no record announcing a payload")
                payload += memoryview(line)[1:]
                payload += b"\n"
                continue
            if pending is not None:
                yield _record(name, pending, payload, check_md5)
                payload = bytearray()
            match = _HEADER.fullmatch(line)
            if match is None:
                raise TraceFormatError(f"{name}:{lineno}: not a trace record header: {text[:80]!r}")
            try:
                envelope = json.loads(match["json"], parse_constant=_no_constant)
            except ValueError as exc:
                raise TraceFormatError(f"{name}:{lineno}: the record's JSON does not parse ({exc})") from None
            except RecursionError:  # nested deeper than Python's decoder goes
                raise TraceFormatError(f"{name}:{lineno}: the record's JSON is nested too deeply") from None
            if not isinstance(envelope, dict):
                raise TraceFormatError(f"{name}:{lineno}: the record's JSON is not an object")
            pending = (lineno, match, envelope)
    if pending is not None:
        yield _record(name, pending, payload, check_md5)


#: How much of a line is read at a time: a line longer than that is checked to be a
#: payload line or to start like a header before the rest of it is read.
LINE_CHUNK: Final = 64 * 1024
#: The longest record header (its JSON) the reader takes; payload lines have no limit.
HEADER_LIMIT: Final = 16 * 1024 * 1024
_HEADER_START: Final = re.compile(rb"[VIWEC]\d{4} \d{2}:\d{2}:\d{2}\.\d{6} \d+ [^:\n]+:\d+\] ")


def _open_regular(path: str | Path, name: str) -> BinaryIO:
    # The file, if it is a regular one: a FIFO would block the reader, a device
    # (/dev/zero, behind a symlink) would never end. Opened without blocking, then checked.
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise TraceFormatError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise TraceFormatError(f"{name}: not a regular file (a trace is one)")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _lines(stream: BinaryIO, name: str) -> Iterator[bytes]:
    # The file's lines, each read LINE_CHUNK at a time: the start of a long line is
    # checked before the rest is read, and a header is at most HEADER_LIMIT long.
    lineno = 0
    while raw := stream.readline(LINE_CHUNK):
        lineno += 1
        if len(raw) < LINE_CHUNK or raw.endswith(b"\n"):
            yield raw
            continue
        payload = raw.startswith(b"\t")
        if not payload and _HEADER_START.match(raw) is None:
            shown = raw[:80].decode("utf-8", "replace")
            raise TraceFormatError(f"{name}:{lineno}: not a trace record header: {shown!r}")
        parts, size = [raw], len(raw)
        while not raw.endswith(b"\n") and (raw := stream.readline(LINE_CHUNK)):
            parts.append(raw)
            size += len(raw)
            if not payload and size > HEADER_LIMIT:
                raise TraceFormatError(f"{name}:{lineno}: a record header longer than {HEADER_LIMIT >> 20} MiB")
        yield b"".join(parts)


def _record(
    name: str, pending: tuple[int, re.Match[bytes], dict[str, object]], lines: bytearray, check_md5: bool
) -> TraceRecord:
    lineno, match, envelope = pending
    payload = None
    if "has_payload" in envelope:
        if lines:
            del lines[-1:]  # (the newline after the last line)
        if check_md5:
            digest = hashlib.md5(lines, usedforsecurity=False).hexdigest()
            if digest != envelope["has_payload"]:
                raise TraceFormatError(
                    f"{name}:{lineno}: the payload's MD5 is {digest}, the record says {envelope['has_payload']}"
                )
        payload = lines.decode("utf-8")  # (each line was checked to be UTF-8)
        lines.clear()
    try:
        pid, line = int(match["pid"]), int(match["line"])
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        raise TraceFormatError(f"{name}:{lineno}: the record's process id or line number is too long") from None
    return TraceRecord(
        lineno=lineno,
        level=match["level"].decode(),
        time=match["date"].decode(),
        pid=pid,
        path=match["path"].decode("utf-8"),
        line=line,
        envelope=envelope,
        payload=payload,
    )
