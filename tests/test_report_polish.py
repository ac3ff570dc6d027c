"""
The report's finish, as a new user found it wanting: counts that match tlparse's, a
colour for every kind, round timeline ticks, and no link that leads nowhere.
"""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from tests.subprocesses import demo_trace, tlparse
from tests.test_report import _line

from logdial._report import write_report
from logdial._report._assets import DISTINCT_COLOURS, kind_colour
from logdial._report._html import ticks


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """
    The demo's trace and the path of its report.
    """
    trace = demo_trace(tmp_path_factory.mktemp("trace"))
    return trace, write_report([trace], tmp_path_factory.mktemp("report") / "report")


class TestCounts:
    """
    The string table (``str`` records) is not events: the counts are tlparse's.
    """

    def test_total_is_tlparse_count(self, demo: tuple[Path, Path], tmp_path: Path) -> None:
        """
        The events card shows the number tlparse counts on the same trace (its Stats).
        """
        trace, index = demo
        stats = tlparse(trace, tmp_path / "tl").stats
        total = re.search(r'id="total-events">([\d,]+)<', index.read_text())
        assert total is not None
        assert sum(stats.values()) == int(total[1].replace(",", ""))
        assert '<tr data-key="str">' not in index.read_text()


class TestColours:
    """
    Distinct kinds have distinct colours.
    """

    def test_distinct(self) -> None:
        """
        The first DISTINCT_COLOURS kinds each have their own colour, the same every time.
        """
        colours = [kind_colour(n) for n in range(DISTINCT_COLOURS)]
        assert (DISTINCT_COLOURS, colours) == (len(set(colours)), [kind_colour(n) for n in range(DISTINCT_COLOURS)])

    def test_report_of_many_kinds(self, tmp_path: Path) -> None:
        """
        A report of 40 kinds colours each one differently, on the main page and the details.
        """
        lines = [_line(f"0101 00:00:00.{n:06d}", {f"mylib_kind_{n}": {}}) for n in range(40)]
        (tmp_path / "t.log").write_text("".join(lines))
        index = write_report([tmp_path / "t.log"], tmp_path / "out")
        for page in (index, tmp_path / "out" / "events" / "p0.html"):
            rules = dict(re.findall(r"\.kind\.k(\d+)\{background:(#[0-9a-f]{6})\}", page.read_text()))
            assert (40, 40) == (len(rules), len(set(rules.values())))


def _value(label: str) -> float:
    # A tick's label as seconds.
    match = re.fullmatch(r"\+([\d,.]+)(?: (µs|ms|s))?", label)
    assert match is not None, label
    scale = {"µs": 1e-6, "ms": 1e-3, "s": 1.0, None: 1.0}[match[2]]
    return float(match[1].replace(",", "")) * scale


class TestTicks:
    """
    The timeline's ticks are at multiples of a round step.
    """

    @pytest.mark.parametrize("span", [0.0015014, 0.002644, 0.000003, 0.37, 1.7, 61.0, 3601.5, 86400 * 3.3])
    def test_round_steps(self, span: float) -> None:
        """
        Four to ten steps of 1, 2 or 5 times a power of ten, from +0 to at most the span.
        """
        found = ticks(span)
        values = [_value(label) for _, label in found]
        step = values[1]
        mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
        assert (True, True, True) == (
            round(mantissa, 6) in (1, 2, 5),
            4 <= len(values) - 1 <= 10,
            all(math.isclose(v, i * step, rel_tol=1e-9, abs_tol=1e-12) for i, v in enumerate(values)),
        )
        assert values[-1] <= span * (1 + 1e-9)

    def test_demo_labels(self, demo: tuple[Path, Path]) -> None:
        """
        The demo's timeline labels its ticks with round numbers (no ``+0.001501 s``).
        """
        labels = re.findall(r'<text class="tick"[^>]*>([^<]*)</text>', demo[1].read_text())
        assert 5 <= len(labels)
        assert all(re.fullmatch(r"\+(0|[1-9]\d*|\d+\.[125]|\d+\.\d5) (µs|ms|s)|\+0", label) for label in labels), labels


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag in ("a", "link") and values.get("href"):
            self.hrefs.append(str(values["href"]))


def _parse(page: Path) -> _Hrefs:
    parser = _Hrefs()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


class TestLinks:
    """
    Every local link of a report leads to a file and anchor that are there.
    """

    def test_no_dangling_links(self, demo: tuple[Path, Path]) -> None:
        """
        Across the main page and the detail pages: a relative href names an existing
        file, and its fragment an element of that page (``#e<N>`` on the main page is an
        event, which its script opens); the demo's link to a report beside tlparse's is text.
        """
        index = demo[1]
        root = index.parent
        events = len(re.findall(r'<rect class="mark', index.read_text()))
        pages = [index, *sorted((root / "events").glob("p*.html"))]
        parsed = {page: _parse(page) for page in pages}
        bad = []
        for page, found in parsed.items():
            for href in found.hrefs:
                if re.match(r"^[a-z]+:", href):  # (http(s) and the data: favicon)
                    continue
                path, _, fragment = href.partition("#")
                target = (page.parent / unquote(path)).resolve() if path else page
                if not target.is_file():
                    bad.append((page.name, href))
                elif fragment and target in parsed:
                    known = parsed[target].ids
                    routed = target == index and re.fullmatch(r"e(\d+)", fragment) and int(fragment[1:]) < events
                    if fragment not in known and not routed:
                        bad.append((page.name, href))
        assert [] == bad
        assert "(not found from this report: ../logdial_report/index.html)" in index.read_text()
