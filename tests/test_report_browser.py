"""The report in a real browser: the system's headless Chromium, driven by Playwright.

Run as a module, it regenerates the README's screenshot:
``PYTHONPATH=src .venv/bin/python -m tests.test_report_browser docs/report.png``.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, expect, sync_playwright
from tests.conftest import CHROMIUM
from tests.subprocesses import demo_trace

from logdial import LogSystem
from logdial._report import write_report
from logdial._report._tracefile import TraceRecord, read_trace

#: Debian's Chromium; Playwright's own browser download is never used.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PWNED = "typeof window.__pwned"

T = TypeVar("T")

pytestmark = pytest.mark.chromium


@dataclass
class Tab:
    """
    A browser page, with the errors it reported (console errors and uncaught exceptions).
    """

    page: Page
    errors: list[str] = field(default_factory=list)

    def open(self, index: Path) -> Page:
        """
        Load the report at ``index`` from its ``file://`` URL.
        """
        self.page.goto(index.as_uri())
        return self.page

    def row(self, event: int) -> None:
        """
        Click the table row of ``event`` and wait until the detail frame shows it.
        """
        self.page.click(f"#r{event}")
        expect(self.page.frame_locator("#detail-frame").locator(f"#e{event}")).to_be_visible()


def launch() -> Iterator[Browser]:
    """
    The system's Chromium, headless.
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def new_tab(browser: Browser, scale: float = 1) -> Tab:
    """
    A fresh page that records its errors; ``scale``: device pixels per CSS pixel.
    """
    tab = Tab(browser.new_page(viewport={"width": 1400, "height": 1000}, device_scale_factor=scale))

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.errors.append(message.text)

    def exception(error: Error) -> None:
        tab.errors.append(f"uncaught: {error}")

    tab.page.on("console", console)
    tab.page.on("pageerror", exception)
    return tab


def const(value: T) -> Callable[[], T]:
    """
    A callback that returns ``value`` (for trace_structured's metadata_fn and payload_fn).
    """
    return lambda: value


def screenshot(browser: Browser, index: Path, event: int, path: Path, scale: float = 1) -> None:
    """
    A picture of the report at ``index`` with ``event`` open, into ``path`` (PNG).
    """
    tab = new_tab(browser, scale)
    tab.open(index)
    tab.row(event)
    tab.page.screenshot(path=str(path), full_page=True)
    tab.page.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """
    One headless Chromium for the module's tests.
    """
    yield from launch()


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    """
    A fresh page, closed after the test.
    """
    tab = new_tab(browser)
    yield tab
    tab.page.close()


@dataclass(frozen=True)
class Demo:
    """
    The demo's trace, its records, and its report.
    """

    records: list[TraceRecord]
    index: Path

    def first(self, name: str) -> int:
        """
        The number of the first event of kind ``name``.
        """
        return next(i for i, r in enumerate(self.records) if r.name == name)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """
    The report of the demo's trace.
    """
    trace = demo_trace(tmp_path_factory.mktemp("trace"))
    events = [r for r in read_trace(trace) if r.name != "str"]  # (the string table is not events)
    return Demo(events, write_report([trace], tmp_path_factory.mktemp("report") / "report"))


def _kinds(page: Page) -> list[str]:
    kinds: list[str] = page.eval_on_selector_all("#rows tr:not(.pad)", "rows => rows.map(r => r.cells[5].textContent)")
    return kinds


