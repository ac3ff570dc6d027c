"""
The structured trace: the writer (lazy per-process file, header, payloads, threads, fork,
failures), ``{P}_TRACE``, trace contexts, the records they make, and the reader.

Real files in ``tmp_path``, real threads, a real fork and real subprocesses; no mocks.
The traces these tests write are also fed to the real tlparse (tests/test_trace_tlparse.py),
through the ``write_*`` functions below.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import os
import re
import stat
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from tests.subprocesses import child_environ

from logdial import LogdialError, LogSystem
from logdial._context import CONTEXT_KEYS, TraceContext
from logdial._formatting import relative_path
from logdial._registry import RESERVED_NAMES
from logdial._report._tracefile import TraceFormatError, TraceRecord, read_trace

#: tlparse 0.4.3's prefix regex (src/lib.rs, parse_path), verbatim but for Python's (?P<...>).
TLPARSE_PREFIX = re.compile(
    r"(?P<level>[VIWEC])(?P<month>\d{2})(?P<day>\d{2}) (?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})"
    r".(?P<millisecond>\d{6}) (?P<thread>\d+)(?P<pathname>[^:]+):(?P<line>\d+)\] (?P<payload>.)"
)
#: What torch writes (TRACE_FORMAT.md §2): anchored, V, 6 fraction digits, the pid, a JSON object.
TORCH_HEADER = re.compile(
    r"V\d{4} \d{2}:\d{2}:\d{2}\.\d{6} (?P<pid>\d+) (?P<path>[^:\]\t]+):(?P<line>\d+)\] (?P<json>\{.*\})"
)
FILE_NAME = re.compile(r"dedicated_log_torch_trace_[a-z0-9_]{8}\.log")
RESERVED_TEXT = (
    "attempt, compiled_autograd_id, frame_compile_id, frame_id, has_payload, lineno, pathname, payload_filename, "
    "rank, severity, stack, str, subgraph_name, thread, timestamp"
)
#: Where this file's records say they come from.
HERE = relative_path(__file__)
THREADS = 8
PER_THREAD = 300


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


@pytest.fixture
def trace_dir(tmp_path: Path) -> Path:
    """
    A nested directory that does not exist yet.
    """
    return tmp_path / "nested" / "deeper" / "trace"


@pytest.fixture
def umask_zero() -> Iterator[None]:
    """
    Run with umask 0, so that any mode the writer's files get is its own doing.
    """
    saved = os.umask(0)
    try:
        yield
    finally:
        os.umask(saved)


# -- scenarios, also run through tlparse -----------------------------------------------

#: Payloads as given → as read back (line ends normalised, lone surrogates replaced).
PAYLOADS = {
    "crlf": ("first\r\nsecond\r\n\r\nfourth", "first\nsecond\n\nfourth"),
    "lone_cr": ("a\rb\r\rc\r", "a\nb\n\nc\n"),
    "mixed_ends": ("a\r\nb\rc\nd", "a\nb\nc\nd"),
    "tabs": ("\tindented\n\t\ttwice\ncol1\tcol2\t", "\tindented\n\t\ttwice\ncol1\tcol2\t"),
    "non_ascii": ("héllo wörld ✓\n日本語 🎉\n\u2028 and \x85 stay", "héllo wörld ✓\n日本語 🎉\n\u2028 and \x85 stay"),
    "surrogates": ("lone \ud800 high, \udfff low, pair \ud83d\ude00", "lone ? high, ? low, pair ??"),
    "trailing_newline": ("ends with a newline\n", "ends with a newline\n"),
    "blank_lines": ("\n\nmiddle\n\n", "\n\nmiddle\n\n"),
    "empty": ("", ""),
}


def write_payloads(logs: LogSystem, directory: Path) -> dict[str, str]:
    """
    Trace one artifact per PAYLOADS entry into ``directory``; name → expected payload.
    """
    logs.set_trace_dir(directory)
    with logs.trace_context(frame_id=0, frame_compile_id=0):
        for name, (given, _) in PAYLOADS.items():
            logs.trace_artifact(name, lambda given=given: given)
    return {name: expected for name, (_, expected) in PAYLOADS.items()}


def huge_payload() -> str:
    """
    About 5 MB of text: 45,000 lines, one of them 200 kB long.
    """
    lines = [f"line {i:05d} " + "x" * (i % 200) for i in range(45_000)]
    lines[12_345] = "y" * 200_000
    return "\n".join(lines)


def write_threads(logs: LogSystem, directory: Path) -> None:
    """
    THREADS threads, started together, each tracing PER_THREAD records with multi-line
    payloads under its own compile id [t/0].
    """
    logs.set_trace_dir(directory)
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            barrier.wait()
            with logs.trace_context(frame_id=t, frame_compile_id=0):
                for i in range(PER_THREAD):
                    logs.trace_structured(
                        "mylib_record",
                        lambda t=t, i=i: {"t": t, "i": i},
                        payload_fn=lambda t=t, i=i: thread_payload(t, i),
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [] == errors


def thread_payload(t: int, i: int) -> str:
    """
    The payload of record ``i`` of thread ``t``: 1 to 5 lines, up to 2 kB.
    """
    return "\n".join(f"thread {t} record {i} line {k} " + "z" * (i * 13 % 400) for k in range(1 + i % 5))


def fork_child(logs: LogSystem) -> tuple[int, int]:
    """
    Trace a record, fork a child that traces three records of its own and exits, then
    trace another record; (child pid, child exit status).
    """
    logs.trace_structured("mylib_parent", lambda: {"n": 0})
    parent_file = logs.trace_file
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork() in a process with threads
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; os._exit, whatever happens
        code = 1
        try:
            for n in range(3):
                logs.trace_structured("mylib_child", lambda n=n: {"n": n}, payload_fn=lambda n=n: f"child\n{n}")
            code = 0 if logs.trace_file not in (None, parent_file) else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    logs.trace_structured("mylib_parent", lambda: {"n": 1})
    return pid, status


# -- the writer ------------------------------------------------------------------------


class TestTraceFile:
    """
    TraceWriter's file: made lazily, private, one per process, named for tlparse.
    """

    def test_nothing_before_the_first_record(self, system: LogSystem, trace_dir: Path) -> None:
        """
        set_trace_dir on a directory that does not exist, contexts entered, nothing
        traced: neither the directory nor any of its parents is created.
        """
        system.set_trace_dir(trace_dir)
        with system.trace_context(frame_id=0, frame_compile_id=0):
            pass
        assert (True, None, False) == (system.tracing, system.trace_file, trace_dir.parent.parent.exists())

    def test_created_private_on_the_first_record(self, system: LogSystem, trace_dir: Path, umask_zero: None) -> None:
        """
        The first record makes the directory (0700) and the file (0600) even with umask
        0, named dedicated_log_torch_trace_<random>.log.
        """
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_first")
        path = Path(str(system.trace_file))
        assert (trace_dir, True) == (path.parent, FILE_NAME.fullmatch(path.name) is not None)
        assert (0o700, 0o600) == (stat.S_IMODE(trace_dir.stat().st_mode), stat.S_IMODE(path.stat().st_mode))

    def test_one_file_for_every_record(self, system: LogSystem, trace_dir: Path) -> None:
        """
        Later records, and set_trace_dir with the same directory again, go to the same file.
        """
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_a")
        first = system.trace_file
        system.set_trace_dir(str(trace_dir))
        system.trace_structured("mylib_b")
        assert ([Path(str(first))], first) == (sorted(trace_dir.iterdir()), system.trace_file)
        assert ["mylib_a", "mylib_b"] == [r.name for r in events(first)]

    def test_new_dir_new_file(self, system: LogSystem, tmp_path: Path) -> None:
        """
        Another directory starts another file there; the first file keeps its records.
        """
        system.set_trace_dir(tmp_path / "one")
        system.trace_structured("mylib_a")
        system.set_trace_dir(tmp_path / "two")
        system.trace_structured("mylib_b")
        one, two = only_file(tmp_path / "one"), only_file(tmp_path / "two")
        assert (str(two), ["mylib_a"], ["mylib_b"]) == (
            system.trace_file,
            [r.name for r in events(one)],
            [r.name for r in events(two)],
        )

    def test_none_stops(self, system: LogSystem, trace_dir: Path) -> None:
        """
        set_trace_dir(None) stops tracing: later records are not written, nor their callbacks called.
        """
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_a")
        path = system.trace_file
        system.set_trace_dir(None)
        counter = Counter()
        system.trace_structured("mylib_b", counter.metadata_fn, payload_fn=counter.payload_fn)
        assert (False, None, 0, ["mylib_a"]) == (
            system.tracing,
            system.trace_file,
            counter.metadata,
            [r.name for r in events(path)],
        )


class TestHeader:
    """
    Each record's header line is exactly what torch writes (TRACE_FORMAT.md §2).
    """

    def test_every_line(self, system: LogSystem, trace_dir: Path) -> None:
        """
        Every line is a header (V, MMDD HH:MM:SS.ffffff, the pid, this file's relative
        path, the line of the call, ``] `` and one JSON object) or a TAB payload line,
        and tlparse's own prefix regex finds each header.
        """
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_plain", lambda: {"a": "x:y] z"})
        with system.trace_context(frame_id=1, frame_compile_id=2, attempt=3):
            system.trace_artifact("art", lambda: "p\nq")
            system.trace_structured("mylib_json", payload_fn=lambda: {"k": [1, 2]})
        lines = Path(str(system.trace_file)).read_text(encoding="utf-8").split("\n")
        assert "" == lines.pop()  # the file ends with a newline
        headers = [line for line in lines if not line.startswith("\t")]
        assert (True, []) == (len(headers) > 3, [line for line in headers if TORCH_HEADER.fullmatch(line) is None])
        found = [TLPARSE_PREFIX.search(line) for line in headers]
        expected = [("V", str(os.getpid()), f" {HERE}", "{")] * len(headers)
        assert expected == [(m["level"], m["thread"], m["pathname"], m["payload"]) if m else None for m in found]
        assert all(isinstance(json.loads(line.split("] ", 1)[1]), dict) for line in headers)

    def test_path_line_and_time(self, system: LogSystem, trace_dir: Path) -> None:
        """
        The header names the caller's file and line, and the local time of the call.
        """
        system.set_trace_dir(trace_dir)
        before = time.time()
        line = line_of_next()
        system.trace_structured("mylib_here", expect_trace_id=False)
        after = time.time()
        (record,) = events(system.trace_file)
        stamp = datetime.strptime(f"{datetime.now().year}{record.time}", "%Y%m%d %H:%M:%S.%f").timestamp()
        assert ("V", os.getpid(), HERE, line) == (record.level, record.pid, record.path, record.line)
        assert before - 1 <= stamp <= after + 1

    def test_artifact_line_is_the_callers(self, system: LogSystem, trace_dir: Path) -> None:
        """
        trace_artifact, which goes through trace_structured, still names its caller's line.
        """
        system.set_trace_dir(trace_dir)
        line = line_of_next()
        system.trace_artifact("art", lambda: "x")
        assert [(HERE, line)] == [(r.path, r.line) for r in events(system.trace_file)]


class TestCallbacks:
    """
    trace_structured calls its callbacks only while tracing, and refuses reserved names.
    """

    def test_not_called_when_off(self, system: LogSystem) -> None:
        """
        Tracing off: neither metadata_fn nor payload_fn is called.
        """
        counter = Counter()
        for _ in range(3):
            system.trace_structured("mylib_x", counter.metadata_fn, payload_fn=counter.payload_fn)
        assert (False, 0, 0) == (system.tracing, counter.metadata, counter.payload)

    def test_called_once_when_on(self, system: LogSystem, trace_dir: Path) -> None:
        """
        Tracing on: each is called exactly once per record, and the record holds their values.
        """
        system.set_trace_dir(trace_dir)
        counter = Counter()
        system.trace_structured("mylib_x", counter.metadata_fn, payload_fn=counter.payload_fn, expect_trace_id=False)
        system.trace_structured("mylib_x", counter.metadata_fn, payload_fn=counter.payload_fn, expect_trace_id=False)
        assert (2, 2) == (counter.metadata, counter.payload)
        expected = [({"mylib_x": {"n": 1}, "has_payload": md5("one\ntwo")}, "one\ntwo")]
        expected.append(({"mylib_x": {"n": 2}, "has_payload": md5("one\ntwo")}, "one\ntwo"))
        assert expected == [(r.envelope, r.payload) for r in events(system.trace_file)]

    @pytest.mark.parametrize("tracing", [False, True], ids=["off", "on"])
    @pytest.mark.parametrize("name", sorted(RESERVED_NAMES))
    def test_reserved_names(self, system: LogSystem, trace_dir: Path, name: str, tracing: bool) -> None:
        """
        A name tlparse or torch gives a meaning is refused, tracing on or off, before
        any callback runs.
        """
        if tracing:
            system.set_trace_dir(trace_dir)
        counter = Counter()
        message = f"trace_structured name {name!r} is reserved or empty; reserved: {RESERVED_TEXT}"
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            system.trace_structured(name, counter.metadata_fn, payload_fn=counter.payload_fn)
        assert (0, 0, False) == (counter.metadata, counter.payload, trace_dir.exists())

    @pytest.mark.parametrize("name", ["", 7, None, ["x"]])
    def test_empty_or_not_a_string(self, system: LogSystem, trace_dir: Path, name: object) -> None:
        """
        An empty name, or one that is not a string, gets the same ValueError.
        """
        system.set_trace_dir(trace_dir)
        message = f"trace_structured name {name!r} is reserved or empty; reserved: {RESERVED_TEXT}"
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            system.trace_structured(name)  # type: ignore[arg-type]

    def test_reserved_list(self) -> None:
        """
        The reserved names: torch's reserved keys, tlparse's raw.jsonl keys and the
        envelope keys with a meaning (TRACE_FORMAT.md §3.4).
        """
        assert RESERVED_TEXT.split(", ") == sorted(RESERVED_NAMES)


class TestPayload:
    """
    Payloads are normalised so that has_payload is the MD5 of exactly what is read back.
    """

    @pytest.mark.parametrize("name", sorted(PAYLOADS))
    def test_normalised(self, system: LogSystem, trace_dir: Path, name: str) -> None:
        """
        CR/LF and lone CR become LF; tabs, non-ASCII and Unicode line separators stay;
        lone surrogates become '?'. has_payload is the MD5 of the text read back.
        """
        given, expected = PAYLOADS[name]
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_p", payload_fn=lambda: given, expect_trace_id=False)
        (record,) = events(system.trace_file)
        assert (expected, md5(expected)) == (record.payload, record.envelope["has_payload"])

    def test_written_as_tab_lines(self, system: LogSystem, trace_dir: Path) -> None:
        """
        After the header, each line of the payload is written as TAB + line, and the
        record ends with one newline.
        """
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_p", payload_fn=lambda: "a\r\n\tb\r\rc", expect_trace_id=False)
        text = Path(str(system.trace_file)).read_text(encoding="utf-8")
        assert ["\ta", "\t\tb", "\t", "\tc", ""] == text.split("\n")[1:]

    def test_file_is_strict_utf8(self, system: LogSystem, trace_dir: Path) -> None:
        """
        Whatever the payloads and metadata hold, the file decodes as strict UTF-8.
        """
        expected = write_payloads(system, trace_dir)
        system.trace_structured("mylib_m", lambda: {"s": "\udcff\ud800 é"}, payload_fn=lambda: "\udc80")
        data = Path(str(system.trace_file)).read_bytes()
        data.decode("utf-8")  # strict: raises on any invalid byte
        records = events(system.trace_file)
        assert expected == {r.metadata["name"]: r.payload for r in records if r.name == "artifact"}
        assert ({"s": "?? é"}, "?") == (records[-1].metadata, records[-1].payload)

    def test_json_list_one_element_per_line(self, system: LogSystem, trace_dir: Path) -> None:
        """
        A list (or tuple) payload is written one element per line.
        """
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_l", payload_fn=lambda: [1, "two", {"three": [3]}], expect_trace_id=False)
        system.trace_structured("mylib_t", payload_fn=lambda: ("a", None), expect_trace_id=False)
        system.trace_structured("mylib_e", payload_fn=list, expect_trace_id=False)
        expected = ['[\n1,\n"two",\n{"three": [3]}\n]', '[\n"a",\nnull\n]', "[\n\n]"]
        assert expected == [r.payload for r in events(system.trace_file)]

    def test_json_dict_indent_zero(self, system: LogSystem, trace_dir: Path) -> None:
        """
        A dict (or any other JSON value) is written with indent 0: one value per line.
        """
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_d", payload_fn=lambda: {"a": 1, "b": [True, "é"]}, expect_trace_id=False)
        system.trace_structured("mylib_n", payload_fn=lambda: 42, expect_trace_id=False)
        expected = ['{\n"a": 1,\n"b": [\ntrue,\n"\\u00e9"\n]\n}', "42"]
        assert expected == [r.payload for r in events(system.trace_file)]

    def test_huge(self, system: LogSystem, trace_dir: Path) -> None:
        """
        A 5 MB payload with a 200 kB line round-trips whole.
        """
        payload = huge_payload()
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_huge", payload_fn=lambda: payload, expect_trace_id=False)
        (record,) = events(system.trace_file)
        assert (5_000_000 < len(payload), md5(payload), payload) == (
            True,
            record.envelope["has_payload"],
            record.payload,
        )

    def test_empty(self, system: LogSystem, trace_dir: Path) -> None:
        """
        An empty payload is one TAB line, with the MD5 of the empty string.
        """
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_e", payload_fn=str, expect_trace_id=False)
        (record,) = events(system.trace_file)
        assert ("", "d41d8cd98f00b204e9800998ecf8427e") == (record.payload, record.envelope["has_payload"])
        assert "\t\n" == Path(str(system.trace_file)).read_text(encoding="utf-8").split("\n", 1)[1]

    def test_none_is_no_payload(self, system: LogSystem, trace_dir: Path) -> None:
        """
        A payload_fn returning None (the default) makes a record without has_payload
        and without payload lines.
        """
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_n", lambda: {"a": 1}, expect_trace_id=False)
        (record,) = events(system.trace_file)
        assert ({"mylib_n": {"a": 1}}, None) == (record.envelope, record.payload)
        assert 1 == len(Path(str(system.trace_file)).read_text(encoding="utf-8").splitlines())


class Opaque:
    """
    A value JSON has no form for.
    """

    def __repr__(self) -> str:
        return "<opaque>"


class TestMetadata:
    """
    The metadata is one JSON object; values JSON cannot hold become their repr.
    """

    def test_non_json_values_use_repr(self, system: LogSystem, trace_dir: Path) -> None:
        """
        Objects, sets and bytes are written as their repr; int keys as strings (JSON's rule).
        """
        system.set_trace_dir(trace_dir)
        metadata = {"obj": Opaque(), "set": {1}, "bytes": b"\x00", "nested": {1: [Opaque()]}}
        system.trace_structured("mylib_m", lambda: metadata, expect_trace_id=False)
        expected = {"obj": "<opaque>", "set": "{1}", "bytes": "b'\\x00'", "nested": {"1": ["<opaque>"]}}
        assert [expected] == [r.metadata for r in events(system.trace_file)]

    def test_non_finite_floats_use_repr(self, system: LogSystem, trace_dir: Path) -> None:
        """
        NaN and the infinities, which JSON has no form for (Python's NaN makes tlparse
        reject the line), are written as their repr, in the metadata and in a JSON payload.
        """
        system.set_trace_dir(trace_dir)
        nan, inf = float("nan"), float("inf")
        system.trace_structured(
            "mylib_f", lambda: {"a": nan, "b": [-inf, 1.5]}, payload_fn=lambda: [inf], expect_trace_id=False
        )
        (record,) = events(system.trace_file)
        assert ({"a": "nan", "b": ["-inf", 1.5]}, '[\n"inf"\n]') == (record.metadata, record.payload)

    def test_non_ascii_kept(self, system: LogSystem, trace_dir: Path) -> None:
        """
        Non-ASCII text in the metadata is written as UTF-8, not escaped.
        """
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_u", lambda: {"name": "größe ✓"}, expect_trace_id=False)
        assert (
            '{"mylib_u": {"name": "größe ✓"}}'
            == Path(str(system.trace_file)).read_text(encoding="utf-8").split("] ", 1)[1].strip()
        )


def boom() -> dict[str, object]:
    """
    A callback with a bug.
    """
    raise RuntimeError("boom")


def circular() -> dict[str, object]:
    """
    A dict that holds itself.
    """
    value: dict[str, object] = {}
    value["self"] = value
    return value


class TestCallbackFailures:
    """
    A callback that fails, or metadata with no JSON form, skips the record with one
    message on stderr; no exception reaches the caller and tracing goes on.
    """

    @pytest.mark.parametrize(
        ("kwargs", "why"),
        [
            ({"metadata_fn": boom}, "its metadata_fn or payload_fn raised RuntimeError: boom"),
            ({"payload_fn": boom}, "its metadata_fn or payload_fn raised RuntimeError: boom"),
            ({"metadata_fn": lambda: [1, 2]}, "metadata_fn returned list, not a mapping with str keys"),
            ({"metadata_fn": lambda: {1: 2}}, "metadata_fn returned dict, not a mapping with str keys"),
            ({"metadata_fn": lambda: None}, "metadata_fn returned NoneType, not a mapping with str keys"),
            (
                {"metadata_fn": lambda: {"a": {(1, 2): 3}}},
                "its metadata or payload cannot be written as JSON "
                "(TypeError: keys must be str, int, float, bool or None, not tuple)",
            ),
            (
                {"payload_fn": circular},
                "its metadata or payload cannot be written as JSON (ValueError: Circular reference detected)",
            ),
        ],
        ids=["metadata_raises", "payload_raises", "list", "int_keys", "none", "tuple_key", "circular"],
    )
    def test_skipped_once(
        self,
        system: LogSystem,
        trace_dir: Path,
        capsys: pytest.CaptureFixture[str],
        kwargs: dict[str, object],
        why: str,
    ) -> None:
        """
        The same failure twice: one message naming the variable, the event and the
        reason; neither record is written; the next good record is.
        """
        system.set_trace_dir(trace_dir)
        for _ in range(2):
            system.trace_structured("mylib_bad", suppress_context=True, **kwargs)  # type: ignore[arg-type]
        system.trace_structured("mylib_good", suppress_context=True)
        expected = f"TESTSYS_TRACE: trace_structured('mylib_bad') skipped a record: {why}\n"
        assert (expected, True) == (capsys.readouterr().err, system.tracing)
        assert ["mylib_good"] == [r.name for r in events(system.trace_file)]


class TestThreads:
    """
    Many threads tracing at once.
    """

    def test_every_record_once_never_interleaved(self, system: LogSystem, trace_dir: Path) -> None:
        """
        8 threads x 300 records with multi-line payloads: the reader parses the file
        (so no two records interleave), every record is there once, with its payload
        (MD5 checked) and its own thread's compile id.
        """
        write_threads(system, trace_dir)
        records = events(only_file(trace_dir))
        expected = sorted((t, i) for t in range(THREADS) for i in range(PER_THREAD))
        assert expected == sorted((r.metadata["t"], r.metadata["i"]) for r in records)
        assert [] == [r for r in records if r.payload != thread_payload(r.metadata["t"], r.metadata["i"])]
        assert [] == [r for r in records if r.envelope["frame_id"] != r.metadata["t"]]


class TestFork:
    """
    A forked child writes a file of its own.
    """

    @pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
    def test_child_has_its_own_file(self, system: LogSystem, trace_dir: Path) -> None:
        """
        The child's records go to a new file, with the string table it needs (its
        stacks' file names interned again); the parent's file has only the parent's
        records, and the child's none of the parent's.
        """
        system.set_trace_dir(trace_dir)
        pid, status = fork_child(system)
        assert (True, 0) == (os.WIFEXITED(status), os.WEXITSTATUS(status))
        parent = Path(str(system.trace_file))
        (child,) = [p for p in trace_dir.iterdir() if p != parent]
        assert [("mylib_parent", os.getpid(), {"n": 0}), ("mylib_parent", os.getpid(), {"n": 1})] == [
            (r.name, r.pid, r.metadata) for r in events(parent)
        ]
        expected = [("mylib_child", pid, {"n": n}, f"child\n{n}") for n in range(3)]
        assert expected == [(r.name, r.pid, r.metadata, r.payload) for r in events(child)]
        assert {pid} == {r.pid for r in read_trace(child)}
        assert [] == unresolved_stack_frames(child)


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


class TestWriteFailures:
    """
    A directory or file that cannot be written: one message, tracing off, the program goes on.
    """

    def test_dir_cannot_be_created(self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A trace dir under a regular file: one message naming the path and the reason,
        tracing off, and later calls are silent and call no callback.
        """
        (tmp_path / "afile").write_text("")
        target = tmp_path / "afile" / "trace"
        system.set_trace_dir(target)
        system.trace_structured("mylib_a")
        expected = f"TESTSYS_TRACE: cannot create a trace file in {str(target)!r} (Not a directory); tracing is off\n"
        assert (expected, False, None) == (capsys.readouterr().err, system.tracing, system.trace_file)
        counter = Counter()
        system.trace_structured("mylib_b", counter.metadata_fn, payload_fn=counter.payload_fn)
        system.trace_artifact("art", counter.payload_fn)
        assert ("", 0, 0) == (capsys.readouterr().err, counter.metadata, counter.payload)

    def test_dir_from_the_environment(
        self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """
        The same through {P}_TRACE and init().
        """
        (tmp_path / "afile").write_text("")
        target = tmp_path / "afile" / "trace"
        system.init({"TESTSYS_TRACE": str(target)})
        system.trace_structured("mylib_a")
        expected = f"TESTSYS_TRACE: cannot create a trace file in {str(target)!r} (Not a directory); tracing is off\n"
        assert (expected, False) == (capsys.readouterr().err, system.tracing)

    @pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
    def test_full_disk(self, system: LogSystem, trace_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        The file's descriptor replaced by /dev/full (every write: ENOSPC) after it is
        opened: one message naming the file, tracing off, later calls silent.
        """
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_a")
        path = system.trace_file
        fd = system._tracer.writer._fd  # the writer's own descriptor: no public handle on it
        assert fd is not None
        full = os.open("/dev/full", os.O_WRONLY)
        os.dup2(full, fd)
        os.close(full)
        system.trace_structured("mylib_b", payload_fn=lambda: "x" * 100_000)
        expected = f"TESTSYS_TRACE: cannot write the trace file {path!r} (No space left on device); tracing is off\n"
        assert (expected, False, None) == (capsys.readouterr().err, system.tracing, system.trace_file)
        system.trace_structured("mylib_c")
        assert ("", ["mylib_a"]) == (capsys.readouterr().err, [r.name for r in events(path)])

    def test_disk_full_part_way_through_a_record(self, trace_dir: Path) -> None:
        """
        A file size limit reached inside a record (the kernel takes part of it, the next
        write fails): the part written is taken back, so the file ends on a whole record
        that tlparse's reader accepts, and the failure is reported once.
        """
        code = (
            "import resource, signal, sys\n"
            "import logdial\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal\n"
            "_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, hard))\n"
            "logs = logdial.LogSystem('fulltest')\n"
            "logs.set_trace_dir(sys.argv[1])\n"
            "for i in range(40):\n"
            "    logs.trace_structured('mylib_step', lambda: {'i': i}, payload_fn=lambda: 'line\\n' * 500)\n"
            "print(logs.tracing)\n"
            "# lifted again: files written at exit (coverage's data, under make test) are not cut short\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code, str(trace_dir)], capture_output=True, text=True, timeout=60, check=True
        )
        path = only_file(trace_dir)
        records = events(path)
        assert "False\n" == result.stdout
        assert 1 == result.stderr.count("cannot write the trace file")
        assert path.stat().st_size < 20_000
        assert 0 < len(records)
        assert list(range(len(records))) == [r.envelope["mylib_step"]["i"] for r in records]
        assert path.read_bytes().endswith(b"\tline\n\t\n")

    def test_file_deleted_while_tracing(
        self, system: LogSystem, trace_dir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """
        The file removed under the writer: later records raise nothing and report
        nothing (they go to the unlinked file, which is not made again).
        """
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_a")
        Path(str(system.trace_file)).unlink()
        for _ in range(3):
            system.trace_structured("mylib_b", payload_fn=lambda: "more")
        assert ("", True, []) == (capsys.readouterr().err, system.tracing, list(trace_dir.iterdir()))


class TestTraceSetting:
    """
    {P}_TRACE, set_trace_dir and reset, and their independence from {P}_LOGS.
    """

    def test_from_init(self, system: LogSystem, trace_dir: Path) -> None:
        """
        init() reads {P}_TRACE; the file appears only with the first record.
        """
        system.init({"TESTSYS_TRACE": str(trace_dir)})
        assert (True, False) == (system.tracing, trace_dir.exists())
        system.trace_structured("mylib_a")
        assert [only_file(trace_dir)] == [Path(str(system.trace_file))]

    def test_unset(self, system: LogSystem) -> None:
        """
        Without {P}_TRACE (and with {P}_LOGS set) nothing is traced.
        """
        system.init({"TESTSYS_LOGS": "+core"})
        assert (False, None) == (system.tracing, system.trace_file)

    def test_set_trace_dir_wins(self, system: LogSystem, tmp_path: Path) -> None:
        """
        set_trace_dir, before or after init(), wins over {P}_TRACE.
        """
        system.set_trace_dir(tmp_path / "api")
        system.init({"TESTSYS_TRACE": str(tmp_path / "env")})
        system.trace_structured("mylib_a")
        system.init({"TESTSYS_TRACE": str(tmp_path / "env")})
        system.set_trace_dir(tmp_path / "api2")
        system.trace_structured("mylib_b")
        assert ["api", "api2"] == sorted(p.name for p in tmp_path.iterdir())

    def test_reset_stops(self, system: LogSystem, tmp_path: Path) -> None:
        """
        reset() stops tracing and forgets set_trace_dir: the next init() reads {P}_TRACE again.
        """
        system.set_trace_dir(tmp_path / "api")
        system.trace_structured("mylib_a")
        system.reset()
        counter = Counter()
        system.trace_structured("mylib_b", counter.metadata_fn)
        assert (False, None, 0) == (system.tracing, system.trace_file, counter.metadata)
        system.init({"TESTSYS_TRACE": str(tmp_path / "env")})
        system.trace_structured("mylib_c")
        assert (["mylib_a"], ["mylib_c"]) == (
            [r.name for r in events(only_file(tmp_path / "api"))],
            [r.name for r in events(only_file(tmp_path / "env"))],
        )

    def test_tracing_without_text_logs(
        self, system: LogSystem, trace_dir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """
        {P}_TRACE without {P}_LOGS: records are traced and nothing is printed.
        """
        system.init({"TESTSYS_TRACE": str(trace_dir)})
        logging.getLogger("testsys.core").info("not shown")
        system.trace_structured("mylib_a")
        assert (("", ""), ["mylib_a"]) == (tuple(capsys.readouterr()), [r.name for r in events(system.trace_file)])

    def test_environment_variable_in_a_subprocess(self, tmp_path: Path, trace_dir: Path) -> None:
        """
        A real process with TESTSYS_TRACE set: init() picks it up, the file holds the
        child's record under the child's pid, and nothing is printed on stderr.
        """
        script = (
            "from logdial import LogSystem\n"
            "logs = LogSystem('testsys')\n"
            "logs.init()\n"
            "logs.trace_structured('mylib_child', lambda: {'x': 1})\n"
            "print(logs.trace_file)\n"
        )
        with subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_environ(TESTSYS_TRACE=str(trace_dir)),
            cwd=tmp_path,
            encoding="utf-8",
        ) as proc:
            stdout, stderr = proc.communicate(timeout=60)
        assert (0, "", f"{only_file(trace_dir)}\n") == (proc.returncode, stderr, stdout)
        assert [("mylib_child", proc.pid, {"x": 1}, "<string>", 4)] == [
            (r.name, r.pid, r.metadata, r.path, r.line) for r in events(only_file(trace_dir))
        ]


# -- contexts ----------------------------------------------------------------------------


class TestTraceContext:
    """
    TraceContext: display forms, envelope keys, validation.
    """

    @pytest.mark.parametrize(
        ("context", "display"),
        [
            (TraceContext(0, 1), "[0/1]"),
            (TraceContext(0, 1, 2), "[0/1_2]"),
            (TraceContext(0, 1, 0), "[0/1]"),
            (TraceContext(3), "[3/-]"),
            (TraceContext(frame_compile_id=4), "[-/4]"),
            (TraceContext(compiled_autograd_id=0), "[!0/-/-]"),
            (TraceContext(0, 1, compiled_autograd_id=2), "[!2/0/1]"),
            (TraceContext(label="step 7"), "[step 7]"),
            (TraceContext(0, 1, label="request abc"), "[request abc]"),
            (TraceContext(), ""),
        ],
    )
    def test_display(self, context: TraceContext, display: str) -> None:
        """
        As torch shows a compile id; a label replaces it; an empty context shows nothing.
        """
        assert display == context.display()

    @pytest.mark.parametrize(
        ("context", "envelope"),
        [
            (TraceContext(0, 1), {"frame_id": 0, "frame_compile_id": 1, "attempt": 0}),
            (TraceContext(0, 1, 2), {"frame_id": 0, "frame_compile_id": 1, "attempt": 2}),
            (TraceContext(3), {"frame_id": 3}),
            (TraceContext(compiled_autograd_id=5), {"compiled_autograd_id": 5}),
            (TraceContext(label="step 7"), {}),
        ],
    )
    def test_envelope(self, context: TraceContext, envelope: dict[str, int]) -> None:
        """
        The ids in tlparse's names; attempt 0 is added beside a frame_compile_id.
        """
        assert envelope == context.envelope()

    def test_merged(self) -> None:
        """
        merged() replaces the fields it is given and keeps the others.
        """
        assert TraceContext(0, 1, 2, 3, "x") == TraceContext(0, 9, None, 3, "x").merged(
            TraceContext(frame_compile_id=1, attempt=2)
        )

    @pytest.mark.parametrize("value", [True, False, -1, 2**32, "0", 1.0])
    @pytest.mark.parametrize("key", CONTEXT_KEYS)
    def test_bad_id(self, key: str, value: object) -> None:
        """
        An id that is a bool, negative, 2**32 or more, or not an int is refused.
        """
        message = f"trace context {key} must be an int in [0, 2**32), not {value!r}"
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            TraceContext(**{key: value})  # type: ignore[arg-type]

    @pytest.mark.parametrize("key", CONTEXT_KEYS)
    def test_bounds(self, key: str) -> None:
        """
        0 and 2**32 - 1 are accepted.
        """
        assert [0, 2**32 - 1] == [getattr(TraceContext(**{key: v}), key) for v in (0, 2**32 - 1)]

    @pytest.mark.parametrize("label", ["two\nlines", "tab\there", 7])
    def test_bad_label(self, label: object) -> None:
        """
        A label that is not a printable string is refused.
        """
        message = f"trace context label must be a printable string, not {label!r}"
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            TraceContext(label=label)  # type: ignore[arg-type]


class TestTraceContextScope:
    """
    LogSystem.trace_context: nesting, exceptions, threads and asyncio tasks.
    """

    def test_bad_id_raises_at_the_call(self, system: LogSystem) -> None:
        """
        A bad id raises when trace_context is called, before any block is entered.
        """
        with pytest.raises(ValueError, match=r"^trace context attempt must be an int in \[0, 2\*\*32\), not -1$"):
            system.trace_context(attempt=-1)

    def test_nesting_merges(self, system: LogSystem, trace_dir: Path) -> None:
        """
        An inner context replaces only the ids it gives; leaving it restores the outer.
        """
        system.set_trace_dir(trace_dir)
        with system.trace_context(frame_id=0, frame_compile_id=1) as outer:
            with system.trace_context(attempt=2) as inner:
                with system.trace_context(compiled_autograd_id=3, frame_compile_id=4) as innermost:
                    system.trace_structured("mylib_c")
                system.trace_structured("mylib_b")
            system.trace_structured("mylib_a")
        assert ["[0/1]", "[0/1_2]", "[!3/0/4_2]"] == [outer.display(), inner.display(), innermost.display()]
        expected = [
            {"frame_id": 0, "frame_compile_id": 4, "attempt": 2, "compiled_autograd_id": 3},
            {"frame_id": 0, "frame_compile_id": 1, "attempt": 2},
            {"frame_id": 0, "frame_compile_id": 1, "attempt": 0},
        ]
        assert expected == [
            {k: v for k, v in r.envelope.items() if k in CONTEXT_KEYS} for r in events(system.trace_file)
        ]

    def test_restored_after_an_exception(self, system: LogSystem) -> None:
        """
        An exception out of the block still restores the outer context.
        """
        with system.trace_context(frame_id=1, frame_compile_id=0):
            with pytest.raises(KeyError), system.trace_context(frame_id=2):
                raise KeyError("x")
            inside = system._tracer.display()
        assert ("[1/0]", "") == (inside, system._tracer.display())

    def test_new_thread_starts_outside(self, system: LogSystem, trace_dir: Path) -> None:
        """
        A threading.Thread started inside a context does not inherit it (contextvars
        semantics, as the README documents); run in a copy of the context, it does.
        """
        system.set_trace_dir(trace_dir)
        seen: list[str] = []

        def work() -> None:
            seen.append(system._tracer.display())
            system.trace_structured("mylib_thread", lambda: {"n": len(seen)})

        with system.trace_context(frame_id=7, frame_compile_id=0):
            plain = threading.Thread(target=work)
            plain.start()
            plain.join()
            copied = threading.Thread(target=contextvars.copy_context().run, args=(work,))
            copied.start()
            copied.join()
        assert ["", "[7/0]"] == seen
        records = events(system.trace_file)
        assert [(False, True), (True, False)] == [("frame_id" in r.envelope, "stack" in r.envelope) for r in records]
        readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
        assert "a new `threading.Thread` starts outside any context" in " ".join(readme.split())

    def test_asyncio_tasks(self, system: LogSystem, trace_dir: Path) -> None:
        """
        Two tasks, each in its own context, interleave their awaits; each record
        carries its own task's ids.
        """
        system.set_trace_dir(trace_dir)

        async def task(n: int) -> None:
            with system.trace_context(frame_id=n, frame_compile_id=n + 10):
                for i in range(5):
                    system.trace_structured("mylib_task", lambda i=i: {"task": n, "i": i})
                    await asyncio.sleep(0)

        async def main() -> None:
            await asyncio.gather(task(0), task(1))

        asyncio.run(main())
        records = events(system.trace_file)
        assert [0, 1] * 5 == [r.metadata["task"] for r in records]
        assert [] == [
            r
            for r in records
            if (r.envelope["frame_id"], r.envelope["frame_compile_id"]) != (r.metadata["task"], r.metadata["task"] + 10)
        ]


class TestRecordIds:
    """
    What a record carries: the context's ids inside one, the caller's stack outside.
    """

    def test_inside_a_context(self, system: LogSystem, trace_dir: Path) -> None:
        """
        frame_id, frame_compile_id and attempt (0 when the context has none), and no stack.
        """
        system.set_trace_dir(trace_dir)
        with system.trace_context(frame_id=2, frame_compile_id=5):
            system.trace_structured("mylib_a", lambda: {"x": 1})
        with system.trace_context(compiled_autograd_id=1):
            system.trace_structured("mylib_b")
        expected = [
            {"mylib_a": {"x": 1}, "frame_id": 2, "frame_compile_id": 5, "attempt": 0},
            {"mylib_b": {}, "compiled_autograd_id": 1},
        ]
        assert expected == [r.envelope for r in read_trace(str(system.trace_file))]

    def test_outside_a_context(self, system: LogSystem, trace_dir: Path) -> None:
        """
        Outside any context a record carries the caller's stack, outermost first, ending
        at the caller, without logdial's frames; file names are interned, each by a
        ``str`` record before its first use, and only once.
        """
        system.set_trace_dir(trace_dir)
        line = line_of_next()
        system.trace_structured("mylib_a")
        system.trace_structured("mylib_b")
        path = Path(str(system.trace_file))
        records = list(read_trace(path))
        table = {r.metadata[1]: r.metadata[0] for r in records if r.name == "str"}
        first = next(r for r in records if r.name == "mylib_a")
        frames = first.envelope["stack"]
        assert isinstance(frames, list)
        assert ({"line": line, "name": "test_outside_a_context"}, __file__) == (
            {k: frames[-1][k] for k in ("line", "name")},
            table[frames[-1]["filename"]],
        )
        logdial_dir = str(Path(sys.modules["logdial"].__file__ or "").parent)
        assert [] == [f for f in frames if os.path.dirname(str(table[f["filename"]])) == logdial_dir]
        assert [] == unresolved_stack_frames(path)
        names = [r.metadata[0] for r in records if r.name == "str"]
        assert sorted(set(names)) == sorted(names)
        assert records.index(first) > max(i for i, r in enumerate(records) if r.name == "str")

    def test_suppress_context(self, system: LogSystem, trace_dir: Path) -> None:
        """
        suppress_context=True: neither ids nor stack, inside a context or not;
        expect_trace_id=False: no stack outside a context.
        """
        system.set_trace_dir(trace_dir)
        with system.trace_context(frame_id=0, frame_compile_id=0):
            system.trace_structured("mylib_a", suppress_context=True)
        system.trace_structured("mylib_b", suppress_context=True)
        system.trace_structured("mylib_c", expect_trace_id=False)
        assert [{"mylib_a": {}}, {"mylib_b": {}}, {"mylib_c": {}}] == [
            r.envelope for r in read_trace(str(system.trace_file))
        ]

    def test_trace_stack(self, system: LogSystem, trace_dir: Path) -> None:
        """
        trace_stack() (for dynamo_start) gives the user's frames up to the call into
        logdial: the caller of trace_structured last, not the metadata_fn lambda.
        """
        system.set_trace_dir(trace_dir)
        line = line_of_next()
        with system.trace_context(frame_id=0, frame_compile_id=0):
            system.trace_structured("dynamo_start", lambda: {"stack": system.trace_stack()})
        (record,) = events(system.trace_file)
        frames = record.metadata["stack"]
        assert (line + 1, "test_trace_stack") == (frames[-1]["line"], frames[-1]["name"])
        assert [] == unresolved_stack_frames(Path(str(system.trace_file)))


class TestContextInLogLines:
    """
    The human-readable log lines show the context, before the artifact tag.
    """

    @pytest.fixture
    def log_file(self, system: LogSystem, tmp_path: Path) -> Path:
        """
        The system's log lines go to this file, core at INFO and the graph artifact on.
        """
        path = tmp_path / "out.log"
        system.init({})
        system.set_output(console="none", file=str(path))
        system.set_logs(core=logging.INFO, graph=True)
        return path

    def test_glog_format(self, system: LogSystem, log_file: Path) -> None:
        """
        ``] [0/1_2] msg``, ``] [0/1_2] [__graph] msg``, ``] [step 7] msg``, and no tag outside.
        """
        core = logging.getLogger("testsys.core")
        with system.trace_context(frame_id=0, frame_compile_id=1, attempt=2):
            core.info("hello")
            system.getArtifactLogger("testsys.core", "graph").debug("two\nlines")
        with system.trace_context(label="step 7"):
            core.warning("labelled")
        core.info("outside")
        tails = [line.split("] ", 1)[1] for line in log_file.read_text(encoding="utf-8").splitlines()]
        assert [
            "[0/1_2] hello",
            "[0/1_2] [__graph] two",
            "[0/1_2] [__graph] lines",
            "[step 7] labelled",
            "outside",
        ] == tails

    def test_trace_id_field(self, system: LogSystem, log_file: Path) -> None:
        """
        A custom format's ``%(trace_id)s`` is the context's display form, or empty.
        """
        system.set_output(format="%(trace_id)s|%(message)s")
        core = logging.getLogger("testsys.core")
        with system.trace_context(compiled_autograd_id=0):
            core.info("a")
        core.info("b")
        assert "[!0/-/-]|a\n|b\n" == log_file.read_text(encoding="utf-8")


class TestOverhead:
    """
    trace_overhead: seconds spent tracing, per context, as a copy.
    """

    def test_per_context(self, system: LogSystem, trace_dir: Path) -> None:
        """
        A sum per display form ("" outside any context), growing with each record.
        """
        system.set_trace_dir(trace_dir)
        assert {} == system.trace_overhead()
        with system.trace_context(frame_id=0, frame_compile_id=1):
            system.trace_structured("mylib_a", payload_fn=lambda: "x" * 10_000)
            first = system.trace_overhead()
            system.trace_structured("mylib_a", payload_fn=lambda: "x" * 10_000)
        system.trace_structured("mylib_b")
        with system.trace_context(label="step 7"):
            system.trace_structured("mylib_c")
        overhead = system.trace_overhead()
        assert ["", "[0/1]", "[step 7]"] == sorted(overhead)
        assert (["[0/1]"], True, True) == (
            sorted(first),
            overhead["[0/1]"] > first["[0/1]"] > 0,
            min(overhead.values()) > 0,
        )

    def test_returns_a_copy(self, system: LogSystem, trace_dir: Path) -> None:
        """
        Changing the returned dict changes nothing.
        """
        system.set_trace_dir(trace_dir)
        system.trace_structured("mylib_a")
        copy = system.trace_overhead()
        copy[""] = -1.0
        copy["other"] = 5.0
        assert ([""], True) == (sorted(system.trace_overhead()), system.trace_overhead()[""] > 0)

    def test_nothing_when_off(self, system: LogSystem) -> None:
        """
        Tracing off: nothing is counted.
        """
        system.trace_structured("mylib_a")
        assert {} == system.trace_overhead()


class TestArtifact:
    """
    trace_artifact: tlparse's ``artifact`` event.
    """

    def test_string_and_json(self, system: LogSystem, trace_dir: Path) -> None:
        """
        ``{"artifact": {"name", "encoding"}}`` with the context's ids; a string payload
        as it is (a non-string one as its str()), a JSON one as JSON.
        """
        system.set_trace_dir(trace_dir)
        with system.trace_context(frame_id=0, frame_compile_id=0, attempt=1):
            system.trace_artifact("plan", lambda: "scan\nfilter")
            system.trace_artifact("count", lambda: 42)
            system.trace_artifact("stats.v1", lambda: {"rows": 10}, encoding="json")
        ids = {"frame_id": 0, "frame_compile_id": 0, "attempt": 1}
        expected = [
            ({"name": "plan", "encoding": "string"}, ids, "scan\nfilter"),
            ({"name": "count", "encoding": "string"}, ids, "42"),
            ({"name": "stats.v1", "encoding": "json"}, ids, '{\n"rows": 10\n}'),
        ]
        actual = [(r.metadata, {k: r.envelope[k] for k in ids}, r.payload) for r in events(system.trace_file)]
        assert expected == actual

    @pytest.mark.parametrize("tracing", [False, True], ids=["off", "on"])
    @pytest.mark.parametrize("name", ["a/b", "", "two words", "..\\x", "é"])
    def test_bad_name(self, system: LogSystem, trace_dir: Path, name: str, tracing: bool) -> None:
        """
        A name that is not [A-Za-z0-9_.-]+ (it becomes a file path in tlparse's output)
        is refused, tracing on or off.
        """
        if tracing:
            system.set_trace_dir(trace_dir)
        message = f"trace artifact name {name!r} is not valid: use letters, digits, '_', '.' and '-'"
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            system.trace_artifact(name, str)

    def test_bad_encoding(self, system: LogSystem) -> None:
        """
        An encoding tlparse does not render is refused.
        """
        with pytest.raises(ValueError, match=r"^trace artifact encoding must be 'string' or 'json', not 'bytes'$"):
            system.trace_artifact("x", str, encoding="bytes")  # type: ignore[arg-type]

    def test_not_called_when_off(self, system: LogSystem) -> None:
        """
        Tracing off: the payload callback is not called.
        """
        counter = Counter()
        system.trace_artifact("x", counter.payload_fn)
        assert 0 == counter.payload


# -- the reader --------------------------------------------------------------------------


class TestReadTraceRoundTrip:
    """
    read_trace parses back every file the writer writes.
    """

    def test_envelopes_and_payloads(self, system: LogSystem, trace_dir: Path) -> None:
        """
        The same envelopes, payloads, header fields and line numbers as written.
        """
        system.set_trace_dir(trace_dir)
        line = line_of_next()
        system.trace_structured("mylib_a", lambda: {"k": [1, "é"]}, expect_trace_id=False)
        with system.trace_context(frame_id=1, frame_compile_id=2, attempt=3):
            system.trace_structured("mylib_b", payload_fn=lambda: "x\ny")
            system.trace_artifact("art", lambda: [1, 2], encoding="json")
        system.trace_structured("mylib_c", payload_fn=str, suppress_context=True)
        ids = {"frame_id": 1, "frame_compile_id": 2, "attempt": 3}
        expected = [
            (1, line, "mylib_a", {"mylib_a": {"k": [1, "é"]}}, None),
            (2, line + 2, "mylib_b", {"mylib_b": {}, **ids, "has_payload": md5("x\ny")}, "x\ny"),
            (
                5,
                line + 3,
                "artifact",
                {"artifact": {"name": "art", "encoding": "json"}, **ids, "has_payload": md5("[\n1,\n2\n]")},
                "[\n1,\n2\n]",
            ),
            (10, line + 4, "mylib_c", {"mylib_c": {}, "has_payload": md5("")}, ""),
        ]
        records = list(read_trace(Path(str(system.trace_file))))
        assert expected == [(r.lineno, r.line, r.name, r.envelope, r.payload) for r in records]
        assert {("V", os.getpid(), HERE)} == {(r.level, r.pid, r.path) for r in records}

    @pytest.mark.parametrize("scenario", ["payloads", "threads", "huge"])
    def test_scenarios(self, system: LogSystem, trace_dir: Path, scenario: str) -> None:
        """
        The files of the payload, thread and huge-payload scenarios parse, MD5s checked,
        with as many records as were traced.
        """
        if scenario == "payloads":
            count = len(write_payloads(system, trace_dir))
        elif scenario == "threads":
            write_threads(system, trace_dir)
            count = THREADS * PER_THREAD
        else:
            system.set_trace_dir(trace_dir)
            system.trace_artifact("huge", huge_payload)
            count = 1
        assert count == len(events(only_file(trace_dir)))

    def test_record_accessors(self) -> None:
        """
        name is the event key (not a context key), metadata its value.
        """
        record = TraceRecord(
            1, "V", "0101 00:00:00.000000", 1, "a.py", 1, {"frame_id": 0, "has_payload": "x", "mylib": [1]}
        )
        assert ("mylib", [1]) == (record.name, record.metadata)
        assert ("", None) == (
            TraceRecord(1, "V", "", 1, "a.py", 1, {"rank": 0}).name,
            TraceRecord(1, "V", "", 1, "a.py", 1, {}).metadata,
        )


HEADER = 'V0101 00:00:00.000000 1 a.py:1] {"mylib": {}}'


def announcing(payload: str, line: int = 1) -> str:
    """
    A header line announcing ``payload`` (its MD5 in has_payload).
    """
    return f'V0101 00:00:00.000000 1 a.py:{line}] {{"mylib": {{}}, "has_payload": "{md5(payload)}"}}'


class TestReadTraceErrors:
    """
    read_trace: TraceFormatError naming file:line at the first bad line; the records
    before it are yielded.
    """

    @pytest.mark.parametrize(
        ("data", "lineno", "why"),
        [
            (
                b'V0101 00:00:00.000000 1 a.py:1] {"mylib": {"a"',
                1,
                "the record's JSON does not parse (Expecting ':' delimiter: line 1 column 15 (char 14))",
            ),
            (b"V0101 00:00:0", 1, "not a trace record header: 'V0101 00:00:0'"),
            (f"{HEADER}\ngarbage\n{HEADER}\n".encode(), 2, "not a trace record header: 'garbage'"),
            (
                f"{HEADER}\nD0101 00:00:00.000000 1 a.py:1] {{}}\n".encode(),
                2,
                "not a trace record header: 'D0101 00:00:00.000000 1 a.py:1] {}'",
            ),
            (
                f"{HEADER}\nV0101 00:00:00.00000 1 a.py:1] {{}}\n".encode(),
                2,
                "not a trace record header: 'V0101 00:00:00.00000 1 a.py:1] {}'",
            ),
            (
                f"{HEADER}\nV0101 00:00:00.000000 1 a.py:1]\n".encode(),
                2,
                "not a trace record header: 'V0101 00:00:00.000000 1 a.py:1]'",
            ),
            (
                f"{HEADER}\n{announcing('é')}\n".encode() + b"\t\xff\n",
                3,
                "not valid UTF-8 (invalid start byte at byte 1)",
            ),
            (f"{HEADER}\n\tpayload\n".encode(), 2, "a payload line with no record announcing a payload"),
            (b"\tpayload first\n", 1, "a payload line with no record announcing a payload"),
            (b"V0101 00:00:00.000000 1 a.py:1] [1, 2]\n", 1, "the record's JSON is not an object"),
            (b'V0101 00:00:00.000000 1 a.py:1] "text"\n', 1, "the record's JSON is not an object"),
            (
                b'V0101 00:00:00.000000 1 a.py:1] {"mylib": NaN}\n',
                1,
                "the record's JSON does not parse (NaN is not JSON)",
            ),
            (
                f"{HEADER}\n{announcing('a')}\n\tb\n".encode(),
                2,
                f"the payload's MD5 is {md5('b')}, the record says {md5('a')}",
            ),
            (
                f"{announcing('a' + chr(10) + 'b')}\n\ta\n".encode(),
                1,
                f"the payload's MD5 is {md5('a')}, the record says {md5('a' + chr(10) + 'b')}",
            ),
        ],
        ids=[
            "truncated_json",
            "truncated_prefix",
            "garbage",
            "level_d",
            "five_digits",
            "nothing_after",
            "not_utf8",
            "payload_without_has_payload",
            "payload_first",
            "json_array",
            "json_string",
            "nan",
            "md5_mismatch",
            "truncated_payload",
        ],
    )
    def test_error(self, tmp_path: Path, data: bytes, lineno: int, why: str) -> None:
        """
        The exact message, ``<file>:<line>: <why>``, raised as TraceFormatError, which is
        a LogdialError and a ValueError.
        """
        path = tmp_path / "bad.log"
        path.write_bytes(data)
        with pytest.raises(TraceFormatError, match=f"^{re.escape(f'{path}:{lineno}: {why}')}$") as caught:
            list(read_trace(path))
        assert (True, True) == (isinstance(caught.value, LogdialError), isinstance(caught.value, ValueError))

    def test_streams_up_to_the_error(self, tmp_path: Path) -> None:
        """
        The records before the bad line are yielded before the error is raised.
        """
        path = tmp_path / "bad.log"
        path.write_text(f"{HEADER}\n{announcing('p', 2)}\n\tp\n{HEADER}\ngarbage\n", encoding="utf-8")
        seen: list[tuple[int, str | None]] = []
        with pytest.raises(TraceFormatError, match=f"^{re.escape(str(path))}:5: not a trace record header: 'garbage'$"):
            seen.extend((r.lineno, r.payload) for r in read_trace(path))
        assert [(1, None), (2, "p"), (4, None)] == seen

    def test_check_md5_off(self, tmp_path: Path) -> None:
        """
        check_md5=False reads a payload whatever its MD5.
        """
        path = tmp_path / "t.log"
        path.write_text('V0101 00:00:00.000000 1 a.py:1] {"mylib": {}, "has_payload": "0"}\n\tb\n', encoding="utf-8")
        assert ["b"] == [r.payload for r in read_trace(path, check_md5=False)]

    def test_what_tlparse_tolerates(self, tmp_path: Path) -> None:
        """
        Blank lines (anywhere, even inside a payload, as tlparse drops them) and CRLF
        line ends are accepted.
        """
        path = tmp_path / "t.log"
        path.write_bytes(f"\n{HEADER}\r\n\r\n{announcing('A' + chr(10) + 'B', 2)}\r\n\tA\n\n\tB\n".encode())
        assert [(2, None), (4, "A\nB")] == [(r.lineno, r.payload) for r in read_trace(path)]


def test_trace_id_source_shows_in_log_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """
    ``set_trace_id_source``: log lines show what the source returns; when it returns None
    or raises, the system's own context; ``None`` removes it; a non-callable is refused.
    """
    logs = LogSystem("idsource")
    logs.register_log("core", ["idsource.core"])
    logs.init({"IDSOURCE_LOGS": "core"})
    log = logging.getLogger("idsource.core")
    answers: list[object] = ["[7/3]", None, RuntimeError("torch is half imported")]

    def source() -> str | None:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    logs.set_trace_id_source(source)
    with logs.trace_context(frame_id=0, frame_compile_id=1):
        for _ in range(3):
            log.info("line")
    logs.set_trace_id_source(None)
    log.info("no source")
    with pytest.raises(TypeError, match="must be callable or None"):
        logs.set_trace_id_source("[1/1]")  # type: ignore[arg-type]
    logs.reset()
    shown = [line.split("] ", 1)[1] for line in capsys.readouterr().err.splitlines()]
    assert ["[7/3] line", "[0/1] line", "[0/1] line", "no source"] == shown
