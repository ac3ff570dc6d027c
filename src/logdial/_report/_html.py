"""The report's main page, in pieces written one after another; every trace string is escaped."""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final
from urllib.parse import unquote

from ._assets import CSS, JS, colour_css, csp
from ._model import Event, Source, Summary, rank_order

__all__ = [
    "GENERATOR",
    "data_end",
    "data_start",
    "e",
    "events_start",
    "kind_badge",
    "link_html",
    "page_end",
    "page_start",
    "row_json",
    "safe_url",
    "script_json",
    "size",
    "summary_html",
    "table_html",
    "ticks",
    "timeline_html",
]

#: The report's own mark, which tells a previous report apart from other files.
GENERATOR: Final = "logdial report"
_LANE_HEIGHT: Final = 18
_AXIS_HEIGHT: Final = 22
# A URL that is safe to put in an href: http(s), or relative without a scheme.
_SCHEME: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_CONTROL: Final = re.compile(r"[\x00-\x20\x7f]")


def e(value: object) -> str:
    """
    ``value`` as text for HTML content or a quoted attribute: ``& < > " '`` escaped.
    """
    return html.escape(str(value), quote=True)


def size(n: int) -> str:
    """
    A byte count for people.

    >>> size(512), size(1536), size(3 << 20), size(5 << 30)
    ('512 B', '1.5 KiB', '3.0 MiB', '5.0 GiB')
    """
    if n < 1024:
        return f"{n} B"
    value = n / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def duration(seconds: float) -> str:
    """
    Seconds for people: microseconds for short spans.
    """
    return f"{seconds:.6f} s" if seconds < 10 else f"{seconds:,.3f} s"


def ticks(span: float) -> list[tuple[float, str]]:
    """
    The timeline's ticks over ``span`` seconds: (offset, label) at every multiple of a
    round step (1, 2 or 5 times a power of ten) that gives four to ten intervals, in µs,
    ms or s as the span suits.

    >>> ticks(0.002644)
    [(0.0, '+0'), (0.0005, '+0.5 ms'), (0.001, '+1 ms'), (0.0015, '+1.5 ms'), (0.002, '+2 ms'), (0.0025, '+2.5 ms')]
    >>> [label for _, label in ticks(61)]
    ['+0', '+10 s', '+20 s', '+30 s', '+40 s', '+50 s', '+60 s']
    """
    if not span > 0:
        return [(0.0, "+0")]
    power = math.floor(math.log10(span / 4))
    step = max((m * 10.0**power for m in (1, 2, 5) if m * 10.0**power <= span / 4), default=10.0 ** (power - 1))
    unit, scale = ("µs", 1e6) if span < 1e-3 else ("ms", 1e3) if span < 1 else ("s", 1.0)
    decimals = max(0, -math.floor(math.log10(step * scale) + 1e-9))
    found = []
    for n in range(int(span / step + 1e-9) + 1):
        value = f"{n * step * scale:,.{decimals}f}"
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        found.append((round(n * step, 12), f"+{value} {unit}" if n else "+0"))
    return found


def kind_badge(event: Event) -> str:
    """
    An event's kind, in its colour.
    """
    return f'<span class="kind k{event.kind_number}">{e(event.kind) or "(none)"}</span>'


def safe_url(url: object) -> str | None:
    r"""
    ``url`` if a browser may follow it from the report (``http``, ``https``, or a
    relative path), else ``None``: a ``javascript:`` or ``data:`` URL is shown as text.

    >>> safe_url("../logdial_report/index.html"), safe_url("https://x.invalid/"), safe_url(" javascript:alert(1)")
    ('../logdial_report/index.html', 'https://x.invalid/', None)
    >>> safe_url("//x.invalid/"), safe_url("/\\/x.invalid/"), safe_url("\\\\x.invalid/")
    (None, None, None)
    """
    if not isinstance(url, str) or not url or _CONTROL.search(url):
        return None
    if url.replace("\\", "/").startswith("//"):  # another host (browsers read a backslash as a slash)
        return None
    scheme = _SCHEME.match(url)
    if scheme is None:
        return None if ":" in url.split("/", 1)[0] else url
    return url if scheme[1].lower() in ("http", "https") else None