class TestDemoReport:
    """
    The report of the demo's trace, as a user sees it.
    """

    def test_summary_counts(self, tab: Tab, demo: Demo) -> None:
        """
        The totals and the events by kind are the trace's.
        """
        page = tab.open(demo.index)
        counts = Counter(r.name for r in demo.records)
        shown = page.eval_on_selector_all(
            "#by-kind tbody tr", "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])"
        )
        assert {k: str(n) for k, n in counts.items()} == dict(shown)
        assert str(len(demo.records)) == page.inner_text("#total-events")
        assert str(len(demo.records)) == page.inner_text("#shown")
        assert [r.name for r in demo.records] == _kinds(page)

    def test_filter_by_kind(self, tab: Tab, demo: Demo) -> None:
        """
        Choosing a kind shows its events only; clearing the filters shows all again.
        """
        page = tab.open(demo.index)
        artifacts = sum(r.name == "artifact" for r in demo.records)
        page.select_option("#f-kind", label=f"artifact ({artifacts})")
        assert (str(artifacts), ["artifact"] * artifacts) == (page.inner_text("#shown"), _kinds(page))
        page.click("#f-clear")
        assert str(len(demo.records)) == page.inner_text("#shown")

    def test_filter_by_kind_from_summary(self, tab: Tab, demo: Demo) -> None:
        """
        A kind in the summary is a filter too.
        """
        page = tab.open(demo.index)
        page.click('#by-kind button:has-text("compilation_metrics")')
        expected = sum(r.name == "compilation_metrics" for r in demo.records)
        assert ["compilation_metrics"] * expected == _kinds(page)

    def test_filter_by_text(self, tab: Tab, demo: Demo) -> None:
        """
        Text narrows the rows to those that hold it.
        """
        page = tab.open(demo.index)
        page.fill("#f-text", "FX_GRAPH_cache_miss")
        expected = [
            r.name
            for r in demo.records
            if isinstance(r.metadata, dict) and r.metadata.get("name") == "fx_graph_cache_miss"
        ]
        expect(page.locator("#shown")).to_have_text(str(len(expected)))
        assert expected == _kinds(page)

    def test_filter_by_context(self, tab: Tab, demo: Demo) -> None:
        """
        A context shows its events; a compile shows those of all its attempts.
        """
        page = tab.open(demo.index)
        page.select_option("#f-ctx", label="[0/1_1] (10)")
        assert "10" == page.inner_text("#shown")
        page.select_option("#f-ctx", label="[0/1] (every attempt)")
        expected = sum(r.envelope.get("frame_compile_id") == 1 for r in demo.records)
        assert str(expected) == page.inner_text("#shown")

    def test_open_event_shows_payload(self, tab: Tab, demo: Demo) -> None:
        """
        Clicking an event shows its payload, highlighted, and only that event.
        """
        page = tab.open(demo.index)
        event = demo.first("inductor_output_code")
        tab.row(event)
        frame = page.frame_locator("#detail-frame")
        assert demo.records[event].payload == frame.locator(f"#e{event} pre.payload").text_content()
        assert 1 == frame.locator("section.event:visible").count()
        assert 0 < frame.locator(f"#e{event} pre.payload span.hk").count()
        assert f"#e{event}" == page.evaluate("location.hash")

    def test_related_events(self, tab: Tab, demo: Demo) -> None:
        """
        An artifact links to its compile's compilation_metrics, which opens from the link.
        """
        page = tab.open(demo.index)
        artifact = demo.first("artifact")
        tab.row(artifact)
        metrics = next(
            i
            for i, r in enumerate(demo.records)
            if r.name == "compilation_metrics" and r.envelope.get("frame_compile_id") == 0
        )
        page.click(f'#detail-head a:has-text("compilation_metrics #{metrics}")')
        expect(page.frame_locator("#detail-frame").locator(f"#e{metrics}")).to_be_visible()
        page.click('#detail-head a:has-text("All events of compile [0/0]")')
        expected = sum(r.envelope.get("frame_compile_id") == 0 for r in demo.records)
        assert str(expected) == page.inner_text("#shown")

    def test_timeline(self, tab: Tab, demo: Demo) -> None:
        """
        One mark per event; a mark opens its event.
        """
        page = tab.open(demo.index)
        assert len(demo.records) == page.locator("#timeline .mark").count()
        event = demo.first("dynamo_guards")
        page.click(f'#timeline .mark[data-i="{event}"]', force=True)
        expect(page.frame_locator("#detail-frame").locator(f"#e{event}")).to_be_visible()

    def test_no_console_errors(self, tab: Tab, demo: Demo) -> None:
        """
        Loading the report and opening every event reports no error (no policy violation either).
        """
        tab.open(demo.index)
        for event in range(len(demo.records)):
            tab.row(event)
        assert [] == tab.errors

    def test_screenshot(self, browser: Browser, demo: Demo, tmp_path: Path) -> None:
        """
        A screenshot of the report, kept as the test's artifact.
        """
        screenshot(browser, demo.index, demo.first("inductor_output_code"), tmp_path / "report.png")
        assert b"\x89PNG\r\n\x1a\n" == (tmp_path / "report.png").read_bytes()[:8]


