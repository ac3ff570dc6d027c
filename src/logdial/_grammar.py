"""The settings grammar: a string becomes a tuple of items, in one pass, knowing no registry."""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Iterable

from ._frozen import Frozen

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final, NamedTuple

    class _ProblemFields(NamedTuple):
        start: int
        text: str
        reason: str

    class _ParseFields(NamedTuple):
        items: tuple[Item, ...]
        problems: tuple[Problem, ...]

else:
    _ProblemFields = namedtuple("Problem", ("start", "text", "reason"))
    _ParseFields = namedtuple("ParseResult", ("items", "problems"))

__all__ = ["Item", "ParseResult", "Problem", "RankSet", "parse_items", "parse_ranks", "rank_text"]

# A name is dotted word segments; "*" and "?" are wildcards inside a segment.
# Patterns, not compiled regexes: re compiles (and caches) them on the first parse, not
# when logdial is imported (compiling costs more than the rest of the module).
_NAME: Final = r"[\w*?]+(?:\.[\w*?]+)*"
_VALUE: Final = r"\w+"


class Item(Frozen):
    """
    One item of a settings string, e.g. ``+dynamo``, ``graph_code=off``, ``+dynamo@0-3``.

    Attributes:
        sign: ``"+"``, ``"-"`` or ``""``.
        name: the name as written (may hold ``*`` and ``?`` wildcards).
        value: the text after ``=``, or ``None``.
        start: the offset of the item in the settings string (0-based).
        ranks: the ranks the item applies on (``@0``, ``@0-3``), or ``None`` for every rank.
    """

    __slots__ = ("name", "ranks", "sign", "start", "value")
    _fields = ("sign", "name", "value", "start", "ranks")
    sign: str
    name: str
    value: str | None
    start: int
    ranks: range | None

    def __init__(self, sign: str, name: str, value: str | None, start: int = 0, ranks: range | None = None) -> None:
        if ranks is not None and (not isinstance(ranks, range) or ranks.step != 1 or not 0 <= ranks.start < ranks.stop):
            raise ValueError(f"an item's ranks are a non-empty range of ranks >= 0, not {ranks!r}")
        self._set(sign=sign, name=name, value=value, start=start, ranks=ranks)

    @property
    def text(self) -> str:
        """
        The item written back in canonical form.

        >>> Item("+", "dynamo", None).text, Item("", "guards", "off").text, Item("+", "aot", None, 0, range(1, 4)).text
        ('+dynamo', 'guards=off', '+aot@1-3')
        """
        text = f"{self.name}={self.value}" if self.value is not None else f"{self.sign}{self.name}"
        return text if self.ranks is None else f"{text}@{rank_text(self.ranks)}"

    def __repr__(self) -> str:
        # Without ranks the repr is the one items always had: ranks are shown when set.
        fields = self._fields if self.ranks is not None else self._fields[:-1]
        return f"Item({', '.join(f'{name}={getattr(self, name)!r}' for name in fields)})"

    @property
    def has_wildcard(self) -> bool:
        """
        Whether the name holds ``*`` or ``?``.
        """
        return "*" in self.name or "?" in self.name


def rank_text(ranks: range) -> str:
    """
    A range of ranks as the settings write it: ``0`` or ``0-3``.

    >>> rank_text(range(2, 3)), rank_text(range(0, 4))
    ('2', '0-3')
    """
    last = ranks.stop - 1
    return str(ranks.start) if last == ranks.start else f"{ranks.start}-{last}"


def _rank_range(text: str) -> range | str | None:
    # One rank ("3") or an inclusive range ("0-3") of ASCII digits; for a range that goes
    # down ("3-1"), the range written the right way round; None for anything else. At most
    # nine digits, as for a level: no rank is larger, and int() refuses very long numbers.
    first, dash, last = text.partition("-")
    first, last = first.strip(), last.strip()
    if not (first.isascii() and first.isdigit()) or (dash and not (last.isascii() and last.isdigit())):
        return None
    if len(first) > 9 or len(last) > 9:
        return None
    low = int(first)
    high = int(last) if dash else low
    if high < low:
        return f"{high}-{low}"
    return range(low, high + 1)