def local_target(url: str, root: Path) -> Path | None:
    """
    The file a relative (or absolute) ``url`` names from the directory ``root``, or
    ``None`` for a URL with a scheme or a host.

    >>> local_target("../a%20b/index.html?x#y", Path("/r/out"))
    PosixPath('/r/out/../a b/index.html')
    """
    if _SCHEME.match(url) or url.replace("\\", "/").startswith("//"):
        return None
    path = unquote(url.split("#", 1)[0].split("?", 1)[0])
    return root / path if path else root / "index.html"


def link_html(event: Event, root: Path, up: str = "") -> str:
    """
    A ``link`` record as a hyperlink (opened in a new tab), or as text when its URL is
    not safe, or is local and names no file: a relative URL is read from the report's
    directory ``root``, and written for a page ``up`` (``"../"``) below it.
    """
    meta = event.record.metadata
    name = meta.get("name", "") if isinstance(meta, dict) else ""
    url = meta.get("url", "") if isinstance(meta, dict) else ""
    href = safe_url(url)
    if href is None:
        return f'{e(name)} <span class="note">(not followed: {e(url)})</span>'
    target = local_target(href, root)
    if target is not None:
        if not target.exists():
            return f'{e(name)} <span class="note">(not found from this report: {e(url)})</span>'
        if not href.startswith("/"):
            href = up + href
    anchor = f'<a href="{e(href)}" target="_blank" rel="noopener noreferrer">{e(name)}</a>'
    return f'{anchor} <span class="note">{e(url)}</span>'


def page_start(sources: Sequence[Source], kinds: int, divergence: bool = False) -> str:
    """
    From the doctype to the start of ``<main>``: the policy, the stylesheet (with the
    colours of ``kinds`` kinds), the header; the navigation names the divergence section
    when there is one.
    """
    css = CSS + colour_css(range(kinds))
    extra = '<a href="#divergence">Divergence</a>' if divergence else ""
    names = ", ".join(s.path.name for s in sources)
    files = "<br>".join(e(s.path) for s in sources)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{e(csp(JS, css, frames=True))}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f'<meta name="generator" content="{GENERATOR}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>logdial report: {e(names)}</title>\n"
        '<link rel="icon" href="data:,">\n'
        f"<style>{css}</style>\n</head>\n<body>\n"
        f'<header><h1>logdial trace report</h1><p class="files">{files}</p></header>\n'
        '<nav><a href="#summary">Summary</a>'
        f'{extra}<a href="#timeline">Timeline</a><a href="#events">Events</a></nav>\n'
        "<main>\n"
    )


def _card(value: str, label: str, ident: str, title: str = "") -> str:
    tip = f' title="{title}"' if title else ""
    return f'<div class="card"><span class="v" id="{ident}"{tip}>{value}</span><span class="l">{label}</span></div>'


def _kind_button(kind: str, number: int, extra: str = "") -> str:
    # Filters name kinds, contexts and ranks by number, so no trace string is a filter value.
    label = e(kind) if kind else "(none)"
    colour = f'<span class="sw k{number}"></span>'
    return f'<button type="button" class="f" data-filter-kind="k:{number}">{colour}{label}{extra}</button>'


def table_html(title: str, ident: str, heads: Sequence[str], body: str, *, numeric: bool = True) -> str:
    """
    A titled table: ``heads`` and the rows ``body`` (markup); a ``numeric`` one
    right-aligns every column but the first, as its cells do.
    """
    # Numeric tables right-align every column but the first, as their cells do.
    head = "".join(f'<th class="n">{h}</th>' if i and numeric else f"<th>{h}</th>" for i, h in enumerate(heads))
    return f'<div><h3>{title}</h3><table id="{ident}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _field(event: Event, key: str) -> str:
    meta = event.record.metadata
    return str(meta.get(key, "")) if isinstance(meta, dict) else ""


