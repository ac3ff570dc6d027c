"""The report's detail pages: each event's fields, metadata, stack and highlighted payload."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .._context import CONTEXT_KEYS, LABEL_KEY
from ._assets import DETAIL_CSS, colour_css, csp
from ._highlight import guess_language, highlight
from ._html import GENERATOR, e, kind_badge, link_html, size
from ._model import TOO_DEEP, Event

__all__ = [
    "INLINE_CHARS",
    "INLINE_LINES",
    "PAGE_BYTES",
    "PAGE_EVENTS",
    "PayloadView",
    "detail_end",
    "detail_html",
    "detail_start",
]

#: A payload (or metadata) longer than this is cut short on its detail page; the whole
#: payload goes to a side file.
INLINE_CHARS: Final = 100_000
INLINE_LINES: Final = 2_000
#: A detail page holds this many events, or about this much HTML, whichever comes first,
#: so that opening an event loads a page of bounded size.
PAGE_EVENTS: Final = 250
PAGE_BYTES: Final = 2 << 20
_STACK_FRAMES: Final = 200
# Envelope keys that are not the event's own: the metadata block leaves them out.
_NOT_EVENT: Final = frozenset({*CONTEXT_KEYS, LABEL_KEY, "rank", "has_payload", "stack"})


@dataclass(frozen=True, slots=True)
class PayloadView:
    """
    How an event's payload shows on its detail page: the text shown, and where the rest is.

    Attributes:
        shown: the text on the page (all of it, or its start).
        lines: the number of lines of the whole payload.
        side_file: the URL (relative to the report's directory) of the file with the
            whole payload, when ``shown`` is cut short.
    """

    shown: str
    lines: int
    side_file: str | None

    @staticmethod
    def cut(text: str) -> tuple[str, bool]:
        """
        The start of ``text`` that a page shows, and whether it is cut short.

        >>> PayloadView.cut("a\\nb")
        ('a\\nb', False)
        """
        shown = text[:INLINE_CHARS]
        newline = -1
        for _ in range(INLINE_LINES):
            newline = shown.find("\n", newline + 1)
            if newline < 0:
                break
        if newline >= 0:
            shown = shown[:newline]
        return shown, len(shown) < len(text)


def detail_start(page: int, kinds: Iterable[int]) -> str:
    """
    The head of detail page ``page``, with the colours of the ``kinds`` (numbers) on it:
    no script may run in it at all.
    """
    css = DETAIL_CSS + colour_css(sorted(kinds))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{e(csp(None, css, frames=False))}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f'<meta name="generator" content="{GENERATOR}">\n'
        f"<title>logdial report: events, page {page}</title>\n"
        '<link rel="icon" href="data:,">\n'
        f"<style>{css}</style>\n</head>\n<body>\n"
        '<p class="hint">The events of this page show one at a time, from the report\'s '
        '<a href="../index.html" target="_top">main page</a>.</p>\n'
    )


def detail_end() -> str:
    """
    The end of a detail page.
    """
    return "</body>\n</html>\n"


def _pretty(value: object) -> str:
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except RecursionError:  # nested deeper than Python's encoder goes (the decoder went)
        return TOO_DEEP


def _stack(event: Event, strings: dict[int, str]) -> str:
    frames = event.record.envelope.get("stack")
    meta = event.record.metadata
    if frames is None and isinstance(meta, dict):
        frames = meta.get("stack")
    if not isinstance(frames, list) or not frames:
        return ""
    items = []
    for frame in frames[:_STACK_FRAMES]:
        if not isinstance(frame, dict):
            items.append(f"<li>{e(frame)}</li>")
            continue
        file = frame.get("filename")
        name = (
            strings.get(file, f"(string {file})") if isinstance(file, int) else frame.get("uninterned_filename", file)
        )
        items.append(f"<li>{e(name)}:{e(frame.get('line', '?'))} in {e(frame.get('name', '?'))}</li>")
    more = f'<p class="note">and {len(frames) - _STACK_FRAMES:,} more frames</p>' if len(frames) > _STACK_FRAMES else ""
    return f'<h3>Stack</h3><ol class="stack">{"".join(items)}</ol>{more}'


def detail_html(
    event: Event, what: str, strings: dict[int, str], payload: PayloadView | None, t0: float, *, root: Path
) -> str:
    """
    The detail of one event: a section that its detail page shows when it is the
    page's target (``p<N>.html#e<index>``); ``root`` is the report's directory.
    """
    record, ids = event.record, event.ids
    envelope = record.envelope
    events = {k: v for k, v in envelope.items() if k not in _NOT_EVENT}
    meta_value: object = events[record.name] if len(events) == 1 else events
    meta_text, meta_cut = PayloadView.cut(_pretty(meta_value))
    rank = f" · rank {e(event.rank)}" if event.rank != "-" else ""
    fields = [
        ("event", f"#{event.index}"),
        ("time", f"{e(record.time)} (+{event.seconds - t0:.6f} s)"),
        ("trace", f"{e(event.source.path.name)}:{record.lineno}"),
        ("written by", f"pid {record.pid} at {e(record.path)}:{record.line} (level {e(record.level)})"),
    ]
    if "has_payload" in envelope:
        fields.append(("payload MD5", e(envelope["has_payload"])))
    parts = [
        f'<section class="event" id="e{event.index}">',
        f'<h2>{kind_badge(event)}<span class="what">{e(what)}</span>'
        f'<span class="ctx">{e(ids.display)}{rank}</span></h2>',
        '<dl class="fields">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in fields) + "</dl>",
    ]
    if record.name == "link":
        parts.append(f'<p class="link">Link: {link_html(event, root, "../")}</p>')
    parts.append(f'<h3>Metadata</h3><pre class="code metadata">{highlight(meta_text, "json")}</pre>')
    if meta_cut:
        parts.append(f'<p class="trunc">The metadata is cut short; see line {record.lineno} of the trace file.</p>')
    parts.append(_stack(event, strings))
    if payload is not None:
        language = guess_language(record.name, record.metadata, payload.shown)
        about = f"{language} · {payload.lines:,} lines · {size(event.payload_bytes)}" if payload.shown else "(empty)"
        parts.append(
            f"<h3>Payload <small>{about}</small></h3>"
            f'<pre class="code payload lang-{language}">{highlight(payload.shown, language)}</pre>'
        )
        if payload.side_file is not None:
            parts.append(
                f'<p class="trunc">Showing the first {payload.shown.count(chr(10)) + 1:,} of {payload.lines:,} lines. '
                f'<a href="../{e(payload.side_file)}" target="_blank" rel="noopener">The whole payload</a> '
                f"({size(event.payload_bytes)}).</p>"
            )
    parts.append("</section>\n")
    return "".join(parts)