class RankSet(Frozen):
    """
    A set of ranks, as inclusive ranges: what ``{P}_LOGS_RANKS=0,2-3`` names. Immutable.

    >>> ranks = parse_ranks("0, 2-3")
    >>> ranks.text, 3 in ranks, 1 in ranks
    ('0,2-3', True, False)
    """

    __slots__ = ("ranges",)
    _fields = ("ranges",)
    ranges: tuple[range, ...]

    def __init__(self, ranges: tuple[range, ...]) -> None:
        # Sorted and merged, so that equal sets are equal values and print alike.
        merged: list[range] = []
        for part in sorted(ranges, key=lambda r: (r.start, r.stop)):
            if merged and part.start <= merged[-1].stop:
                merged[-1] = range(merged[-1].start, max(merged[-1].stop, part.stop))
            else:
                merged.append(part)
        self._set(ranges=tuple(merged))

    @classmethod
    def of(cls, ranks: Iterable[int]) -> RankSet:
        """
        The set of the given ranks (each an ``int`` >= 0); a ``range`` of ranks is taken whole.

        Raises:
            ValueError: for anything else, or no rank at all.
        """
        if isinstance(ranks, range) and ranks.step == 1 and 0 <= ranks.start < ranks.stop:
            return cls((ranks,))
        parts = []
        for rank in ranks:
            if isinstance(rank, bool) or not isinstance(rank, int) or rank < 0:
                raise ValueError(f"a rank is an int >= 0, not {rank!r}")
            parts.append(range(rank, rank + 1))
        if not parts:
            raise ValueError("no rank is given: name at least one rank, or give None for every rank")
        return cls(tuple(parts))

    def __contains__(self, rank: object) -> bool:
        return any(rank in part for part in self.ranges)

    @property
    def text(self) -> str:
        """
        The set written as ``{P}_LOGS_RANKS`` takes it: ``0,2-3``.
        """
        return ",".join(rank_text(part) for part in self.ranges)


def parse_ranks(text: str) -> RankSet:
    """
    Parse a comma-separated list of ranks and inclusive ranges (``0,2-3``); spaces and
    empty items are ignored, as in the settings.

    Raises:
        ValueError: naming the first invalid part and its position, or an empty list.
    """
    parts: list[range] = []
    offset = 0
    for piece in text.split(","):
        stripped = piece.strip()
        if stripped:
            part = _rank_range(stripped)
            start = offset + piece.index(stripped[0])
            if part is None:
                raise ValueError(f"{stripped!r} at position {start} is not a rank or a range of ranks; "
                                 "write ranks and ranges as 0,2-3")  # fmt: skip
            if isinstance(part, str):
                raise ValueError(f"the range {stripped!r} at position {start} goes down: write {part}")
            parts.append(part)
        offset += len(piece) + 1
    if not parts:
        raise ValueError("names no rank; write ranks and ranges as 0,2-3")
    return RankSet(tuple(parts))


class Problem(_ProblemFields):
    """
    A syntax error in one item: where it starts, what was written, and what is wrong.
    """

    __slots__ = ()


class ParseResult(_ParseFields):
    """
    The items of a settings string, and the syntax errors found beside them.
    """

    __slots__ = ()