def summary_html(summary: Summary, sources: Sequence[Source], root: Path) -> str:
    """
    The summary section: totals, and tables of events by kind, context, rank and file,
    the compiles that failed, and the trace's links.
    """
    numbers = {k: i for i, k in enumerate(summary.kind_names())}
    span = summary.last_seconds - summary.first_seconds
    big = f", largest #{summary.largest[1]}: {size(summary.largest[0])}" if summary.largest[1] >= 0 else ""
    cards = [
        _card(f"{summary.events:,}", "events", "total-events"),
        _card(f"{len(summary.kinds):,}", "kinds", "total-kinds"),
        _card(f"{len(summary.contexts):,}", "contexts", "total-contexts"),
        _card(f"{len(summary.ranks):,}", "ranks", "total-ranks"),
        _card(duration(span), f"from {e(summary.first)} to {e(summary.last)}", "time-span"),
        _card(
            size(summary.payload_bytes),
            f"of payload in {summary.payload_events:,} events{big}",
            "payload-volume",
            f"{summary.payload_bytes:,} bytes",
        ),
    ]
    by_kind = "".join(
        f'<tr data-key="{e(kind)}"><td>{_kind_button(kind, numbers[kind])}</td><td class="n">{n:,}</td>'
        f'<td class="n">{with_payload:,}</td><td class="n" title="{volume:,} bytes">{size(volume)}</td></tr>'
        for kind, (n, with_payload, volume) in sorted(summary.kinds.items(), key=lambda kv: (-kv[1][0], kv[0]))
    )
    by_context = "".join(
        f'<tr data-key="{e(ctx)}"><td><button type="button" class="f" '
        f'data-filter-ctx="c:{summary.context_numbers[ctx]}">{e(ctx)}</button>'
        f'</td><td class="n">{n:,}</td></tr>'
        for ctx, n in sorted(summary.contexts.items(), key=lambda kv: summary.context_order[kv[0]])
    )
    by_rank = "".join(
        f'<tr data-key="{e(rank)}"><td><button type="button" class="f" '
        f'data-filter-rank="r:{summary.rank_numbers[rank]}">{e(rank)}</button>'
        f'</td><td class="n">{n:,}</td></tr>'
        for rank, n in sorted(summary.ranks.items(), key=lambda kv: rank_order(kv[0]))
    )
    files = "".join(
        f'<tr><td title="{e(s.path)}">{e(s.path.name)}</td><td class="n">{"-" if s.rank is None else s.rank}</td>'
        f'<td class="n">{summary.sources.get(s.index, 0):,}</td></tr>'
        for s in sources
    )
    parts = [
        '<section id="summary"><h2>Summary</h2>\n<div class="cards">',
        *cards,
        '</div>\n<div class="tables">',
        table_html("Events by kind", "by-kind", ("kind", "events", "with payload", "payload"), by_kind),
        table_html("Events by context", "by-context", ("context", "events"), by_context),
        table_html("Events by rank", "by-rank", ("rank", "events"), by_rank),
        table_html("Files", "files", ("file", "rank", "records"), files),
    ]
    if summary.failure_count:
        rows = "".join(
            f'<tr><td><a href="#e{ev.index}">#{ev.index}</a></td><td>{e(ev.ids.display)}</td>'
            f"<td>{e(_field(ev, 'fail_type'))}</td><td>{e(_field(ev, 'fail_reason'))}</td></tr>"
            for ev in summary.failures
        )
        title = f"Failed compiles ({summary.failure_count:,})"
        parts.append(table_html(title, "failures", ("event", "context", "type", "reason"), rows, numeric=False))
    if summary.link_count:
        rows = "".join(f"<tr><td>{link_html(ev, root)}</td><td>{e(ev.ids.display)}</td></tr>" for ev in summary.links)
        parts.append(table_html(f"Links ({summary.link_count:,})", "links", ("link", "context"), rows, numeric=False))
    parts.append("</div></section>\n")
    return "\n".join(parts)


