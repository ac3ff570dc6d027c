"""Level 1: exact-string tests of the formatters on hand-built LogRecords."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest

from logdial import FormatError, GlogFormatter, LogdialError
from logdial._formatting import PercentFormatter, check_format, relative_path
from logdial._output import make_formatter

#: 2023-11-14 22:13:20.123456 UTC.
CREATED = 1_700_000_000.123456
#: The glog stamp of CREATED in UTC.
STAMP = "1114 22:13:20.123456"
PID = 4242
#: A root no sys.path entry contains.
NOWHERE = "/nonexistent-logdial-root"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType]


def _set_tz(value: str | None) -> None:
    if value is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = value
    time.tzset()


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    """
    Run every test in UTC (a POSIX TZ string, so no tz database is needed); restore after.
    """
    saved = os.environ.get("TZ")
    _set_tz("UTC0")
    try:
        yield
    finally:
        _set_tz(saved)


@pytest.fixture
def src(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """
    A source root on sys.path: records whose pathname lies under it show a relative path.
    """
    root = tmp_path / "src"
    (root / "pkg").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(root))
    return root


def record(
    msg: object = "hello",
    *args: object,
    level: int = logging.INFO,
    name: str = "testsys.core",
    pathname: str = f"{NOWHERE}/pkg/mod.py",
    lineno: int = 42,
    created: float = CREATED,
    exc_info: ExcInfo | None = None,
    sinfo: str | None = None,
) -> logging.LogRecord:
    """
    A LogRecord with a fixed time, process, path and line.
    """
    rec = logging.LogRecord(name, level, pathname, lineno, msg, args or None, exc_info, func="fn", sinfo=sinfo)
    rec.created = created
    rec.msecs = (created - int(created)) * 1000
    rec.process = PID
    return rec


def prefix(letter: str = "I", path: str = f"{NOWHERE}/pkg/mod.py", tag: str = "") -> str:
    """
    The glog prefix of a record made by ``record()``.
    """
    return f"{letter}{STAMP} {PID} {path}:42] {tag}"


def raised() -> ExcInfo:
    """
    The exc_info of a ValueError with a two-line message, raised here.
    """
    try:
        raise ValueError("bad value\nsecond line of it")
    except ValueError:
        exc_type, exc, tb = sys.exc_info()
        assert exc_type is not None
        assert exc is not None
        assert tb is not None
        return exc_type, exc, tb


def traceback_lines(info: ExcInfo) -> list[str]:
    """
    The lines of the traceback of ``raised()``, written out by hand.
    """
    return [
        "Traceback (most recent call last):",
        f'  File "{__file__}", line {info[2].tb_lineno}, in raised',
        '    raise ValueError("bad value\\nsecond line of it")',
        "ValueError: bad value",
        "second line of it",
    ]


class TestGlogFormatter:
    """
    GlogFormatter: ``L MMDD HH:MM:SS.uuuuuu pid path:line] [__artifact] message``.
    """

    def test_line(self) -> None:
        """
        A plain record gives one glog line: letter, stamp, pid, path, line, message.
        """
        assert f"I{STAMP} 4242 {NOWHERE}/pkg/mod.py:42] hello" == GlogFormatter().format(record())

    def test_message_arguments(self) -> None:
        """
        The message is merged with its arguments.
        """
        assert prefix() + "3 nodes in g" == GlogFormatter().format(record("%d nodes in %s", 3, "g"))

    @pytest.mark.parametrize(
        ("level", "letter"),
        [
            (1, "V"),
            (5, "V"),
            (10, "V"),
            (15, "V"),
            (20, "I"),
            (25, "I"),
            (30, "W"),
            (35, "W"),
            (40, "E"),
            (45, "E"),
            (50, "C"),
            (60, "C"),
        ],
    )
    def test_level_letter(self, level: int, letter: str) -> None:
        """
        DEBUG and below are V, then I, W, E and C; a custom level between two standard
        ones takes the letter of the lower (15 is V, 25 is I, 60 is C).
        """
        assert prefix(letter) + "hello" == GlogFormatter().format(record(level=level))

    @pytest.mark.parametrize(
        ("created", "stamp"),
        [
            (1_700_000_000.0, "1114 22:13:20.000000"),
            (1_700_000_000.000001, "1114 22:13:20.000001"),
            (1_700_000_000.5, "1114 22:13:20.500000"),
            (1_700_000_000.123456, "1114 22:13:20.123456"),
            (1_700_000_000.999999, "1114 22:13:20.999999"),
            (1_700_000_000.9999996, "1114 22:13:21.000000"),
        ],
    )
    def test_microseconds(self, created: float, stamp: str) -> None:
        """
        Six real digits of microseconds (torch shows only milliseconds, ``.123000``),
        rounded to the nearest one; a value that rounds up to a whole second carries.
        """
        expected = f"I{stamp} 4242 {NOWHERE}/pkg/mod.py:42] hello"
        assert expected == GlogFormatter().format(record(created=created))

    def test_every_microsecond_value_is_exact(self) -> None:
        """
        The float nearest ``S + k/1e6`` prints as ``k`` for every k tried (truncating
        the fraction would print about half of them one microsecond low).
        """
        formatter = GlogFormatter()
        wrong = []
        for k in range(0, 1_000_000, 331):
            line = formatter.format(record(created=1_700_000_000 + k / 1e6))
            if not line.startswith(f"I1114 22:13:20.{k:06d} "):
                wrong.append((k, line))
        assert [] == wrong

    def test_seconds_change_between_records(self) -> None:
        """
        One formatter formats records of different seconds, in any order, each with its
        own time (the per-second memo never leaks into another second).
        """
        formatter = GlogFormatter()
        lines = [formatter.format(record(created=c)).split(" 4242 ")[0] for c in (1.7e9 + 0.25, 1.7e9 + 61.5, 1.7e9)]
        assert ["I1114 22:13:20.250000", "I1114 22:14:21.500000", "I1114 22:13:20.000000"] == lines

    def test_local_time(self) -> None:
        """
        The stamp is in local time, as torch's is.
        """
        _set_tz("IST-5:30")
        assert prefix().replace("1114 22:13", "1115 03:43") + "hello" == GlogFormatter().format(record())

    def test_path_relative_to_sys_path(self, src: Path) -> None:
        """
        The path is shown relative to the sys.path entry that contains it.
        """
        rec = record(pathname=str(src / "pkg" / "mod.py"))
        assert prefix(path="pkg/mod.py") + "hello" == GlogFormatter().format(rec)

    def test_path_relative_to_longest_entry(self, src: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        When several entries contain the path, the longest (most specific) one wins,
        wherever it stands in sys.path.
        """
        monkeypatch.setattr(sys, "path", [str(src), *sys.path, str(src / "pkg")])  # the shorter one first
        rec = record(pathname=str(src / "pkg" / "mod.py"))
        assert prefix(path="mod.py") + "hello" == GlogFormatter().format(rec)

    def test_path_absolute_outside_sys_path(self) -> None:
        """
        A path that no sys.path entry contains is shown as it is.
        """
        assert prefix(path="/opt/zzz/q.py") + "hello" == GlogFormatter().format(record(pathname="/opt/zzz/q.py"))

    def test_path_prefix_of_a_name_is_no_parent(self, src: Path) -> None:
        """
        An entry ``/x/src`` does not contain ``/x/srcfoo/m.py``: only whole directories count.
        """
        other = f"{src}foo/m.py"
        assert prefix(path=other) + "hello" == GlogFormatter().format(record(pathname=other))

    def test_path_entry_added_later(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A sys.path entry added after a path was first shown is taken into account.
        """
        pathname = str(tmp_path / "late" / "mod.py")
        formatter = GlogFormatter()
        before = formatter.format(record(pathname=pathname))
        monkeypatch.syspath_prepend(str(tmp_path / "late"))
        after = formatter.format(record(pathname=pathname))
        assert (prefix(path=pathname) + "hello", prefix(path="mod.py") + "hello") == (before, after)

    def test_path_of_non_file_code(self) -> None:
        """
        Code without a file (``python -c``) keeps its pseudo-path.
        """
        assert prefix(path="<string>") + "hello" == GlogFormatter().format(record(pathname="<string>"))

    def test_relative_path_ignores_non_str_entries(self, src: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A sys.path entry that is not a str (bytes) is skipped, not a crash.
        """
        monkeypatch.setattr(sys, "path", [b"/", *sys.path])
        assert "pkg/mod.py" == relative_path(str(src / "pkg" / "mod.py"))

    def test_relative_path_memo_is_bounded(self, src: Path) -> None:
        """
        Many distinct paths keep the memo bounded, and every answer right.
        """
        from logdial import _formatting

        wrong = [n for n in range(5000) if relative_path(str(src / f"m{n}.py")) != f"m{n}.py"]
        assert ([], True) == (wrong, len(_formatting._path_memo[1]) <= 4096)

    def test_artifact_tag(self) -> None:
        """
        An artifact's record carries ``[__name] `` after the prefix; others do not.
        """
        formatter = GlogFormatter(artifact_of={"testsys.core.__graph": "graph"}.get)
        lines = [formatter.format(record(name="testsys.core.__graph")), formatter.format(record())]
        assert [prefix(tag="[__graph] ") + "hello", prefix() + "hello"] == lines

    def test_multi_line_message(self) -> None:
        """
        Every line of a multi-line message carries the whole prefix, tag included.
        """
        formatter = GlogFormatter(artifact_of=lambda name: "graph")
        p = prefix(tag="[__graph] ")
        assert f"{p}one\n{p}  two\n{p}three" == formatter.format(record("one\n  two\nthree"))

    def test_trailing_newline(self) -> None:
        """
        A trailing newline gives a final line that is only the prefix, as torch does.
        """
        p = prefix()
        assert f"{p}multi\n{p}line\n{p}" == GlogFormatter().format(record("multi\nline\n"))

    def test_empty_message(self) -> None:
        """
        An empty message is one line: the prefix alone.
        """
        assert prefix() == GlogFormatter().format(record(""))

    def test_non_string_message(self) -> None:
        """
        A message that is not a string is shown as its str().
        """
        assert prefix() + "{'a': 1}" == GlogFormatter().format(record({"a": 1}))

    @pytest.mark.parametrize(
        "brk", ["\n", "\r\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
    )
    def test_every_line_boundary(self, brk: str) -> None:
        """
        Each line boundary that str.splitlines() knows ("\\r\\n" as one) starts a new,
        prefixed line: a reader splitting on any of them, such as Python's universal
        newlines turning "\\r" into "\\n", finds a prefix at every line start.
        """
        p = prefix()
        assert f"{p}a\n{p}b" == GlogFormatter().format(record(f"a{brk}b"))

    @pytest.mark.parametrize("brk", ["\n", "\r", "\r\n", "\u2028"])
    def test_forged_record_line(self, brk: str) -> None:
        """
        A message that imitates another record's prefix after a line break still has the
        real prefix before it: no line starts with the forged one.
        """
        forged = f"E{STAMP} 1 evil.py:1] root password changed"
        text = GlogFormatter().format(record(f"ok{brk}{forged}"))
        assert [prefix() + "ok", prefix() + forged] == text.split("\n")
        assert [prefix() + "ok", prefix() + forged] == text.splitlines()

    def test_traceback(self) -> None:
        """
        The traceback of ``exc_info`` follows the message, every line prefixed with the
        record's letter, its last line without a trailing newline.
        """
        info = raised()
        text = GlogFormatter().format(record("failed", level=logging.ERROR, exc_info=info))
        expected = [prefix("E") + line for line in ["failed", *traceback_lines(info)]]
        assert "\n".join(expected) == text

    def test_cached_exception_text(self) -> None:
        """
        A record that only carries ``exc_text`` (from another formatter, or pickled)
        shows that text, every line prefixed.
        """
        rec = record("failed", level=logging.ERROR)
        rec.exc_text = "Traceback (most recent call last):\nKeyError: 'x'"
        p = prefix("E")
        assert f"{p}failed\n{p}Traceback (most recent call last):\n{p}KeyError: 'x'" == GlogFormatter().format(rec)

    def test_stack_info(self) -> None:
        """
        ``stack_info`` follows the message (and the traceback), every line prefixed.
        """
        stack = 'Stack (most recent call last):\n  File "app.py", line 3, in <module>\n    main()'
        info = raised()
        text = GlogFormatter().format(record("here", level=logging.WARNING, exc_info=info, sinfo=stack))
        lines = ["here", *traceback_lines(info), *stack.split("\n")]
        assert "\n".join(prefix("W") + line for line in lines) == text

    def test_record_not_mutated(self) -> None:
        """
        Formatting changes nothing on the record: no ``message``, no ``exc_text`` cached,
        no ``asctime`` (the stdlib Formatter sets all three).
        """
        rec = record("a %s\nb", "x", level=logging.ERROR, exc_info=raised(), sinfo="Stack:\n  f()")
        before = dict(rec.__dict__)
        GlogFormatter(artifact_of=lambda name: "graph", color=True).format(rec)
        assert before == rec.__dict__

    @pytest.mark.parametrize(
        ("level", "colored"),
        [
            (logging.DEBUG, "\x1b[2mV\x1b[0m"),
            (logging.INFO, "\x1b[32mI\x1b[0m"),
            (logging.WARNING, "\x1b[33mW\x1b[0m"),
            (logging.ERROR, "\x1b[31mE\x1b[0m"),
            (logging.CRITICAL, "\x1b[1;31mC\x1b[0m"),
        ],
    )
    def test_color(self, level: int, colored: str) -> None:
        """
        ``color=True`` colours the level letter, and only it, on every line.
        """
        p = f"{colored}{STAMP} 4242 {NOWHERE}/pkg/mod.py:42] "
        assert f"{p}a\n{p}b" == GlogFormatter(color=True).format(record("a\nb", level=level))

    def test_no_color_by_default(self) -> None:
        """
        Without ``color`` the output holds no escape sequence.
        """
        assert prefix("E") + "x" == GlogFormatter().format(record("x", level=logging.ERROR))


class TestCheckFormat:
    """
    check_format: a %-style format is accepted only if it works on any record.
    """

    #: The fields a format may use on this Python, written out.
    KNOWN = (
        "args, artifact, asctime, created, exc_info, exc_text, filename, funcName, glog_level, levelname, "
        "levelno, lineno, message, module, msecs, msg, name, pathname, process, processName, rank, relativeCreated, "
        "relpath, stack_info, " + ("taskName, " if sys.version_info >= (3, 12) else "") + "thread, threadName, trace_id"
    )

    @pytest.mark.parametrize(
        "fmt",
        [
            "%(message)s",
            "%(levelname)s:%(name)s:%(message)s",
            "%(glog_level)s %(relpath)s:%(lineno)d] [%(artifact)s] %(message)s",
            "%(asctime)s %(created)f %(msecs)03d %(process)d %(thread)d %(message)s",
            "100%% %(message)s",
            "%(levelname)-8s|%(message)r",
            logging.BASIC_FORMAT,
        ],
    )
    def test_valid(self, fmt: str) -> None:
        """
        Formats made of known fields, conversions and ``%%`` pass.
        """
        assert None is check_format(fmt)

    def test_unknown_field(self) -> None:
        """
        An unknown field is named, and the known ones listed.
        """
        message = f"log format '%(nope)s' uses unknown field(s) 'nope'; known fields: {self.KNOWN}"
        with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
            check_format("%(nope)s")

    def test_unknown_fields_with_suggestion(self) -> None:
        """
        Every unknown field is named, sorted, with the closest known names.
        """
        message = (
            "log format '%(levelnam)s %(mesage)s %(zzz)s' uses unknown field(s) 'levelnam', 'mesage', 'zzz' "
            f"(did you mean 'levelname' or 'message'?); known fields: {self.KNOWN}"
        )
        with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
            check_format("%(levelnam)s %(mesage)s %(zzz)s")

    @pytest.mark.parametrize("fmt", ["%(msg.__class__)s", "%(message)s %(msg.__class__)s"])
    def test_attribute_access_is_an_unknown_field(self, fmt: str) -> None:
        """
        A dotted key is reported as the unknown field it is: %-style formats look keys
        up in a dict, and can never evaluate an attribute.
        """
        message = f"log format {fmt!r} uses unknown field(s) 'msg.__class__'; known fields: {self.KNOWN}"
        with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
            check_format(fmt)

    def test_task_name_follows_the_record(self) -> None:
        """
        ``taskName`` is a field exactly where LogRecord has it (Python 3.12 and later).
        """
        has_it = hasattr(logging.LogRecord("n", 20, "p", 1, "m", None, None), "taskName")
        if has_it:
            assert None is check_format("%(taskName)s %(message)s")
        else:
            message = (
                "log format '%(taskName)s' uses unknown field(s) 'taskName' (did you mean 'threadName'?); "
                f"known fields: {self.KNOWN}"
            )
            with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
                check_format("%(taskName)s")

    @pytest.mark.parametrize("fmt", ["plain text", "{message}", "{levelname}: {message}", "%(", "%s", "%%(message)s"])
    def test_no_field(self, fmt: str) -> None:
        """
        A format without any %(field) is rejected, as torch rejects it: most likely a
        ``{}``-style format, and one that would print the same line for every record.
        An escaped ``%%(message)s`` is literal text, not a field.
        """
        message = f"log format {fmt!r} has no field; write fields as %(name)s, e.g. '%(levelname)s: %(message)s'"
        with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
            check_format(fmt)

    @pytest.mark.parametrize(
        ("fmt", "reason"),
        [
            ("%(name)", "Invalid format '%(name)' for '%' style"),
            ("%(name)s %(levelname)", "incomplete format"),
            ("%(message)s %", "incomplete format"),
            ("%(name)s %(", "incomplete format key"),
            ("%(message)d", "%d format: a real number is required, not str"),
            ("%(message)s %s", "not enough arguments for format string"),
            ("%(message)y", "Invalid format '%(message)y' for '%' style"),
        ],
    )
    def test_malformed(self, fmt: str, reason: str) -> None:
        """
        A format that does not apply cleanly to a record is rejected with Python's reason.
        """
        message = (
            f"log format {fmt!r} is not a valid %-style format ({reason}); "
            "write fields as %(name)s, and a literal percent sign as %%"
        )
        with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
            check_format(fmt)

    @pytest.mark.parametrize("fmt", ["", None, 42, b"%(message)s", ["%(message)s"]])
    def test_not_a_non_empty_string(self, fmt: object) -> None:
        """
        Only a non-empty str is a format.
        """
        message = f"a log format must be a non-empty string, not {fmt!r}"
        with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
            check_format(fmt)  # type: ignore[arg-type]

    def test_format_error_is_a_value_error(self) -> None:
        """
        FormatError is both a LogdialError and a ValueError.
        """
        with pytest.raises(FormatError) as caught:
            check_format("")
        assert (True, True) == (isinstance(caught.value, LogdialError), isinstance(caught.value, ValueError))


class TestPercentFormatter:
    """
    PercentFormatter: a validated %-style format applied to each line.
    """

    def test_per_line(self) -> None:
        """
        The format is applied to each line of the message.
        """
        formatter = PercentFormatter("%(levelname)s %(name)s: %(message)s")
        expected = "INFO testsys.core: one\nINFO testsys.core: two\nINFO testsys.core: "
        assert expected == formatter.format(record("one\ntwo\n"))

    def test_logdial_fields(self, src: Path) -> None:
        """
        ``%(artifact)s``, ``%(relpath)s`` and ``%(glog_level)s`` are logdial's own.
        """
        formatter = PercentFormatter(
            "%(glog_level)s|%(relpath)s:%(lineno)d|%(artifact)s|%(message)s",
            artifact_of={"testsys.core.__graph": "graph"}.get,
        )
        path = str(src / "pkg" / "mod.py")
        lines = [
            formatter.format(record("a", name="testsys.core.__graph", pathname=path, level=logging.DEBUG)),
            formatter.format(record("b", pathname=path, level=25)),
        ]
        assert ["V|pkg/mod.py:42|graph|a", "I|pkg/mod.py:42||b"] == lines

    def test_asctime(self) -> None:
        """
        ``%(asctime)s`` is the stdlib's local time with milliseconds.
        """
        assert "2023-11-14 22:13:20,123 hello" == PercentFormatter("%(asctime)s %(message)s").format(record())

    def test_datefmt(self) -> None:
        """
        ``datefmt`` sets the asctime format.
        """
        formatter = PercentFormatter("%(asctime)s %(message)s", datefmt="%H:%M")
        assert "22:13 hello" == formatter.format(record())

    def test_traceback_per_line(self) -> None:
        """
        The traceback's lines get the format too.
        """
        info = raised()
        text = PercentFormatter("%(levelname)s| %(message)s").format(record("failed", level=40, exc_info=info))
        assert "\n".join(f"ERROR| {line}" for line in ["failed", *traceback_lines(info)]) == text

    def test_literal_text(self) -> None:
        """
        ``%%`` is a percent sign; braces are literal text, never evaluated.
        """
        formatter = PercentFormatter("100%% {msg.__class__} %(message)s")
        assert "100% {msg.__class__} hello" == formatter.format(record())

    def test_record_not_mutated(self) -> None:
        """
        Formatting changes nothing on the record.
        """
        rec = record("a %s\nb", "x", level=logging.ERROR, exc_info=raised(), sinfo="Stack:\n  f()")
        before = dict(rec.__dict__)
        PercentFormatter("%(asctime)s %(artifact)s %(relpath)s %(message)s").format(rec)
        assert before == rec.__dict__

    def test_validated_when_built(self) -> None:
        """
        An invalid format fails when the formatter is built, not at the first record.
        """
        message = "log format '{message}' has no field; write fields as %(name)s, e.g. '%(levelname)s: %(message)s'"
        with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
            PercentFormatter("{message}")


class TestMakeFormatter:
    """
    make_formatter: glog-style for None, logging's basic format for short/basic, else %-style.
    """

    def test_default_is_glog(self) -> None:
        """
        ``None`` gives the glog-style formatter, with the artifact tag.
        """
        formatter = make_formatter(None, artifact_of=lambda name: "graph", color=False)
        assert prefix(tag="[__graph] ") + "hello" == formatter.format(record())

    def test_default_in_color(self) -> None:
        """
        ``color=True`` colours the glog letter.
        """
        formatter = make_formatter(None, artifact_of=lambda name: None, color=True)
        assert f"\x1b[32mI\x1b[0m{STAMP} 4242 {NOWHERE}/pkg/mod.py:42] hello" == formatter.format(record())

    @pytest.mark.parametrize("name", ["short", "basic", "SHORT", " Basic "])
    def test_basic_names(self, name: str) -> None:
        """
        ``short`` and ``basic`` (any case, spaces ignored) mean logging.BASIC_FORMAT.
        """
        formatter = make_formatter(name, artifact_of=lambda name: None, color=False)
        assert "INFO:testsys.core:one\nINFO:testsys.core:two" == formatter.format(record("one\ntwo"))

    def test_custom_format_is_never_colored(self) -> None:
        """
        A custom format has no colour, even when asked for.
        """
        formatter = make_formatter("%(levelname)s %(message)s", artifact_of=lambda name: None, color=True)
        assert "WARNING hello" == formatter.format(record(level=logging.WARNING))

    @pytest.mark.parametrize(
        ("fmt", "message"),
        [
            ("%(nope)s", f"log format '%(nope)s' uses unknown field(s) 'nope'; known fields: {TestCheckFormat.KNOWN}"),
            (42, "a log format must be a non-empty string, not 42"),
        ],
    )
    def test_invalid(self, fmt: object, message: str) -> None:
        """
        An invalid format is a FormatError, whatever its type.
        """
        with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
            make_formatter(fmt, artifact_of=lambda name: None, color=False)  # type: ignore[arg-type]
