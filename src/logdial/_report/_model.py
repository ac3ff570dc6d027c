"""What the report knows about a trace: events, their ids and times, and the running summary."""

from __future__ import annotations

import json
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from .._context import CONTEXT_KEYS, LABEL_KEY
from ._tracefile import TraceRecord

__all__ = [
    "LABEL_CHARS",
    "LABEL_LIMIT",
    "METRICS_KINDS",
    "OTHER_CONTEXTS",
    "Clock",
    "Event",
    "Ids",
    "Lane",
    "Source",
    "Summary",
    "describe",
    "ids_of",
    "label_ids",
    "rank_order",
    "seconds_of",
]

#: How many strings of a trace's string table (file names in stacks) the report keeps
#: per trace file; past it the oldest is forgotten (a stack frame then shows its id).
STRINGS_LIMIT: Final = 65_536

#: What the report shows for a value nested too deeply to write out as JSON.
TOO_DEEP: Final = "(nested too deeply to show)"

#: Event kinds that hold a compile's metrics; other events of the compile link to them.
METRICS_KINDS: Final = ("compilation_metrics", "bwd_compilation_metrics", "aot_autograd_backward_compilation_metrics")
#: How many failures and links the summary lists (the event table has them all).
LISTED: Final = 200
#: How many distinct labels (``trace_context(label=...)`` of a system without compile ids)
#: the report shows as contexts: the events of labels past the last but one show under
#: ``(other contexts)``, so that a label per step does not grow the report without bound.
LABEL_LIMIT: Final = 4096
#: The context the events of labels past ``LABEL_LIMIT`` show under.
OTHER_CONTEXTS: Final = "(other contexts)"
#: The longest label the report shows; a longer one is cut short (and shares its context
#: with the labels that start alike).
LABEL_CHARS: Final = 200
_NO_ID: Final = -1
# Labels sort after every compile id, in order of first appearance.
_LABEL_ORDER: Final = 1 << 32
# A label that reads like a compile id (``0/1``) must not look like one in the report.
_LIKE_AN_ID: Final = re.compile(r"!?[-?\d]+/[-?\d]+(/[-?\d]+)?(_\d+)?")
# Days before each month in a leap year: the trace has no year, and 02-29 must parse.
_DAYS_BEFORE: Final = (0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335)
_YEAR: Final = 366 * 86400


@dataclass(frozen=True, slots=True)
class Ids:
    """
    A record's context ids as the report shows them (tlparse's display forms).

    Attributes:
        display: the context, ``[0/1_2]``, ``[!0/-/-]``, ``[-/-]`` (no ids at all).
        compile: the compile the context belongs to, without the attempt (``[0/1]``), or ``""``.
        previous: the compile this one recompiles (``[0/0]`` for ``[0/1]``), or ``""``.
        order: a sort key (missing ids first).
    """

    display: str
    compile: str
    previous: str
    order: tuple[int, int, int, int]


_OTHER: Final = Ids(OTHER_CONTEXTS, "", "", (_LABEL_ORDER, LABEL_LIMIT, 0, 0))


def _id(envelope: dict[str, object], key: str) -> tuple[str, int]:
    value = envelope.get(key)
    if value is None:
        return "-", _NO_ID
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value), value
    return "?", _NO_ID  # a wrong type: tlparse files such a record as "(unknown)"


def ids_of(envelope: dict[str, object]) -> Ids:
    """
    The ids of a record's envelope.

    >>> ids_of({"frame_id": 0, "frame_compile_id": 1, "attempt": 2})
    Ids(display='[0/1_2]', compile='[0/1]', previous='[0/0]', order=(-1, 0, 1, 2))
    >>> ids_of({}).display, ids_of({"compiled_autograd_id": 0}).display
    ('[-/-]', '[!0/-/-]')
    """
    autograd, a = _id(envelope, "compiled_autograd_id")
    frame, f = _id(envelope, "frame_id")
    compile_, c = _id(envelope, "frame_compile_id")
    attempt, t = _id(envelope, "attempt")
    head = f"!{autograd}/" if "compiled_autograd_id" in envelope else ""
    tail = f"_{attempt}" if attempt not in ("-", "0") else ""
    whole = f"[{head}{frame}/{compile_}]"
    in_compile = "compiled_autograd_id" in envelope or "frame_id" in envelope or "frame_compile_id" in envelope
    previous = f"[{head}{frame}/{c - 1}]" if c > 0 else ""
    return Ids(f"[{head}{frame}/{compile_}{tail}]", whole if in_compile else "", previous, (a, f, c, t))