def timeline_html(summary: Summary) -> Iterator[str]:
    """
    The timeline: one row per rank and context, one mark per event at its time.
    """
    lanes = sorted(summary.lanes.values(), key=lambda lane: (rank_order(lane.rank), lane.ids.order))
    row_of = {lane.number: i for i, lane in enumerate(lanes)}
    height = _AXIS_HEIGHT + _LANE_HEIGHT * len(lanes) + 4
    t0 = summary.first_seconds
    span = summary.last_seconds - t0
    legend = "".join(
        _kind_button(kind, i, f' <span class="cnt">{summary.kinds[kind][0]:,}</span>')
        for i, kind in enumerate(summary.kind_names())
    )
    yield f'<section id="timeline"><h2>Timeline</h2>\n<div class="legend">{legend}</div>\n<div class="timeline">'
    yield '<div class="lanes"><div class="axis"></div>'
    for lane in lanes:
        label = f"rank {lane.rank} {lane.ids.display}" if len(summary.ranks) > 1 else lane.ids.display
        yield (
            f'<div class="lane-label" data-rank="{summary.rank_numbers[lane.rank]}" '
            f'data-ctx="{summary.context_numbers[lane.ids.display]}" '
            f'title="{e(label)}: {lane.events:,} events">{e(label)} <span class="cnt">{lane.events:,}</span></div>'
        )
    yield (
        f'</div><svg class="marks" xmlns="http://www.w3.org/2000/svg" width="100%" height="{height}" role="img" '
        f'aria-label="{summary.events:,} events over {duration(span)}">'
    )
    for i in range(len(lanes)):
        y = _AXIS_HEIGHT + i * _LANE_HEIGHT
        yield f'<rect class="lane{" alt" if i % 2 else ""}" x="0" y="{y}" width="100%" height="{_LANE_HEIGHT}"/>'
    for offset, label in ticks(span):
        at = 1 + 97 * offset / span if span > 0 else 1.0
        anchor = "start" if at < 5 else "end" if at > 92 else "middle"
        yield (
            f'<line class="grid" x1="{at:.3f}%" x2="{at:.3f}%" y1="16" y2="{height}"/>'
            f'<text class="tick" x="{at:.3f}%" y="12" text-anchor="{anchor}">{label}</text>'
        )
    # One mark per event, 1% to 98% of the width by time; the size comes from the stylesheet.
    scale = 97 / span if span > 0 else 0.0
    chunk = []
    marks = zip(summary.times, summary.lane_of, summary.kind_of, strict=True)
    for index, (seconds, lane_number, kind) in enumerate(marks):
        x = 1 + (seconds - t0) * scale if span > 0 else 50.0
        y = _AXIS_HEIGHT + row_of[lane_number] * _LANE_HEIGHT + 3
        chunk.append(f'<rect class="mark k{kind}" data-i="{index}" x="{x:.4f}%" y="{y}"/>')
        if len(chunk) >= 1000:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)
    yield '</svg></div></section>\n<div id="tip" hidden></div>\n'


