"""The HTML report: trace files in, one self-contained page set out, streamed record by record."""

from __future__ import annotations

import heapq
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Final, TextIO

from .._errors import ReportError
from .._trace import FILE_PREFIX
from ._detail import PAGE_BYTES, PAGE_EVENTS, PayloadView, detail_end, detail_html, detail_start
from ._divergence import Divergence, divergence_html
from ._html import (
    GENERATOR,
    data_end,
    data_start,
    events_start,
    page_end,
    page_start,
    row_json,
    summary_html,
    timeline_html,
)
from ._model import Clock, Event, Source, Summary, describe
from ._tracefile import TraceRecord, read_trace

__all__ = ["ReportError", "find_traces", "write_report"]

#: What a report writes into its directory; a new report replaces exactly these.
REPORT_FILES: Final = ("index.html", "events", "payloads")
_RANK_FILE: Final = re.compile(re.escape(FILE_PREFIX) + r"rank_(\d+)_.*\.log")
_BUFFER: Final = 1 << 20


def find_traces(inputs: Iterable[str | os.PathLike[str]]) -> list[Source]:
    """
    The trace files that ``inputs`` name: a file as it is, a directory as every
    ``dedicated_log_torch_trace_*.log`` in it (by rank, then name). A file named
    ``..._rank_<N>_*.log`` gives its records rank N unless they carry a ``rank`` of their own.

    Raises:
        ReportError: an input that does not exist, a directory with no trace file, or no input.
    """
    sources: list[Source] = []
    seen: set[Path] = set()
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files = sorted(path.glob(f"{FILE_PREFIX}*.log"), key=_file_order)
            if not files:
                raise ReportError(f"{_shown(path)}: no trace files ({FILE_PREFIX}*.log) in this directory")
        elif path.exists():
            files = [path]
        else:
            raise ReportError(f"{_shown(path)}: no such file or directory")
        for file in files:
            if not file.is_file():  # a FIFO would block the report, a device never end
                raise ReportError(f"{_shown(file)}: not a regular file (a trace is one)")
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                sources.append(Source(len(sources), file, _rank_of(file)))
    if not sources:
        raise ReportError("no trace file given")
    return sources


def _shown(path: Path) -> str:
    # A path as a message shows it, also when its name is not UTF-8 (bytes as escapes).
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


def _rank_of(path: Path) -> int | None:
    match = _RANK_FILE.fullmatch(path.name)
    return None if match is None else int(match[1])


def _file_order(path: Path) -> tuple[bool, int, str]:
    # Rank files by rank number (rank_2 before rank_10), then the others, by name.
    rank = _rank_of(path)
    return rank is None, rank or 0, path.name


def write_report(
    inputs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *, progress: bool | None = None
) -> Path:
    """
    Write the HTML report of the traces ``inputs`` (files or directories, see
    ``find_traces``) into the directory ``out``, and return the path of its main page.

    The report is ``out/index.html`` (summary, timeline, the table of events) and
    ``out/events/p<N>.html``, the pages of the events' details, which the main page
    shows in a frame. A payload longer than 100,000 characters or 2,000 lines is cut
    short there and written whole to ``out/payloads/e<N>.txt``. Everything works offline
    from ``file://``.

    The records are streamed: memory grows with the number of kinds, contexts and ranks,
    by 16 bytes per event and with the largest payload, not with the size of the trace. ``out`` is created if
    missing; an existing ``out`` may hold anything but another program's ``index.html``,
    ``events`` or ``payloads``; a previous report's are replaced, other files stay.
    Nothing in ``out`` changes when a trace turns out to be malformed.

    Args:
        inputs: trace files, or directories of them; several files (one per rank) are
            merged in time order, with a rank column.
        out: the report's directory.
        progress: draw a progress bar on stderr; ``None``: only when stderr is a terminal.

    Raises:
        ReportError: bad inputs, or ``out`` is a file or holds something other than a report.
        TraceFormatError: a trace that is not in the trace format (the message names the
            file and line).
    """
    sources = find_traces(inputs)
    out = Path(out)
    created = _prepare(out)
    stream = sys.stderr
    bar = _Progress(sources, stream) if (stream.isatty() if progress is None else progress) else None
    try:
        with tempfile.TemporaryDirectory(prefix=".logdial-report-", dir=out) as work:
            _build(sources, Path(work), bar, out)
            _install(Path(work), out)
    except BaseException:
        if bar is not None:
            bar.close(done=False)
        if created and not any(out.iterdir()):
            out.rmdir()
        raise
    if bar is not None:
        bar.close(done=True)
    return out / "index.html"


