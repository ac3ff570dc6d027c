"""Formatters: pure functions of a LogRecord, every line prefixed, validated at construction."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Callable

from ._errors import FormatError
from ._levels import glog_letter

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final, Protocol

    class RankView(Protocol):
        """
        The rank a formatter shows (``_ranks.RankWatch``): read per record, never looked up.
        """

        @property
        def rank(self) -> int | None: ...
        @property
        def prefix(self) -> str: ...


__all__ = [
    "MAX_FORMAT_WIDTH",
    "GlogFormatter",
    "PercentFormatter",
    "escape_controls",
    "format_traceback",
    "relative_path",
]

ArtifactOf = Callable[[str], "str | None"]
ContextOf = Callable[[], str]


class _NoRank:
    # A process without a rank: no prefix, no %(rank)s.
    __slots__ = ()
    rank = None
    prefix = ""


NO_RANK: Final = _NoRank()

# ANSI colours for the level letter on a terminal.
_COLORS: Final = {"V": "\x1b[2m", "I": "\x1b[32m", "W": "\x1b[33m", "E": "\x1b[31m", "C": "\x1b[1;31m"}
_RESET: Final = "\x1b[0m"

# A field ``%(key)`` (any key, so that ``%(msg.__class__)s`` is reported by name) or an
# escaped ``%%``, which is literal text and no field. The patterns of this module are
# kept as text and compiled by ``re``'s cache on first use, not at import.
_TOKEN: Final = r"%%|%\((?P<key>[^)]*)\)"
#: Fields logdial adds to the record's own attributes.
EXTRA_FIELDS: Final = frozenset({"message", "asctime", "artifact", "relpath", "glog_level", "trace_id", "rank"})
#: Fields a custom format may use: the attributes of a LogRecord on this Python (so
#: ``taskName`` only from 3.12), and logdial's own.
FIELDS: Final = frozenset(logging.LogRecord("", logging.INFO, "", 0, "", None, None).__dict__) | EXTRA_FIELDS

#: The largest width or precision a format may give a field (``%(name)-20s``): a huge one
#: (``%(message)999999999s``) would make every record that large.
MAX_FORMAT_WIDTH: Final = 1024
# One conversion of a %-style format, as the % operator reads it.
_SPEC: Final = (
    r"(?s)%(?:\((?P<key>[^)]*)\))?(?P<flags>[-#0 +]*)(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d*))?"
    r"(?P<length>[hlL])?(?P<type>.?)"
)


def _escape_table(*, line_breaks: bool) -> dict[int, str]:
    # Every C0 and C1 control character and DEL, and the bidirectional controls that can
    # make a terminal show text in another order than it is written ("Trojan Source"),
    # but tab; with ``line_breaks`` also the newline and the Unicode line separators.
    codes = [*range(0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    codes += [0x2028, 0x2029] if line_breaks else []
    keep = {0x09} if line_breaks else {0x09, 0x0A}
    return {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in codes if c not in keep}


_TERMINAL_ESCAPES: Final = _escape_table(line_breaks=False)
_FIELD_ESCAPES: Final = _escape_table(line_breaks=True)


def escape_controls(text: str, *, newlines: bool = True) -> str:
    r"""
    ``text`` with its control characters written as escapes (``\x1b`` becomes ``\\x1b``),
    but for tab and, when ``newlines``, the line breaks (``\r\n`` counts as one, a lone
    ``\r`` does not). Without ``newlines`` every line break is escaped too: for a field
    that must stay on one line.

    >>> escape_controls("red \x1b[31m\r\nnext\x07"), escape_controls("a\nb", newlines=False)
    ('red \\x1b[31m\nnext\\x07', 'a\\x0ab')
    """
    if text.isprintable():
        return text
    if newlines:
        return text.replace("\r\n", "\n").translate(_TERMINAL_ESCAPES)
    return text.translate(_FIELD_ESCAPES)


_PATH_CACHE_LIMIT: Final = 4096
# (the sys.path it holds for, pathname -> relative path). A new memo replaces it whenever
# sys.path changes, so an entry added later is taken into account; one attribute, so that
# a thread never pairs one sys.path with results computed under another.
_path_memo: tuple[list[str], dict[str, str]] = ([], {})


def relative_path(pathname: str) -> str:
    """
    ``pathname`` relative to the longest ``sys.path`` entry that contains it, else as is;
    a control character or line break in it is escaped (see ``escape_controls``), so that
    the path in a line's prefix cannot break the line.
    """
    global _path_memo  # noqa: PLW0603 (a memo of a pure function, swapped whole)
    entries, cache = _path_memo
    if sys.path != entries or len(cache) >= _PATH_CACHE_LIMIT:
        entries, cache = list(sys.path), {}
        _path_memo = (entries, cache)
    cached = cache.get(pathname)
    if cached is not None:
        return cached
    best = ""
    for entry in entries:
        if not isinstance(entry, str):  # sys.path may hold other objects; skip them
            continue
        base = os.path.abspath(entry or os.curdir)
        if len(base) > len(best) and pathname.startswith(base.rstrip(os.sep) + os.sep):
            best = base
    result = os.path.relpath(pathname, best) if best else pathname
    if not result.isprintable():
        result = escape_controls(result, newlines=False)
    cache[pathname] = result
    return result


def _no_artifact(name: str) -> str | None:
    return None


def no_context() -> str:
    return ""


def _message_lines(record: logging.LogRecord, formatter: logging.Formatter) -> list[str]:
    """
    The record's message, exception and stack, split into lines. Does not touch ``record``.
    """
    text = record.getMessage()
    if record.exc_info and record.exc_info[0] is not None:
        text = f"{text}\n{formatter.formatException(record.exc_info)}"
    elif record.exc_text:
        text = f"{text}\n{record.exc_text}"
    if record.stack_info:
        text = f"{text}\n{formatter.formatStack(record.stack_info)}"
    return re.split(_LINE_BREAK, text)


# Every line boundary str.splitlines() knows ("\r\n" as one): a reader that splits on any
# of them (Python's universal newlines turn a lone "\r" into "\n") must still find the
# prefix at the start of every line. Unlike splitlines(), a trailing break keeps its empty
# last line, as torch does.
_LINE_BREAK: Final = "\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]"
_LETTERS: Final = {level: glog_letter(level) for level in (10, 20, 30, 40, 50)}


def format_traceback(ei: logging._SysExcInfoType) -> str:
    """
    The traceback of ``ei`` without a trailing newline (what logdial's formatters show).
    """
    assert ei[0] is not None
    assert ei[1] is not None
    return "".join(traceback.format_exception(ei[0], ei[1], ei[2])).rstrip("\n")


class GlogFormatter(logging.Formatter):
    """
    glog-style lines, like torch's: ``I1201 06:54:18.123456 4242 pkg/mod.py:12] [0/1] [__artifact] msg``.

    ``context_of()`` gives the display form of the trace context the record was made in
    (``[0/1]``), or ``""``; it is read when the record is formatted, which for logdial's
    handlers is in the thread and task that logged it.

    Every line of a multi-line message or traceback (at any line boundary, carriage
    returns and Unicode line separators included) carries the prefix, so no message can
    forge a line that looks like another record. ``color`` colours the level letter.

    Once ``ranks`` knows this process's rank, every line starts with it, as in torch:
    ``[rank3]:I1201 06:54:18.123456 4242 pkg/mod.py:12] msg``.
    """

    def __init__(
        self,
        *,
        artifact_of: ArtifactOf = _no_artifact,
        color: bool = False,
        context_of: ContextOf = no_context,
        ranks: RankView = NO_RANK,
    ) -> None:
        super().__init__()
        self._artifact_of = artifact_of
        self._context_of = context_of
        self._color = color
        self._ranks = ranks
        # (second, its "MMDD HH:MM:SS"), one attribute so that threads formatting at once
        # never pair one second with another's text.
        self._stamp: tuple[int, str] = (-1, "")

    def _timestamp(self, created: float) -> str:
        # Rounded to the microsecond, not truncated: the float nearest 0.123456 may be
        # 0.1234559..., and truncating would print half of all values one too low.
        micros = int(created * 1_000_000 + 0.5)
        second = micros // 1_000_000
        cached_second, stamp = self._stamp
        if second != cached_second:  # one strftime per second, not per record
            stamp = time.strftime("%m%d %H:%M:%S", time.localtime(second))
            self._stamp = (second, stamp)
        # str(), not a format spec: the zero-padded fraction is the costliest part of a line.
        return stamp + "." + str(micros - second * 1_000_000 + 1_000_000)[1:]

    def format(self, record: logging.LogRecord) -> str:
        """
        Format ``record`` as glog-style lines; the record is not modified.
        """
        # The hot path of every enabled record: one f-string for the prefix, and no line
        # splitting for the usual one-line message (benchmarks/RESULTS.md).
        levelno = record.levelno
        letter = _LETTERS.get(levelno) or glog_letter(levelno)
        if self._color:
            letter = f"{_COLORS[letter]}{letter}{_RESET}"
        prefix = (
            f"{self._ranks.prefix}{letter}{self._timestamp(record.created)} {record.process} "
            f"{relative_path(record.pathname)}:{record.lineno}] "
        )
        context = self._context_of()
        if context:
            prefix = f"{prefix}{context} "
        artifact = self._artifact_of(record.name)
        if artifact:
            prefix = f"{prefix}[__{artifact}] "
        if record.exc_info or record.exc_text or record.stack_info:
            lines = _message_lines(record, self)
        else:
            text = record.getMessage()
            if text.isprintable():  # no line break of any kind (nor other control characters)
                return prefix + text
            lines = text.split("\n")
            if not all(map(str.isprintable, lines)):  # other breaks (or controls): the full split
                lines = re.split(_LINE_BREAK, text)
        return prefix + ("\n" + prefix).join(lines)

    def formatException(self, ei: logging._SysExcInfoType) -> str:  # noqa: N802 (stdlib name)
        """
        The traceback of ``ei`` without a trailing newline.
        """
        return format_traceback(ei)


class PercentFormatter(logging.Formatter):
    """
    A %-style format string applied to each line of the message, validated when built.

    Besides the LogRecord attributes, a format may use ``%(artifact)s`` (the artifact's
    name, or empty), ``%(relpath)s`` (the source path relative to ``sys.path``),
    ``%(glog_level)s`` (V, I, W, E or C), ``%(trace_id)s`` (the trace context, e.g.
    ``[0/1]``, or empty) and ``%(rank)s`` (this process's rank, or empty).
    """

    def __init__(
        self,
        fmt: str,
        *,
        artifact_of: ArtifactOf = _no_artifact,
        datefmt: str | None = None,
        context_of: ContextOf = no_context,
        ranks: RankView = NO_RANK,
    ) -> None:
        check_format(fmt)
        super().__init__(fmt, datefmt=datefmt, style="%")
        self._fmt_text = fmt
        self._artifact_of = artifact_of
        self._context_of = context_of
        self._ranks = ranks
        self._needs_time = "%(asctime)" in fmt
        # The record's own text fields the format shows beside the message: a line break
        # (or another control character) in one of them, say a thread's name, is escaped,
        # so that every line of the output starts with the format's prefix.
        fields = {m["key"] for m in re.finditer(_TOKEN, fmt) if m["key"]}
        self._text_fields = tuple(sorted(fields - EXTRA_FIELDS))
        # Without %(message)s the format makes one line per record (else one per line of
        # the message, exception and stack).
        self._per_line = "message" in fields

    def format(self, record: logging.LogRecord) -> str:
        """
        Format ``record`` with the format string, one output line per message line.
        """
        values = dict(record.__dict__)
        values["artifact"] = self._artifact_of(record.name) or ""
        values["relpath"] = relative_path(record.pathname)
        values["glog_level"] = glog_letter(record.levelno)
        values["trace_id"] = self._context_of()
        rank = self._ranks.rank
        values["rank"] = "" if rank is None else str(rank)
        if self._needs_time:
            values["asctime"] = self.formatTime(record, self.datefmt)
        for key in self._text_fields:
            value = values[key]
            if value is None or isinstance(value, (int, float)):  # (numbers print on one line)
                continue
            if not isinstance(value, str):  # %(msg)s of an object, %(args)s, %(exc_info)s: their text
                value = str(value)
            if not value.isprintable():
                value = escape_controls(value, newlines=False)
            values[key] = value
        if not self._per_line:
            return self._fmt_text % values
        out = []
        for line in _message_lines(record, self):
            values["message"] = line
            out.append(self._fmt_text % values)
        return "\n".join(out)


def check_format(fmt: str) -> None:
    """
    Raise ``FormatError`` unless ``fmt`` is a %-style format that works on any record.

    A format needs at least one field (a text without one would print the same line for
    every record, and is most likely a ``{}``-style format given by mistake), every field
    must be a record attribute or one of logdial's, and the whole must apply cleanly.
    """
    if not isinstance(fmt, str) or not fmt:
        raise FormatError(f"a log format must be a non-empty string, not {fmt!r}")
    fields = [m["key"] for m in re.finditer(_TOKEN, fmt) if m["key"] is not None]
    if not fields:
        raise FormatError(
            f"log format {fmt!r} has no field; write fields as %(name)s, e.g. '%(levelname)s: %(message)s'"
        )
    for spec in re.finditer(_SPEC, fmt):
        if spec["type"] == "%" and not spec.group(0)[1:-1]:
            continue  # "%%", a literal percent sign
        if spec["type"] == "c":
            raise FormatError(
                f"log format {fmt!r} uses the conversion %c, which fails for the values a record holds; use %s"
            )
        for part in ("width", "precision"):
            size = spec[part]
            if size is not None and size.isdigit() and int(size) > MAX_FORMAT_WIDTH:
                raise FormatError(
                    f"log format {fmt!r} asks for a {part} of {int(size)} in {spec.group(0)!r}; "
                    f"at most {MAX_FORMAT_WIDTH} is allowed (a huge one costs that much memory per record)"
                )
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        import difflib  # only on an error: it is slow to import

        close = [m for u in unknown for m in difflib.get_close_matches(u, FIELDS, n=1)]
        hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
        raise FormatError(
            f"log format {fmt!r} uses unknown field(s) {', '.join(map(repr, unknown))}{hint}; "
            f"known fields: {', '.join(sorted(FIELDS))}"
        )
    try:
        logging.PercentStyle(fmt).validate()
        sample = logging.LogRecord("logdial", logging.INFO, __file__, 1, "message", None, None)
        values = dict(
            sample.__dict__, message="message", asctime="", artifact="", relpath="", glog_level="I", trace_id=""
        )
        values["rank"] = ""
        fmt % values
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise FormatError(
            f"log format {fmt!r} is not a valid %-style format ({exc}); "
            "write fields as %(name)s, and a literal percent sign as %%"
        ) from None


def is_json(fmt: str | None) -> bool:
    """
    Whether ``fmt`` names the JSON-lines format (``json``, in any case).
    """
    return isinstance(fmt, str) and fmt.strip().lower() == "json"
