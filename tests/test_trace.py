"""
The structured trace's writer (``_trace``: the lazy per-process file, the header, payloads,
metadata, threads, fork, failures) and its reader (``read_trace``).

Real files in ``tmp_path``, real threads, a real fork and real subprocesses; no mocks.
The traces these tests write are also fed to the real tlparse (tests/test_trace_tlparse.py),
through the ``write_*`` functions below. A system's trace methods are tested in
tests/test_trace_api.py, the tracer in tests/test_tracing.py, trace contexts in
tests/test_context.py.
"""

from __future__ import annotations

import json
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
from tests.traces import Counter, events, line_of_next, md5, only_file, unresolved_stack_frames

from logdial import LogdialError, LogSystem
from logdial._context import LABEL_KEY
from logdial._formatting import relative_path
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
#: Where this file's records say they come from.
HERE = relative_path(__file__)
THREADS = 8
PER_THREAD = 300


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

    def test_labelled_records(self, system: LogSystem, trace_dir: Path) -> None:
        """
        A labelled context's records read back with the label beside the event, which
        stays the record's name (the label key is not an event).
        """
        system.set_trace_dir(trace_dir)
        with system.trace_context(label="étape 3 «x»"):
            system.trace_structured("mylib_a", lambda: {"k": 1}, payload_fn=lambda: "p")
        (record,) = events(system.trace_file)
        expected = ("mylib_a", {"k": 1}, {"mylib_a": {"k": 1}, LABEL_KEY: "étape 3 «x»", "has_payload": md5("p")})
        assert expected == (record.name, record.metadata, record.envelope)
        assert '"logdial_label": "étape 3 «x»"' in Path(str(system.trace_file)).read_text(encoding="utf-8")
        label_first = TraceRecord(1, "V", "", 1, "a.py", 1, {LABEL_KEY: "s", "mylib": [1]})
        assert ("mylib", "") == (label_first.name, TraceRecord(1, "V", "", 1, "a.py", 1, {LABEL_KEY: "s"}).name)


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
