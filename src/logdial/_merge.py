"""``logdial merge``: per-rank logs in, one time-ordered story out, alike lines said once.

Reading. Files are read in blocks, split on ``\\n`` (a line past :data:`MAX_LINE` is
cut). A line is logdial's glog layout (``[rank3]:I1206 02:15:18.123456 4242 m.py:12] msg``,
the prefix there once the rank was known), a JSON line of ``{P}_LOGS_FORMAT=json``, or other
text (a ``print``), kept after the line its file wrote before it.

Times. A JSON time carries its UTC offset and is exact. A glog time carries neither year
nor offset: it is read as the local time of the zone ``utc_offset`` names (default: this
machine's zone, ``TZ`` included) in the year of the file's last change. A line never moves
before a line its own file wrote earlier, whatever its time says.

Merging. The files' lines are merged by time in batches: every file has a block of lines
ready, the batch is everything up to the earliest last time among the blocks, and that
batch is sorted (stable: a file's lines, and equal times of different files in the order
the files were given, keep their order). Memory is bounded by :data:`BUFFER` bytes of text
in the blocks, and :data:`MAX_OPEN` groups in the window.

Collapsing. Lines that several ranks wrote alike (the same level, source location and
message: the whole line after the pid) within ``window`` seconds of the first of them are
one group, shown once at the first one's time and pid with the ranks that wrote it:
``[rank0-7]:I1206 ...``. A rank's second alike line in the window starts a group of its
own (the n-th "step done" of every rank goes with the n-th of the others). A line only
some ranks wrote keeps exactly those ranks, so divergence shows as ``[rank0-2,4-7]`` or
``[rank3]``. Lines whose rank no prefix, field or file name tells are tagged with the
file's name and never collapsed.
"""

from __future__ import annotations

import bisect
import calendar
import datetime
import gc
import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Final, TextIO

from ._collapse import MAX_RANK, Collapser, format_ranks, rank_in
from ._context import CONTEXT_FIELDS, TraceContext
from ._errors import LogdialError

__all__ = ["BUFFER", "MAX_LINE", "MergeError", "format_ranks", "merge", "rank_of_name"]

#: The window within which alike lines of several ranks are one group, by default (s).
WINDOW: Final = 1.0
#: Bytes of text the reader holds for all files together (a block per file is this
#: divided among the files, at least 4 KiB).
BUFFER: Final = 6 << 20
#: The longest line kept whole; a longer one is cut there and marked.
MAX_LINE: Final = 1 << 20
_CUT: Final = " [... line cut by logdial merge]"
_LETTERS: Final = {"DEBUG": "V", "INFO": "I", "WARNING": "W", "ERROR": "E", "CRITICAL": "C"}
_RANK_IN_NAME: Final = re.compile(r"(\d+)(?!.*\d)")  # the last number of a file's name
_KEY: Final = itemgetter(0)

# A parsed line: (µs since the epoch, 1 << its rank (< 0: none, see _Reader), what makes
# two ranks' lines alike, the line or what is shown of it).
Line = tuple[int, int, object, str]


class MergeError(LogdialError, ValueError):
    """
    An input that merge cannot read (missing, a directory, not text it can decode).
    """


def rank_of_name(name: str) -> int | None:
    """
    The rank a log file's name gives its lines without one: its last number (``run_3.log``).
    """
    match = _RANK_IN_NAME.search(name)
    return int(match.group(1)) if match else None


class _Clock:
    """
    glog stamps (``MMDD HH:MM:SS``) to µs since the epoch, one conversion per second. A
    stamp is in the year of its file's last change, or, when that would put it more than
    a day after the change (a December line of a file changed in January), the year before.
    """

    def __init__(self, year: int, offset: int | None) -> None:
        self._year = year
        self._offset = offset  # seconds east of UTC, or None: this machine's zone
        self.limit = 0.0  # the latest change of the files of this year, and a day
        self.seconds: dict[str, int] = {}  # stamp -> µs since the epoch of its second

    def __call__(self, stamp: str) -> int:
        known = self.seconds.get(stamp)
        if known is not None:
            return known
        if len(self.seconds) > 4096:
            self.seconds.clear()
        fields = (int(stamp[0:2]), int(stamp[2:4]), int(stamp[5:7]), int(stamp[8:10]), int(stamp[11:13]))
        seconds = self._at(self._year, fields)
        if seconds > self.limit:
            seconds = self._at(self._year - 1, fields)
        self.seconds[stamp] = micros = int(seconds) * 1_000_000
        return micros

    def _at(self, year: int, fields: tuple[int, int, int, int, int]) -> float:
        month, day, hour, minute, second = fields
        if self._offset is None:
            return time.mktime((year, month, day, hour, minute, second, 0, 0, -1))
        return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - self._offset