class TestHostileTrace:
    """
    A trace full of script injections runs no script, however it is clicked.
    """

    INJECTIONS = (
        "<script>window.__pwned=1</script>",
        '<img src=x onerror="window.__pwned=1">',
        "</script><script>window.__pwned=1</script>",
        '"><svg onload="window.__pwned=1">',
    )

    @pytest.fixture
    def hostile(self, tmp_path: Path) -> Path:
        """
        The report of a trace with injections in payloads, metadata, names and a link's URL.
        """
        logs = LogSystem("hostile")
        logs.set_trace_dir(tmp_path / "trace")
        logs.trace_structured("link", lambda: {"name": self.INJECTIONS[1], "url": "javascript:window.__pwned=1"})
        with logs.trace_context(frame_id=0, frame_compile_id=0):
            for text in self.INJECTIONS:
                logs.trace_structured("mylib_note", const({"note": text, text: text}), payload_fn=const(text))
                logs.trace_artifact("evil", const(text))
            logs.trace_structured(
                "compilation_metrics",
                lambda: {"co_name": self.INJECTIONS[2], "fail_type": "x", "fail_reason": self.INJECTIONS[0]},
            )
        logs.reset()
        return write_report([tmp_path / "trace"], tmp_path / "report")

    def test_nothing_runs(self, tab: Tab, hostile: Path) -> None:
        """
        ``window.__pwned`` stays undefined in the page and in the detail frame, after
        loading, after opening every event and after following every link of the summary.
        """
        page = tab.open(hostile)
        assert "undefined" == page.evaluate(PWNED)
        events = int(page.inner_text("#shown"))
        for event in range(events):
            tab.row(event)
            assert ["undefined"] * len(page.frames) == [frame.evaluate(PWNED) for frame in page.frames]
        for link in page.locator("#summary button, #timeline .lane-label").all():
            link.click()
        assert ("undefined", []) == (page.evaluate(PWNED), tab.errors)

    def test_shown_as_text(self, tab: Tab, hostile: Path) -> None:
        """
        The injections show as the text they are.
        """
        page = tab.open(hostile)
        assert "(not followed: javascript:window.__pwned=1)" in page.inner_text("#links")
        (trace,) = (hostile.parent.parent / "trace").iterdir()
        events = (r for r in read_trace(trace) if r.name != "str")
        event = next(i for i, r in enumerate(events) if r.name == "mylib_note")
        tab.row(event)
        payload = page.frame_locator("#detail-frame").locator(f"#e{event} pre.payload")
        assert self.INJECTIONS[0] == payload.text_content()


def _box(page: Page, selector: str) -> dict[str, float]:
    box: dict[str, float] = page.eval_on_selector(
        selector, "e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, right: r.right}; }"
    )
    return box


