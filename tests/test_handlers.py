"""
What logdial's handlers share (``_handlers``: the tag, the routing formatter, the null
handler), and a system's output end to end: console, file, format, colour, placement.

The console handler's own tests are in tests/test_console.py, the file handler's in
tests/test_files.py, ``set_output`` and ``reset_output`` in tests/test_output_api.py.
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import os
import pty
import re
import subprocess
from pathlib import Path

import pytest
from tests.outputs import COLORED, KNOWN, PID, STAMP, console, glog, record, warn
from tests.subprocesses import read_pty

from logdial import FormatError, GlogFormatter, LogSystem
from logdial._console import ConsoleHandler
from logdial._files import FileHandler
from logdial._formatting import PercentFormatter
from logdial._handlers import TAG, NullHandler, RoutingFormatter, is_logdial_handler


class TestIsLogdialHandler:
    """
    is_logdial_handler: tells logdial's handlers from the application's.
    """

    def test_logdial_handlers(self, tmp_path: Path) -> None:
        """
        Each of logdial's handlers is tagged with its system's name.
        """
        handlers = [console(), NullHandler("testsys"), FileHandler("testsys", str(tmp_path / "x.log"), GlogFormatter())]
        try:
            result = [(getattr(h, TAG), is_logdial_handler(h), is_logdial_handler(h, "testsys")) for h in handlers]
        finally:
            handlers[2].close()
        assert [("testsys", True, True)] * 3 == result

    def test_other_system(self) -> None:
        """
        A handler of another system is logdial's, but not that system's.
        """
        assert (True, False) == (is_logdial_handler(console()), is_logdial_handler(console(), "other"))

    def test_application_handler(self) -> None:
        """
        The application's own handlers are not logdial's.
        """
        handlers = [logging.StreamHandler(io.StringIO()), logging.NullHandler(), logging.Handler()]
        assert [False, False, False] == [is_logdial_handler(h) for h in handlers]


class TestRoutingFormatter:
    """
    RoutingFormatter: an artifact's own formatter for its records, the base one for others.
    """

    def test_routes_by_logger_name(self) -> None:
        """
        A record whose logger has an override uses it; the others use the base.
        """
        special = PercentFormatter("[%(name)s] %(message)s")
        formatter = RoutingFormatter(PercentFormatter("%(levelname)s %(message)s"), {"a.__graph": special}.get)
        lines = [formatter.format(record(name="a.__graph")), formatter.format(record(name="a"))]
        assert ["[a.__graph] hello", "WARNING hello"] == lines


class TestNullHandler:
    """
    NullHandler: keeps logging's last resort quiet on a logger whose output is off.
    """

    def test_quiet(self, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A warning on a logger that has only logdial's NullHandler prints nothing (with
        no handler at all, logging's last resort would print it).
        """
        logger = logging.getLogger("testsys.silent")
        logger.propagate = False
        logger.addHandler(NullHandler("testsys"))
        logger.warning("quiet")
        logger.removeHandler(logger.handlers[0])
        logger.warning("last resort")
        assert ("", "last resort\n") == tuple(capsys.readouterr())


