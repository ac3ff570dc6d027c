"""
The TORCH_LOGS* variables end to end: the demo in a subprocess with a real environment,
as a user runs it (help, errors, strict mode, TORCH_LOGS_OUT, TORCH_LOGS_FORMAT,
TORCH_LOGS_CONSOLE, colour), and what importing logdial does (nothing).
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest
from tests.subprocesses import Output, child_environ

from logdial import LogSystem


def run(cwd: Path, *args: str, **variables: str) -> Output:
    """
    Run ``python <args>`` (default ``-m logdial.demo``) with ``variables`` set.
    """
    command = [sys.executable, *(args or ("-m", "logdial.demo"))]
    done = subprocess.run(
        command, capture_output=True, env=child_environ(**variables), cwd=cwd, encoding="utf-8", timeout=60, check=False
    )
    return Output(done.returncode, done.stdout, done.stderr)


_GLOG = re.compile(r"^[VIWEC]\d{4} \d{2}:\d{2}:\d{2}\.\d{6} \d+ \S+:\d+\] ")
#: The line the demo's own application handler (logging.basicConfig) prints.
APP_LINE = "app: WARNING some.random.module: user code: toy_fn is compiled with an experimental backend"


def normalise(text: str) -> str:
    """
    Fix the timestamp and pid of each glog-style prefix.
    """
    return re.sub(r"^([VIWEC])\d{4} \d{2}:\d{2}:\d{2}\.\d{6} \d+ ", r"\1MMDD HH:MM:SS.uuuuuu PID ", text, flags=re.M)


def glog_lines(text: str) -> list[str]:
    """
    The lines of ``text`` in logdial's default format.
    """
    return [line for line in text.splitlines() if _GLOG.match(line)]


def notices(stderr: str) -> list[str]:
    """
    The lines of stderr that are neither log records nor the app's line.
    """
    return [line for line in stderr.splitlines() if not _GLOG.match(line) and line != APP_LINE]


@pytest.fixture(scope="module")
def cwd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """
    A directory of its own for the children to run in.
    """
    return tmp_path_factory.mktemp("cwd")


@pytest.fixture(scope="module")
def default(cwd: Path) -> Output:
    """
    The demo with no variable set.
    """
    return run(cwd)


class TestHelp:
    """
    TORCH_LOGS=help and +help.
    """

    @pytest.mark.parametrize(("value", "verbose"), [("help", False), ("+help", True)])
    def test_help_on_stderr_and_exit_0(self, value: str, verbose: bool, demo: LogSystem, cwd: Path) -> None:
        """
        The help message, and nothing else, on stderr; nothing on stdout; status 0.
        """
        message = demo.help_message(verbose=verbose)
        assert (0, "", message.rstrip("\n") + "\n") == run(cwd, TORCH_LOGS=value)


class TestInvalidSettings:
    """
    An invalid TORCH_LOGS at init(): one notice on stderr, the valid items applied.
    """

    def test_notice_and_valid_items(self, cwd: Path) -> None:
        """
        "dynamoo,+aot": the notice names the variable, the item, its position and the
        fix; the program then runs exactly as under "+aot", and exits with 0.
        """
        bad, good = run(cwd, TORCH_LOGS="dynamoo,+aot"), run(cwd, TORCH_LOGS="+aot")
        notice = "\n".join(notices(bad.stderr))
        assert [] == [
            part for part in ("TORCH_LOGS", "'dynamoo'", "position 0", "did you mean 'dynamo'") if part not in notice
        ]
        assert 1 == bad.stderr.count("'dynamoo'")
        assert bad.stderr.startswith(notice + "\n")  # first, before any record
        assert (0, "", normalise(good.stderr)) == (bad.returncode, bad.stdout, normalise(bad.stderr[len(notice) + 1 :]))

    def test_position_of_a_later_item(self, cwd: Path) -> None:
        """
        The position is the item's offset in the variable's value.
        """
        notice = "\n".join(notices(run(cwd, TORCH_LOGS="+aot,dynamoo").stderr))
        assert "'dynamoo' at position 5" in notice

    def test_every_bad_item_at_once(self, cwd: Path) -> None:
        """
        Two bad items are both named, each with its suggestion, in the one notice.
        """
        output = run(cwd, TORCH_LOGS="dynamoo,+aot,grpah")
        notice = "\n".join(notices(output.stderr))
        expected = ["'dynamoo' at position 0", "did you mean 'dynamo'", "'grpah' at position 13", "'graph'"]
        assert [] == [part for part in expected if part not in notice]
        assert (0, 1) == (output.returncode, output.stderr.count("'grpah'"))


class TestStrict:
    """
    TORCH_LOGS_STRICT=1: an invalid TORCH_LOGS raises SettingsError from init().
    """

    def test_demo_stops_with_the_error(self, cwd: Path) -> None:
        """
        Non-zero status, the SettingsError with its message last on stderr, no record.
        """
        output = run(cwd, TORCH_LOGS="dynamoo,+aot", TORCH_LOGS_STRICT="1")
        raised = [line for line in output.stderr.splitlines() if "SettingsError: " in line]
        assert 1 == output.returncode
        assert 1 == len(raised)
        assert "invalid TORCH_LOGS='dynamoo,+aot': 'dynamoo' at position 0" in raised[0]
        assert ([], "") == (glog_lines(output.stderr), output.stdout)

    def test_init_raises_settings_error(self, cwd: Path) -> None:
        """
        init() raises logdial.SettingsError (a ValueError), with the notice's first line as
        the start of its message.
        """
        script = (
            "import logdial\n"
            "from logdial.demo._registrations import build_system\n"
            "try:\n"
            "    build_system().init()\n"
            "except logdial.SettingsError as exc:\n"
            "    print(isinstance(exc, ValueError), str(exc).splitlines()[0])\n"
        )
        strict = run(cwd, "-c", script, TORCH_LOGS="dynamoo,+aot", TORCH_LOGS_STRICT="1")
        lenient = run(cwd, "-c", script, TORCH_LOGS="dynamoo,+aot")
        assert (0, f"True {notices(lenient.stderr)[0]}\n", "") == strict

    def test_invalid_format_raises(self, cwd: Path) -> None:
        """
        In strict mode an invalid TORCH_LOGS_FORMAT raises FormatError from init().
        """
        output = run(cwd, TORCH_LOGS_FORMAT="%(nope)s", TORCH_LOGS_STRICT="1")
        raised = [line for line in output.stderr.splitlines() if "FormatError: " in line]
        assert (1, 1, []) == (output.returncode, len(raised), glog_lines(output.stderr))
        assert "'%(nope)s'" in raised[0]

    def test_valid_settings_unchanged(self, cwd: Path) -> None:
        """
        Strict mode changes nothing for valid settings.
        """
        strict, lenient = run(cwd, TORCH_LOGS="+aot", TORCH_LOGS_STRICT="1"), run(cwd, TORCH_LOGS="+aot")
        assert (0, normalise(lenient.stderr)) == (strict.returncode, normalise(strict.stderr))


class TestBlankSettings:
    """
    An empty or blank TORCH_LOGS means the defaults (torch crashes on "").
    """

    @pytest.mark.parametrize("value", ["", "  ", ",,", " , "])
    def test_same_as_unset(self, value: str, cwd: Path, default: Output) -> None:
        """
        The output is that of a run with the variable unset.
        """
        output = run(cwd, TORCH_LOGS=value)
        assert (0, "", normalise(default.stderr)) == (output.returncode, output.stdout, normalise(output.stderr))


class TestLogsOut:
    """
    TORCH_LOGS_OUT: the records also go to a file, appended.
    """

    def test_file_has_the_console_records(self, tmp_path: Path, cwd: Path) -> None:
        """
        The file holds exactly logdial's lines of stderr (not the app's own line).
        """
        path = tmp_path / "out.log"
        output = run(cwd, TORCH_LOGS="+dynamo", TORCH_LOGS_OUT=str(path))
        assert output.stderr.startswith(APP_LINE + "\n")
        assert output.stderr[len(APP_LINE) + 1 :] == path.read_text(encoding="utf-8")

    def test_appends(self, tmp_path: Path, cwd: Path) -> None:
        """
        Two runs append to what the file held.
        """
        path = tmp_path / "out.log"
        path.write_text("preexisting\n", encoding="utf-8")
        first = run(cwd, TORCH_LOGS_OUT=str(path))
        second = run(cwd, TORCH_LOGS_OUT=str(path))
        expected = ["preexisting", *glog_lines(first.stderr), *glog_lines(second.stderr)]
        assert expected == path.read_text(encoding="utf-8").splitlines()

    def test_missing_directory(self, tmp_path: Path, cwd: Path, default: Output) -> None:
        """
        A file in a missing directory: one notice naming the variable and the path, then
        the console output as usual, status 0; no directory is created.
        """
        path = tmp_path / "missing" / "out.log"
        output = run(cwd, TORCH_LOGS_OUT=str(path))
        (notice,) = notices(output.stderr)
        assert notice.startswith(f"TORCH_LOGS_OUT={path}: ")
        assert output.stderr.startswith(notice + "\n")
        rest = normalise(output.stderr[len(notice) + 1 :])
        assert (0, "", normalise(default.stderr), False) == (
            output.returncode,
            output.stdout,
            rest,
            path.parent.exists(),
        )


class TestLogsFormat:
    """
    TORCH_LOGS_FORMAT: a %-style format for every line.
    """

    def test_each_line_formatted(self, cwd: Path) -> None:
        """
        Every line of every record, continuation lines included, has the format.
        """
        fmt = "%(levelname)s:%(name)s:%(message)s"
        output = run(cwd, TORCH_LOGS="+dynamo", TORCH_LOGS_FORMAT=fmt)
        plain = run(cwd, TORCH_LOGS="+dynamo")
        lines = output.stderr.splitlines()
        pattern = re.compile(r"^(DEBUG|INFO|WARNING|ERROR):minitorch\.[\w.]+:")
        assert [] == [line for line in lines if line != APP_LINE and not pattern.match(line)]
        assert len(plain.stderr.splitlines()) == len(lines)
        assert "DEBUG:minitorch._dynamo.output_graph.__graph: ===== __compiled_fn_0 =====" in lines

    def test_short(self, cwd: Path) -> None:
        """
        "short" is logging's BASIC_FORMAT.
        """
        output = run(cwd, TORCH_LOGS_FORMAT="short")
        expected = "WARNING:minitorch._dynamo.symbolic_convert:dynamo: graph break in toy_fn"
        first, second = output.stderr.splitlines()[:2]
        assert (APP_LINE, expected) == (first, second[: len(expected)])

    @pytest.mark.parametrize("fmt", ["%(nope)s", "%(", "%(message)d"])
    def test_invalid_format(self, fmt: str, cwd: Path, default: Output) -> None:
        """
        One notice first, naming the variable and the format; then the default format,
        status 0, and never logging's "--- Logging error ---".
        """
        output = run(cwd, TORCH_LOGS_FORMAT=fmt)
        (notice,) = notices(output.stderr)
        assert (True, True) == (notice.startswith("TORCH_LOGS_FORMAT"), repr(fmt) in notice)
        assert output.stderr.startswith(notice + "\n")
        rest = normalise(output.stderr[len(notice) + 1 :])
        assert (0, "", normalise(default.stderr)) == (output.returncode, output.stdout, rest)
        assert "--- Logging error ---" not in output.stderr


class TestConsole:
    """
    TORCH_LOGS_CONSOLE: stderr (default), stdout or none.
    """

    def test_stdout(self, cwd: Path, default: Output) -> None:
        """
        The records go to stdout; stderr keeps only the app's own line.
        """
        output = run(cwd, TORCH_LOGS_CONSOLE="stdout")
        expected = (0, normalise("\n".join(glog_lines(default.stderr)) + "\n"), APP_LINE + "\n")
        assert expected == (output.returncode, normalise(output.stdout), output.stderr)

    def test_none_with_file(self, tmp_path: Path, cwd: Path, default: Output) -> None:
        """
        With none, the records go only to TORCH_LOGS_OUT.
        """
        path = tmp_path / "out.log"
        output = run(cwd, TORCH_LOGS_CONSOLE="none", TORCH_LOGS_OUT=str(path))
        assert (0, "", APP_LINE + "\n") == output
        assert normalise("\n".join(glog_lines(default.stderr)) + "\n") == normalise(path.read_text(encoding="utf-8"))

    def test_invalid_value(self, cwd: Path, default: Output) -> None:
        """
        An unknown console: one notice naming the variable and the value; stderr is used.
        """
        output = run(cwd, TORCH_LOGS_CONSOLE="printer")
        (notice,) = notices(output.stderr)
        assert (True, True) == (notice.startswith("TORCH_LOGS_CONSOLE"), "'printer'" in notice)
        assert normalise(default.stderr) == normalise(output.stderr.replace(notice + "\n", "", 1))


def _run_on_terminal(cwd: Path, **variables: str) -> str:
    """
    Run the demo with stderr on a pseudo-terminal; what it wrote there.
    """
    leader, follower = pty.openpty()
    try:
        with subprocess.Popen(
            [sys.executable, "-m", "logdial.demo"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=follower,
            env=child_environ(**variables),
            cwd=cwd,
        ) as proc:
            os.close(follower)
            chunks = []
            while True:
                if not select.select([leader], [], [], 60)[0]:
                    proc.kill()
                    pytest.fail("the demo wrote nothing to its terminal for 60 s")
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            assert 0 == proc.wait(timeout=60)
    finally:
        os.close(leader)
    return b"".join(chunks).decode("utf-8")


class TestColour:
    """
    Colour on a terminal only, and never with NO_COLOR.
    """

    def test_no_colour_into_a_pipe(self, cwd: Path) -> None:
        """
        No escape sequence when stderr is a pipe.
        """
        output = run(cwd, TORCH_LOGS="+all")
        assert ("\x1b" in output.stderr, len(glog_lines(output.stderr)) > 100) == (False, True)

    def test_colour_on_a_terminal(self, cwd: Path) -> None:
        """
        The level letters are coloured when stderr is a terminal.
        """
        text = _run_on_terminal(cwd, TORCH_LOGS="+all")
        assert True is ("\x1b[" in text)

    def test_no_colour_in_the_file(self, tmp_path: Path, cwd: Path) -> None:
        """
        With the console on a terminal, TORCH_LOGS_OUT still gets plain text.
        """
        path = tmp_path / "out.log"
        text = _run_on_terminal(cwd, TORCH_LOGS="+all", TORCH_LOGS_OUT=str(path))
        written = path.read_text(encoding="utf-8")
        assert (True, False, True) == ("\x1b[" in text, "\x1b" in written, "inductor: lowering 5 nodes" in written)

    def test_no_colour_with_no_color(self, cwd: Path) -> None:
        """
        NO_COLOR turns colour off on a terminal too.
        """
        text = _run_on_terminal(cwd, TORCH_LOGS="+all", NO_COLOR="1")
        assert (False, True) == ("\x1b" in text, "inductor: lowering 5 nodes" in text)


class TestImportHasNoSideEffects:
    """
    Importing logdial (and building a system) installs nothing and reads no variable.
    """

    #: Variables that would show if anything read them: help exits, a file appears.
    VARIABLES: ClassVar[dict[str, str]] = {
        "TORCH_LOGS": "help",
        "TORCH_LOGS_FORMAT": "%(nope)s",
        "TORCH_LOGS_CONSOLE": "stdout",
    }

    def test_import_alone(self, tmp_path: Path, cwd: Path) -> None:
        """
        After ``import logdial``: no handler anywhere, no logger created, no exit, no file.
        """
        script = (
            "import logging, logdial\n"
            "manager = logging.Logger.manager\n"
            "print(logging.getLogger().handlers, [n for n in manager.loggerDict if n.startswith('minitorch')],\n"
            "      [n for n, lg in manager.loggerDict.items() if getattr(lg, 'handlers', None)])\n"
        )
        out = tmp_path / "out.log"
        output = run(cwd, "-c", script, TORCH_LOGS_OUT=str(out), **self.VARIABLES)
        assert ((0, "[] [] []\n", ""), False) == (output, out.exists())

    def test_registrations_before_init(self, tmp_path: Path, cwd: Path) -> None:
        """
        Building the demo's system (creating it and registering) installs no handler
        and changes no level until init().
        """
        script = (
            "import logging\n"
            "from logdial.demo._registrations import build_system\n"
            "logs = build_system()\n"
            "names = ['minitorch', 'minitorch._dynamo', 'minitorch._inductor']\n"
            "print(logging.getLogger().handlers, [(logging.getLogger(n).handlers, logging.getLogger(n).level,\n"
            "      logging.getLogger(n).propagate) for n in names])\n"
        )
        out = tmp_path / "out.log"
        output = run(cwd, "-c", script, TORCH_LOGS_OUT=str(out), **self.VARIABLES)
        assert ((0, "[] [([], 0, True), ([], 0, True), ([], 0, True)]\n", ""), False) == (output, out.exists())


class TestWarningFree:
    """
    The demo raises no warning, not even in development mode with warnings as errors.
    """

    def test_dev_mode(self, tmp_path: Path, cwd: Path) -> None:
        """
        Every artifact, a log file, -X dev -W error: status 0 and only log lines on stderr
        (no ResourceWarning for the file, no "Exception ignored").
        """
        output = run(
            cwd,
            "-X",
            "dev",
            "-W",
            "error",
            "-m",
            "logdial.demo",
            TORCH_LOGS="+all,bytecode,output_code,schedule,+some.random.module",
            TORCH_LOGS_OUT=str(tmp_path / "out.log"),
        )
        assert (0, "", []) == (output.returncode, output.stdout, notices(output.stderr))
