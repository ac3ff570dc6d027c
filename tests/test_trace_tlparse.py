"""
The real tlparse (0.4.3, from the test extra) on the traces logdial writes: the demo's,
from a real ``TORCH_TRACE`` run, and the focused traces of tests/test_trace.py. Each must
parse with zero failures of any kind, also under ``--strict``, and say what it should.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from tests.subprocesses import TLPARSE, child_environ, tlparse
from tests.subprocesses import Tlparse as Report
from tests.test_trace import (
    PAYLOADS,
    PER_THREAD,
    THREADS,
    fork_child,
    huge_payload,
    thread_payload,
    write_payloads,
    write_threads,
)
from tests.traces import md5

from logdial import LogSystem
from logdial._context import LABEL_KEY
from logdial._report._tracefile import TraceRecord, read_trace
from logdial.demo._pipeline import toy_fn

README = Path(__file__).resolve().parent.parent / "README.md"
#: Event keys tlparse renders as a .txt file holding the payload verbatim (TRACE_FORMAT.md §3.2).
_TEXT_EVENTS = {
    "dynamo_output_graph",
    "aot_joint_graph",
    "aot_forward_graph",
    "aot_backward_graph",
    "compiled_autograd_graph",
    "optimize_ddp_split_graph",
    "optimize_ddp_split_child",
}


def accepted(trace: Path, out: Path) -> Report:
    """
    tlparse on ``trace``: exit 0 with an index.html, and the same under ``--strict
    --strict-compile-id`` (which exit 1 at any failure or record without a compile id).
    """
    strict = tlparse(trace, out.with_name(out.name + "_strict"), "--strict", "--strict-compile-id")
    assert (0, True) == (strict.returncode, (strict.out / "index.html").is_file()), strict.stderr
    report = tlparse(trace, out)
    assert (0, True) == (report.returncode, (report.out / "index.html").is_file()), report.stderr
    return report


def expected_stats(records: list[TraceRecord]) -> dict[str, int]:
    """
    What tlparse should count for ``records``: every record but the ``str`` ones ok, and
    each custom (``mylib_``) key and each context label (``logdial_label``) unknown.
    Nothing else: no failure of any kind.
    """
    ok = sum(r.name != "str" for r in records)
    unknown = sum(r.name.startswith("mylib_") for r in records) + sum(LABEL_KEY in r.envelope for r in records)
    return {"ok": ok, **({"unknown": unknown} if unknown else {})}


def text_of(page: Path) -> str:
    """
    The text of an HTML page: tags removed, entities decoded.
    """
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def compile_directory(out: Path) -> dict[str, list[str]]:
    """
    Compile id → the names of its outputs, without tlparse's ``_<n>.<ext>`` counter.
    """
    directory = json.loads((out / "compile_directory.json").read_text(encoding="utf-8"))
    return {
        cid: [re.sub(r"_\d+\.(txt|html|json)$", "", a["name"]) for a in entry["artifacts"]]
        for cid, entry in directory.items()
    }


@pytest.fixture
def logs() -> Iterator[LogSystem]:
    """
    A fresh system, tracing nowhere yet; reset afterwards.
    """
    system = LogSystem("tltest")
    yield system
    system.reset()


class TestTlparseInstalled:
    """
    The tlparse these tests run.
    """

    def test_version(self) -> None:
        """
        tlparse 0.4.3 sits next to the interpreter (the test extra pins it).
        """
        done = subprocess.run([str(TLPARSE), "--version"], capture_output=True, text=True, check=True, timeout=30)
        assert "tlparse 0.4.3\n" == done.stdout


# -- the demo ---------------------------------------------------------------------------


class DemoRun(NamedTuple):
    """
    The demo's trace file, its records, and tlparse's report on it.
    """

    trace: Path
    records: list[TraceRecord]
    report: Report


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """
    ``TORCH_TRACE=<dir> python -m logdial.demo`` in a subprocess, then tlparse on its file.
    """
    base = tmp_path_factory.mktemp("demo")
    trace_dir = base / "trace"
    done = subprocess.run(
        [sys.executable, "-m", "logdial.demo"],
        capture_output=True,
        encoding="utf-8",
        env=child_environ(TORCH_TRACE=str(trace_dir)),
        cwd=base,
        timeout=60,
        check=False,
    )
    assert (0, "") == (done.returncode, done.stdout), done.stderr
    (trace,) = trace_dir.iterdir()
    return DemoRun(trace, list(read_trace(trace)), accepted(trace, base / "out"))


class TestDemoReport:
    """
    tlparse on the demo's trace: every event parsed, and each where it belongs.
    """

    def test_no_failures(self, demo: DemoRun) -> None:
        """
        ``Stats { ok: 26 }``: every record but the string table is ok, nothing else is
        counted; the README quotes the same line.
        """
        assert ({"ok": 26}, {"ok": 26}) == (demo.report.stats, expected_stats(demo.records))
        assert "Stats { ok: 26 }" in README.read_text(encoding="utf-8")

    def test_compile_directory(self, demo: DemoRun) -> None:
        """
        Each compile id lists its events: the graph-break reason in attempt 0 ([0/0],
        [0/1]); the graphs, guards, cache miss, output code and metrics in attempt 1;
        the DDP split in [0/1_1]; compiled autograd in [!0/-/-]; the recompile limit's
        metrics in [0/2]; and, with no compile id, the link to logdial's own report.
        """
        compiled = [
            "dynamo_output_graph",
            "dynamo_guards",
            "aot_joint_graph",
            "aot_forward_graph",
            "aot_backward_graph",
            "fx_graph_cache_miss",
        ]
        expected = {
            "[0/0]": ["dynamo_graph_break_reason"],
            "[0/0_1]": [*compiled, "inductor_output_code___compiled_fn_0", "compilation_metrics"],
            "[0/1]": ["dynamo_graph_break_reason"],
            "[0/1_1]": [
                *compiled,
                "inductor_output_code___compiled_fn_1",
                "compilation_metrics",
                "optimize_ddp_split_graph",
                "optimize_ddp_split_child_submod_0",
            ],
            "[!0/-/-]": ["compiled_autograd_graph"],
            "[0/2]": ["compilation_metrics"],
            "[-/-]": ["logdial report"],
        }
        assert expected == compile_directory(demo.report.out)

    def test_cache_miss_marked(self, demo: DemoRun) -> None:
        """
        The fx_graph_cache_miss artifacts get tlparse's ❌ in the index.
        """
        directory = json.loads((demo.report.out / "compile_directory.json").read_text(encoding="utf-8"))
        marks = {a["name"].rsplit("_", 1)[0]: a["suffix"] for entry in directory.values() for a in entry["artifacts"]}
        assert "❌" == marks["fx_graph_cache_miss"]

    def test_text_outputs_are_the_payloads(self, demo: DemoRun) -> None:
        """
        Every .txt file tlparse wrote holds exactly the payload of one record the reader
        reads back (graphs, DDP split, compiled autograd, string artifacts).
        """
        outputs = [p for p in demo.report.out.glob("*/*.txt") if p.parent.name != "payloads"]
        written = sorted(p.read_text(encoding="utf-8") for p in outputs)
        traced = sorted(
            str(r.payload)
            for r in demo.records
            if r.name in _TEXT_EVENTS or (r.name == "artifact" and r.metadata["encoding"] == "string")  # type: ignore[index]
        )
        assert (13, traced) == (len(written), written)

    def test_guards_code_and_metrics_pages(self, demo: DemoRun) -> None:
        """
        The guards page lists the guards, the output-code page the kernel, and the
        metrics page names toy_fn and the graph break.
        """
        cid = demo.report.out / "-_0_0_1"
        guards = text_of(next(cid.glob("dynamo_guards_*.html")))
        code = text_of(next(cid.glob("inductor_output_code_*.html")))
        metrics = text_of(next(cid.glob("compilation_metrics_*.html")))
        assert [True, True, True] == [
            "len(L['x']) == 4" in guards,
            "check_obj_id(L['toy_fn'], 4371)" in guards,
            "def call(args):" in code,
        ]
        assert [True, True] == ["toy_fn" in metrics, "Graph break: data-dependent branching on sum(b)" in metrics]

    def test_failures_and_restarts(self, demo: DemoRun) -> None:
        """
        failures_and_restarts.html lists the graph break of each compile as a restart
        and the recompile limit as a failure, with its source line (toy_fn's).
        """
        page = (demo.report.out / "failures_and_restarts.html").read_text(encoding="utf-8")
        rows = [
            [
                html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                for cell in re.findall(r"<t[dh]>(.*?)</t[dh]>", row, re.S)
            ]
            for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)
        ]
        restart = [
            "RestartAnalysis",
            "Graph break: data-dependent branching on sum(b)",
            "Not availble for restarts(yet)!",
        ]
        expected = [
            ["Compile Id", "Failure Type", "Failure Description", "Failure Source (compilation failures only)"],
            ["[0/0_1]", *restart],
            ["[0/1_1]", *restart],
            [
                "[0/2]",
                "RecompileLimitExceeded",
                "toy_fn exceeded the recompile limit of 2 (last failed guard: len(L['x']) == 8)",
                f"logdial/demo/_pipeline.py:{toy_fn.__code__.co_firstlineno}",
            ],
        ]
        assert expected == rows
        index = text_of(demo.report.out / "index.html")
        assert "3 restart(s) and/or compilation failure(s)" in index

    def test_stack_trie(self, demo: DemoRun) -> None:
        """
        The index's stack trie shows the demo's frames (main, run, _compile) down to each
        dynamo_start call, linked to [0/0] and [0/1] (restarts) and [0/2] (an error).
        """
        page = (demo.report.out / "index.html").read_text(encoding="utf-8")
        trie = page[page.index("<div class='stack-trie'>") :].split("</div>", 1)[0]
        links = re.findall(r"<a href='#(\[[^\]]+\])' class='([\w-]+)'>", trie)
        assert [("[0/0]", "status-break"), ("[0/1]", "status-break"), ("[0/2]", "status-error")] == links
        items = [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", li)).split())
            for li in re.findall(r"<li>(.*?)<br>", trie, re.S)
        ]
        frames = [re.fullmatch(r"(?:(\[\S+\]) )?(.+):\d+ in (.+)", item) for item in items]
        demo_frames = [(m[1], Path(m[2]).name, m[3]) for m in frames if m is not None and "logdial/demo/" in m[2]]
        # Each stack ends at the call of trace_structured, not in the metadata_fn lambda.
        expected = [
            (None, "__main__.py", "<module>"),
            (None, "__main__.py", "main"),
            (None, "_pipeline.py", "run"),
            ("[0/0]", "_pipeline.py", "_compile"),
            (None, "_pipeline.py", "run"),
            ("[0/1]", "_pipeline.py", "_compile"),
            ("[0/2]", "_pipeline.py", "run"),
        ]
        assert expected == demo_frames

    def test_string_table(self, demo: DemoRun) -> None:
        """
        tlparse's string table (raw.jsonl's first row) is the trace's ``str`` records, in order.
        """
        first = json.loads((demo.report.out / "raw.jsonl").read_text(encoding="utf-8").split("\n", 1)[0])
        interned = [r.metadata for r in demo.records if r.name == "str"]
        assert [[text, i] for i, text in enumerate(first["string_table"])] == interned


# -- the focused traces -----------------------------------------------------------------


class TestFocusedTraces:
    """
    tlparse on the traces of tests/test_trace.py: zero failures, and the payloads it
    writes out are the payloads logdial meant.
    """

    def test_payloads(self, logs: LogSystem, tmp_path: Path) -> None:
        """
        CR/LF, lone CR, tabs, non-ASCII, lone surrogates, blank lines, empty: each
        artifact's file holds the normalised payload.
        """
        expected = write_payloads(logs, tmp_path / "trace")
        trace = Path(str(logs.trace_file))
        report = accepted(trace, tmp_path / "out")
        assert {"ok": len(PAYLOADS)} == expected_stats(list(read_trace(trace))) == report.stats
        actual = {
            p.name.rsplit("_", 1)[0]: p.read_text(encoding="utf-8") for p in (report.out / "-_0_0_0").glob("*.txt")
        }
        assert expected == actual

    def test_huge(self, logs: LogSystem, tmp_path: Path) -> None:
        """
        A 5 MB payload: parsed, and written out whole.
        """
        logs.set_trace_dir(tmp_path / "trace")
        with logs.trace_context(frame_id=0, frame_compile_id=0):
            logs.trace_artifact("huge", huge_payload)
        report = accepted(Path(str(logs.trace_file)), tmp_path / "out")
        assert ({"ok": 1}, huge_payload()) == (
            report.stats,
            (report.out / "-_0_0_0" / "huge_0.txt").read_text(encoding="utf-8"),
        )

    def test_threads(self, logs: LogSystem, tmp_path: Path) -> None:
        """
        8 threads x 300 records: every record ok (custom keys: unknown), every payload
        saved under its MD5.
        """
        write_threads(logs, tmp_path / "trace")
        report = accepted(Path(str(logs.trace_file)), tmp_path / "out")
        count = THREADS * PER_THREAD
        assert {"ok": count, "unknown": count} == report.stats
        expected = {f"{md5(thread_payload(t, i))}.txt" for t in range(THREADS) for i in range(PER_THREAD)}
        assert expected == {p.name for p in (report.out / "payloads").iterdir()}

    def test_fork(self, logs: LogSystem, tmp_path: Path) -> None:
        """
        The parent's and the forked child's files each parse on their own.
        """
        logs.set_trace_dir(tmp_path / "trace")
        _, status = fork_child(logs)
        assert 0 == status
        parent = Path(str(logs.trace_file))
        (child,) = [p for p in (tmp_path / "trace").iterdir() if p != parent]
        stats = [accepted(parent, tmp_path / "parent").stats, accepted(child, tmp_path / "child").stats]
        assert [{"ok": 2, "unknown": 2}, {"ok": 3, "unknown": 3}] == stats

    def test_metadata_repr_and_non_finite(self, logs: LogSystem, tmp_path: Path) -> None:
        """
        Metadata with objects, bytes, NaN and infinities, and non-ASCII text: one ok record.
        """
        logs.set_trace_dir(tmp_path / "trace")
        metadata = {
            "obj": object(),
            "raw": b"\xff",
            "nan": float("nan"),
            "inf": [float("-inf")],
            "text": "größe ✓ \ud800",
        }
        logs.trace_structured("mylib_odd", lambda: metadata, payload_fn=lambda: {"nan": float("nan")})
        report = accepted(Path(str(logs.trace_file)), tmp_path / "out")
        assert {"ok": 1, "unknown": 1} == report.stats

    def test_contexts_and_stacks(self, logs: LogSystem, tmp_path: Path) -> None:
        """
        Records in every kind of context and outside any (with interned stacks), and
        the events a non-torch library uses: all ok, each under its compile id.
        """
        logs.set_trace_dir(tmp_path / "trace")
        logs.trace_structured("mylib_outside", lambda: {"a": 1})
        with logs.trace_context(frame_id=0, frame_compile_id=0):
            logs.trace_structured("dynamo_start", lambda: {"stack": logs.trace_stack()})
            logs.trace_artifact("plan", lambda: "scan\nfilter")
            logs.trace_structured("link", lambda: {"name": "report", "url": "https://example.invalid/r"})
            with logs.trace_context(attempt=2):
                logs.trace_artifact("stats", lambda: {"rows": 1}, encoding="json")
            logs.trace_structured(
                "compilation_metrics", lambda: {"co_name": "step", "graph_op_count": 1, "restart_reasons": []}
            )
        with logs.trace_context(compiled_autograd_id=3, frame_id=1, frame_compile_id=0):
            logs.trace_structured("compiled_autograd_graph", payload_fn=lambda: "graph")
        with logs.trace_context(label="step 7"):
            logs.trace_structured("mylib_step", lambda: {"loss": 0.5})
        trace = Path(str(logs.trace_file))
        records = list(read_trace(trace))
        report = accepted(trace, tmp_path / "out")
        assert {"ok": 8, "unknown": 3} == expected_stats(records) == report.stats
        expected = {
            "[-/-]": [],
            "[0/0]": ["plan", "report", "compilation_metrics"],
            "[0/0_2]": ["stats"],
            "[!3/1/0]": ["compiled_autograd_graph"],
        }
        assert expected == compile_directory(report.out)

    def test_labels(self, tmp_path: Path) -> None:
        """
        The same events with and without labels (nested, changed, quotes, markup,
        non-ASCII): no failure, the same ok count and the same files; each label only one
        more unknown field, kept in raw.jsonl.
        """
        names = ["step 0", 'say "hi"', "<b>größe</b> ✓"]

        def write(directory: Path, labelled: bool) -> Path:
            logs = LogSystem("tltest")
            logs.set_trace_dir(directory)
            try:
                for name in names:
                    with logs.trace_context(label=name) if labelled else contextlib.nullcontext():
                        logs.trace_structured("mylib_step", lambda: {"n": 1}, expect_trace_id=False)
                        logs.trace_artifact("plan", lambda: "scan\nfilter")
                        with logs.trace_context(label="inner") if labelled else contextlib.nullcontext():
                            logs.trace_structured("link", lambda: {"name": "r", "url": "https://example.invalid/"})
                return Path(str(logs.trace_file))
            finally:
                logs.reset()

        plain, labelled = write(tmp_path / "plain", False), write(tmp_path / "labelled", True)
        records = list(read_trace(labelled))
        with_label = [r.envelope[LABEL_KEY] for r in records if LABEL_KEY in r.envelope]
        assert [label for name in names for label in (name, name, "inner")] == with_label
        before, after = accepted(plain, tmp_path / "out_plain"), accepted(labelled, tmp_path / "out_labelled")
        assert {"ok": 9, "unknown": 3} == before.stats
        assert {"ok": 9, "unknown": 12} == expected_stats(records) == after.stats
        assert compile_directory(before.out) == compile_directory(after.out)
        rows = [json.loads(line) for line in (after.out / "raw.jsonl").read_text(encoding="utf-8").splitlines()[1:]]
        assert with_label == [row[LABEL_KEY] for row in rows]
        readme = " ".join(README.read_text(encoding="utf-8").split())
        assert "the same `ok` count; it counts each `logdial_label` as one `unknown` field" in readme
        assert "trace files still carry torch's name, `dedicated_log_torch_trace_*.log`" in readme


class TestRanks:
    """
    Per-rank trace files, from the launcher's variable or a provider, that
    ``tlparse --all-ranks-html`` reads together.
    """

    def test_two_ranks_all_ranks_html(self, tmp_path: Path) -> None:
        """
        Two processes started with RANK=0 and RANK=1 write rank-named files whose every
        record carries the rank; tlparse --all-ranks-html renders both with no failure.
        """
        trace = tmp_path / "trace"
        for rank in (0, 1):
            env = child_environ(RANK=str(rank), TORCH_TRACE=str(trace))
            subprocess.run([sys.executable, "-m", "logdial.demo"], env=env, capture_output=True, check=True, timeout=60)
        files = sorted(p.name for p in trace.iterdir())
        assert [True, True] == [re.fullmatch(rf"dedicated_log_torch_trace_rank_{r}_\w+\.log", f) is not None
                                for r, f in enumerate(files)]  # fmt: skip
        for rank, name in enumerate(files):
            assert {rank} == {r.envelope.get("rank") for r in read_trace(trace / name)}
        out = tmp_path / "out"
        result = subprocess.run(
            [str(TLPARSE), "--all-ranks-html", str(trace), "-o", str(out), "--overwrite", "--no-browser"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert 0 == result.returncode, result.stderr
        assert [True, True, True] == [
            (out / p).exists() for p in ("index.html", "rank_0/index.html", "rank_1/index.html")
        ]
        assert "fail" not in result.stderr

    def test_provider_wins(self, system: LogSystem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A provider the program installs comes before the launcher's variables.
        """
        monkeypatch.setenv("RANK", "3")
        assert 3 == system.rank()
        system.set_rank_provider(lambda: 7)
        system.set_trace_dir(tmp_path)
        system.trace_structured("mylib_x", expect_trace_id=False)
        assert Path(str(system.trace_file)).name.startswith("dedicated_log_torch_trace_rank_7_")
        assert [7] == [r.envelope["rank"] for r in read_trace(str(system.trace_file))]
        system.set_rank_provider(None)
        assert 3 == system.rank()
        with pytest.raises(TypeError, match=r"^a rank provider must be callable, not 5$"):
            system.set_rank_provider(5)  # type: ignore[arg-type]
