"""
The structured-trace methods of a ``LogSystem`` (``_trace_api``): ``trace_structured``'s
callbacks and reserved names, ``{P}_TRACE`` and ``set_trace_dir``, ``trace_context`` scopes,
the context in log lines, ``trace_overhead``, ``trace_artifact`` and ``set_trace_id_source``.

Real files in ``tmp_path``, real threads, asyncio tasks and a real subprocess; no mocks.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tests.subprocesses import child_environ
from tests.traces import Counter, events, md5, only_file

from logdial import LogSystem
from logdial._context import CONTEXT_KEYS, LABEL_KEY
from logdial._registry import RESERVED_NAMES

RESERVED_TEXT = (
    "attempt, compiled_autograd_id, frame_compile_id, frame_id, has_payload, lineno, logdial_label, pathname, "
    "payload_filename, rank, severity, stack, str, subgraph_name, thread, timestamp"
)


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
        envelope keys with a meaning (TRACE_FORMAT.md §3.4), and the key of a context's label.
        """
        assert RESERVED_TEXT.split(", ") == sorted(RESERVED_NAMES)
        assert LABEL_KEY in RESERVED_NAMES


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


def labels(path: str | None) -> list[tuple[str, object, bool]]:
    """
    Each record's event, the label it carries (``None``: none) and whether it has compile ids.
    """
    return [(r.name, r.envelope.get(LABEL_KEY), any(k in r.envelope for k in CONTEXT_KEYS)) for r in events(path)]


class TestLabelInTrace:
    """
    A context's label goes into the trace (``logdial_label``) when it has no compile ids.
    """

    def test_label_written(self, system: LogSystem, trace_dir: Path) -> None:
        """
        Every record made in a labelled context carries the label, and no stack (the
        label is the context); records outside carry none.
        """
        system.set_trace_dir(trace_dir)
        with system.trace_context(label="step 7"):
            system.trace_structured("mylib_step", lambda: {"loss": 0.5})
            system.trace_artifact("plan", lambda: "scan\nfilter")
        system.trace_structured("mylib_after")
        records = events(system.trace_file)
        assert [
            {"mylib_step": {"loss": 0.5}, LABEL_KEY: "step 7"},
            {
                "artifact": {"name": "plan", "encoding": "string"},
                LABEL_KEY: "step 7",
                "has_payload": md5("scan\nfilter"),
            },
        ] == [r.envelope for r in records[:2]]
        assert (None, True) == (records[2].envelope.get(LABEL_KEY), "stack" in records[2].envelope)

    def test_nested_and_changed_labels(self, system: LogSystem, trace_dir: Path) -> None:
        """
        An inner label replaces the outer one for its block; leaving it restores the outer;
        one block after another, each record carries its own block's label.
        """
        system.set_trace_dir(trace_dir)
        with system.trace_context(label="epoch 1"):
            system.trace_structured("mylib_a")
            for step in range(2):
                with system.trace_context(label=f"step {step}"):
                    system.trace_structured("mylib_b")
            system.trace_structured("mylib_c")
        assert [
            ("mylib_a", "epoch 1", False),
            ("mylib_b", "step 0", False),
            ("mylib_b", "step 1", False),
            ("mylib_c", "epoch 1", False),
        ] == labels(system.trace_file)

    def test_compile_ids_win(self, system: LogSystem, trace_dir: Path) -> None:
        """
        A label beside compile ids (given together, or nested either way) is not written:
        such a record is filed by its compile id, as torch's are; suppress_context writes
        neither.
        """
        system.set_trace_dir(trace_dir)
        with system.trace_context(label="step 1", frame_id=0, frame_compile_id=0):
            system.trace_structured("mylib_a")
        with system.trace_context(label="step 2"):
            with system.trace_context(frame_id=1, frame_compile_id=0):
                system.trace_structured("mylib_b")
            system.trace_structured("mylib_c", suppress_context=True)
        with system.trace_context(compiled_autograd_id=0), system.trace_context(label="step 3"):
            system.trace_structured("mylib_d")
        assert [
            ("mylib_a", None, True),
            ("mylib_b", None, True),
            ("mylib_c", None, False),
            ("mylib_d", None, True),
        ] == labels(system.trace_file)

    @pytest.mark.parametrize(
        "label", ['say "hi"', "<script>alert(1)</script>", "größe ✓ 日本", "a\\b ] {x}: 1", "", " "]
    )
    def test_any_printable_text(self, system: LogSystem, trace_dir: Path, label: str) -> None:
        """
        Quotes, markup, non-ASCII, JSON and glog syntax, empty: the label reads back as given.
        """
        system.set_trace_dir(trace_dir)
        with system.trace_context(label=label):
            system.trace_structured("mylib_x")
        assert [("mylib_x", label, False)] == labels(system.trace_file)

    @pytest.mark.parametrize("label", ["two\nlines", "cr\r", "nul\x00", "esc\x1b[31m", "sep\u2028"])
    def test_control_characters_refused(self, system: LogSystem, trace_dir: Path, label: str) -> None:
        """
        A label with a control or separator character is refused when trace_context is
        called, before anything is written.
        """
        system.set_trace_dir(trace_dir)
        message = f"trace context label must be a printable string, not {label!r}"
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            system.trace_context(label=label)
        assert not trace_dir.exists()


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


class TestRunTimeSignature:
    """
    ``trace_structured``'s options are named parameters at run time (see the changelog).
    """

    def test_options(self, trace_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``payload_fn=None`` is the caller's mistake, reported and the record skipped, as
        before; an unknown keyword raises at once, also while tracing is off.
        """
        logs = LogSystem("sigsys")
        off = LogSystem("sigoff")
        logs.set_trace_dir(trace_dir)
        logs.trace_structured("mylib_ev", dict, payload_fn=None)
        with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
            off.trace_structured("mylib_ev", dict, bogus=1)  # type: ignore[call-arg]
        assert (None, True) == (
            logs.trace_file,
            "skipped a record: its metadata_fn or payload_fn raised TypeError" in capsys.readouterr().err,
        )
