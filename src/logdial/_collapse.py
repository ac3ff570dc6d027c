"""``logdial merge``'s groups: alike lines of several ranks within a window, said once with their ranks.

A group is a list, ``[time, rank mask, identity, body, tag, chain]``: the time and the line
of the first rank that wrote it, the ranks (bit ``1 << rank``) that wrote it alike, and,
when its identity has several open groups (a rank wrote the line again within the
window), the list of them in order, shared by them (else ``None``). The n-th alike line of
each rank goes with the n-th of the others: the groups a rank is in are always the first
ones of its identity's chain. Groups are written in the order they were opened, at the
time of their first line: a rank's line said with others may so stand before a line the
rank wrote earlier (the README says so).
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, TextIO

from ._formatting import escape_controls

if TYPE_CHECKING:
    from ._merge import Line

__all__ = ["MAX_HELD", "MAX_OPEN", "MAX_RANK", "Collapser", "format_ranks", "rank_in"]

#: The highest rank merge tells apart (a group holds its ranks as a bit mask): a line
#: of a higher one is shown with its file's name, as a line of no rank.
MAX_RANK: Final = 65_535
#: Groups held open in the window at most, and the characters of their lines: past
#: either, the oldest is written early.
MAX_OPEN: Final = 100_000
MAX_HELD: Final = 32 << 20


def rank_in(line: str) -> tuple[int, int] | None:
    """
    The rank of a ``[rankN]:`` prefix (N in 0 to MAX_RANK, ASCII digits) at the start of
    ``line``, and the prefix's length; ``None`` without one.
    """
    if line.startswith("[rank"):
        end = line.find("]:", 5, 16)
        digits = line[5:end]
        if end > 5 and digits.isascii() and digits.isdigit() and int(digits) <= MAX_RANK:
            return int(digits), end + 2
    return None


def format_ranks(mask: int) -> str:
    """
    The ranks of the bit mask ``mask`` as runs: ``0-3,5,8-9``.

    >>> format_ranks(0b1111), format_ranks(0b100101), format_ranks(1 << 12)
    ('0-3', '0,2,5', '12')
    """
    runs: list[str] = []
    rank = 0
    while mask:
        if not mask & 1:
            skip = (mask & -mask).bit_length() - 1  # to the next set bit at once
            mask >>= skip
            rank += skip
            continue
        length = (~mask & (mask + 1)).bit_length() - 1  # the run of ones at the bottom
        runs.append(str(rank) if length == 1 else f"{rank}-{rank + length - 1}")
        mask >>= length
        rank += length
    return ",".join(runs)


def _unprefixed(line: str) -> str:
    # The line without its rank prefix (which its group's tag replaces).
    found = rank_in(line)
    return line if found is None else line[found[1] :]


class Collapser:
    """
    Alike lines of several ranks within the window, as groups written in time order.
    """

    def __init__(self, out: TextIO, window: float) -> None:
        self.out = out
        self._write = out.write
        self._window = int(window * 1_000_000)
        self._pending: deque[list[object]] = deque()  # the open groups, by number
        self._open: dict[object, list[object]] = {}  # identity -> its oldest open group
        self._held = 0  # the characters of the open groups' lines
        self._tags: dict[int, str] = {}
        self._deadline = -1
        self.lines = 0
        self.groups = 0

    def take(self, batch: list[Line], names: Sequence[str]) -> None:
        """Group the lines of ``batch`` (in time order, none before the lines taken so far)."""
        pending, open_, window = self._pending, self._open, self._window
        find, add = open_.get, pending.append
        # No group's window closes before ``deadline`` (the first group's time + window, or
        # less): until a line passes it, nothing is written.
        deadline = self._deadline
        group: list[object] | None
        for key, bit, ident, body in batch:
            if key > deadline:
                self.emit_until(key)
                deadline = pending[0][0] + window if pending else key + window  # type: ignore[operator]
            if bit < 0:  # no rank: shown with its file's name, alike with nothing
                group = [key, 0, None, body, names[bit], None]
            elif (group := find(ident)) is None:
                group = open_[ident] = [key, bit, ident, body, None, None]
            else:
                mask: int = group[1]  # type: ignore[assignment]
                if not mask & bit:  # (the usual case: the rank joins the oldest)
                    group[1] = mask | bit
                    continue
                group = self._join(group, key, bit, ident, body)
                if group is None:
                    continue
            self._held += len(body)
            add(group)
            if len(pending) > MAX_OPEN or self._held > MAX_HELD:
                self._emit(pending.popleft())
                deadline = pending[0][0] + window  # type: ignore[operator]
        self._deadline = deadline
        self.lines += len(batch)

    @staticmethod
    def _join(oldest: list[object], key: int, bit: int, ident: object, body: str) -> list[object] | None:
        # The rank is in ``oldest`` (the oldest open group of the identity) already: the
        # line joins the first group of the chain the rank is not in, or opens one at its
        # end, which is returned. The groups a rank is in are the first ones of the chain,
        # so that one is found by bisection (a rank lagging behind the others may have
        # many ahead of it).
        chain: list[list[object]] | None = oldest[5]  # type: ignore[assignment]
        if chain is None:
            chain = oldest[5] = [oldest]
        index = bisect.bisect_left(chain, True, key=lambda group: not group[1] & bit)  # type: ignore[operator]
        if index < len(chain):
            chain[index][1] |= bit  # type: ignore[operator]
            return None
        new: list[object] = [key, bit, ident, body, None, chain]
        chain.append(new)
        return new

    def emit_until(self, key: int) -> None:
        """Write every group whose window closed before ``key``."""
        pending, window = self._pending, self._window
        while pending and pending[0][0] + window < key:  # type: ignore[operator]
            self._emit(pending.popleft())

    def flush(self) -> None:
        """Write every group still open."""
        while self._pending:
            self._emit(self._pending.popleft())

    def _emit(self, group: list[object]) -> None:
        _, mask, ident, body, tag, chain = group
        self._held -= len(body)  # type: ignore[arg-type]
        if ident is not None:  # the oldest of its identity: the next one, if any, is now
            if chain is None:
                del self._open[ident]
            else:
                del chain[0]  # type: ignore[attr-defined]
                if chain:
                    self._open[ident] = chain[0]  # type: ignore[index]
                else:
                    del self._open[ident]
        if tag is None:
            assert isinstance(mask, int)
            tag = self._tags.get(mask)
            if tag is None:
                if len(self._tags) > 4096:
                    self._tags.clear()
                tag = self._tags[mask] = f"[rank{format_ranks(mask)}]:"
        else:
            tag = f"[{escape_controls(str(tag), newlines=False)}]:"
        text = _unprefixed(str(body))
        if not text.isprintable():  # line breaks of a JSON record, controls, lone surrogates: escaped
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
            text = "\n".join(escape_controls(part, newlines=False) for part in text.split("\n"))
            text = text.replace("\n", "\n" + str(tag))
        self._write(f"{tag}{text}\n")
        self.groups += 1
