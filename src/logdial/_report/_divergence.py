"""Where the ranks of a multi-rank trace differ: compile ids, kinds, failures, timing, caches, collectives."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Final

from ._html import duration, e, table_html
from ._model import METRICS_KINDS, Event, Summary, rank_order

__all__ = ["DIVERGENCE_IDS", "DIVERGENCE_KINDS", "SEQUENCE_KEPT", "Divergence", "Group", "divergence_html"]

#: How many compile ids (contexts that belong to a compile, ``[0/1_1]``) the comparison
#: of ranks tracks; those first seen after it are left out of it (the view says so).
DIVERGENCE_IDS: Final = 10_000
#: How many event kinds the comparison of ranks tracks.
DIVERGENCE_KINDS: Final = 1_000
#: How many items of each rank's cache and collective sequences are kept to show where
#: ranks part; the whole sequences are compared by their digests.
SEQUENCE_KEPT: Final = 1_000
#: How many rows each of the view's tables lists (the counts say how many there are).
SHOWN: Final = 200
_CACHE_ARTIFACT: Final = re.compile(r".*_cache_(hit|miss|bypass)")
_COLLECTIVES: Final = "inductor_collective_schedule"
_COMPILE_TIME: Final = "entire_frame_compile_time_s"


class _Sequence:
    # One rank's sequence of items (cache outcomes, collective operations): a digest of
    # all of them, their number, and the first SEQUENCE_KEPT of them.
    __slots__ = ("_digest", "count", "kept")

    def __init__(self) -> None:
        self._digest = hashlib.blake2b(digest_size=16)
        self.count = 0
        self.kept: list[str] = []

    def add(self, item: str) -> None:
        self._digest.update(item.encode("utf-8", "backslashreplace") + b"\0")
        self.count += 1
        if len(self.kept) < SEQUENCE_KEPT:
            self.kept.append(item)

    def key(self) -> tuple[int, bytes]:
        return self.count, self._digest.digest()


@dataclass(frozen=True, slots=True)
class Group:
    """
    Ranks whose sequences (of cache outcomes, or of collective operations) are the same.

    Attributes:
        ranks: the ranks, in order.
        count: the length of their sequence.
        kept: its first ``SEQUENCE_KEPT`` items.
    """

    ranks: tuple[str, ...]
    count: int
    kept: tuple[str, ...]


@dataclass(slots=True)
class _Compile:
    # One compile id's events on each rank: rank -> [first seconds, last seconds, compile seconds or -1].
    ranks: dict[str, list[float]] = field(default_factory=dict)


@dataclass(slots=True)
class Divergence:
    """
    What each rank did, added up one event at a time, to show where ranks differ. Its
    memory is bounded: at most ``DIVERGENCE_IDS`` compile ids (three numbers per rank
    each) and ``DIVERGENCE_KINDS`` kinds (a count per rank each), and ``SEQUENCE_KEPT``
    items of each rank's cache and collective sequences.
    """

    ranks: set[str] = field(default_factory=set)
    compiles: dict[str, _Compile] = field(default_factory=dict)
    untracked_ids: int = 0
    kinds: dict[str, dict[str, int]] = field(default_factory=dict)
    untracked_kinds: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # rank -> failed compiles
    cache: dict[str, _Sequence] = field(default_factory=dict)
    collectives: dict[str, _Sequence] = field(default_factory=dict)
    _untracked: set[str] = field(default_factory=set)  # (names seen past the caps, to count them once; bounded too)

    def add(self, event: Event) -> None:
        """
        Count ``event`` for its rank (events without a rank are not compared).
        """
        rank = event.rank
        if rank == "-":
            return
        self.ranks.add(rank)
        counts = self.kinds.get(event.kind)
        if counts is None and len(self.kinds) < DIVERGENCE_KINDS:
            counts = self.kinds[event.kind] = {}
        if counts is not None:
            counts[rank] = counts.get(rank, 0) + 1
        elif self._past_cap("k" + event.kind):
            self.untracked_kinds += 1
        meta = event.record.metadata
        if event.ids.compile:
            self._add_compile(event, meta)
        if event.kind in METRICS_KINDS and isinstance(meta, dict) and meta.get("fail_type"):
            self.failures[rank] = self.failures.get(rank, 0) + 1
        if event.kind == "artifact" and isinstance(meta, dict) and isinstance(meta.get("name"), str):
            name = meta["name"]
            if _CACHE_ARTIFACT.fullmatch(name):
                self.cache.setdefault(rank, _Sequence()).add(f"{event.ids.display} {name}")
            elif name == _COLLECTIVES:
                sequence = self.collectives.setdefault(rank, _Sequence())
                for op in _operations(event.record.payload):
                    sequence.add(op)

    def _add_compile(self, event: Event, meta: object) -> None:
        display = event.ids.display
        compile_ = self.compiles.get(display)
        if compile_ is None:
            if len(self.compiles) >= DIVERGENCE_IDS:
                if self._past_cap("c" + display):
                    self.untracked_ids += 1
                return
            compile_ = self.compiles[display] = _Compile()
        times = compile_.ranks.get(event.rank)
        if times is None:
            times = compile_.ranks[event.rank] = [event.seconds, event.seconds, -1.0]
        times[1] = max(times[1], event.seconds)
        if event.kind == "compilation_metrics" and isinstance(meta, dict):
            seconds = meta.get(_COMPILE_TIME)
            if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and seconds >= 0:
                times[2] = float(seconds)

    def _past_cap(self, name: str) -> bool:
        # Whether a name past a cap is new (counted once); at most as many names are
        # remembered as the two caps allow, so that past those the counts are lower bounds.
        if name in self._untracked or len(self._untracked) >= DIVERGENCE_IDS + DIVERGENCE_KINDS:
            return False
        self._untracked.add(name)
        return True

    def ordered_ranks(self) -> list[str]:
        """
        The ranks compared, in order.
        """
        return sorted(self.ranks, key=rank_order)

    def missing_ids(self) -> list[tuple[str, list[str], list[str]]]:
        """
        The compile ids that some ranks have and others do not: (id, on ranks, not on ranks).
        """
        ranks = self.ordered_ranks()
        found = []
        for display, compile_ in self.compiles.items():
            if len(compile_.ranks) < len(ranks):
                found.append(
                    (display, [r for r in ranks if r in compile_.ranks], [r for r in ranks if r not in compile_.ranks])
                )
        return found

    def kind_differences(self) -> list[tuple[str, list[int]]]:
        """
        The kinds whose number of events differs between ranks: (kind, events per rank, in rank order).
        """
        ranks = self.ordered_ranks()
        found = []
        for kind, counts in sorted(self.kinds.items()):
            row = [counts.get(r, 0) for r in ranks]
            if len(set(row)) > 1:
                found.append((kind, row))
        return found

    def slowest(self) -> list[tuple[str, str, float, str, float]]:
        """
        For each compile id on two ranks or more: (id, slowest rank, its seconds, fastest
        rank, its seconds), the widest spread first. The time is the compile's
        ``entire_frame_compile_time_s`` when every rank has it, else the span of its events.
        """
        found = []
        for display, compile_ in self.compiles.items():
            if len(compile_.ranks) < 2:
                continue
            metric = all(t[2] >= 0 for t in compile_.ranks.values())
            times = {r: (t[2] if metric else t[1] - t[0]) for r, t in compile_.ranks.items()}
            slow = max(times, key=lambda r: (times[r], rank_order(r)))
            fast = min(times, key=lambda r: (times[r], rank_order(r)))
            found.append((display, slow, times[slow], fast, times[fast]))
        found.sort(key=lambda row: (row[4] - row[2], row[0]))
        return found

    def groups(self, sequences: dict[str, _Sequence]) -> list[Group]:
        """
        The ranks grouped by their sequence in ``sequences`` (``cache`` or ``collectives``;
        a rank with none has the empty one); one group when they all agree, none when no
        rank has any.
        """
        if not sequences:
            return []
        by_key: dict[tuple[int, bytes], list[str]] = {}
        empty = _Sequence()
        for rank in self.ordered_ranks():
            by_key.setdefault(sequences.get(rank, empty).key(), []).append(rank)
        found = []
        for ranks in by_key.values():
            sequence = sequences.get(ranks[0], empty)
            found.append(Group(tuple(ranks), sequence.count, tuple(sequence.kept)))
        return found

    def failed(self) -> list[tuple[str, int]]:
        """
        The failed compiles of each rank, when they differ between ranks: (rank, failures).
        """
        counts = [(r, self.failures.get(r, 0)) for r in self.ordered_ranks()]
        return counts if len({n for _, n in counts}) > 1 else []


def _operations(payload: str | None) -> list[str]:
    # The operations of a collective schedule: its JSON list of names, or the text as one item.
    if payload is None:
        return []
    try:
        value = json.loads(payload)
    except ValueError:
        return [payload]
    if isinstance(value, list):
        return [item if isinstance(item, str) else json.dumps(item) for item in value]
    return [payload]


def _ranks(ranks: list[str] | tuple[str, ...], summary: Summary) -> str:
    return ", ".join(_rank_button(r, summary) for r in ranks)


def _rank_button(rank: str, summary: Summary, ctx: str = "") -> str:
    context = f' data-filter-ctx="c:{summary.context_numbers[ctx]}"' if ctx in summary.context_numbers else ""
    return (
        f'<button type="button" class="f" data-filter-rank="r:{summary.rank_numbers[rank]}"{context}>{e(rank)}</button>'
    )


def _context_button(ctx: str, summary: Summary) -> str:
    if ctx not in summary.context_numbers:
        return e(ctx)
    return f'<button type="button" class="f" data-filter-ctx="c:{summary.context_numbers[ctx]}">{e(ctx)}</button>'


def _parting(groups: list[Group]) -> int | None:
    # Where the groups' sequences first differ (an index within the items kept), if there.
    longest = max(len(g.kept) for g in groups)
    for at in range(longest + 1):
        if len({g.kept[at] if at < len(g.kept) else None for g in groups}) > 1:
            return at
    return None


def _groups_table(title: str, ident: str, groups: list[Group], summary: Summary) -> str:
    at = _parting(groups)
    where = f"item {at + 1:,}" if at is not None else f"past the first {SEQUENCE_KEPT:,} items"
    rows = "".join(
        f'<tr><td>{_ranks(g.ranks, summary)}</td><td class="n">{g.count:,}</td>'
        f"<td>{e(g.kept[at]) if at is not None and at < len(g.kept) else '(the end)'}</td></tr>"
        for g in groups
    )
    heads = ("ranks", "items", f"item {at + 1:,}" if at is not None else "")
    return table_html(f"{title}: {len(groups)} groups, first apart at {where}", ident, heads, rows, numeric=False)


def divergence_html(divergence: Divergence, summary: Summary) -> str:
    """
    The divergence section of a report of two ranks or more ("" for fewer): the findings
    in a list, then a table for each; compile ids and ranks are filters of the event table.
    """
    ranks = divergence.ordered_ranks()
    if len(ranks) < 2:
        return ""
    missing, kinds, slowest = divergence.missing_ids(), divergence.kind_differences(), divergence.slowest()
    cache, collectives, failed = (
        divergence.groups(divergence.cache),
        divergence.groups(divergence.collectives),
        divergence.failed(),
    )
    findings = []
    if missing:
        few = len(missing) == 1
        findings.append(
            (
                "compile-ids",
                f"{len(missing):,} compile id{'' if few else 's'} {'is' if few else 'are'} not on every rank.",
            )
        )
    if kinds:
        findings.append(("kinds", f"{len(kinds):,} kind(s) with a different number of events on different ranks."))
    if failed:
        findings.append(("failures", "The ranks have different numbers of failed compiles."))
    if len(cache) > 1:
        findings.append(("cache", f"The ranks' cache hits and misses differ: {len(cache)} groups of ranks."))
    if len(collectives) > 1:
        findings.append(
            ("collectives", f"The ranks' collective operations differ: {len(collectives)} groups of ranks.")
        )
    items = "".join(f'<li data-finding="{ident}">{text}</li>' for ident, text in findings)
    headline = (
        f'<ul class="findings">{items}</ul>'
        if findings
        else f'<p class="same">No divergence: the {len(ranks)} ranks have the same compile ids, kinds, failures, '
        "cache hits and misses, and collective operations.</p>"
    )
    parts = [f'<section id="divergence"><h2>Divergence across {len(ranks)} ranks</h2>\n{headline}']
    caps = []
    if divergence.untracked_ids:
        caps.append(f"{divergence.untracked_ids:,} compile ids past the first {DIVERGENCE_IDS:,}")
    if divergence.untracked_kinds:
        caps.append(f"{divergence.untracked_kinds:,} kinds past the first {DIVERGENCE_KINDS:,}")
    if caps:
        parts.append(f'<p class="note">Not compared: {" and ".join(caps)}.</p>')
    parts.append('<div class="tables">')
    if missing:
        rows = "".join(
            f"<tr><td>{_context_button(ctx, summary)}</td><td>{_ranks(on, summary)}</td>"
            f"<td>{_ranks(off, summary)}</td></tr>"
            for ctx, on, off in missing[:SHOWN]
        )
        parts.append(
            table_html(
                f"Compile ids not on every rank ({len(missing):,})",
                "div-ids",
                ("compile id", "on ranks", "not on ranks"),
                rows,
                numeric=False,
            )
        )
    if kinds:
        heads = ("kind", *(f"rank {r}" for r in ranks))
        rows = "".join(
            f"<tr><td>{e(kind)}</td>"
            + "".join(f'<td class="n{" zero" if n == 0 else ""}">{n:,}</td>' for n in row)
            + "</tr>"
            for kind, row in kinds[:SHOWN]
        )
        parts.append(table_html(f"Kinds with different counts ({len(kinds):,})", "div-kinds", heads, rows))
    if failed:
        rows = "".join(f'<tr><td>{_rank_button(r, summary)}</td><td class="n">{n:,}</td></tr>' for r, n in failed)
        parts.append(table_html("Failed compiles by rank", "div-failures", ("rank", "failed"), rows))
    if len(cache) > 1:
        parts.append(_groups_table("Cache hits and misses", "div-cache", cache, summary))
    if len(collectives) > 1:
        parts.append(_groups_table("Collective operations", "div-collectives", collectives, summary))
    if slowest:
        rows = "".join(
            f"<tr><td>{_context_button(ctx, summary)}</td><td>{_rank_button(slow, summary, ctx)}</td>"
            f'<td class="n">{duration(s)}</td><td>{_rank_button(fast, summary, ctx)}</td>'
            f'<td class="n">{duration(f)}</td></tr>'
            for ctx, slow, s, fast, f in slowest[:SHOWN]
        )
        title = f"Slowest rank per compile id ({len(slowest):,})"
        parts.append(
            table_html(title, "div-slowest", ("compile id", "slowest", "time", "fastest", "time"), rows, numeric=False)
        )
    parts.append("</div></section>\n")
    return "\n".join(parts)