class _Reader:
    """
    One input file: blocks of parsed lines, in its own order, times never going back.
    """

    def __init__(self, path: str, index: int, count: int, clock_of: Callable[[float], _Clock], follow: bool) -> None:
        self.name = os.path.basename(path)
        named = rank_of_name(self.name)
        # For lines without a rank: 1 << the file name's rank, or (none) the file's index
        # minus the number of files, < 0: names[rank] is then its name.
        self.nobody = index - count
        self.rank = 1 << named if named is not None and named <= MAX_RANK else self.nobody
        self.path = path
        try:
            self._file = open(path, encoding="utf-8", errors="backslashreplace", newline="")  # noqa: SIM115
            changed = os.fstat(self._file.fileno()).st_mtime
        except IsADirectoryError:
            raise MergeError(f"{path}: is a directory (name the log files in it)") from None
        except OSError as exc:
            raise MergeError(f"{path}: {exc.strerror or exc}") from None
        self._clock = clock_of(changed)
        self._skipping = False  # the rest of a line cut at MAX_LINE is still to come
        self._prefix = ("\0", self.rank, 0)  # the rank prefix its last line had, 1 << its rank, its length
        self._last = 0  # the time of the file's latest line
        self._rest = ""  # an unfinished last line
        self.follow = follow
        self.done = False
        self.lines: list[Line] = []
        self.per_block = 1  # the most lines a block has given
        self._json_seconds: dict[str, int] = {}

    def close(self) -> None:
        self._file.close()

    def read(self, size: int) -> bool:
        """
        Read and parse up to ``size`` more characters; False at the end of the file.
        """
        try:
            text = self._file.read(size)
        except OSError as exc:
            raise MergeError(f"{self.path}: {exc.strerror or exc}") from None
        if self._skipping:  # what is left of a line cut short is no line of its own
            end = text.find("\n")
            self._skipping = end < 0
            text = "" if end < 0 else text[end + 1 :]
            if not text:
                return end < 0 or self.read(size)
        if not text:
            if self.follow and self._truncated():
                self.lines.append(
                    (self._last, self.nobody, None, f"(logdial merge: {self.name} was truncated; from its start again)")
                )
                return True
            if self._rest and not self.follow:  # a last line without its newline
                self.lines.extend(self._parse([self._rest]))
                self._rest = ""
            return False
        text = self._rest + text
        parts = text.split("\n")
        rest = parts.pop()
        if len(rest) > MAX_LINE:
            parts.append(rest[:MAX_LINE] + _CUT)
            rest = ""
            self._skipping = True
        self._rest = rest
        if parts:
            if len(text) > MAX_LINE and max(map(len, parts)) > MAX_LINE:
                parts = [line[:MAX_LINE] + _CUT if len(line) > MAX_LINE else line for line in parts]
            if "\r" in text:
                parts = [line[:-1] if line.endswith("\r") else line for line in parts]
            self.lines.extend(self._parse(parts))
            self.per_block = max(self.per_block, len(parts))
        return True

    def _truncated(self) -> bool:
        # Whether the file is now shorter than what was read (truncated, as logrotate's
        # copytruncate does): then it is read again from its start, as tail -f does.
        fd = self._file.fileno()
        if os.fstat(fd).st_size >= os.lseek(fd, 0, os.SEEK_CUR):
            return False
        self._file.seek(0)
        self._rest, self._skipping = "", False
        return True

    def _parse(self, lines: list[str]) -> list[Line]:
        # The hot loop of merge (benchmarks/RESULTS.md, "merge"): a glog line with the
        # prefix its file's last line had, in a second already seen, costs a startswith, a
        # find, four slices, a dict lookup and an int; the line is kept whole (the prefix
        # is taken off only when a group is written). Anything else goes the slow way.
        parsed: list[Line] = []
        append = parsed.append
        last = self._last
        seconds = self._clock.seconds
        prefix, bit, cut = self._prefix
        for line in lines:
            if line.startswith(prefix):
                pid_end = line.find(" ", cut + 22)
                if pid_end > 0 and line[cut + 14 : cut + 22 : 7] == ". ":
                    second = seconds.get(line[cut + 1 : cut + 14])
                    letter = line[cut]
                    if second is not None and letter in "VIWEC":
                        try:
                            key = second + int(line[cut + 15 : cut + 21])
                        except ValueError:
                            pass
                        else:
                            if key < last:
                                key = last
                            else:
                                last = key
                            append((key, bit, letter + line[pid_end:], line))
                            continue
            self._last = last
            append(self._slow(line))
            last = self._last
            prefix, bit, cut = self._prefix
        self._last = last
        return parsed

    def _slow(self, line: str) -> Line:
        # A line of another prefix (the first of a file; one before its rank was known),
        # the first of its second, a JSON line or other text.
        # Without a prefix: the rank of the file's last prefix (a print between its
        # records), else of its name.
        bit, body, cut = self._prefix[1], line, 0
        found = rank_in(line)
        if found is not None:
            bit, cut = 1 << found[0], found[1]
            body = line[cut:]
        elif line.startswith("[rank") and (end := line.find("]:", 5, 40)) > 0:
            bit, body = self.nobody, line[end + 2 :]  # a rank merge does not tell apart: the file's name
        self._prefix = (line[:cut], bit, cut)
        pid_end = body.find(" ", 22)
        if pid_end > 0 and body[14:22:7] == ". " and body[0] in "VIWEC":
            try:
                key = self._clock(body[1:14]) + int(body[15:21])
            except ValueError:
                pass  # (not a time after all)
            else:
                self._last = key = max(self._last, key)
                return (key, bit, body[0] + body[pid_end:], line)
        if body.startswith("{"):
            record = self._json(body)
            if record is not None:
                key, json_rank, ident, body = record
                self._last = key = max(self._last, key)
                return (key, bit if json_rank is None else 1 << json_rank, ident, body)
        return (self._last, bit, body, line)  # any other text: where its file wrote it

    def _json(self, line: str) -> tuple[int, int | None, object, str] | None:
        try:
            record = json.loads(line)
            stamp = str(record["time"])
            if stamp[19:20] == "." and stamp[20:26].isdigit() and not stamp[26:27].isdigit():  # logdial's own
                second = self._json_seconds.get(stamp[:19] + stamp[26:])
                if second is None:
                    second = int(datetime.datetime.fromisoformat(stamp[:19] + stamp[26:]).timestamp())
                    if len(self._json_seconds) > 4096:
                        self._json_seconds.clear()
                    self._json_seconds[stamp[:19] + stamp[26:]] = second
                key = second * 1_000_000 + int(stamp[20:26])
            else:  # another RFC 3339 time (no fraction, a short one, Z): shown as logdial writes times
                moment = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
                key = round(moment.timestamp() * 1_000_000)
                stamp = moment.isoformat(timespec="microseconds")
            level = str(record.get("level", ""))
            rank = record.get("rank")
            # (as the glog line of the same record shows it; ids a writer could not have made: text)
            shown = TraceContext(**{key: record.get(key) for key in CONTEXT_FIELDS}).display()
            context = f" {shown}" if shown else ""
            artifact = record.get("artifact")
            text = str(record.get("message", ""))
            for extra in ("exception", "stack"):
                if record.get(extra):
                    text = f"{text}\n{record[extra]}"
            where = f"{record.get('file', '?')}:{record.get('line', '?')}]"
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            return None
        letter = _LETTERS.get(level, "I")
        tags = f"{context}{f' [__{artifact}]' if artifact else ''}"
        head = f"{letter}{stamp[5:7]}{stamp[8:10]} {stamp[11:26]} {record.get('pid', '?')} {where}{tags} "
        body = "\n".join(head + part for part in text.split("\n"))
        known = type(rank) is int and 0 <= rank <= MAX_RANK  # (not a bool)
        return key, rank if known else None, (letter, where, tags, text), body


