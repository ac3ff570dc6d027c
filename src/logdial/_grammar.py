"""The settings grammar: a string becomes a tuple of items, in one pass, knowing no registry."""

from __future__ import annotations

import re
from collections import namedtuple

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

__all__ = ["Item", "ParseResult", "Problem", "parse_items"]

# A name is dotted word segments; "*" and "?" are wildcards inside a segment.
# Patterns, not compiled regexes: re compiles (and caches) them on the first parse, not
# when logdial is imported (compiling costs more than the rest of the module).
_NAME: Final = r"[\w*?]+(?:\.[\w*?]+)*"
_VALUE: Final = r"\w+"
_SIGNS: Final = "+-"


class Item(Frozen):
    """
    One item of a settings string, e.g. ``+dynamo``, ``graph_code=off``.

    Attributes:
        sign: ``"+"``, ``"-"`` or ``""``.
        name: the name as written (may hold ``*`` and ``?`` wildcards).
        value: the text after ``=``, or ``None``.
        start: the offset of the item in the settings string (0-based).
    """

    __slots__ = ("name", "sign", "start", "value")
    _fields = ("sign", "name", "value", "start")
    sign: str
    name: str
    value: str | None
    start: int

    def __init__(self, sign: str, name: str, value: str | None, start: int = 0) -> None:
        self._set(sign=sign, name=name, value=value, start=start)

    @property
    def text(self) -> str:
        """
        The item written back in canonical form.

        >>> Item("+", "dynamo", None).text, Item("", "guards", "off").text
        ('+dynamo', 'guards=off')
        """
        if self.value is not None:
            return f"{self.name}={self.value}"
        return f"{self.sign}{self.name}"

    @property
    def has_wildcard(self) -> bool:
        """
        Whether the name holds ``*`` or ``?``.
        """
        return "*" in self.name or "?" in self.name


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
    """
    items: list[Item] = []
    problems: list[Problem] = []
    offset = 0
    for piece in settings.split(","):
        stripped = piece.strip()
        if stripped:
            start = offset + piece.index(stripped[0])
            item = _parse_item(stripped, start)
            if isinstance(item, Problem):
                problems.append(item)
            else:
                items.append(item)
        offset += len(piece) + 1
    return ParseResult(tuple(items), tuple(problems))


def _parse_item(text: str, start: int) -> Item | Problem:
    sign = ""
    body = text
    if body[0] in _SIGNS:
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
        return Item(sign, name, None, start)
    if sign:
        return Problem(start, text, f"use either a sign or '=', not both: write {name}={value or 'LEVEL'}")
    if not value:
        return Problem(start, text, "a value is missing after '='")
    if re.fullmatch(_VALUE, value) is None:
        return Problem(start, text, f"{value!r} is not a level name, a number, on or off")
    return Item("", name, value, start)


def _name_reason(name: str) -> str:
    if ".." in name or name.startswith(".") or name.endswith("."):
        return "a dotted name has an empty part"
    bad = next((ch for ch in name if not (ch.isalnum() or ch in "_.*?")), name[0])
    return f"{bad!r} cannot appear in a name (names are letters, digits, '_', '.', '*' and '?')"