def label_ids(label: str, number: int) -> Ids:
    """
    The ids of the events of a label, the ``number``-th the report has seen: the label as
    log lines show it (control characters escaped, cut at ``LABEL_CHARS``), after every
    compile id, in order of first appearance.

    >>> label_ids("step 7", 0).display, label_ids("0/1", 1).display, label_ids("a\\tb", 2).display
    ('[step 7]', '[label: 0/1]', '[a\\\\tb]')
    """
    if not label.isprintable():  # (refused by TraceContext; a trace written otherwise may hold them)
        label = label.encode("unicode_escape").decode("ascii")
    if len(label) > LABEL_CHARS:
        label = label[: LABEL_CHARS - 1] + "…"
    shown = f"[label: {label}]" if _LIKE_AN_ID.fullmatch(label) else f"[{label}]"
    return Ids(shown, "", "", (_LABEL_ORDER, number, 0, 0))


def seconds_of(time: str) -> float:
    """
    A record's ``MMDD HH:MM:SS.ffffff`` as seconds since the start of a (leap) year.

    >>> seconds_of("0101 00:00:01.500000"), seconds_of("0102 00:00:00.000000")
    (1.5, 86400.0)
    """
    month = min(max(int(time[0:2]), 1), 12)
    day = max(int(time[2:4]), 1)
    whole = ((_DAYS_BEFORE[month - 1] + day - 1) * 24 + int(time[5:7])) * 3600 + int(time[8:10]) * 60 + int(time[11:13])
    return whole + int(time[14:20]) / 1_000_000


