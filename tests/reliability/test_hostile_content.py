"""
Promise 5, hostile content: messages and arguments holding newlines, carriage returns,
terminal escape sequences (clear screen, OSC 8 hyperlinks, window titles), bidirectional
overrides, or text that imitates the line prefix cannot forge a record. On a terminal
(a real pseudo-terminal here) control characters but newline and tab are shown escaped
and every line carries the prefix; in the file the text is kept as it is, but every line
boundary gets the prefix. A ``str()`` that raises is reported once, never propagated.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import threading
from pathlib import Path

import pytest
from tests.reliability._support import GLOG_LINE
from tests.subprocesses import read_pty

from logdial import LogSystem

#: A message that tries everything a terminal obeys.
HOSTILE = (
    "clear\x1b[2J\x1b[H, title\x1b]0;owned\x07, link \x1b]8;;https://evil.invalid/\x1b\\click\x1b]8;;\x1b\\, "
    "bell\x07 nul\x00 del\x7f csi\x9b31m bidi\u202eabc\u202c back\x08 "
    "cr\rW1201 00:00:00.000000 1 forged.py:1] forged"
)
#: How it shows on a terminal: every control character escaped, nothing else changed.
HOSTILE_SHOWN = (
    "clear\\x1b[2J\\x1b[H, title\\x1b]0;owned\\x07, link \\x1b]8;;https://evil.invalid/\\x1b\\click\\x1b]8;;\\x1b\\, "
    "bell\\x07 nul\\x00 del\\x7f csi\\x9b31m bidi\\u202eabc\\u202c back\\x08 "
    "cr\\x0dW1201 00:00:00.000000 1 forged.py:1] forged"
)
#: The ANSI sequences logdial itself writes: the colour of the level letter.
OWN_COLOUR = re.compile(rb"^\x1b\[(?:2|32|33|31|1;31)m([VIWEC])\x1b\[0m", re.MULTILINE)


def shown_lines(master: int) -> list[str]:
    """
    The terminal's lines with logdial's own colour codes taken out; an
    ``AssertionError`` if any other control character but tab reached it.
    """
    data = read_pty(master).replace(b"\r\n", b"\n")  # the terminal's own newline translation
    plain = OWN_COLOUR.sub(rb"\1", data).decode("utf-8")
    stray = sorted({c for c in plain if c not in "\n\t" and not c.isprintable()})
    assert [] == stray, plain
    return plain.split("\n")[:-1]


class TestTerminal:
    """
    The console handler writing to a terminal.
    """

    def test_controls_escaped(self, system: LogSystem, terminal: tuple[int, io.TextIOWrapper]) -> None:
        """
        The hostile message, in colour on the terminal: only logdial's own colour codes
        reach it; the message's controls show escaped, ``\\r`` included, so the forged
        prefix stays in the middle of the line (as ``\\x0d``); the newline gives a second line that
        carries the real prefix.
        """
        master, stream = terminal
        with contextlib.redirect_stderr(stream):
            system.init({})
            logging.getLogger("testsys.core").warning("%s\nsecond line", HOSTILE)
        first, second = (GLOG_LINE.fullmatch(line) for line in shown_lines(master))
        assert first is not None
        assert second is not None
        assert (HOSTILE_SHOWN, "second line") == (first["msg"], second["msg"])
        assert first.group(0)[: -len(first["msg"])] == second.group(0)[: -len(second["msg"])]

    def test_arguments_exceptions_and_custom_format(
        self, system: LogSystem, terminal: tuple[int, io.TextIOWrapper]
    ) -> None:
        """
        With a custom format: controls in an argument, in an exception's message (every
        traceback line prefixed) and in a field of the prefix (a thread's name) are all
        escaped.
        """
        system.init({"TESTSYS_LOGS_FORMAT": "%(levelname)s %(threadName)s| %(message)s"})
        log = logging.getLogger("testsys.core")

        def work() -> None:
            try:
                raise ValueError("bad \x1b[31mred\x1b[0m")
            except ValueError:
                log.exception("failed on %r", "arg\x1b]0;title\x07")

        master, stream = terminal
        with contextlib.redirect_stderr(stream):
            thread = threading.Thread(target=work, name="worker\x1b[2J")
            thread.start()
            thread.join()
        lines = shown_lines(master)
        assert "ERROR worker\\x1b[2J| failed on 'arg\\x1b]0;title\\x07'" == lines[0]
        assert "ERROR worker\\x1b[2J| ValueError: bad \\x1b[31mred\\x1b[0m" == lines[-1]
        assert all(line.startswith("ERROR worker\\x1b[2J| ") for line in lines)

    def test_plain_stream_is_not_escaped(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        Not a terminal (a pipe, pytest's capture): the console output is the file
        output, byte-faithful, escapes and all.
        """
        system.init({"TESTSYS_LOGS_FORMAT": "%(message)s"})
        logging.getLogger("testsys.core").warning("a\x1b[2Jb\ttab")
        assert "a\x1b[2Jb\ttab\n" == capsys.readouterr().err


class TestFile:
    """
    ``{P}_LOGS_OUT``: the text as it is, and the prefix at every line boundary.
    """

    def test_byte_faithful(self, system: LogSystem, tmp_path: Path) -> None:
        """
        Control characters, escapes, tab, any script and emoji are written as their
        UTF-8 bytes; each of the eleven line boundaries Python knows (``\\r\\n`` as one)
        becomes a newline and the prefix; a lone surrogate, which has no UTF-8 form, is
        written as ``\\udcff``.
        """
        out = tmp_path / "out.log"
        system.init(
            {"TESTSYS_LOGS_OUT": str(out), "TESTSYS_LOGS_CONSOLE": "none", "TESTSYS_LOGS_FORMAT": "P| %(message)s"}
        )
        text = "esc\x1b[2J nul\x00 del\x7f tab\t é 😀 \u202e"
        breaks = ["\n", "\r\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
        logging.getLogger("testsys.core").warning("".join(f"{text}{b}" for b in breaks) + "end \udcff")
        expected = "".join(f"P| {text}\n" for _ in breaks) + "P| end \\udcff\n"
        assert expected.encode("utf-8") == out.read_bytes()

    def test_prefix_cannot_be_forged(self, system: LogSystem, tmp_path: Path) -> None:
        """
        A message whose second line imitates a record (another pid, file and level)
        shows it after the real prefix: every line of the file starts with this
        process's prefix.
        """
        out = tmp_path / "out.log"
        system.init({"TESTSYS_LOGS_OUT": str(out), "TESTSYS_LOGS_CONSOLE": "none"})
        forged = "E1201 00:00:00.000000 99999 forged.py:1] forged error"
        logging.getLogger("testsys.core").warning("ok\n%s\r%s", forged, forged)
        lines = [GLOG_LINE.fullmatch(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert 3 == len(lines)
        assert {(str(os.getpid()), "W")} == {(m["pid"], m["letter"]) for m in lines if m is not None}
        assert ["ok", forged, forged] == [m["msg"] for m in lines if m is not None]

    def test_prefix_fields_stay_on_one_line(self, system: LogSystem, tmp_path: Path) -> None:
        """
        A line break in a field of the prefix (a thread's name; the file name of code
        compiled from a string) is escaped, so it cannot start a line of its own.
        """
        out = tmp_path / "out.log"
        system.init({"TESTSYS_LOGS_OUT": str(out), "TESTSYS_LOGS_CONSOLE": "none"})
        log = logging.getLogger("testsys.core")
        exec(compile("log.warning('from exec')", "evil\nW1201 00:00:00.000000 1 forged.py", "exec"), {"log": log})
        system.set_output(format="%(threadName)s| %(message)s")
        thread = threading.Thread(target=lambda: log.warning("from thread"), name="worker\nW1201 forged")
        thread.start()
        thread.join()
        lines = out.read_text(encoding="utf-8").splitlines()
        assert 2 == len(lines)
        assert lines[0].endswith(" evil\\x0aW1201 00:00:00.000000 1 forged.py:1] from exec")
        assert "worker\\x0aW1201 forged| from thread" == lines[1]


class _Unprintable:
    """
    An argument whose ``str()`` and ``repr()`` raise.
    """

    def __str__(self) -> str:
        raise RuntimeError("str() failed")

    def __repr__(self) -> str:
        raise RuntimeError("repr() failed")


class TestRaisingArgument:
    """
    An argument whose ``str()`` raises.
    """

    def test_reported_once_per_call_site(self, system: LogSystem, tmp_path: Path) -> None:
        """
        It never reaches the caller. The first failure of each call site is reported
        as logging reports it (``--- Logging error ---`` with the traceback), once for
        the console and the file together; repeats are quiet; good records around it
        are written.
        """
        out = tmp_path / "out.log"
        system.init({"TESTSYS_LOGS_OUT": str(out), "TESTSYS_LOGS_FORMAT": "%(message)s"})
        log = logging.getLogger("testsys.core")
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            for i in range(5):
                log.warning("good %d", i)
                log.warning("bad %s", _Unprintable())
            log.warning("bad at another place %s", _Unprintable())
        err = stderr.getvalue()
        assert 2 == err.count("--- Logging error ---")
        assert 2 == err.count("RuntimeError: str() failed")
        assert [f"good {i}" for i in range(5)] == out.read_text(encoding="utf-8").splitlines()
        assert [f"good {i}" for i in range(5)] == [line for line in err.splitlines() if line.startswith("good ")]

    def test_on_a_terminal(self, system: LogSystem, terminal: tuple[int, io.TextIOWrapper]) -> None:
        """
        On a terminal too (where the message is escaped first), the caller sees nothing.
        """
        master, stream = terminal
        with contextlib.redirect_stderr(stream):
            system.init({"TESTSYS_LOGS_FORMAT": "%(message)s"})
            logging.getLogger("testsys.core").warning("bad %s", _Unprintable())
            logging.getLogger("testsys.core").warning("next")
        shown = read_pty(master).decode("utf-8", "replace")
        assert ("--- Logging error ---" in shown, shown.endswith("next\r\n")) == (True, True)


class _Forger:
    """
    An object whose text (``str`` and ``repr``) holds a line of its own.
    """

    def __str__(self) -> str:
        return "obj\nW1201 00:00:00.000000 1 forged.py:1] forged"

    __repr__ = __str__


class TestCustomFormatFields:
    """
    A ``{P}_LOGS_FORMAT`` that shows the record's raw fields (``%(msg)s``, ``%(args)s``,
    ``%(exc_info)s``) instead of ``%(message)s``: every line still starts with the format's prefix.
    """

    @pytest.mark.parametrize("field", ["msg", "args", "exc_info"])
    def test_fields_stay_on_one_line(self, system: LogSystem, tmp_path: Path, field: str) -> None:
        """
        The field's text, a message object's, an argument's or an exception's, has its line
        breaks escaped: one record, one line.
        """
        out = tmp_path / "out.log"
        system.set_output(console="none", file=str(out), format=f"%(levelname)s %(name)s: %({field})s")
        system.init({"TESTSYS_LOGS": "core"})
        log = logging.getLogger("testsys.core")
        if field == "msg":
            log.warning(_Forger())  # type: ignore[arg-type]  # (logging takes any object as the message)
        elif field == "args":
            log.warning("%s", _Forger())
        else:
            try:
                raise ValueError("bad\nW1201 00:00:00.000000 1 forged.py:1] forged")
            except ValueError:
                log.warning("failed", exc_info=True)
        lines = out.read_text(encoding="utf-8").splitlines()
        assert 1 == len(lines), lines
        assert lines[0].startswith("WARNING testsys.core: ")
        assert "W1201 00:00:00.000000 1 forged.py:1] forged" in lines[0]  # inside the one line


class TestNotices:
    """
    Text from outside quoted in logdial's notices (a path, an exception's message) has
    its control characters escaped, and cannot start a line of its own.
    """

    def test_out_path(self, system: LogSystem, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """
        A ``{P}_LOGS_OUT`` that cannot be opened, whose name holds an escape and a newline.
        """
        bad = str(tmp_path / "no such dir" / "a\x1b[2J\nW1201 forged.log")
        system.init({"TESTSYS_LOGS_OUT": bad})
        err = capsys.readouterr().err
        shown = bad.replace("\x1b", "\\x1b").replace("\n", "\\x0a")
        expected = f"TESTSYS_LOGS_OUT={shown}: cannot open the log file (No such file or directory); "
        assert [expected + "logging to the console only"] == err.splitlines()

    def test_logging_error_report(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        The report of a record that cannot be formatted quotes the exception, the message
        and the arguments escaped.
        """

        class Hostile:
            def __str__(self) -> str:
                raise RuntimeError("boom\x1b]0;owned\x07")

            def __repr__(self) -> str:
                return "<hostile\x1b[2J>"

        system.init({"TESTSYS_LOGS": "core"})
        logging.getLogger("testsys.core").warning("value %s \x1b[31m", Hostile())
        err = capsys.readouterr().err
        assert err.startswith("--- Logging error ---\n")
        assert "RuntimeError: boom\\x1b]0;owned\\x07" in err
        assert "Message: 'value %s \\x1b[31m'" in err
        assert "Arguments: (<hostile\\x1b[2J>,)" in err
        assert "\x1b" not in err
