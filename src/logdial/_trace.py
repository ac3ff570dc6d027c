"""The structured trace writer: one lazily opened JSON-lines file per process, tlparse's format."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping

from ._forks import held, in_forked_child
from ._formatting import relative_path
from ._writes import Written, take_back, write_rest

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final

__all__ = [
    "FILE_PREFIX",
    "STRING_TABLE_LIMIT",
    "TraceWriter",
    "makedirs_private",
    "normalise_payload",
    "render_payload",
    "to_json",
]

#: The file name prefix tlparse (and ``--all-ranks-html``) looks for.
FILE_PREFIX: Final = "dedicated_log_torch_trace_"

#: How many strings a trace file's string table holds in memory. Past it the table starts
#: over: a string seen again gets a new ``str`` record and a new, higher id (ids are never
#: reused, so every record still points at the string it was written with).
STRING_TABLE_LIMIT: Final = 4096

#: How many records traced by signal handlers while a write was interrupted the writer
#: keeps to write after it (more are dropped).
DEFERRED_LIMIT: Final = 1024

_PATH_UNSAFE: Final = str.maketrans({":": "_", "]": "_", "\t": " ", "\n": " ", "\r": " "})


def normalise_payload(text: str) -> str:
    """
    ``text`` as it will be read back: ``\\r\\n`` and ``\\r`` become ``\\n`` (tlparse strips a
    ``\\r`` before a newline) and anything that is not valid UTF-8 (lone surrogates) becomes
    ``?``, so that the MD5 is the hash of exactly what was written.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.encode("utf-8", "replace").decode("utf-8")