def merge(
    paths: Sequence[str],
    out: TextIO,
    *,
    window: float = WINDOW,
    utc_offset: int | None = None,
    follow: bool = False,
    poll: float = 0.2,
    should_stop: Callable[[], bool] = lambda: False,
) -> tuple[int, int]:
    """
    Merge the logs ``paths`` into ``out``; returns (lines read, lines written).

    With ``follow``, keep reading as the files grow, as ``tail -f`` does, until
    ``should_stop()`` (checked every ``poll`` seconds) or Ctrl-C: a line is written
    once every file has a line at least as late, or once ``window`` and ``poll`` seconds
    have passed since its time on this machine's clock.

    Raises:
        MergeError: an input that cannot be opened, or none.
    """
    if not paths:
        raise MergeError("no log files to merge")
    if window < 0:
        raise MergeError(f"window {window!r}: expected seconds >= 0")
    readers: list[_Reader] = []
    clocks: dict[int, _Clock] = {}

    def clock_of(changed: float) -> _Clock:  # one per year: every file's seconds converted once
        year = time.localtime(changed).tm_year
        clock = clocks.setdefault(year, _Clock(year, utc_offset))
        clock.limit = max(clock.limit, changed + 86_400)
        return clock

    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived tuples and no cycle: the collector would only cost (7%)
    try:
        for index, path in enumerate(paths):
            readers.append(_Reader(path, index, len(paths), clock_of, follow))
        names = [reader.name for reader in readers]
        collapser = Collapser(out, window)
        if follow:
            _follow(readers, collapser, names, poll, window, should_stop)
        else:
            _run(readers, collapser, names, follow, poll, window, should_stop)
        for reader in readers:  # (following ended: what the files hold now)
            reader.follow = False
        _run(readers, collapser, names, False, poll, window, should_stop)
        collapser.flush()
        return collapser.lines, collapser.groups
    finally:
        if collecting:
            gc.enable()
        for reader in readers:
            reader.close()