class TestLayout:
    """
    The table and the detail pane, measured in the browser.
    """

    def test_kind_labels_whole(self, tab: Tab, demo: Demo) -> None:
        """
        Every kind label in the table fits its cell (``compiled_autograd_graph`` was cut short).
        """
        page = tab.open(demo.index)
        assert "compiled_autograd_graph" in _kinds(page)
        cut = page.eval_on_selector_all(
            "#rows td .kind",
            "spans => spans.filter(s => s.getBoundingClientRect().right > s.parentElement.getBoundingClientRect().right"
            " - 1 || s.scrollWidth > s.clientWidth).map(s => s.textContent)",
        )
        assert [] == cut

    @pytest.mark.parametrize("width", [1400, 1900])
    def test_no_blank_under_detail(self, browser: Browser, demo: Demo, width: int) -> None:
        """
        The detail pane ends where the table ends, before and after an event is open, and
        its frame fills the pane: no large empty area under either.
        """
        tab = new_tab(browser)
        tab.page.set_viewport_size({"width": width, "height": 1000})
        page = tab.open(demo.index)
        before = (_box(page, "#table-wrap"), _box(page, "#detail"))
        tab.row(demo.first("inductor_output_code"))
        wrap, detail, frame = _box(page, "#table-wrap"), _box(page, "#detail"), _box(page, "#detail-frame")
        tab.page.close()
        assert abs(before[0]["bottom"] - before[1]["bottom"]) <= 2
        assert abs(wrap["bottom"] - detail["bottom"]) <= 2
        assert 0 <= detail["bottom"] - frame["bottom"] <= 20


@pytest.fixture(scope="module")
def divergent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """
    The report of the real four-rank trace where rank 3 recompiles.
    """
    from tests.test_report_divergence import divergent_trace  # (torch's tests run it; others skip first)

    trace = divergent_trace(tmp_path_factory.mktemp("ranks"))
    return write_report([trace], tmp_path_factory.mktemp("report") / "report")


@pytest.mark.torch
class TestDivergence:
    """
    The divergence view of four ranks where rank 3 recompiles, as a user sees and uses it.
    """

    def test_view_shows_and_filters(self, tab: Tab, divergent: Path) -> None:
        """
        The navigation leads to the view; it names the compile id only rank 3 has, the
        groups of ranks of the cache and collectives; clicking the compile id shows its
        events (rank 3's only), and clicking a rank beside it shows that rank's.
        """
        page = tab.open(divergent)
        page.click('nav a[href="#divergence"]')
        expect(page.locator("#divergence")).to_be_in_viewport()
        findings = page.eval_on_selector_all("#divergence li[data-finding]", "l => l.map(x => x.dataset.finding)")
        assert {"compile-ids", "cache", "collectives"} <= set(findings)
        row = page.locator("#div-ids tbody tr").first
        assert ["[0/1]", "3", "0, 1, 2"] == [c.strip() for c in row.locator("td").all_inner_texts()]
        row.locator("td").first.locator("button").click()
        expect(page.locator("#events")).to_be_in_viewport()
        shown = int(page.inner_text("#shown"))
        ranks = page.eval_on_selector_all("#rows tr:not(.pad)", "rows => rows.map(r => r.cells[3].textContent)")
        contexts = page.eval_on_selector_all("#rows tr:not(.pad)", "rows => rows.map(r => r.cells[4].textContent)")
        assert (True, {"3"}, {"[0/1]"}) == (shown > 0, set(ranks), set(contexts))
        assert ["0, 1, 2", "3"] == sorted(page.locator("#div-cache tbody tr td:first-child").all_inner_texts())
        page.locator("#div-slowest tbody tr").first.locator("td").nth(1).locator("button").click()
        ranks = page.eval_on_selector_all("#rows tr:not(.pad)", "rows => rows.map(r => r.cells[3].textContent)")
        slow = page.locator("#div-slowest tbody tr").first.locator("td").nth(1).inner_text()
        assert {slow} == set(ranks)
        assert [] == tab.errors


def main(argv: list[str]) -> None:
    """
    Write a screenshot of the demo's report to ``argv[0]`` (the README's picture).
    """
    (out,) = argv
    with tempfile.TemporaryDirectory() as work:
        trace = demo_trace(Path(work) / "trace")
        index = write_report([trace], Path(work) / "report")
        event = next(i for i, r in enumerate(read_trace(trace)) if r.name == "inductor_output_code")
        for browser in launch():
            screenshot(browser, index, event, Path(out), scale=0.8)  # a smaller picture: under 300 KB
    print(f"{out}: {Path(out).stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