def _prepare(out: Path) -> bool:
    # Whether out was created here (and so is removed again when the report fails).
    if out.is_dir():
        index = out / "index.html"
        ours = index.is_file() and _is_report(index)
        for name in REPORT_FILES:
            if (out / name).exists() and not ours:
                raise ReportError(f"{out}: {name} there is not from a logdial report; choose another directory")
        return False
    if out.exists():
        raise ReportError(f"{out}: exists and is not a directory")
    out.mkdir(parents=True)
    return True


def _is_report(index: Path) -> bool:
    with open(index, "rb") as stream:
        head = stream.read(4096)
    return f'<meta name="generator" content="{GENERATOR}">'.encode() in head


def _install(work: Path, out: Path) -> None:
    # Move the finished report into place, the main page last, so that it never links
    # pages of the previous report.
    for name in REPORT_FILES[1:]:
        if (out / name).exists():
            shutil.rmtree(out / name)
        if (work / name).exists():
            os.replace(work / name, out / name)
    os.replace(work / "index.html", out / "index.html")


def _events(sources: Sequence[Source], summary: Summary, bar: _Progress | None) -> Iterator[Event]:
    streams = [_stream(source, bar) for source in sources]
    merged = heapq.merge(*streams, key=lambda item: item[0]) if len(streams) > 1 else streams[0]
    index = -1
    for seconds, source, record in merged:
        kind = record.name
        if kind == "str" and summary.intern(source.index, record.metadata):
            continue  # the string table, not an event
        index += 1
        rank = record.envelope.get("rank")
        if not isinstance(rank, int) or isinstance(rank, bool) or rank < 0:
            rank = source.rank
        payload = record.payload
        # The UTF-8 size; an ASCII payload (most) needs no encoded copy to measure.
        payload_bytes = 0 if payload is None else len(payload) if payload.isascii() else len(payload.encode())
        yield Event(
            index=index,
            record=record,
            source=source,
            rank="-" if rank is None else str(rank),
            ids=summary.ids_of(record.envelope),  # (a label is a context of its own)
            seconds=seconds,
            kind=kind,
            kind_number=summary.kind_number(kind),
            payload_bytes=payload_bytes,
        )


def _stream(source: Source, bar: _Progress | None) -> Iterator[tuple[float, Source, TraceRecord]]:
    clock = Clock()
    for record in read_trace(source.path):
        if bar is not None:
            bar.update(source.index, record.lineno)
        yield clock(record.time), source, record


def _build(sources: Sequence[Source], work: Path, bar: _Progress | None, out: Path) -> None:
    # The table's rows (JSON) stream into a part file and the details into the detail
    # pages while the summary and the ranks' divergence add up; the main page is then
    # put together: head, summary, divergence and timeline (which need the totals), the
    # table, the rows' data. Links are checked from out, where the report goes.
    summary = Summary()
    divergence = Divergence()
    rows_path = work / "rows.part"
    with (
        open(rows_path, "w", encoding="utf-8", errors="backslashreplace", newline="\n", buffering=_BUFFER) as rows,
        _DetailPages(work / "events") as pages,
    ):
        for event in _events(sources, summary, bar):
            summary.add(event)
            divergence.add(event)
            what = describe(event.record)
            view = _payload_view(event, work)
            strings = summary.strings.get(event.source.index, {})
            page = pages.write(
                detail_html(event, what, strings, view, summary.first_seconds, root=out), event.kind_number
            )
            rows.write(("," if event.index else "") + row_json(event, what, page, summary) + "\n")
    with open(
        work / "index.html", "w", encoding="utf-8", errors="backslashreplace", newline="\n", buffering=_BUFFER
    ) as index:
        diverged = divergence_html(divergence, summary)
        index.write(page_start(sources, len(summary.kind_names()), bool(diverged)))
        index.write(summary_html(summary, sources, out))
        index.write(diverged)
        index.writelines(timeline_html(summary))
        index.write(events_start(summary))
        index.write(data_start(summary))
        with open(rows_path, encoding="utf-8", newline="\n") as part:
            shutil.copyfileobj(part, index, _BUFFER)
        index.write(data_end())
        index.write(page_end())
    rows_path.unlink()


