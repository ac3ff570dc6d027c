"""``set_output`` and ``reset_output`` (``_output_api``): where a system's records go, chosen
from Python over the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.outputs import KNOWN, PID, STAMP, glog, warn

import logdial
from logdial import FormatError, LogSystem


class TestSetOutput:
    """
    LogSystem.set_output: console, file and format from Python, over the environment.
    """

    def test_console(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``console`` switches between stderr, stdout and none at once.
        """
        system.init({"TESTSYS_LOGS_FORMAT": "%(message)s"})
        seen = []
        for where in ("stdout", "none", "stderr"):
            system.set_output(console=where)
            warn("testsys.core", where)
            seen.append(tuple(capsys.readouterr()))
        assert [("stdout\n", ""), ("", ""), ("", "stderr\n")] == seen

    def test_wins_over_environment(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        What set_output gives wins over TESTSYS_LOGS_CONSOLE, also when given before init.
        """
        system.set_output(console="stderr")
        system.init({"TESTSYS_LOGS_CONSOLE": "stdout", "TESTSYS_LOGS_FORMAT": "%(message)s"})
        warn("testsys.core")
        assert ("", "hello\n") == tuple(capsys.readouterr())

    def test_reset_output(self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``reset_output()`` forgets every ``set_output`` choice: the environment's console
        and format, and no file, hold again at once (before ``init`` too).
        """
        path = tmp_path / "out.log"
        system.set_output(console="none")
        system.reset_output()
        system.init({"TESTSYS_LOGS_CONSOLE": "stdout", "TESTSYS_LOGS_FORMAT": "%(message)s"})
        warn("testsys.core", "environment's")
        system.set_output(console="stderr", file=str(path), format="short")
        warn("testsys.core", "set_output's")
        system.reset_output()
        warn("testsys.core", "environment's again")
        assert ("environment's\nenvironment's again\n", "WARNING:testsys.core:set_output's\n") == tuple(
            capsys.readouterr()
        )
        assert "WARNING:testsys.core:set_output's\n" == path.read_text(encoding="utf-8")

    def test_file(self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``file`` adds the file, beside the console; ``file=None`` stops writing to it.
        """
        path = tmp_path / "out.log"
        system.init({"TESTSYS_LOGS_FORMAT": "%(message)s"})
        system.set_output(file=str(path))
        warn("testsys.core", "one")
        system.set_output(file=None)
        warn("testsys.core", "two")
        assert ("one\ntwo\n", "one\n") == (capsys.readouterr().err, path.read_text(encoding="utf-8"))

    def test_file_over_environment(self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``file=None`` switches off a TESTSYS_LOGS_OUT file.
        """
        path = tmp_path / "out.log"
        system.init({"TESTSYS_LOGS_OUT": str(path), "TESTSYS_LOGS_FORMAT": "%(message)s"})
        warn("testsys.core", "one")
        system.set_output(file=None)
        warn("testsys.core", "two")
        assert ("one\ntwo\n", "one\n") == (capsys.readouterr().err, path.read_text(encoding="utf-8"))

    def test_format(self, system: LogSystem, here: None, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``format`` sets a %-style format or ``short``; ``None`` brings back glog style.
        """
        system.init({})
        system.set_output(format="%(name)s|%(message)s")
        warn("testsys.core", "custom")
        system.set_output(format="short")
        warn("testsys.core", "short")
        system.set_output(format=None)
        warn("testsys.core", "glog")
        err = capsys.readouterr().err
        assert re.fullmatch(r"testsys\.core\|custom\nWARNING:testsys\.core:short\n" + glog("glog"), err), err

    def test_invalid_format(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        An invalid format is a FormatError, and the output stays as it was.
        """
        system.init({"TESTSYS_LOGS_FORMAT": "%(message)s"})
        message = f"log format '%(nope)s' uses unknown field(s) 'nope'; known fields: {KNOWN}"
        with pytest.raises(FormatError, match=f"^{re.escape(message)}$"):
            system.set_output(format="%(nope)s")
        warn("testsys.core")
        assert "hello\n" == capsys.readouterr().err

    def test_after_tolerated_env_format(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        Once init() has reported an invalid TESTSYS_LOGS_FORMAT and gone on with the
        default, set_output() for something else (the console) works and does not raise
        for that variable.
        """
        system.init({"TESTSYS_LOGS_FORMAT": "%(nope)s"})
        capsys.readouterr()
        system.set_output(console="stdout")
        warn("testsys.core")
        out, err = capsys.readouterr()
        assert (True, "") == (bool(re.fullmatch(rf"W{STAMP} {PID} .*\] hello\n", out)), err), (out, err)

    def test_set_output_checks_its_arguments(self, system: LogSystem, tmp_path: object) -> None:
        """
        Wrong types and a file that cannot be opened are the caller's errors, said at once.
        """
        from pathlib import Path

        with pytest.raises(TypeError, match=r"^file must be a path or None, not 3$"):
            system.set_output(file=3)
        with pytest.raises(TypeError, match=r"^propagate must be a bool, not 'yes'$"):
            system.set_output(propagate="yes")
        with pytest.raises(logdial.FormatError, match=r"^format must be a string or None, not 1$"):
            system.set_output(format=1)
        missing = Path(str(tmp_path)) / "no" / "such" / "dir" / "x.log"
        with pytest.raises(FileNotFoundError, match=r"set_output\(file=...\) cannot open the log file"):
            system.set_output(file=missing)
        system.set_output(file=Path(str(tmp_path)) / "ok.log")  # a PathLike is fine