def _follow(  # noqa: PLR0917 (merge's options, passed on)
    readers: list[_Reader],
    collapser: Collapser,
    names: list[str],
    poll: float,
    window: float,
    should_stop: Callable[[], bool],
) -> None:
    # Ctrl-C ends following between rounds, never inside one (where a batch taken from the
    # blocks but not yet grouped would be lost): in the main thread SIGINT only says stop.
    stop: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        _run(readers, collapser, names, True, poll, window, should_stop)
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: stop.append(True))
    try:
        _run(readers, collapser, names, True, poll, window, lambda: bool(stop) or should_stop())
    finally:
        signal.signal(signal.SIGINT, previous)


def _run(  # noqa: PLR0917 (merge's options, passed on)
    readers: list[_Reader],
    collapser: Collapser,
    names: list[str],
    follow: bool,
    poll: float,
    window: float,
    should_stop: Callable[[], bool],
) -> None:
    block = max(4096, BUFFER // len(readers))
    live = list(readers)
    while live:
        idle = True
        # Every file at least half a block of lines ahead, or at its end: each round then
        # takes about half a block of every file (a round per block of one file would cost
        # a bisect of every file each time).
        for reader in live:
            while len(reader.lines) < reader.per_block // 2 + 1 and not reader.done:
                if reader.read(block):
                    idle = False
                elif follow:
                    break
                else:
                    reader.done = True
        live = [r for r in live if r.lines or not r.done]
        if not live:
            return
        ready = [r.lines[-1][0] for r in live if r.lines]
        if follow:
            if should_stop():
                return
            if idle:
                time.sleep(poll)
            # A quiet file holds back no line older than the window and a poll, on this clock.
            horizon = int((time.time() - window - poll) * 1_000_000)
            if ready:
                horizon = min(horizon, *ready) if len(ready) < len(live) else min(ready)
        else:
            horizon = min(ready)
        batch: list[Line] = []
        for reader in live:
            lines = reader.lines
            if lines:
                cut = bisect.bisect_right(lines, horizon, key=_KEY)
                if cut == len(lines):
                    batch += lines
                    reader.lines = []
                elif cut:
                    batch += lines[:cut]
                    del lines[:cut]
        if batch:
            batch.sort(key=_KEY)
            collapser.take(batch, names)
        if follow:
            collapser.emit_until(horizon)
            collapser.out.flush()