class TestSystemOutput:
    """
    A LogSystem's output, end to end: what reaches stderr, stdout and the file.
    """

    def test_one_line_on_stderr(self, system: LogSystem, here: None, capsys: pytest.CaptureFixture[str]) -> None:
        """
        After init({}), a warning is exactly one glog line on stderr; INFO is below the
        default level.
        """
        system.init({})
        logging.getLogger("testsys.core").info("not shown")
        warn("testsys.core")
        out, err = capsys.readouterr()
        assert ("", True) == (out, bool(re.fullmatch(glog(), err))), err

    def test_every_component_logger(self, system: LogSystem, here: None, capsys: pytest.CaptureFixture[str]) -> None:
        """
        Each logger of each component, and the root, writes its record once.
        """
        system.init({})
        for name in ("testsys", "testsys.core", "testsys.io", "testsys.net", "testsys.net.sub"):
            warn(name, name)
        err = capsys.readouterr().err
        expected = "".join(glog(n) for n in ("testsys", "testsys.core", "testsys.io", "testsys.net", "testsys.net.sub"))
        assert re.fullmatch(expected, err), err

    def test_artifact_tag(self, system: LogSystem, here: None, capsys: pytest.CaptureFixture[str]) -> None:
        """
        An enabled artifact's record carries its tag on every line.
        """
        system.init({"TESTSYS_LOGS": "graph"})
        log = system.getArtifactLogger("testsys.core", "graph")
        warn(log.name, "a\nb")
        err = capsys.readouterr().err
        assert re.fullmatch(glog("a", tag="[__graph] ") + glog("b", tag="[__graph] "), err), err

    def test_redirect_stderr(self, system: LogSystem) -> None:
        """
        contextlib.redirect_stderr after init captures the system's records.
        """
        system.init({"TESTSYS_LOGS_FORMAT": "%(levelname)s:%(message)s"})
        buffer = io.StringIO()
        with contextlib.redirect_stderr(buffer):
            warn("testsys.core")
        assert "WARNING:hello\n" == buffer.getvalue()

    def test_handlers_are_tagged(self, system: LogSystem, tmp_path: Path) -> None:
        """
        The handlers the system installs are logdial's, of this system.
        """
        system.init({"TESTSYS_LOGS_OUT": str(tmp_path / "out.log")})
        handlers = logging.getLogger("testsys").handlers
        assert [("ConsoleHandler", True), ("FileHandler", True)] == [
            (type(h).__name__, is_logdial_handler(h, "testsys")) for h in handlers
        ]

    def test_out_file(self, system: LogSystem, tmp_path: Path, here: None, capsys: pytest.CaptureFixture[str]) -> None:
        """
        TESTSYS_LOGS_OUT appends the same lines to the file as go to stderr.
        """
        path = tmp_path / "out.log"
        path.write_text("preexisting\n", encoding="utf-8")
        system.init({"TESTSYS_LOGS_OUT": str(path)})
        warn("testsys.core", "one\ntwo")
        err = capsys.readouterr().err
        text = path.read_text(encoding="utf-8")
        assert (True, "preexisting\n" + err) == (bool(re.fullmatch(glog("one") + glog("two"), err)), text), err

    def test_out_file_with_format(self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        TESTSYS_LOGS_FORMAT applies to the file as well as to stderr.
        """
        path = tmp_path / "out.log"
        system.init({"TESTSYS_LOGS_OUT": str(path), "TESTSYS_LOGS_FORMAT": "short"})
        warn("testsys.io")
        assert ("WARNING:testsys.io:hello\n",) * 2 == (capsys.readouterr().err, path.read_text(encoding="utf-8"))

    def test_init_again_keeps_one_file_handler(
        self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """
        init() again with the same file writes each record once to it.
        """
        path = tmp_path / "out.log"
        environ = {"TESTSYS_LOGS_OUT": str(path), "TESTSYS_LOGS_FORMAT": "%(message)s"}
        system.init(environ)
        system.init(environ)
        warn("testsys.core")
        assert ("hello\n", "hello\n") == (capsys.readouterr().err, path.read_text(encoding="utf-8"))

    @pytest.mark.parametrize("value", ["stdout", " StdOut "])
    def test_console_stdout(self, system: LogSystem, value: str, capsys: pytest.CaptureFixture[str]) -> None:
        """
        TESTSYS_LOGS_CONSOLE=stdout (any case) sends the records to stdout only.
        """
        system.init({"TESTSYS_LOGS_CONSOLE": value, "TESTSYS_LOGS_FORMAT": "%(message)s"})
        warn("testsys.core")
        assert ("hello\n", "") == tuple(capsys.readouterr())

    def test_console_none_with_file(
        self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """
        TESTSYS_LOGS_CONSOLE=none with TESTSYS_LOGS_OUT writes only to the file.
        """
        path = tmp_path / "out.log"
        system.init(
            {"TESTSYS_LOGS_CONSOLE": "none", "TESTSYS_LOGS_OUT": str(path), "TESTSYS_LOGS_FORMAT": "%(message)s"}
        )
        warn("testsys.core")
        assert (("", ""), "hello\n") == (tuple(capsys.readouterr()), path.read_text(encoding="utf-8"))

    def test_console_none(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        TESTSYS_LOGS_CONSOLE=none alone prints nothing anywhere, not even through
        logging's last resort.
        """
        system.init({"TESTSYS_LOGS_CONSOLE": "none"})
        warn("testsys.core")
        logging.getLogger("testsys.core").error("an error")
        assert ("", "") == tuple(capsys.readouterr())

    def test_console_invalid(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        An unknown TESTSYS_LOGS_CONSOLE is reported once, and stderr used.
        """
        system.init({"TESTSYS_LOGS_CONSOLE": "tty", "TESTSYS_LOGS_FORMAT": "%(message)s"})
        warn("testsys.core")
        expected = "TESTSYS_LOGS_CONSOLE='tty' is not valid: use stderr, stdout or none; using stderr\nhello\n"
        assert ("", expected) == tuple(capsys.readouterr())

    def test_out_missing_directory(self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A TESTSYS_LOGS_OUT in a missing directory is one clear message on stderr naming
        the path and the reason (not a traceback, not once per init), and the console
        keeps logging.
        """
        path = tmp_path / "missing" / "out.log"
        environ = {"TESTSYS_LOGS_OUT": str(path), "TESTSYS_LOGS_FORMAT": "%(message)s"}
        system.init(environ)
        warn("testsys.core", "one")
        system.init(environ)
        warn("testsys.core", "two")
        expected = (
            f"TESTSYS_LOGS_OUT={path}: cannot open the log file (No such file or directory); "
            "logging to the console only\none\ntwo\n"
        )
        assert ("", expected) == tuple(capsys.readouterr())

    def test_out_is_a_directory(self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A TESTSYS_LOGS_OUT that cannot be written (a directory) is reported with its reason.
        """
        system.init({"TESTSYS_LOGS_OUT": str(tmp_path), "TESTSYS_LOGS_FORMAT": "%(message)s"})
        warn("testsys.core")
        expected = (
            f"TESTSYS_LOGS_OUT={tmp_path}: cannot open the log file (Is a directory); logging to the console only\n"
            "hello\n"
        )
        assert expected == capsys.readouterr().err

    def test_invalid_format(self, system: LogSystem, here: None, capsys: pytest.CaptureFixture[str]) -> None:
        """
        An invalid TESTSYS_LOGS_FORMAT is reported once at init, and the default format used.
        """
        system.init({"TESTSYS_LOGS_FORMAT": "{levelname}: {message}"})
        warn("testsys.core")
        report = (
            "TESTSYS_LOGS_FORMAT: log format '{levelname}: {message}' has no field; write fields as %(name)s, "
            "e.g. '%(levelname)s: %(message)s'; using the default format\n"
        )
        err = capsys.readouterr().err
        assert (report, True) == (err[: len(report)], bool(re.fullmatch(glog(), err[len(report) :]))), err

    def test_invalid_format_strict_env(self, system: LogSystem) -> None:
        """
        With TESTSYS_LOGS_STRICT=1 an invalid format raises FormatError at init.
        """
        message = "log format '%(' has no field; write fields as %(name)s, e.g. '%(levelname)s: %(message)s'"
        with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
            system.init({"TESTSYS_LOGS_FORMAT": "%(", "TESTSYS_LOGS_STRICT": "1"})

    def test_invalid_format_strict_system(self) -> None:
        """
        A system made with ``strict=True`` raises FormatError for an invalid format.
        """
        logs = LogSystem("strictsys", strict=True)
        message = "log format '%(name)' is not a valid %-style format (Invalid format '%(name)' for '%' style); "
        message += "write fields as %(name)s, and a literal percent sign as %%"
        try:
            with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
                logs.init({"STRICTSYS_LOGS_FORMAT": "%(name)"})
        finally:
            logs.reset()

    def test_artifact_log_format(self, system: LogSystem, here: None, capsys: pytest.CaptureFixture[str]) -> None:
        """
        An artifact registered with ``log_format`` formats its records (every line) with
        it; the other records keep the default format.
        """
        system.register_artifact("trace", "A trace.", log_format="[%(artifact)s] %(levelname)s %(message)s")
        system.init({"TESTSYS_LOGS": "trace"})
        system.getArtifactLogger("testsys.core", "trace").debug("a\nb")
        warn("testsys.core")
        err = capsys.readouterr().err
        assert re.fullmatch(r"\[trace\] DEBUG a\n\[trace\] DEBUG b\n" + glog(), err), err

    def test_artifact_log_format_beats_env_format(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        An artifact's ``log_format`` wins over TESTSYS_LOGS_FORMAT for its records.
        """
        system.register_artifact("trace", "A trace.", log_format="<%(message)s>")
        system.init({"TESTSYS_LOGS": "trace", "TESTSYS_LOGS_FORMAT": "short"})
        system.getArtifactLogger("testsys.io", "trace").info("t")
        warn("testsys.io")
        assert "<t>\nWARNING:testsys.io:hello\n" == capsys.readouterr().err

    def test_artifact_empty_log_format(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``log_format=""`` is the message alone, as for ``logging.Formatter("")`` and in
        torch's registry (its ``custom_format_test_artifact``); every line of it.
        """
        system.register_artifact("trace", "A trace.", log_format="")
        system.init({"TESTSYS_LOGS": "trace"})
        system.getArtifactLogger("testsys.core", "trace").debug("just %s\nthis", "it")
        assert "just it\nthis\n" == capsys.readouterr().err
        assert "%(message)s" == system.registry.artifacts["trace"].log_format

    def test_traceback(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A logged exception is written with every traceback line prefixed.
        """
        system.init({})
        try:
            raise KeyError("missing")
        except KeyError:
            logging.getLogger("testsys.core").exception("lookup failed")
        lines = capsys.readouterr().err.split("\n")
        prefix = rf"E{STAMP} {PID} \S+:\d+\] "
        assert (
            ["lookup failed", "Traceback (most recent call last):", "KeyError: 'missing'", ""],
            [],
        ) == (
            [re.sub(prefix, "", line) for line in (lines[0], lines[1], lines[-2], lines[-1])],
            [line for line in lines[:-1] if not re.match(prefix, line)],
        )

    def test_color_on_a_tty(
        self, system: LogSystem, terminal: tuple[int, io.TextIOWrapper], tmp_path: Path, here: None
    ) -> None:
        """
        With stderr on a terminal the line is coloured there, and the file gets the same
        line without colour.
        """
        master, stream = terminal
        path = tmp_path / "out.log"
        with contextlib.redirect_stderr(stream):
            system.init({"TESTSYS_LOGS_OUT": str(path)})
            warn("testsys.core")
        shown = read_pty(master).decode()
        text = path.read_text(encoding="utf-8")
        assert (True, True, shown.replace(COLORED, "W").replace("\r\n", "\n")) == (
            shown.startswith(COLORED),
            bool(re.fullmatch(glog(), text)),
            text,
        ), (shown, text)

    def test_no_color_on_a_tty(self, system: LogSystem, terminal: tuple[int, io.TextIOWrapper], here: None) -> None:
        """
        NO_COLOR keeps a terminal plain.
        """
        master, stream = terminal
        with contextlib.redirect_stderr(stream):
            system.init({"NO_COLOR": "1"})
            warn("testsys.core")
        shown = read_pty(master).decode().replace("\r\n", "\n")
        assert re.fullmatch(glog(), shown), shown

    @pytest.mark.parametrize(
        ("environ", "coloured"),
        [
            ({}, False),  # a pipe (capsys) is not a terminal
            ({"FORCE_COLOR": "1"}, True),
            ({"FORCE_COLOR": "true"}, True),
            ({"CLICOLOR_FORCE": "1"}, True),
            ({"FORCE_COLOR": "0"}, False),
            ({"CLICOLOR_FORCE": "false"}, False),
            ({"FORCE_COLOR": ""}, False),
            ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),  # NO_COLOR wins
            ({"FORCE_COLOR": "1", "TERM": "dumb"}, True),  # asked for, explicitly
        ],
    )
    def test_forced_colour_in_a_pipe(
        self, system: LogSystem, capsys: pytest.CaptureFixture[str], environ: dict[str, str], coloured: bool
    ) -> None:
        """
        ``FORCE_COLOR`` and ``CLICOLOR_FORCE`` colour a console that is not a terminal
        (``less -R``, a CI log), and escape it as a terminal; ``NO_COLOR`` wins over both.
        """
        system.init(environ)
        warn("testsys.core", "a\x1b[2Jb")
        err = capsys.readouterr().err
        assert (coloured, coloured) == (err.startswith(COLORED), "a\\x1b[2Jb" in err), err

    def test_dumb_terminal(self, system: LogSystem, terminal: tuple[int, io.TextIOWrapper], here: None) -> None:
        """
        ``TERM=dumb`` keeps a terminal plain; its control characters are still escaped.
        """
        master, stream = terminal
        with contextlib.redirect_stderr(stream):
            system.init({"TERM": "dumb"})
            warn("testsys.core", "a\x1b[2Jb")
        shown = read_pty(master).decode().replace("\r\n", "\n")
        assert re.fullmatch(glog(r"a\x1b[2Jb"), shown), shown

    def test_artifact_log_format_invalid(self, system: LogSystem) -> None:
        """
        An invalid ``log_format`` fails at registration.
        """
        message = f"log format '%(nope)s' uses unknown field(s) 'nope'; known fields: {KNOWN}"
        with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
            system.register_artifact("trace", "A trace.", log_format="%(nope)s")


#: A program that logs one warning from line 6 of ``python -c``.
CHILD = """
import logging, logdial
logs = logdial.LogSystem("ttysys")
logs.register_log("core", ["ttysys.core"])
logs.init()
logging.getLogger("ttysys.core").warning("hello")
"""


def run_child(python: str, env: dict[str, str], *, tty_stdout: bool = False) -> tuple[int, str, str]:
    """
    Run CHILD with stderr (or stdout, with ``tty_stdout``) on a real terminal and the
    other on a pipe: (pid, what the terminal shows, what the pipe got).
    """
    master, slave = pty.openpty()
    full_env = {**os.environ, **env}
    try:
        with subprocess.Popen(
            [python, "-c", CHILD],
            stdout=slave if tty_stdout else subprocess.PIPE,
            stderr=subprocess.PIPE if tty_stdout else slave,
            env=full_env,
        ) as proc:
            os.close(slave)
            slave = -1
            piped = proc.communicate(timeout=60)[0 if not tty_stdout else 1]
            shown = read_pty(master)
        assert 0 == proc.returncode
        return proc.pid, shown.decode(), piped.decode()
    finally:
        if slave != -1:
            os.close(slave)
        os.close(master)


class TestColorEndToEnd:
    """
    Colour in a real process: only on a terminal, never with NO_COLOR or a custom format.
    """

    def test_color_on_a_terminal(self, python: str) -> None:
        """
        stderr on a terminal: the level letter is coloured.
        """
        pid, shown, piped = run_child(python, {})
        expected = rf"{re.escape(COLORED)}{STAMP} {pid} <string>:6\] hello\r\n"
        assert (True, "") == (bool(re.fullmatch(expected, shown)), piped), shown

    def test_no_color(self, python: str) -> None:
        """
        NO_COLOR=1 keeps a terminal plain.
        """
        pid, shown, _ = run_child(python, {"NO_COLOR": "1"})
        assert re.fullmatch(rf"W{STAMP} {pid} <string>:6\] hello\r\n", shown), shown

    def test_custom_format_on_a_terminal(self, python: str) -> None:
        """
        A custom format is never coloured.
        """
        _, shown, _ = run_child(python, {"TTYSYS_LOGS_FORMAT": "short"})
        assert "WARNING:ttysys.core:hello\r\n" == shown

    def test_not_a_terminal(self, python: str) -> None:
        """
        stderr on a pipe is plain even though stdout is a terminal.
        """
        pid, shown, piped = run_child(python, {}, tty_stdout=True)
        assert ("", True) == (shown, bool(re.fullmatch(rf"W{STAMP} {pid} <string>:6\] hello\n", piped))), piped

    def test_stdout_console_on_a_terminal(self, python: str) -> None:
        """
        With TTYSYS_LOGS_CONSOLE=stdout it is stdout's terminal that decides the colour.
        """
        pid, shown, piped = run_child(python, {"TTYSYS_LOGS_CONSOLE": "stdout"}, tty_stdout=True)
        expected = rf"{re.escape(COLORED)}{STAMP} {pid} <string>:6\] hello\r\n"
        assert (True, "") == (bool(re.fullmatch(expected, shown)), piped), shown


def components_system() -> LogSystem:
    """
    ``shop`` with handlers on each component's logger (``placement="components"``).
    """
    logs = LogSystem("shop", placement="components")
    logs.register_log("orders", ["shop.orders"])
    logs.register_log("payments", ["shop.payments", "shop.legacy.pay"])
    logs.register_artifact("sql", "Every SQL statement.")
    return logs


class TestPlacementComponents:
    """
    ``placement="components"``: every logger a component registers carries handler
    objects of its own, writing to the system's outputs, and each record is written once.
    """

    CARRIERS = ("shop", "shop.orders", "shop.payments", "shop.legacy.pay")

    def test_each_logger_its_own_handler_objects(self, capsys: pytest.CaptureFixture[str]) -> None:
        """
        One console handler object per carrier, none shared, propagation stopped on each.
        """
        logs = components_system()
        logs.init({"SHOP_LOGS": "orders"})
        handlers = [logging.getLogger(n).handlers for n in self.CARRIERS]
        assert [1, 1, 1, 1] == [len(h) for h in handlers]
        assert 4 == len({id(h[0]) for h in handlers})
        assert all(isinstance(h[0], ConsoleHandler) and is_logdial_handler(h[0], "shop") for h in handlers)
        assert [False] * 4 == [logging.getLogger(n).propagate for n in self.CARRIERS]
        assert logging.getLogger("shop.legacy").handlers == []  # not a component's logger
        logs.reset()
        assert [[]] * 4 == [logging.getLogger(n).handlers for n in self.CARRIERS]

    @pytest.mark.parametrize("propagate", [False, True])
    def test_each_record_once(self, capsys: pytest.CaptureFixture[str], tmp_path: Path, propagate: bool) -> None:
        """
        Records of every logger, including ones that propagate past several carriers
        (``propagate=True``, or a carrier whose propagation user code turned on), are
        written once to the console and to the file, and reach the application's handler
        once when they propagate.
        """
        seen: list[str] = []

        class Collect(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                seen.append(record.getMessage())

        collect = Collect()
        logging.getLogger().addHandler(collect)
        logs = components_system()
        log = tmp_path / "shop.log"
        logs.set_output(file=str(log), propagate=propagate)
        logs.init({"SHOP_LOGS": "orders,payments,sql"})
        logging.getLogger("shop.legacy.pay").propagate = True  # as user code may do
        try:
            for name in ("shop.orders.x", "shop.legacy.pay.y", "shop.legacy.z", "shop"):
                logging.getLogger(name).warning(f"from {name}")
            logs.getArtifactLogger("shop.orders", "sql").debug("from sql")
        finally:
            logging.getLogger().removeHandler(collect)
            logs.reset()
        messages = ["from shop.orders.x", "from shop.legacy.pay.y", "from shop.legacy.z", "from shop", "from sql"]
        console, written = capsys.readouterr().err, log.read_text(encoding="utf-8")
        for message in messages:
            ending = re.compile(f" {re.escape(message)}$", re.MULTILINE)
            assert (1, 1) == (len(ending.findall(console)), len(ending.findall(written))), message
        assert (messages if propagate else []) == seen

    def test_file_shared_by_the_siblings(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        Two handlers per carrier with a file; one descriptor for all of them, closed once
        after ``reset()``, when no handler object holds it any more.
        """
        logs = components_system()
        logs.set_output(file=str(tmp_path / "shop.log"))
        logs.init({})
        files = [h for n in self.CARRIERS for h in logging.getLogger(n).handlers if isinstance(h, FileHandler)]
        assert 4 == len(files)
        assert 1 == len({id(h.output) for h in files})
        fd = files[0].output.fd
        assert fd is not None
        os.fstat(fd)
        logs.reset()
        os.fstat(fd)  # open while a handler object is held (a record may be on its way)
        del files
        gc.collect()
        with pytest.raises(OSError, match="Bad file descriptor"):
            os.fstat(fd)

    def test_a_failing_output_is_reported_once(self, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A file that cannot be written (``/dev/full``) is reported once for the system,
        not once per handler object.
        """
        logs = components_system()
        logs.set_output(file="/dev/full", console="none")
        logs.init({"SHOP_LOGS": "orders,payments"})
        for name in ("shop.orders", "shop.payments", "shop.legacy.pay", "shop"):
            logging.getLogger(name).warning("lost")
        logs.reset()
        err = capsys.readouterr().err
        assert 1 == err.count("shop logs: cannot write the log file /dev/full (No space left on device)")

    def test_component_registered_after_init(self, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A component registered later gets handler objects of its own at once.
        """
        logs = components_system()
        logs.init({})
        logs.register_log("stock", ["shop.stock"])
        logger = logging.getLogger("shop.stock")
        assert (1, False) == (len(logger.handlers), logger.propagate)
        assert logger.handlers[0] not in logging.getLogger("shop").handlers
        logger.warning("in stock")
        logs.reset()
        assert 1 == capsys.readouterr().err.count("in stock")

    def test_placement_is_checked(self) -> None:
        """
        Only the two placements exist.
        """
        with pytest.raises(ValueError, match="placement must be 'top' or 'components', not 'every'"):
            LogSystem("shop", placement="every")  # type: ignore[arg-type]