def _finite(value: object) -> object:
    # ``value`` with every NaN and infinity (keys too) replaced by its repr.
    if isinstance(value, float):
        return value if value - value == 0.0 else repr(value)  # math.isfinite, without importing math
    if isinstance(value, dict):
        return {_finite(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def to_json(value: object, *, indent: int | None = None, ensure_ascii: bool = True) -> str:
    """
    ``value`` as strict JSON: a value JSON has no form for becomes its repr, NaN and the
    infinities too (Python's ``NaN`` is not JSON; tlparse rejects the line).

    Raises:
        TypeError, ValueError, RecursionError: for a value that has no JSON form even so
            (a key that is not a str, int, float, bool or None; a circular reference).
    """
    import json  # here, not at import: tracing is optional and json is slow to import

    try:
        return json.dumps(value, default=repr, allow_nan=False, indent=indent, ensure_ascii=ensure_ascii)
    except ValueError as exc:
        if "Out of range float" not in str(exc):
            raise
    return json.dumps(_finite(value), default=repr, allow_nan=False, indent=indent, ensure_ascii=ensure_ascii)


def render_payload(payload: object) -> str:
    """
    A payload as text: a string as it is, anything else as JSON with one value per line
    (lists one element per line), so that no line gets huge.

    Raises:
        TypeError, ValueError, RecursionError: as ``to_json``.
    """
    if isinstance(payload, str):
        return payload
    if isinstance(payload, (list, tuple)):
        return "[\n" + ",\n".join(to_json(item) for item in payload) + "\n]"
    return to_json(payload, indent=0)


class TraceWriter:
    """
    Writes trace records to ``<dir>/dedicated_log_torch_trace_[rank_<R>_]<random>.log``.

    The file is created (mode 0600, its directory 0700) on the first record, never
    before. Each record, header and payload, is one ``os.write`` under a lock, so
    threads never interleave; there is no buffer, so a forked child, which opens a file of
    its own, can never write the parent's data. A failure to create or write the file is
    reported once and turns tracing off; no exception reaches the caller.
    """

    def __init__(self, var: str, report: Callable[[str], None]) -> None:
        self.var = var
        self.dir: str | None = None
        self.rank_of: Callable[[], int | None] = lambda: None
        self._report = report
        self._lock = threading.RLock()
        # A record is being written; records traced meanwhile in the same thread (by a
        # signal handler) wait in _deferred: (header, payload lines, caller).
        self._busy = False
        self._deferred: list[tuple[str, str, tuple[str, int]]] = []
        self._fd: int | None = None
        self._pid = os.getpid()
        self.path: str | None = None
        # (second, its "MMDD HH:MM:SS" text), swapped whole: one strftime per second.
        self._stamp: tuple[int, str] = (-1, "")
        self._interned: dict[str, int] = {}
        self._next_id = 0
        self.rank: int | None = None
        _track(self)

    # -- configuration --------------------------------------------------------------

    def held(self) -> bool:
        """
        Whether this thread is writing (holds the writer's lock).
        """
        return held(self._lock)

    def set_dir(self, path: str | None) -> None:
        """
        Trace into directory ``path`` from the next record on (``None``: stop tracing).
        """
        if path is not None:
            # What writing needs, imported now, before tracing is on: an import under
            # way when a signal handler traces would give it a half-made module.
            import hashlib  # noqa: F401
            import json  # noqa: F401
            import tempfile  # noqa: F401
        with self._lock:
            if path != self.dir:
                self._close()
            self.dir = None if path is None else os.fspath(path)

    def _close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):  # already gone; nothing to lose, nothing is buffered
                os.close(self._fd)
        self._fd, self.path, self.rank = None, None, None
        self._interned, self._next_id = {}, 0

    def after_fork(self) -> None:
        """
        In a forked child: forget the parent's file (without closing the parent's
        descriptor's file) and lock, so the child opens a file of its own.
        """
        self._lock = threading.RLock()
        self._busy, self._deferred = False, []
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # the child's copy of the descriptor only
        self._fd, self.path, self.rank = None, None, None
        self._interned, self._next_id = {}, 0
        self._pid = os.getpid()

    # -- writing ----------------------------------------------------------------------

    def _open(self) -> int | None:
        directory = self.dir
        assert directory is not None
        try:
            makedirs_private(directory)
            rank = self.rank_of()
            prefix = FILE_PREFIX + (f"rank_{rank}_" if rank is not None else "")
            import tempfile  # only once tracing writes: it is slow to import

            fd, path = tempfile.mkstemp(prefix=prefix, suffix=".log", dir=directory)  # O_EXCL, 0600
        except OSError as exc:
            self._fail(f"cannot create a trace file in {directory!r} ({exc.strerror or exc})")
            return None
        self._fd, self.path, self.rank, self._pid = fd, path, rank, os.getpid()
        return fd

    def _fail(self, why: str) -> None:
        self.dir = None
        self._close()
        self._report(f"{self.var}: {why}; tracing is off")

    def intern(self, text: str, caller: tuple[str, int]) -> int:
        """
        The id of ``text`` in this file's string table, writing the ``str`` record the
        first time the file sees it (see ``STRING_TABLE_LIMIT``).
        """
        with self._lock:
            self._check_pid()
            index = self._interned.get(text)
            if index is None:
                if len(self._interned) >= STRING_TABLE_LIMIT:
                    self._interned = {}
                index = self._next_id
                self._write_locked(to_json({"str": [text, index]}, ensure_ascii=False), "", caller)
                if self._fd is not None:  # written (or to be, just after the write under way)
                    self._interned[text] = index
                    self._next_id = index + 1
            return index

    def write(self, envelope: dict[str, object], payload: str | None, caller: tuple[str, int]) -> None:
        """
        Write one record: ``envelope`` (the event key, context ids) and ``payload``.

        The record is made into text before the lock is taken: a value's ``repr`` (which
        may itself trace, or take its time) never runs while the file is locked.

        Raises:
            Exception: what making the envelope into JSON raises (see ``to_json``; a
                value's ``repr`` may raise anything); nothing is written then.
        """
        tail = ""
        if payload is not None:
            payload = normalise_payload(payload)
            envelope["has_payload"] = _md5(payload.encode("utf-8"))
            tail = "".join(["\n\t" + line for line in payload.split("\n")])
        header = to_json(envelope, ensure_ascii=False)
        with self._lock:
            self._check_pid()
            self._write_locked(header, tail, caller)

    def _check_pid(self) -> None:
        if self._pid != os.getpid():  # forked without the at-fork hook (e.g. os.fork in C)
            self.after_fork()

    def _write_locked(self, header: str, tail: str, caller: tuple[str, int]) -> None:
        # Under the lock, which is re-entrant: a record traced by a signal handler that
        # interrupted a write in this thread is written just after it, not inside it.
        if self.dir is None:
            return
        if self._busy:
            if len(self._deferred) < DEFERRED_LIMIT:
                self._deferred.append((header, tail, caller))
            return
        self._busy = True
        try:
            self._write_one(header, tail, caller)
            while self._deferred:
                self._write_one(*self._deferred.pop(0))
        finally:
            self._busy = False

    def _write_one(self, header: str, tail: str, caller: tuple[str, int]) -> None:
        if self.dir is None:
            return
        fd = self._fd if self._fd is not None else self._open()
        if fd is None:
            return
        if self.rank is not None:  # known once the file is open: added to the JSON text
            header = f'{header[:-1]}{", " if header != "{}" else ""}"rank": {self.rank}}}'
        now = time.time()
        second = int(now)
        cached_second, stamp = self._stamp
        if second != cached_second:  # one strftime per second, not per record
            stamp = time.strftime("%m%d %H:%M:%S", time.localtime(second))
            self._stamp = (second, stamp)
        path = relative_path(caller[0]).translate(_PATH_UNSAFE) or "?"
        text = f"V{stamp}.{int((now - second) * 1_000_000):06d} {self._pid} {path}:{caller[1]}] {header}{tail}\n"
        data = text.encode("utf-8", "replace")
        count, rest = 0, None
        try:
            count = os.write(fd, data)
            if count < len(data):  # the kernel took only part of it: the rest
                rest = Written(count)
                write_rest(fd, data, rest)
        except OSError as exc:
            # A full disk: take back the part of the record written (the file is this
            # process's own, written under the lock).
            done = count if rest is None else rest.count
            if done:
                take_back(fd, done)
            self._fail(f"cannot write the trace file {self.path!r} ({exc.strerror or exc})")


def _md5(data: bytes) -> str:
    import hashlib  # only once tracing writes: it is slow to import

    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def makedirs_private(directory: str) -> None:
    # os.makedirs gives its mode to the last directory only; every directory logdial
    # creates for a trace is private (0700), so no one else can list or plant files.
    parent = os.path.dirname(os.path.abspath(directory))
    if not os.path.isdir(parent):
        makedirs_private(parent)
    with contextlib.suppress(FileExistsError):
        os.mkdir(directory, 0o700)


def _track(writer: TraceWriter) -> None:
    in_forked_child(writer.after_fork)


def caller_location(depth: int) -> tuple[str, int]:
    """
    The file and line ``depth`` frames above the caller of this function.
    """
    frame = sys._getframe(depth + 1)
    return frame.f_code.co_filename, frame.f_lineno


def metadata_object(value: object) -> dict[str, object] | None:
    """
    ``value`` as a JSON object, or ``None`` when it is not a mapping with string keys.
    """
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return dict(value)
    return None