def parse_items(settings: str) -> ParseResult:
    """
    Split ``settings`` into items. Pure: it knows no registry and touches nothing.

    Items are separated by commas; whitespace around an item is ignored, and so are
    empty items. Every malformed item is reported, not only the first.

    >>> parse_items(" +dynamo, graph_code=off,").items
    (Item(sign='+', name='dynamo', value=None, start=1), Item(sign='', name='graph_code', value='off', start=10))
    >>> parse_items("++x").problems
    (Problem(start=0, text='++x', reason='a name may have one sign (+ or -), not two'),)

    An item may end in ``@RANK`` or ``@FIRST-LAST`` (``+dynamo@0``, ``graph_code=on@1-3``):
    it then applies only on those ranks. PyTorch never uses ``@``, so every setting it
    accepts means the same here.

    >>> parse_items("+dynamo@0").items
    (Item(sign='+', name='dynamo', value=None, start=0, ranks=range(0, 1)),)
    """
    items: list[Item] = []
    problems: list[Problem] = []
    offset = 0
    ranked: Item | None = None  # the item before this one, if it has ranks
    for piece in settings.split(","):
        stripped = piece.strip()
        if stripped:
            start = offset + piece.index(stripped[0])
            item = _parse_item(stripped, start)
            if ranked is not None and _rank_range(stripped) is not None:
                # "+dynamo@0,2": the comma ended the item, and "2" is no name.
                base = Item(ranked.sign, ranked.name, ranked.value).text
                item = Problem(start, stripped, f"a rank cannot stand alone: to apply {base} on more ranks, "
                                                f"repeat it: {ranked.text},{base}@{stripped}")  # fmt: skip
            ranked = item if isinstance(item, Item) and item.ranks is not None else None
            if isinstance(item, Problem):
                problems.append(item)
            else:
                items.append(item)
        offset += len(piece) + 1
    return ParseResult(tuple(items), tuple(problems))


def _parse_item(text: str, start: int) -> Item | Problem:
    body, at, spec = text.partition("@")
    if not at:
        return _parse_body(text, body, start, None)
    spec = spec.strip()
    if "@" in spec:
        return Problem(start, text, "an item takes one @RANKS, e.g. +dynamo@0 or +dynamo@0-3")
    if "=" in spec:
        written, _, value = spec.partition("=")
        return Problem(start, text, f"the ranks go last: write {body.strip()}={value.strip()}@{written.strip()}")
    if not spec:
        return Problem(start, text, "the ranks are missing after '@': write e.g. +dynamo@0 or +dynamo@0-3")
    ranks = _rank_range(spec)
    if ranks is None:
        return Problem(start, text, f"{spec!r} after '@' is not a rank or a range of ranks: "
                                    "write e.g. +dynamo@0 or +dynamo@0-3")  # fmt: skip
    if isinstance(ranks, str):
        return Problem(start, text, f"the ranks {spec!r} go down: write {body.strip()}@{ranks}")
    return _parse_body(text, body.rstrip(), start, ranks)


def _parse_body(text: str, body: str, start: int, ranks: range | None) -> Item | Problem:
    # ``text`` is the whole item (for problems), ``body`` the item without its @RANKS.
    sign = ""
    if body[:1] in ("+", "-"):
        sign, body = body[0], body[1:].lstrip()
        if body[:1] in ("+", "-"):
            return Problem(start, text, "a name may have one sign (+ or -), not two")
    name, eq, value = body.partition("=")
    name, value = name.strip(), value.strip()
    if not name:
        return Problem(start, text, "a name is missing")
    if re.fullmatch(_NAME, name) is None:
        return Problem(start, text, _name_reason(name))
    if not eq:
        return Item(sign, name, None, start, ranks)
    if sign:
        return Problem(start, text, f"use either a sign or '=', not both: write {name}={value or 'LEVEL'}")
    if not value:
        return Problem(start, text, "a value is missing after '='")
    if re.fullmatch(_VALUE, value) is None:
        return Problem(start, text, f"{value!r} is not a level name, a number, on or off")
    return Item("", name, value, start, ranks)


def _name_reason(name: str) -> str:
    if ".." in name or name.startswith(".") or name.endswith("."):
        return "a dotted name has an empty part"
    bad = next((ch for ch in name if not (ch.isalnum() or ch in "_.*?")), name[0])
    return f"{bad!r} cannot appear in a name (names are letters, digits, '_', '.', '*' and '?')"