def events_start(summary: Summary) -> str:
    """
    The event section up to the table's body: the filters and the table's head. The
    script renders the rows (only those in view) from the data blocks.
    """
    numbers = {k: i for i, k in enumerate(summary.kind_names())}
    kinds = "".join(
        f'<option value="k:{numbers[k]}">{e(k) if k else "(none)"} ({summary.kinds[k][0]:,})</option>'
        for k in sorted(summary.kinds)
    )
    contexts = "".join(
        f'<option value="c:{summary.context_numbers[c]}">{e(c)} ({n:,})</option>'
        for c, n in sorted(summary.contexts.items(), key=lambda kv: summary.context_order[kv[0]])
    )
    compiles = "".join(
        f'<option value="p:{n}">{e(c)} (every attempt)</option>' for c, n in sorted(summary.compile_numbers.items())
    )
    ranks = "".join(
        f'<option value="r:{summary.rank_numbers[r]}">{e(r)} ({n:,})</option>'
        for r, n in sorted(summary.ranks.items(), key=lambda kv: rank_order(kv[0]))
    )
    columns = "".join(f'<col class="c-{c}">' for c in ("i", "t", "s", "r", "x", "k", "w", "p"))
    return (
        '<section id="events"><h2>Events</h2>\n<div class="filters">'
        f'<label>kind <select id="f-kind"><option value="">all</option>{kinds}</select></label>'
        '<label>context <select id="f-ctx"><option value="">all</option>'
        f'<optgroup label="contexts">{contexts}</optgroup>'
        f'<optgroup label="compiles">{compiles}</optgroup></select></label>'
        f'<label>rank <select id="f-rank"><option value="">all</option>{ranks}</select></label>'
        '<input id="f-text" type="search" placeholder="text in the table (kind, context, what)" aria-label="text">'
        '<button type="button" id="f-clear">clear</button>'
        f'<span class="count"><span id="shown">{summary.events}</span> of {summary.events:,} events shown</span>'
        "</div>\n"
        '<div class="split"><div class="table-wrap" id="table-wrap"><table id="event-table">'
        f"<colgroup>{columns}</colgroup><thead><tr>"
        '<th class="n">#</th><th>time</th><th class="n">+s</th><th>rank</th><th>context</th><th>kind</th><th>what</th>'
        '<th class="n">payload</th></tr></thead><tbody id="rows"></tbody></table>'
        '<noscript><p class="hint">The table needs JavaScript.</p></noscript></div>'
    )


def script_json(value: object) -> str:
    """
    ``value`` as JSON for a ``<script type="application/json">`` block: ``<``, ``>``
    and ``&`` are written as ``\\u003c`` etc., so that no string can end the block.

    >>> script_json(["</script>", "a&b"])
    '["\\\\u003c/script\\\\u003e","a\\\\u0026b"]'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def row_json(event: Event, what: str, page: int, summary: Summary) -> str:
    """
    The table row of one event, as the JSON array the script renders: time, seconds
    since the first event, rank, context, kind (by number), what, payload bytes (-1:
    none), and the number of the detail page that holds the event.
    """
    return script_json(
        [
            event.record.time[5:],
            f"{event.seconds - summary.first_seconds:.6f}",
            summary.rank_numbers[event.rank],
            summary.context_numbers[event.ids.display],
            event.kind_number,
            what,
            -1 if event.record.payload is None else event.payload_bytes,
            page,
        ]
    )


def data_start(summary: Summary) -> str:
    """
    The end of the event section, the detail pane, and the data blocks up to the first
    row: the names of kinds, ranks, compiles and contexts (display, compile, previous
    compile, by number; -1: none).
    """
    contexts = [
        [ids.display, summary.compile_numbers.get(ids.compile, -1), summary.compile_numbers.get(ids.previous, -1)]
        for ids in summary.context_ids
    ]
    meta = {
        "kinds": summary.kind_names(),
        "ranks": list(summary.rank_numbers),
        "compiles": list(summary.compile_numbers),
        "contexts": contexts,
    }
    return (
        '<aside id="detail"><div id="detail-head"><p class="hint">Select an event (a row of the table or a mark of '
        "the timeline) to see its metadata and payload.</p></div>"
        '<iframe id="detail-frame" name="detail" title="the selected event" hidden></iframe></aside></div></section>\n'
        f'</main>\n<script type="application/json" id="ev-meta">{script_json(meta)}</script>\n'
        '<script type="application/json" id="ev-rows">[\n'
    )


def data_end() -> str:
    """
    The end of the rows' data block.
    """
    return "]</script>\n"


def page_end() -> str:
    """
    The script and the end of the page.
    """
    return f"<script>{JS}</script>\n</body>\n</html>\n"
