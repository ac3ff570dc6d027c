"""The HTML report: summary, table, timeline, details, ranks, escaping, streaming and errors."""

from __future__ import annotations

import base64
import doctest
import hashlib
import html.parser
import importlib
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from tests.subprocesses import child_environ
from tests.subprocesses import demo_trace as run_demo

from logdial import LogSystem
from logdial._report import ReportError, find_traces, write_report
from logdial._report._highlight import guess_language, highlight
from logdial._report._html import safe_url
from logdial._report._model import LABEL_LIMIT, OTHER_CONTEXTS
from logdial._report._tracefile import TraceFormatError, TraceRecord, read_trace

# Strings that would run script if the report let trace text through as markup.
HOSTILE = (
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "</script><script>window.__pwned=1</script>",
    '"><svg onload=window.__pwned=1>',
    "</template></section><script>window.__pwned=1</script>",
    "</textarea></title><!--<script>window.__pwned=1</script>",
)
T = TypeVar("T")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})


class Page(html.parser.HTMLParser):
    """
    What the tests read from a report page: its tags, tables, scripts and the text of
    elements by id.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.scripts: list[tuple[str | None, str]] = []
        self.text: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self._table: str | None = None
        self._in_head = False
        self._script: bool | str | None = False
        self.source = path.read_text(encoding="utf-8")
        self.feed(self.source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """
        Note the tag; start collecting the text of an element with an id, a table's cells.
        """
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "script":
            self._script = attributes.get("type")
            self.scripts.append((attributes.get("type"), ""))
        if tag in _VOID:
            return
        ident = attributes.get("id")
        self._open.append((tag, ident))
        if ident is not None:
            self.text[ident] = ""
        if tag == "table" and ident is not None:
            self._table = ident
            self.tables[ident] = []
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self._table is not None and not self._in_head:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None and not self._in_head:
            self.tables[self._table][-1].append("")

    def handle_endtag(self, tag: str) -> None:
        """
        Close the innermost open element of this name.
        """
        if tag == "script":
            self._script = False
        if tag == "thead":
            self._in_head = False
        if tag == "table":
            self._table = None
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        """
        Add text to every open element with an id, to the current cell, to a script.
        """
        for _, ident in self._open:
            if ident is not None:
                self.text[ident] += data
        if self._table is not None and not self._in_head and self.tables[self._table] and self.tables[self._table][-1]:
            self.tables[self._table][-1][-1] += data
        if self._script is not False:
            kind, text = self.scripts[-1]
            self.scripts[-1] = (kind, text + data)

    def script(self, ident: str) -> object:
        """
        The JSON of the data block with this id.
        """
        return json.loads(self.text[ident])

    def table(self, ident: str) -> dict[str, list[str]]:
        """
        A table's body rows, by their first cell.
        """
        return {row[0].strip(): [c.strip() for c in row[1:]] for row in self.tables[ident]}


class Report:
    """
    A report built from traces, with its main page and detail pages parsed.
    """

    def __init__(self, inputs: list[Path], out: Path) -> None:
        self.index = write_report(inputs, out, progress=False)
        self.out = out
        self.page = Page(self.index)
        self.details = [Page(p) for p in sorted((out / "events").glob("p*.html"))]

    @property
    def rows(self) -> list[list[Any]]:
        """
        The table's rows, as the page's data block holds them.
        """
        rows = self.page.script("ev-rows")
        assert isinstance(rows, list)
        return rows

    @property
    def meta(self) -> dict[str, list[Any]]:
        """
        The names of kinds, ranks and contexts that rows refer to by number.
        """
        meta = self.page.script("ev-meta")
        assert isinstance(meta, dict)
        return meta

    def detail_text(self, index: int, cls: str) -> str | None:
        """
        The text of the ``<pre class=cls>`` in the detail of event ``index``, or ``None``.
        """
        for page in self.details:
            if f"e{index}" in page.text:
                match = re.search(rf'<section class="event" id="e{index}">(.*?)</section>', page.source, re.DOTALL)
                assert match is not None
                inner = re.search(rf'<pre class="code {cls}[^"]*">(.*?)</pre>', match[1], re.DOTALL)
                return None if inner is None else html.unescape(re.sub(r"<[^>]+>", "", inner[1]))
        raise AssertionError(f"event {index} has no detail")


def _records(*paths: Path) -> list[TraceRecord]:
    # The events of the traces: every record but the string table's (``str``).
    return [r for p in paths for r in read_trace(p) if r.name != "str"]


@pytest.fixture(scope="module")
def demo_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """
    The trace of a run of the demo (``TORCH_TRACE=dir python -m logdial.demo``).
    """
    return run_demo(tmp_path_factory.mktemp("demo_trace"))


@pytest.fixture(scope="module")
def demo_report(demo_trace: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """
    The report of the demo's trace.
    """
    return Report([demo_trace.parent], tmp_path_factory.mktemp("demo_report") / "report")


@pytest.fixture
def tracer(tmp_path: Path) -> Iterator[Callable[..., LogSystem]]:
    """
    Makes systems that trace into ``tmp_path/trace`` (``rank``: their files' rank).
    """
    made: list[LogSystem] = []

    def make(name: str = "reporttest", rank: int | None = None) -> LogSystem:
        logs = LogSystem(name)
        logs.set_trace_dir(tmp_path / "trace")
        if rank is not None:
            logs.set_rank_provider(lambda: rank)
        made.append(logs)
        return logs

    yield make
    for logs in made:
        logs.reset()


def write_big_trace(directory: str | Path, megabytes: float) -> Path:
    """
    Write a trace of about ``megabytes`` MB into ``directory`` with the real writer, and
    return its path: steps of small events, JSON artifacts and graphs of 1-6 KB of
    Python under 120 contexts, with generated code of about 240 KB every 50 steps (which
    the report cuts short). The README's memory figure is measured on one of 100 MB.
    """
    logs = LogSystem("bigtrace")
    logs.set_trace_dir(directory)
    code = "\n".join(
        f"def kernel_{i}(x, y):\n    return [a * {i} + b for a, b in zip(x, y)]  # <{i}>" for i in range(400)
    )
    step = 0
    try:
        while step % 100 or logs.trace_file is None or Path(logs.trace_file).stat().st_size < megabytes * 1e6:
            with logs.trace_context(frame_id=step % 40, frame_compile_id=step // 40 % 3, attempt=step % 2):
                logs.trace_structured("bigtrace_step", const({"step": step, "loss": 1 / (step + 1)}))
                logs.trace_artifact("stats", const({"step": step, "values": list(range(20))}), encoding="json")
                logs.trace_structured("dynamo_output_graph", payload_fn=const(code[: 1000 + step * 7919 % 5000]))
                if step % 50 == 0:
                    logs.trace_structured("inductor_output_code", payload_fn=lambda: code * 8)
                if step % 10 == 0:
                    logs.trace_structured("compilation_metrics", lambda: {"co_name": "f", "restart_reasons": []})
            step += 1
        return Path(logs.trace_file)
    finally:
        logs.reset()


def const(value: T) -> Callable[[], T]:
    """
    A callback that returns ``value`` (for trace_structured's metadata_fn and payload_fn).
    """
    return lambda: value


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _line(time: str, envelope: dict[str, object], payload: str | None = None) -> str:
    # One record in tlparse's format, written by hand.
    if payload is not None:
        envelope = {**envelope, "has_payload": _md5(payload)}
    body = "".join("\n\t" + piece for piece in payload.split("\n")) if payload is not None else ""
    return f"V{time} 4242 mylib/core.py:1] {json.dumps(envelope)}{body}\n"


class TestSummary:
    """
    The summary counts what read_trace reads.
    """

    def test_total(self, demo_report: Report, demo_trace: Path) -> None:
        """
        The number of events is the number of records.
        """
        assert f"{len(_records(demo_trace)):,}" == demo_report.page.text["total-events"]

    def test_by_kind(self, demo_report: Report, demo_trace: Path) -> None:
        """
        The events by kind, and the payload bytes of each kind.
        """
        records = _records(demo_trace)
        counts = Counter(r.name for r in records)
        table = demo_report.page.table("by-kind")
        assert {k: str(n) for k, n in counts.items()} == {k: cells[0] for k, cells in table.items()}
        volume: Counter[str] = Counter()
        for r in records:
            if r.payload is not None:
                volume[r.name] += len(r.payload.encode())
        cells = re.findall(r'<tr data-key="([^"]+)">.*?title="([\d,]+) bytes"', demo_report.page.source)
        assert {k: f"{volume[k]:,}" for k in counts} == dict(cells)

    def test_by_context_and_rank(self, demo_report: Report, demo_trace: Path) -> None:
        """
        The events by context (tlparse's display form) and by rank (none: ``-``).
        """
        records = _records(demo_trace)
        expected = Counter(_display(r.envelope) for r in records)
        assert {k: str(n) for k, n in expected.items()} == {
            k: c[0] for k, c in demo_report.page.table("by-context").items()
        }
        assert {"-": [str(len(records))]} == demo_report.page.table("by-rank")

    def test_time_span_and_payload_volume(self, demo_report: Report, demo_trace: Path) -> None:
        """
        The card of the time span names the first and last time; the payload card the bytes.
        """
        records = _records(demo_trace)
        assert f"from {records[0].time} to {records[-1].time}" in demo_report.page.source
        total = sum(len(r.payload.encode()) for r in records if r.payload is not None)
        assert f'id="payload-volume" title="{total:,} bytes"' in demo_report.page.source

    def test_empty_and_bare(self, tmp_path: Path) -> None:
        """
        An empty trace file makes an empty report; the smallest record (``{}``, no
        event key) counts under ``(none)``.
        """
        (tmp_path / "empty.log").write_text("")
        (tmp_path / "bare.log").write_text(_line("0101 00:00:00.000000", {}))
        assert "0" == Report([tmp_path / "empty.log"], tmp_path / "a").page.text["total-events"]
        report = Report([tmp_path / "bare.log"], tmp_path / "b")
        assert ({"(none)": ["1", "0", "0 B"]}, [""]) == (report.page.table("by-kind"), report.meta["kinds"])

    def test_failures(self, demo_report: Report, demo_trace: Path) -> None:
        """
        The compiles that failed are listed with their type and reason.
        """
        failed = [
            (f"#{i}", r.envelope.get("frame_compile_id"), r.metadata["fail_type"])
            for i, r in enumerate(_records(demo_trace))
            if r.name == "compilation_metrics" and isinstance(r.metadata, dict) and r.metadata.get("fail_type")
        ]
        table = demo_report.page.table("failures")
        assert [(n, f"[0/{c}]", t) for n, c, t in failed] == [(n, cells[0], cells[1]) for n, cells in table.items()]


def _display(envelope: dict[str, object]) -> str:
    # tlparse's display form of a compile id, as TRACE_FORMAT.md §5 gives it.
    head = f"!{envelope['compiled_autograd_id']}/" if "compiled_autograd_id" in envelope else ""
    frame, compile_ = envelope.get("frame_id", "-"), envelope.get("frame_compile_id", "-")
    attempt = envelope.get("attempt")
    return f"[{head}{frame}/{compile_}{f'_{attempt}' if attempt else ''}]"


class TestTable:
    """
    Every event is in the table, in order, with a detail page entry.
    """

    def test_every_event(self, demo_report: Report, demo_trace: Path) -> None:
        """
        One row per record: its time, kind and context.
        """
        meta = demo_report.meta
        records = _records(demo_trace)
        expected = [(r.time[5:], r.name, _display(r.envelope)) for r in records]
        assert expected == [(row[0], meta["kinds"][row[4]], meta["contexts"][row[3]][0]) for row in demo_report.rows]

    def test_every_event_has_a_detail(self, demo_report: Report, demo_trace: Path) -> None:
        """
        Each event's section is on the detail page its row names.
        """
        sections = {int(ident[1:]): n for n, page in enumerate(demo_report.details) for ident in page.text
                    if re.fullmatch(r"e\d+", ident)}  # fmt: skip
        assert {i: row[7] for i, row in enumerate(demo_report.rows)} == sections
        assert list(range(len(_records(demo_trace)))) == sorted(sections)

    def test_payloads_and_metadata(self, demo_report: Report, demo_trace: Path) -> None:
        """
        The highlighted payload reads back as the payload, the metadata as its JSON.
        """
        for i, record in enumerate(_records(demo_trace)):
            assert (i, record.payload) == (i, demo_report.detail_text(i, "payload"))
            assert (i, record.metadata) == (i, json.loads(demo_report.detail_text(i, "metadata") or "null"))

    def test_highlighted(self, demo_report: Report, demo_trace: Path) -> None:
        """
        Generated code shows as Python, a JSON artifact as JSON.
        """
        records = _records(demo_trace)
        code = next(i for i, r in enumerate(records) if r.name == "inductor_output_code")
        data = next(
            i
            for i, r in enumerate(records)
            if r.name == "artifact" and isinstance(r.metadata, dict) and r.metadata["encoding"] == "json"
        )
        pages = "".join(p.source for p in demo_report.details)
        assert '<pre class="code payload lang-python"><span class="hc"># kernel' in _section(pages, code)
        assert '<pre class="code payload lang-json">{\n<span class="hy">"key"</span>' in _section(pages, data)


class TestDetails:
    """
    What an event's detail shows beside its payload.
    """

    def test_link(self, tracer: Callable[..., LogSystem], tmp_path: Path) -> None:
        """
        A ``link`` record with a relative URL is a link, in the summary and in its detail
        (one directory further down), when the file it names is there, read from the report.
        """
        tracer().trace_structured("link", lambda: {"name": "logdial report", "url": "../logdial_report/index.html"})
        (tmp_path / "logdial_report").mkdir()
        (tmp_path / "logdial_report" / "index.html").write_text("<!DOCTYPE html>")
        report = Report([tmp_path / "trace"], tmp_path / "out")
        anchor = '<a href="{}logdial_report/index.html" target="_blank" rel="noopener noreferrer">logdial report</a>'
        assert (True, True) == (
            anchor.format("../") in report.page.source,
            anchor.format("../../") in report.details[0].source,
        )

    def test_link_to_nothing(self, tracer: Callable[..., LogSystem], tmp_path: Path) -> None:
        """
        A relative URL that names no file from the report (the demo's link to a report
        beside tlparse's) is text, not a dangling link.
        """
        tracer().trace_structured("link", lambda: {"name": "logdial report", "url": "../logdial_report/index.html"})
        report = Report([tmp_path / "trace"], tmp_path / "out")
        note = 'logdial report <span class="note">(not found from this report: ../logdial_report/index.html)</span>'
        assert (True, True, False) == (
            note in report.page.source,
            note in report.details[0].source,
            'logdial_report/index.html" target' in report.page.source + report.details[0].source,
        )

    def test_stack(self, tmp_path: Path) -> None:
        """
        A record's stack shows its frames, with interned file names resolved.
        """
        stack = [{"filename": 0, "line": 3, "name": "main"}, {"filename": 9, "line": 4, "name": "f"}, "odd"]
        (tmp_path / "t.log").write_text(
            _line("0101 00:00:00.000000", {"str": ["a/<b>.py", 0]})
            + _line("0101 00:00:00.000001", {"mylib_x": {}, "stack": stack})
        )
        section = _section(Report([tmp_path / "t.log"], tmp_path / "out").details[0].source, 0)
        frames = '<ol class="stack"><li>a/&lt;b&gt;.py:3 in main</li><li>(string 9):4 in f</li><li>odd</li></ol>'
        assert frames in section

    def test_empty_payload(self, tracer: Callable[..., LogSystem], tmp_path: Path) -> None:
        """
        An empty payload shows as an empty block, marked empty beside it.
        """
        tracer().trace_artifact("nothing", lambda: "")
        report = Report([tmp_path / "trace"], tmp_path / "out")
        index = len(report.rows) - 1
        assert ("", True) == (
            report.detail_text(index, "payload"),
            "(empty)" in _section(report.details[0].source, index),
        )

    def test_big_metadata(self, tmp_path: Path) -> None:
        """
        Metadata longer than the page shows is cut short, with a note.
        """
        (tmp_path / "t.log").write_text(_line("0101 00:00:00.000000", {"mylib_x": {"values": list(range(3000))}}))
        section = _section(Report([tmp_path / "t.log"], tmp_path / "out").details[0].source, 0)
        assert "The metadata is cut short; see line 1 of the trace file." in section


def _section(pages: str, index: int) -> str:
    match = re.search(rf'<section class="event" id="e{index}">(.*?)</section>', pages, re.DOTALL)
    assert match is not None
    return match[1]


class TestTimeline:
    """
    The timeline has one mark per event, one lane per rank and context.
    """

    def test_one_mark_per_event(self, demo_report: Report, demo_trace: Path) -> None:
        """
        The marks are the events, in order.
        """
        marks = [a["data-i"] for tag, a in demo_report.page.tags if tag == "rect" and "mark" in (a.get("class") or "")]
        assert [str(i) for i in range(len(_records(demo_trace)))] == marks

    def test_lanes(self, demo_report: Report, demo_trace: Path) -> None:
        """
        One lane per context (one rank here), by first appearance.
        """
        lanes = [a["title"] for tag, a in demo_report.page.tags if "lane-label" in (a.get("class") or "")]
        counts = Counter(_display(r.envelope) for r in _records(demo_trace))
        assert sorted(f"{c}: {n} events" for c, n in counts.items()) == sorted(str(t) for t in lanes)

    def test_marks_by_time(self, tracer: Callable[..., LogSystem], tmp_path: Path) -> None:
        """
        The first and last marks sit at the ends of the axis; equal times share a position.
        """
        (tmp_path / "t.log").write_text(
            _line("0101 00:00:00.000000", {"a_x": {}})
            + _line("0101 00:00:01.000000", {"a_x": {}})
            + _line("0101 00:00:01.000000", {"a_y": {}})
            + _line("0101 00:00:04.000000", {"a_x": {}})
        )
        page = Report([tmp_path / "t.log"], tmp_path / "out").page
        xs = [a["x"] for tag, a in page.tags if tag == "rect" and "mark" in (a.get("class") or "")]
        assert ["1.0000%", "25.2500%", "25.2500%", "98.0000%"] == xs

    def test_year_turns(self, tmp_path: Path) -> None:
        """
        The trace has no year: a time far before the previous one is in the next year.
        """
        (tmp_path / "t.log").write_text(
            _line("1231 23:59:59.000000", {"a_x": {}}) + _line("0101 00:00:01.000000", {"a_x": {}})
        )
        page = Report([tmp_path / "t.log"], tmp_path / "out").page
        assert "2.000000 s" == page.text["time-span"]

    def test_long_span(self, tmp_path: Path) -> None:
        """
        Spans of ten seconds and more show in seconds with thousands separators.
        """
        (tmp_path / "t.log").write_text(
            _line("0101 00:00:00.000000", {"a_x": {}}) + _line("0101 01:00:00.500000", {"a_x": {}})
        )
        assert "3,600.500 s" == Report([tmp_path / "t.log"], tmp_path / "out").page.text["time-span"]


class TestRanks:
    """
    Several trace files, one per rank, merge into one report with a rank column.
    """

    def test_writer_ranks(self, tracer: Callable[..., LogSystem], tmp_path: Path) -> None:
        """
        Files of ranks 0 and 1 (written by the writer): each event keeps its rank, merged by time.
        """
        zero, one = tracer("rank0", rank=0), tracer("rank1", rank=1)
        for step in range(3):
            with zero.trace_context(frame_id=0, frame_compile_id=step):
                zero.trace_structured("mylib_step", lambda: {"rank": 0})
            with one.trace_context(frame_id=0, frame_compile_id=step):
                one.trace_structured("mylib_step", lambda: {"rank": 1})
        report = Report([tmp_path / "trace"], tmp_path / "out")
        assert {"0": ["3"], "1": ["3"]} == report.page.table("by-rank")
        ranks = [report.meta["ranks"][row[2]] for row in report.rows]
        assert ["0", "1"] * 3 == ranks
        assert sorted(str(row[0]) for row in report.rows) == [str(row[0]) for row in report.rows]
        names = sorted(p.name for p in (tmp_path / "trace").iterdir())
        assert [n[:33] for n in names] == ["dedicated_log_torch_trace_rank_0_", "dedicated_log_torch_trace_rank_1_"]

    def test_rank_from_the_file_name(self, tmp_path: Path) -> None:
        """
        Hand-written files with no ``rank`` field take the rank in their name; a
        ``rank`` field wins over the name; files sort by rank number; a file named twice
        counts once.
        """
        (tmp_path / "traces").mkdir()
        (tmp_path / "traces" / "dedicated_log_torch_trace_rank_10_a.log").write_text(
            _line("0101 12:00:00.000002", {"mylib_x": {}}, "ten")
        )
        (tmp_path / "traces" / "dedicated_log_torch_trace_rank_2_b.log").write_text(
            _line("0101 12:00:00.000001", {"mylib_x": {}}) + _line("0101 12:00:00.000003", {"mylib_x": {}, "rank": 7})
        )
        (tmp_path / "traces" / "unrelated.txt").write_text("not a trace")
        assert ["dedicated_log_torch_trace_rank_2_b.log", "dedicated_log_torch_trace_rank_10_a.log"] == [
            s.path.name for s in find_traces([tmp_path / "traces"])
        ]
        report = Report(
            [tmp_path / "traces", tmp_path / "traces" / "dedicated_log_torch_trace_rank_2_b.log"], tmp_path / "out"
        )
        assert ["2", "10", "7"] == [report.meta["ranks"][row[2]] for row in report.rows]
        assert ["2", "10"] == [cells[0] for cells in report.page.table("files").values()]


class TestLabels:
    """
    The events of a labelled context (a system without compile ids) show under the
    label, as a context of its own, wherever contexts show.
    """

    def test_events_under_their_label(self, tracer: Callable[..., LogSystem], tmp_path: Path) -> None:
        """
        Tables, filters, timeline, rows and details name the label; compile ids and
        records outside any context are unchanged; labels come after compile ids, in
        order of first appearance.
        """
        logs = tracer()
        logs.trace_structured("mylib_outside", expect_trace_id=False)
        with logs.trace_context(label="step 0"):
            logs.trace_structured("mylib_step", const({"n": 0}))
            logs.trace_artifact("plan", const("scan"))
        with logs.trace_context(label="step 1"):
            logs.trace_structured("mylib_step", const({"n": 1}))
            with logs.trace_context(label="inner"):
                logs.trace_structured("mylib_inner")
        with logs.trace_context(label="step 2", frame_id=0, frame_compile_id=0):
            logs.trace_structured("mylib_compiled")
        report = Report([tmp_path / "trace"], tmp_path / "out")
        expected = {"[-/-]": ["1"], "[0/0]": ["1"], "[step 0]": ["2"], "[step 1]": ["1"], "[inner]": ["1"]}
        table = report.page.table("by-context")
        assert (expected, list(expected)) == (table, list(table))
        names = [c[0] for c in report.meta["contexts"]]
        contexts = ["[-/-]", "[step 0]", "[step 0]", "[step 1]", "[inner]", "[0/0]"]
        assert contexts == [names[row[3]] for row in report.rows]
        lanes = [a["title"] for tag, a in report.page.tags if "lane-label" in (a.get("class") or "")]
        assert [f"{c}: {n[0]} events" for c, n in expected.items()] == lanes
        options = re.findall(r'<option value="c:\d+">([^<]*)</option>', report.page.source)
        assert [f"{c} ({n[0]})" for c, n in expected.items()] == options
        assert ("5", "-1") == (report.page.text["total-contexts"], str(report.meta["contexts"][1][1]))
        step = _section("".join(page.source for page in report.details), 1)
        assert (['<span class="ctx">[step 0]</span>'], False) == (
            re.findall(r'<span class="ctx">[^<]*</span>', step),
            "logdial_label" in step,
        )
        assert '{\n  "n": 0\n}' == report.detail_text(1, "metadata")

    def test_hostile_labels_are_text(self, tracer: Callable[..., LogSystem], tmp_path: Path) -> None:
        """
        Labels holding markup, quotes and non-ASCII text show as that text: no tag or
        attribute from them on any page, and each reads back intact.
        """
        labels = [*HOSTILE, "say \"hi\" & 'bye'", "größe ✓ 日本 🙂"]
        logs = tracer()
        for label in labels:
            with logs.trace_context(label=label):
                logs.trace_structured("mylib_x", const({"label": label}))
        report = Report([tmp_path / "trace"], tmp_path / "out")
        for page in [report.page, *report.details]:
            assert set() == {tag for tag, _ in page.tags} & {"img", "script", "b"} - (
                {"script"} if page is report.page else set()
            )
            assert [] == [k for _, a in page.tags for k in a if k.startswith("on")]
        shown = [f"[{label}]" for label in labels]
        assert shown == [c[0] for c in report.meta["contexts"]]
        assert shown == list(report.page.table("by-context"))
        assert set(shown) <= {a.get("data-key") for tag, a in report.page.tags if tag == "tr"}

    def test_label_that_reads_like_a_compile_id(self, tracer: Callable[..., LogSystem], tmp_path: Path) -> None:
        """
        A label ``0/0`` beside a real compile ``[0/0]``: two contexts, told apart.
        """
        logs = tracer()
        with logs.trace_context(frame_id=0, frame_compile_id=0):
            logs.trace_structured("mylib_compiled")
        with logs.trace_context(label="0/0"):
            logs.trace_structured("mylib_labelled")
        report = Report([tmp_path / "trace"], tmp_path / "out")
        assert {"[0/0]": ["1"], "[label: 0/0]": ["1"]} == report.page.table("by-context")

    def test_hand_written_labels(self, tmp_path: Path) -> None:
        """
        What the writer never writes: control characters show escaped, a huge label is
        cut short (labels alike up to the cut are one context), a label that is not a
        string is ignored, and compile ids win over a label.
        """
        huge = "x" * 100_000
        (tmp_path / "t.log").write_text(
            _line("0101 00:00:00.000000", {"a_x": {}, "logdial_label": "two\nlines\x1b[31m"})
            + _line("0101 00:00:00.000001", {"a_x": {}, "logdial_label": huge})
            + _line("0101 00:00:00.000002", {"a_x": {}, "logdial_label": huge + "y"})
            + _line("0101 00:00:00.000003", {"a_x": {}, "logdial_label": 7})
            + _line("0101 00:00:00.000004", {"a_x": {}, "logdial_label": "s", "frame_id": 3})
        )
        report = Report([tmp_path / "t.log"], tmp_path / "out")
        cut = "[" + "x" * 199 + "…]"
        assert {"[-/-]": ["1"], "[3/-]": ["1"], "[two\\nlines\\x1b[31m]": ["1"], cut: ["2"]} == report.page.table(
            "by-context"
        )

    def test_number_of_labels_is_bounded(self, tracer: Callable[..., LogSystem], tmp_path: Path) -> None:
        """
        A label per step: the first ``LABEL_LIMIT - 1`` labels are contexts of their own,
        the events of later ones show under ``(other contexts)``; a known label stays its own.
        """
        logs = tracer()
        for step in range(LABEL_LIMIT + 4):
            with logs.trace_context(label=f"step {step}"):
                logs.trace_structured("mylib_step")
        with logs.trace_context(label="step 0"):
            logs.trace_structured("mylib_step")
        report = Report([tmp_path / "trace"], tmp_path / "out")
        table = report.page.table("by-context")
        assert (LABEL_LIMIT, ["2"], [f"step {LABEL_LIMIT - 2}"], ["5"]) == (
            len(table),
            table["[step 0]"],
            [k[1:-1] for k in table][-2:-1],
            table[OTHER_CONTEXTS],
        )
        assert OTHER_CONTEXTS == list(table)[-1]


class TestEscaping:
    """
    Trace text is text: nothing from a hostile trace becomes markup, and the policy
    would stop any script that did.
    """

    @pytest.fixture
    def hostile(self, tracer: Callable[..., LogSystem], tmp_path: Path) -> Report:
        """
        A report of a trace whose payloads, metadata, names and link URL hold script injections.
        """
        logs = tracer()
        logs.trace_structured("link", lambda: {"name": HOSTILE[1], "url": "javascript:window.__pwned=1"})
        with logs.trace_context(frame_id=0, frame_compile_id=0):
            for text in HOSTILE:
                logs.trace_structured("mylib_evil", const({"note": text, text: [text]}), payload_fn=const(text))
                logs.trace_artifact("evil", const(text))
            logs.trace_structured(
                "compilation_metrics",
                lambda: {"co_name": HOSTILE[0], "fail_type": HOSTILE[1], "fail_reason": HOSTILE[2]},
            )
            logs.trace_structured(
                "inductor_output_code", lambda: {"filename": HOSTILE[4]}, payload_fn=lambda: HOSTILE[5]
            )
            logs.trace_artifact("evil_json", lambda: {HOSTILE[0]: HOSTILE[2]}, encoding="json")
        (tmp_path / "trace" / "dedicated_log_torch_trace_hostile.log").write_text(
            _line("0101 00:00:00.000000", {HOSTILE[0]: {}, "frame_id": HOSTILE[3]}, HOSTILE[3])
        )
        return Report([tmp_path / "trace"], tmp_path / "out")

    def test_no_markup_from_the_trace(self, hostile: Report) -> None:
        """
        Each page's only tags are its own: one script (no src) and the data blocks; no
        ``img``, no event handler attribute, no ``javascript:`` link.
        """
        for page in [hostile.page, *hostile.details]:
            tags = {tag for tag, _ in page.tags}
            assert set() == tags & {"img", "iframe", "object", "embed", "svg", "math", "base", "form"} - (
                {"iframe", "svg"} if page is hostile.page else set()
            )
            handlers = [(tag, k) for tag, a in page.tags for k in a if k.startswith("on")]
            assert [] == handlers
            links = [a.get("href") for tag, a in page.tags if tag == "a"]
            assert [] == [h for h in links if h is None or not re.fullmatch(r"#\w+|\.\./[\w/.]+|events/\w+", h)]
        assert [None, "application/json", "application/json"] == sorted(
            (t for t, _ in hostile.page.scripts), key=lambda t: t or ""
        )
        assert all(page.scripts == [] for page in hostile.details)

    def test_no_raw_script_tag(self, hostile: Report) -> None:
        """
        No file of the report holds ``<script`` from the trace: only the page's own tags.
        """
        for path in hostile.out.rglob("*"):
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                own = len(re.findall(r'<script( type="application/json" id="ev-(meta|rows)")?>', text))
                assert (path.name, own) == (path.name, text.lower().count("<script"))

    def test_round_trip(self, hostile: Report) -> None:
        """
        The hostile strings read back intact from the data blocks and the detail pages.
        """
        whats = [str(row[5]) for row in hostile.rows]
        assert any(HOSTILE[2] in w for w in whats)
        assert HOSTILE[0] in hostile.meta["kinds"]
        payloads = {hostile.detail_text(i, "payload") for i in range(len(hostile.rows))}
        assert set(HOSTILE) <= payloads

    def test_unsafe_link_is_text(self, hostile: Report) -> None:
        """
        A ``link`` record with a ``javascript:`` URL shows its URL as text, not as a link.
        """
        assert "(not followed: javascript:window.__pwned=1)" in hostile.page.text["links"]

    def test_content_security_policy(self, hostile: Report) -> None:
        """
        The main page allows exactly its own script and stylesheet, by hash; detail pages no script.
        """
        policy = next(a["content"] for tag, a in hostile.page.tags if a.get("http-equiv") == "Content-Security-Policy")
        script = next(text for kind, text in hostile.page.scripts if kind is None)
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"script-src 'sha256-{digest}';" in str(policy)
        assert "unsafe" not in str(policy)
        assert str(policy).startswith("default-src 'none';")
        for page in hostile.details:
            detail = next(a["content"] for tag, a in page.tags if a.get("http-equiv") == "Content-Security-Policy")
            assert "script-src 'none';" in str(detail)

    def test_script_builds_no_markup(self) -> None:
        """
        The page's script never turns a string into markup.
        """
        from logdial._report._assets import JS

        assert [] == re.findall(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|Function\(", JS)


class TestLargeTraces:
    """
    A large trace streams through in bounded memory; long payloads go to side files.
    """

    def test_peak_memory(self, tmp_path: Path) -> None:
        """
        The report of a 20 MB trace peaks below 64 MB of resident memory, measured in a
        fresh interpreter (which takes about 21 MB with logdial imported; the report
        adds about 3). Holding the trace's text and the page would take several times that.
        """
        trace = write_big_trace(tmp_path / "trace", 20)
        # The child's peak, from VmHWM: on Linux, ru_maxrss of a child also counts the
        # memory of the (large) pytest process it was forked from, before its exec.
        script = (
            "import resource, sys\nfrom logdial._report import write_report\n"
            "write_report([sys.argv[1]], sys.argv[2], progress=False)\n"
            "try:\n"
            "    status = open('/proc/self/status').read()\n"
            "    print(int(status.split('VmHWM:')[1].split()[0]) / 1024)\n"
            "except OSError:\n"
            "    scale = 1 << 20 if sys.platform == 'darwin' else 1 << 10  # bytes there, KiB elsewhere\n"
            "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", script, str(trace), str(tmp_path / "out")],
            env=child_environ(),
            capture_output=True,
            text=True,
            check=True,
        )
        peak_mb = float(out.stdout)
        assert (True, peak_mb) == (peak_mb < 64, peak_mb)
        big, record = next((i, r) for i, r in enumerate(read_trace(trace)) if r.name == "inductor_output_code")
        assert record.payload == (tmp_path / "out" / "payloads" / f"e{big}.txt").read_text(encoding="utf-8")

    def test_cut_payload(self, tracer: Callable[..., LogSystem], tmp_path: Path) -> None:
        """
        A payload longer than 2,000 lines shows its first 2,000 and links the whole.
        """
        logs = tracer()
        logs.trace_artifact("long", lambda: "\n".join(f"line {i}" for i in range(2500)))
        report = Report([tmp_path / "trace"], tmp_path / "out")
        index = len(report.rows) - 1
        shown = report.detail_text(index, "payload")
        assert "\n".join(f"line {i}" for i in range(2000)) == shown
        assert f'href="../payloads/e{index}.txt"' in _section(report.details[0].source, index)
        assert 2500 == len((tmp_path / "out" / "payloads" / f"e{index}.txt").read_text().split("\n"))


class TestProgress:
    """
    The progress bar shows on stderr when asked, or when stderr is a terminal.
    """

    def test_asked(self, demo_trace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``progress=True`` draws the bar to 100 % and ends its line; stdout stays empty.
        """
        write_report([demo_trace], tmp_path / "out", progress=True)
        captured = capsys.readouterr()
        assert ("", True, True) == (captured.out, captured.err.endswith("] 100%\n"), captured.err.startswith("\r"))

    def test_failure(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A report that fails ends the bar's line without drawing it full.
        """
        (tmp_path / "bad.log").write_text(_line("0101 00:00:00.000000", {"a_x": {}}) + "garbage\n")
        with pytest.raises(TraceFormatError):
            write_report([tmp_path / "bad.log"], tmp_path / "out", progress=True)
        err = capsys.readouterr().err
        assert (True, False) == (err.endswith("\n"), "100%" in err)

    def test_not_a_terminal(self, demo_trace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``progress=None`` draws nothing when stderr is not a terminal (as under pytest).
        """
        write_report([demo_trace], tmp_path / "out")
        assert ("", "") == tuple(capsys.readouterr())


class TestErrors:
    """
    Bad inputs and outputs are reported, naming the culprit, and leave nothing behind.
    """

    def test_corrupted_trace(self, demo_trace: Path, tmp_path: Path) -> None:
        """
        A trace whose payload no longer matches its MD5 raises TraceFormatError naming
        the file and line; the output directory is not created.
        """
        lines = demo_trace.read_text().split("\n")
        bad = next(i for i, line in enumerate(lines) if line.startswith("\t"))
        lines[bad] += " tampered"
        (tmp_path / "bad.log").write_text("\n".join(lines))
        with pytest.raises(
            TraceFormatError, match=rf"^{re.escape(str(tmp_path / 'bad.log'))}:{bad}: the payload's MD5"
        ):
            write_report([tmp_path / "bad.log"], tmp_path / "out")
        assert not (tmp_path / "out").exists()

    def test_garbage_line_keeps_previous_report(self, demo_trace: Path, tmp_path: Path) -> None:
        """
        A line that is no record raises at that line; a previous report stays as it was.
        """
        write_report([demo_trace], tmp_path / "out")
        before = (tmp_path / "out" / "index.html").read_bytes()
        (tmp_path / "bad.log").write_text(demo_trace.read_text() + "garbage\n")
        lineno = len(demo_trace.read_text().split("\n"))
        with pytest.raises(TraceFormatError, match=rf":{lineno}: not a trace record header: 'garbage'$"):
            write_report([tmp_path / "bad.log"], tmp_path / "out")
        assert before == (tmp_path / "out" / "index.html").read_bytes()
        assert ["events", "index.html"] == sorted(p.name for p in (tmp_path / "out").iterdir())

    @pytest.mark.parametrize(
        ("make", "message"),
        [
            (lambda p: None, "{p}: no such file or directory"),
            (lambda p: p.mkdir(), "{p}: no trace files (dedicated_log_torch_trace_*.log) in this directory"),
        ],
        ids=["missing", "empty-directory"],
    )
    def test_bad_input(self, tmp_path: Path, make: Callable[[Path], None], message: str) -> None:
        """
        An input that does not exist, or a directory without trace files.
        """
        make(tmp_path / "in")
        with pytest.raises(ReportError, match=f"^{re.escape(message.format(p=tmp_path / 'in'))}$"):
            write_report([tmp_path / "in"], tmp_path / "out")

    def test_no_input(self, tmp_path: Path) -> None:
        """
        An empty list of inputs.
        """
        with pytest.raises(ReportError, match=r"^no trace file given$"):
            write_report([], tmp_path / "out")

    def test_output_is_a_file(self, demo_trace: Path, tmp_path: Path) -> None:
        """
        The output path is a file.
        """
        (tmp_path / "out").write_text("x")
        with pytest.raises(ReportError, match=f"^{re.escape(str(tmp_path / 'out'))}: exists and is not a directory$"):
            write_report([demo_trace], tmp_path / "out")

    def test_output_holds_another_page(self, demo_trace: Path, tmp_path: Path) -> None:
        """
        A directory with another program's index.html (tlparse's) is left alone.
        """
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "index.html").write_text("<html>tlparse</html>")
        message = f"{tmp_path / 'out'}: index.html there is not from a logdial report; choose another directory"
        with pytest.raises(ReportError, match=f"^{re.escape(message)}$"):
            write_report([demo_trace], tmp_path / "out")
        assert "<html>tlparse</html>" == (tmp_path / "out" / "index.html").read_text()

    def test_previous_report_replaced(self, demo_trace: Path, tmp_path: Path) -> None:
        """
        A previous report is replaced; other files in the directory stay.
        """
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "notes.txt").write_text("mine")
        write_report([demo_trace], tmp_path / "out")
        (tmp_path / "small.log").write_text(_line("0101 00:00:00.000000", {"mylib_x": {}}))
        Report([tmp_path / "small.log"], tmp_path / "out")
        assert "1" == Page(tmp_path / "out" / "index.html").text["total-events"]
        assert ["events", "index.html", "notes.txt"] == sorted(p.name for p in (tmp_path / "out").iterdir())
        assert ["p0.html"] == [p.name for p in (tmp_path / "out" / "events").iterdir()]


class TestHighlight:
    """
    The highlighter escapes everything and marks Python and JSON tokens.
    """

    def test_python(self) -> None:
        """
        Keywords, builtins, definitions, strings with prefixes, numbers, comments, decorators.
        """
        source = "@cache\ndef f(x=0x1F):\n    return rb'<a>' + len(x)  # <b> & c\n"
        expected = (
            '<span class="hd">@cache</span>\n<span class="hk">def</span> <span class="hf">f</span>(x=<span class="hn">'
            '0x1F</span>):\n    <span class="hk">return</span> <span class="hs">rb\'&lt;a&gt;\'</span> + <span class='
            '"hb">len</span>(x)  <span class="hc"># &lt;b&gt; &amp; c</span>\n'
        )
        assert expected == highlight(source, "python")

    def test_unterminated(self) -> None:
        """
        A triple-quoted string cut short runs to the end of the text.
        """
        assert '<span class="hs">"""abc\ndef</span>' == highlight('"""abc\ndef', "python")

    def test_json(self) -> None:
        """
        Keys, strings, numbers and constants; an escaped ``&`` stays inside its token.
        """
        expected = (
            '{<span class="hy">"a&amp;b"</span>: <span class="hs">"&lt;/script&gt;"</span>, '
            '<span class="hy">"n"</span>: [<span class="hn">-1.5e3</span>, <span class="hm">true</span>, '
            '<span class="hm">null</span>]}'
        )
        assert expected == highlight('{"a&b": "</script>", "n": [-1.5e3, true, null]}', "json")
        assert '&lt;&gt; <span class="hn">1</span>' == highlight("<> 1", "json")

    def test_text(self) -> None:
        """
        Plain text is only escaped (quotes need no escaping in element content).
        """
        assert '&lt;img src=x onerror="1"&gt; &amp;' == highlight('<img src=x onerror="1"> &', "text")

    @pytest.mark.parametrize(
        ("kind", "metadata", "text", "language"),
        [
            ("dynamo_output_graph", {}, "anything", "python"),
            ("artifact", {"encoding": "json"}, "[1", "json"),
            ("mylib_config", {}, '{"a": 1}', "json"),
            ("mylib_code", {}, "import os\n", "python"),
            ("mylib_note", {}, "[not json", "text"),
        ],
    )
    def test_guess_language(self, kind: str, metadata: object, text: str, language: str) -> None:
        """
        By kind and encoding first, then by what the text looks like.
        """
        assert language == guess_language(kind, metadata, text)


class TestSafeUrl:
    """
    Only http(s) and relative URLs become links.
    """

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("../logdial_report/index.html", "../logdial_report/index.html"),
            ("HTTPS://example.invalid/a?b#c", "HTTPS://example.invalid/a?b#c"),
            ("javascript:alert(1)", None),
            ("JaVaScRiPt:alert(1)", None),
            ("java\tscript:alert(1)", None),
            ("data:text/html,<script>", None),
            ("//evil.invalid/x", None),
            ("a:b/c", None),
            (7, None),
        ],
    )
    def test_safe_url(self, url: object, expected: str | None) -> None:
        """
        A URL with any other scheme, a control character or no host of our own is text.
        """
        assert expected == safe_url(url)


class TestDocExamples:
    """
    The examples in the report modules' docstrings run as shown.
    """

    @pytest.mark.parametrize(
        "module", ["_report._highlight", "_report._model", "_report._html", "_report._detail", "_report._assets"]
    )
    def test_doctests(self, module: str) -> None:
        """
        No example fails.
        """
        result = doctest.testmod(importlib.import_module(f"logdial.{module}"))
        assert (0, True) == (result.failed, result.attempted > 0)
