"""
EnvConfig: the variables of a system, read from an injected mapping; the ``{P}_LOGS_OUT``
path template (``expand_path``, and on a system) and ``{P}_LOGS_RANKS_OTHERS`` (``parse_others``).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from types import MappingProxyType

import pytest
from tests.records import PID, lines

from logdial import LogSystem
from logdial._env import EnvConfig, expand_path, parse_others

#: Every variable a system with prefix TESTSYS reads, set.
ALL_SET = {
    "TESTSYS_LOGS": "+core,graph",
    "TESTSYS_LOGS_OUT": "/tmp/testsys.log",
    "TESTSYS_LOGS_FORMAT": "%(levelname)s %(message)s",
    "TESTSYS_LOGS_CONSOLE": "stdout",
    "TESTSYS_LOGS_STRICT": "1",
    "NO_COLOR": "1",
}


class TestFromEnviron:
    """
    EnvConfig.from_environ: what each variable means.
    """

    def test_nothing_set(self) -> None:
        """
        An empty environment gives the defaults.
        """
        expected = EnvConfig("TESTSYS", logs=None, out=None, format=None, console=None, strict=False, no_color=False)
        assert expected == EnvConfig.from_environ({}, prefix="TESTSYS")

    def test_every_variable(self) -> None:
        """
        Each variable lands in its field.
        """
        expected = EnvConfig(
            "TESTSYS",
            logs="+core,graph",
            out="/tmp/testsys.log",
            format="%(levelname)s %(message)s",
            console="stdout",
            strict=True,
            no_color=True,
        )
        assert expected == EnvConfig.from_environ(ALL_SET, prefix="TESTSYS")

    def test_other_prefix_ignored(self) -> None:
        """
        Only the variables of the system's own prefix count (NO_COLOR is everyone's).
        """
        environ = {k.replace("TESTSYS", "OTHER"): v for k, v in ALL_SET.items()}
        assert EnvConfig("TESTSYS", no_color=True) == EnvConfig.from_environ(environ, prefix="TESTSYS")

    def test_prefix_is_exact(self) -> None:
        """
        A variable of a longer prefix (TESTSYS2_LOGS) is not TESTSYS's, nor is a
        lower-case spelling.
        """
        environ = {"TESTSYS2_LOGS": "+core", "testsys_logs": "+core", "TESTSYS_LOGSX": "+core"}
        assert EnvConfig("TESTSYS") == EnvConfig.from_environ(environ, prefix="TESTSYS")

    @pytest.mark.parametrize("blank", ["", " ", "\t", " \n "])
    def test_blank_is_unset(self, blank: str) -> None:
        """
        A variable set to a blank value means the same as an unset one.
        """
        environ = {key: blank for key in ALL_SET if key != "NO_COLOR"}
        assert EnvConfig("TESTSYS") == EnvConfig.from_environ(environ, prefix="TESTSYS")

    def test_values_kept_verbatim(self) -> None:
        """
        Settings, path and format are kept as written, spaces included (a format may
        start with one; the settings grammar ignores them itself).
        """
        environ = {"TESTSYS_LOGS": " +core ", "TESTSYS_LOGS_OUT": "/tmp/a b.log", "TESTSYS_LOGS_FORMAT": " %(message)s"}
        config = EnvConfig.from_environ(environ, prefix="TESTSYS")
        assert (" +core ", "/tmp/a b.log", " %(message)s") == (config.logs, config.out, config.format)

    @pytest.mark.parametrize(
        ("value", "console"),
        [
            ("stderr", "stderr"),
            ("stdout", "stdout"),
            ("none", "none"),
            (" STDOUT ", "stdout"),
            ("None", "none"),
            ("tty", "tty"),
        ],
    )
    def test_console(self, value: str, console: str) -> None:
        """
        TESTSYS_LOGS_CONSOLE is read in any case, around spaces ignored; an unknown value
        is kept, for init() to report.
        """
        assert console == EnvConfig.from_environ({"TESTSYS_LOGS_CONSOLE": value}, prefix="TESTSYS").console

    @pytest.mark.parametrize("value", ["1", "true", "TRUE", "True", "yes", "Yes", "on", "ON", " on "])
    def test_strict_true(self, value: str) -> None:
        """
        TESTSYS_LOGS_STRICT is on for 1, true, yes and on, in any case.
        """
        assert True is EnvConfig.from_environ({"TESTSYS_LOGS_STRICT": value}, prefix="TESTSYS").strict

    @pytest.mark.parametrize("value", ["0", "false", "no", "off", "2", "enabled", "y", "", " "])
    def test_strict_false(self, value: str) -> None:
        """
        Any other value of TESTSYS_LOGS_STRICT leaves strict mode off.
        """
        assert False is EnvConfig.from_environ({"TESTSYS_LOGS_STRICT": value}, prefix="TESTSYS").strict

    @pytest.mark.parametrize(
        ("value", "no_color"), [("1", True), ("0", True), ("false", True), ("x", True), (" ", True), ("", False)]
    )
    def test_no_color(self, value: str, no_color: bool) -> None:
        """
        NO_COLOR is on when set to any non-empty value, as no-color.org defines it
        (even "0"), and off when empty.
        """
        assert no_color is EnvConfig.from_environ({"NO_COLOR": value}, prefix="TESTSYS").no_color

    def test_any_mapping(self) -> None:
        """
        Any Mapping can be the environment.
        """
        config = EnvConfig.from_environ(MappingProxyType({"TESTSYS_LOGS": "+io"}), prefix="TESTSYS")
        assert "+io" == config.logs

    def test_default_is_os_environ_at_call_time(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        Without a mapping, os.environ is read when called (not when imported).
        """
        before = EnvConfig.from_environ(prefix="TESTSYS").logs
        monkeypatch.setenv("TESTSYS_LOGS", "+core")
        assert (None, "+core", "+core") == (
            before,
            EnvConfig.from_environ(prefix="TESTSYS").logs,
            EnvConfig.from_environ(None, prefix="TESTSYS").logs,
        )

    def test_injected_mapping_ignores_os_environ(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        An injected mapping is the whole environment: os.environ is not consulted.
        """
        monkeypatch.setenv("TESTSYS_LOGS", "+core")
        monkeypatch.setenv("NO_COLOR", "1")
        assert EnvConfig("TESTSYS") == EnvConfig.from_environ({}, prefix="TESTSYS")

    def test_frozen(self) -> None:
        """
        An EnvConfig cannot be changed.
        """
        config = EnvConfig.from_environ({}, prefix="TESTSYS")
        with pytest.raises(AttributeError, match=r"^cannot assign to field 'logs'$"):
            config.logs = "+core"  # type: ignore[misc]


class TestName:
    """
    EnvConfig.name: the full name of a variable.
    """

    @pytest.mark.parametrize(
        ("prefix", "suffix", "name"),
        [
            ("TESTSYS", "", "TESTSYS_LOGS"),
            ("TESTSYS", "OUT", "TESTSYS_LOGS_OUT"),
            ("TESTSYS", "FORMAT", "TESTSYS_LOGS_FORMAT"),
            ("TORCH", "CONSOLE", "TORCH_LOGS_CONSOLE"),
            ("TORCH", "STRICT", "TORCH_LOGS_STRICT"),
        ],
    )
    def test_name(self, prefix: str, suffix: str, name: str) -> None:
        """
        ``name(suffix)`` is ``{P}_LOGS_{suffix}``; no suffix gives ``{P}_LOGS``.
        """
        assert name == EnvConfig(prefix).name(suffix)


class TestInitReadsTheEnvironment:
    """
    LogSystem.init reads the environment it is given, when it is called.
    """

    def test_injected(self, system: LogSystem, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        init(environ) uses that mapping and not os.environ.
        """
        monkeypatch.setenv("TESTSYS_LOGS", "+core")
        system.init({"TESTSYS_LOGS": "-io"})
        assert {"testsys.io": 40, "testsys.net": 40} == dict(system.settings.levels)

    def test_os_environ(self, system: LogSystem, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        init() without a mapping reads os.environ as it is at the call.
        """
        monkeypatch.setenv("TESTSYS_LOGS", "+core")
        system.init()
        assert ({"testsys.core": 10}, "+core") == (dict(system.settings.levels), os.environ["TESTSYS_LOGS"])

    def test_demo_prefix(self, demo: LogSystem) -> None:
        """
        The demo's variables are TORCH_LOGS and friends, whatever its name.
        """
        demo.init({"TORCH_LOGS": "+dynamo", "MINITORCH_LOGS": "-dynamo"})
        assert {"minitorch._dynamo": 10, "minitorch.fx.experimental.symbolic_shapes": 10} == dict(demo.settings.levels)


class TestParseOthers:
    """
    ``parse_others``: what ``{P}_LOGS_RANKS_OTHERS`` takes.
    """

    @pytest.mark.parametrize(
        ("text", "level"),
        [("error", 40), ("ERROR", 40), ("warning", 30), ("critical", 50), ("25", 25), ("silent", None)],
    )
    def test_valid(self, text: str, level: int | None) -> None:
        """
        A level name or number, or ``silent`` (``None``).
        """
        assert level == parse_others(text)

    def test_invalid(self) -> None:
        """
        Anything else says what is accepted.
        """
        message = (
            "'loud' is not a level: use error (the default), silent, or a level (debug, info, warning, error, "
            "critical or a number)"
        )
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            parse_others("loud")


class TestExpandPath:
    """
    ``expand_path``: the ``{P}_LOGS_OUT`` template.
    """

    @pytest.mark.parametrize(
        ("template", "rank", "expected"),
        [
            ("/logs/log_%r.txt", 3, "/logs/log_3.txt"),
            ("/logs/log_%r.txt", None, "/logs/log_norank.txt"),
            ("/logs/%p/%r-%r.txt", 0, "/logs/4242/0-0.txt"),
            ("/logs/100%%_%r", 1, "/logs/100%_1"),
            ("/logs/%%r", 1, "/logs/%r"),
            ("/logs/50%.log", 1, "/logs/50%.log"),
            ("/logs/%d_%", 1, "/logs/%d_%"),
            ("/logs/plain.log", 1, "/logs/plain.log"),
        ],
    )
    def test_expand(self, template: str, rank: int | None, expected: str) -> None:
        """
        ``%r`` is the rank (``norank`` without one), ``%p`` the pid, ``%%`` a percent
        sign; any other ``%`` stays as written.
        """
        assert expected == expand_path(template, rank, PID)

    def test_env_reads_the_variables(self) -> None:
        """
        ``{P}_LOGS_RANKS`` and ``{P}_LOGS_RANKS_OTHERS`` are read as written.
        """
        environ = {"X_LOGS_RANKS": " 0,2-3 ", "X_LOGS_RANKS_OTHERS": "silent", "X_LOGS_OUT": "log_%r"}
        config = EnvConfig.from_environ(environ, prefix="X")
        assert (" 0,2-3 ", "silent", "log_%r") == (config.ranks, config.ranks_others, config.out)


class TestOutTemplate:
    """
    ``{P}_LOGS_OUT`` and ``set_output(file=)`` as templates: one file per rank.
    """

    @pytest.mark.parametrize(("rank", "name"), [(3, "log_3_{pid}.txt"), (None, "log_norank_{pid}.txt")])
    def test_variable(self, system: LogSystem, tmp_path: Path, rank: int | None, name: str) -> None:
        """
        ``%r`` becomes the rank (``norank`` without one) and ``%p`` the process id.
        """
        system.set_rank_provider(lambda: rank)
        system.init({"TESTSYS_LOGS_OUT": str(tmp_path / "log_%r_%p.txt"), "TESTSYS_LOGS_CONSOLE": "none"})
        logging.getLogger("testsys.core").warning("to the file")
        path = tmp_path / name.format(pid=os.getpid())
        assert ([path], "to the file") == (list(tmp_path.iterdir()), lines(path.read_text())[0][2])

    def test_set_output(self, ranked: LogSystem, tmp_path: Path) -> None:
        """
        ``set_output(file=)`` takes the same template.
        """
        ranked.set_output(file=str(tmp_path / "run_%r.log"), console="none")
        ranked.init()
        logging.getLogger("testsys.core").error("boom")
        assert [("[rank1]:", "E", "boom")] == lines((tmp_path / "run_1.log").read_text())