class Clock:
    """
    Turns one file's times into increasing seconds: a time far before the previous one
    means the year turned (the trace has no year).
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._last = 0.0

    def __call__(self, time: str) -> float:
        """
        The seconds of ``time``, a year later when the year has turned since the last call.
        """
        seconds = seconds_of(time) + self._offset
        if seconds < self._last - _YEAR / 2:
            self._offset += _YEAR
            seconds += _YEAR
        self._last = seconds
        return seconds


@dataclass(frozen=True, slots=True)
class Source:
    """
    One input trace file: its position among the inputs, and the rank its name gives.
    """

    index: int
    path: Path
    rank: int | None


@dataclass(frozen=True, slots=True)
class Event:
    """
    A record, numbered in the merged order of all inputs, with what the report derives.
    """

    index: int
    record: TraceRecord
    source: Source
    rank: str
    ids: Ids
    seconds: float
    kind: str
    kind_number: int
    payload_bytes: int


def describe(record: TraceRecord, limit: int = 160) -> str:
    """
    A one-line description of a record for the event table: an artifact's or link's
    name, a compile's function and failure, an interned string, else the metadata as JSON.
    """
    meta = record.metadata
    name = record.name
    text: object = meta
    if isinstance(meta, dict):
        if name == "compilation_metrics":
            parts = [str(meta.get("co_name", ""))]
            if meta.get("fail_type"):
                parts.append(f"failed: {meta.get('fail_type')}: {meta.get('fail_reason', '')}")
            elif meta.get("restart_reasons"):
                parts.append(f"restarted: {meta.get('restart_reasons')}")
            text = " — ".join(p for p in parts if p)
        elif name == "link":
            text = f"{meta.get('name', '')} → {meta.get('url', '')}"
        elif isinstance(meta.get("name"), str):
            text = meta["name"]
        elif isinstance(meta.get("filename"), str):
            text = meta["filename"]
        elif name == "dynamo_start" and isinstance(meta.get("stack"), list) and meta["stack"]:
            last = meta["stack"][-1]
            text = f"in {last.get('name', '?')}" if isinstance(last, dict) else meta
    elif name == "str" and isinstance(meta, list) and meta:
        text = meta[0]
    if not isinstance(text, str):
        try:
            text = json.dumps(text, ensure_ascii=False, separators=(", ", ": "))
        except RecursionError:  # nested deeper than Python's encoder goes (the decoder went)
            text = TOO_DEEP
        text = "" if text in ("{}", "null") else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(slots=True)
class Lane:
    """
    One row of the timeline: the events of one context on one rank.
    """

    rank: str
    ids: Ids
    number: int
    events: int = 0


@dataclass(slots=True)
class Summary:
    """
    The running totals of a report, updated one event at a time; its memory grows with
    the number of kinds, contexts and ranks, and by 16 bytes per event (for the timeline).
    """

    events: int = 0
    kinds: dict[str, list[int]] = field(default_factory=dict)  # kind -> [events, with payload, payload bytes]
    contexts: dict[str, int] = field(default_factory=dict)  # display -> events
    context_order: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)
    lanes: dict[tuple[str, str], Lane] = field(default_factory=dict)
    sources: dict[int, int] = field(default_factory=dict)  # source index -> records
    first: str = ""
    last: str = ""
    first_seconds: float = 0.0
    last_seconds: float = 0.0
    payload_events: int = 0
    payload_bytes: int = 0
    largest: tuple[int, int] = (0, -1)  # (bytes, event index)
    failures: list[Event] = field(default_factory=list)
    failure_count: int = 0
    links: list[Event] = field(default_factory=list)
    link_count: int = 0
    strings: dict[int, dict[int, str]] = field(default_factory=dict)  # source -> interned id -> string
    times: array[float] = field(default_factory=lambda: array("d"))
    lane_of: array[int] = field(default_factory=lambda: array("I"))
    kind_of: array[int] = field(default_factory=lambda: array("I"))
    # Kinds, contexts, compiles and ranks are numbered in order of first appearance:
    # the page's data and filters name them by number.
    _kind_numbers: dict[str, int] = field(default_factory=dict)
    context_numbers: dict[str, int] = field(default_factory=dict)
    context_ids: list[Ids] = field(default_factory=list)
    compile_numbers: dict[str, int] = field(default_factory=dict)
    rank_numbers: dict[str, int] = field(default_factory=dict)
    _labels: dict[str, Ids] = field(default_factory=dict)  # label -> its ids (at most LABEL_LIMIT - 1)

    def ids_of(self, envelope: dict[str, object]) -> Ids:
        """
        The ids of a record's envelope (``ids_of``), or, for a record with a label and no
        compile ids, its label's (at most ``LABEL_LIMIT - 1`` labels, then ``(other contexts)``).
        """
        label = envelope.get(LABEL_KEY)
        if not isinstance(label, str) or any(key in envelope for key in CONTEXT_KEYS):
            return ids_of(envelope)
        label = label[: LABEL_CHARS + 1]  # (labels that show alike are one context: a huge one costs no more)
        ids = self._labels.get(label)
        if ids is None:
            number = len(self._labels)
            if number >= LABEL_LIMIT - 1:
                return _OTHER
            ids = self._labels[label] = label_ids(label, number)
        return ids

    def kind_number(self, kind: str) -> int:
        """
        The number of ``kind`` (also the number of its colour).
        """
        return self._kind_numbers.setdefault(kind, len(self._kind_numbers))

    def kind_names(self) -> list[str]:
        """
        The kinds, by number.
        """
        return list(self._kind_numbers)

    def intern(self, source: int, meta: object) -> bool:
        """
        Add the string of a ``str`` record (its metadata ``meta``) to the string table of
        trace file ``source``; whether it was one (a ``str`` record is not an event: it
        is not counted, as tlparse does not count it).
        """
        if not (isinstance(meta, list) and len(meta) == 2 and isinstance(meta[1], int)):
            return False
        table = self.strings.setdefault(source, {})
        table.pop(meta[1], None)  # (seen again: now the newest)
        table[meta[1]] = str(meta[0])
        if len(table) > STRINGS_LIMIT:  # the oldest is forgotten: a stack naming it shows its id
            del table[next(iter(table))]
        return True

    def add(self, event: Event) -> None:
        """
        Count ``event``.
        """
        record = event.record
        if self.events == 0:
            self.first, self.first_seconds = record.time, event.seconds
        if self.events == 0 or event.seconds >= self.last_seconds:
            self.last, self.last_seconds = record.time, event.seconds
        self.events += 1
        kind = self.kinds.setdefault(event.kind, [0, 0, 0])
        kind[0] += 1
        if record.payload is not None:
            kind[1] += 1
            kind[2] += event.payload_bytes
            self.payload_events += 1
            self.payload_bytes += event.payload_bytes
            if event.payload_bytes > self.largest[0]:
                self.largest = (event.payload_bytes, event.index)
        ids = event.ids
        if ids.display not in self.context_numbers:
            self.context_numbers[ids.display] = len(self.context_ids)
            self.context_ids.append(ids)
            self.context_order[ids.display] = ids.order
        self.contexts[ids.display] = self.contexts.get(ids.display, 0) + 1
        if ids.compile:
            self.compile_numbers.setdefault(ids.compile, len(self.compile_numbers))
        self.rank_numbers.setdefault(event.rank, len(self.rank_numbers))
        self.ranks[event.rank] = self.ranks.get(event.rank, 0) + 1
        self.sources[event.source.index] = self.sources.get(event.source.index, 0) + 1
        lane = self.lanes.get((event.rank, event.ids.display))
        if lane is None:
            lane = self.lanes[event.rank, event.ids.display] = Lane(event.rank, event.ids, len(self.lanes))
        lane.events += 1
        self.times.append(event.seconds)
        self.lane_of.append(lane.number)
        self.kind_of.append(event.kind_number)
        meta = record.metadata
        if event.kind in METRICS_KINDS and isinstance(meta, dict) and meta.get("fail_type"):
            self.failure_count += 1
            if len(self.failures) < LISTED:
                self.failures.append(event)
        elif event.kind == "link":
            self.link_count += 1
            if len(self.links) < LISTED:
                self.links.append(event)


def rank_order(rank: str) -> tuple[int, int]:
    """
    Sort key of a rank's display form: numbers in order, then ``-`` (no rank).
    """
    return (0, int(rank)) if rank.isdigit() else (1, 0)