class _DetailPages:
    """
    The detail pages ``events/p<N>.html``, written one after another: a page is closed
    when it holds ``PAGE_EVENTS`` events or ``PAGE_BYTES`` characters. A page is kept
    until it is closed, so that its head can colour the kinds on it.
    """

    def __init__(self, directory: Path) -> None:
        directory.mkdir()
        self._directory = directory
        self._number = 0
        self._parts: list[str] = []
        self._kinds: set[int] = set()
        self._events = 0
        self._chars = 0

    def __enter__(self) -> _DetailPages:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def write(self, text: str, kind: int) -> int:
        """
        Add one event's detail (of kind number ``kind``); return the number of the page it is on.
        """
        self._parts.append(text)
        self._kinds.add(kind)
        self._events += 1
        self._chars += len(text)
        number = self._number
        if self._events >= PAGE_EVENTS or self._chars >= PAGE_BYTES:
            self._close()
            self._number += 1
            self._events = self._chars = 0
        return number

    def _close(self) -> None:
        if not self._parts:
            return
        with open(
            self._directory / f"p{self._number}.html",
            "w",
            encoding="utf-8",
            errors="backslashreplace",  # (a file name that is not UTF-8)
            newline="\n",
            buffering=_BUFFER,
        ) as stream:
            stream.write(detail_start(self._number, self._kinds))
            stream.writelines(self._parts)
            stream.write(detail_end())
        self._parts = []
        self._kinds = set()


def _payload_view(event: Event, work: Path) -> PayloadView | None:
    payload = event.record.payload
    if payload is None:
        return None
    shown, cut = PayloadView.cut(payload)
    side = None
    if cut:
        name = f"e{event.index}.txt"
        (work / "payloads").mkdir(exist_ok=True)
        with open(work / "payloads" / name, "w", encoding="utf-8", errors="replace", newline="\n") as stream:
            stream.write(payload)
        side = f"payloads/{name}"
    return PayloadView(shown, payload.count("\n") + 1, side)


class _Progress:
    """
    A one-line progress bar on a stream: the share of the inputs' lines read so far.
    """

    _WIDTH: Final = 30

    def __init__(self, sources: Sequence[Source], stream: TextIO) -> None:
        self._stream = stream
        self._total = max(1, sum(_count_lines(s.path) for s in sources))
        self._done = [0] * len(sources)
        self._next = 0.0
        self._shown = False

    def update(self, source: int, lineno: int) -> None:
        """
        Note that ``source`` has been read up to line ``lineno``; redraw at most ten times a second.
        """
        self._done[source] = lineno
        now = time.monotonic()
        if now >= self._next:
            self._next = now + 0.1
            self._draw()

    def _draw(self) -> None:
        share = min(1.0, sum(self._done) / self._total)
        filled = int(share * self._WIDTH)
        self._stream.write(f"\rlogdial report [{'#' * filled}{'.' * (self._WIDTH - filled)}] {share:4.0%}")
        self._stream.flush()
        self._shown = True

    def close(self, *, done: bool) -> None:
        """
        End the line, after drawing a full bar when the work is ``done``.
        """
        if done:
            self._done = [self._total]
            self._draw()
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()


def _count_lines(path: Path) -> int:
    count = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(_BUFFER):
            count += chunk.count(b"\n")
    return count
