"""logdial's pytest plugin, run by real pytest 8 and pytest 9 on a small project in a subprocess.

Each case writes a project (a library that sets up logdial at import, as libraries do, and
a test file), runs pytest on it, and reads pytest's own report (``-rA`` prints every test's
captured log and stderr) and what the tests assert inside.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.conftest import PYTEST8
from tests.subprocesses import child_environ

LIBRARY = """
import logging
import logdial

logs = logdial.LogSystem("shop")
logs.register_log("orders", ["shop.orders"])
logs.register_artifact("sql", "The SQL sent.")
logs.init()
log = logging.getLogger("shop.orders")                   # a plain module logger
fast = logs.getLogger("shop.orders.fast")                # a FastLogger
sql = logs.getArtifactLogger("shop.orders", "sql")


def place_order():
    log.debug("order placed")
    fast.info("fast path")
    sql.debug("insert into orders")
    log.warning("stock low")
"""

TESTS = """
import logging
import shop


def test_fixture_and_caplog(logdial_logs, caplog):
    settings = logdial_logs.set(shop.logs, "+orders,sql")
    assert {"shop.orders": 10} == dict(settings.levels)
    with caplog.at_level(logging.DEBUG):
        shop.place_order()
    expected = ["order placed", "fast path", "insert into orders", "stock low"]
    assert expected == logdial_logs.messages
    assert expected == [r.getMessage() for r in caplog.records]     # each record once
    assert "] stock low" in logdial_logs.text
    logdial_logs.clear()
    assert [] == logdial_logs.records


def test_settings_and_outputs_come_back():
    # the test before set "+orders": it ended with that test
    assert {} == dict(shop.logs.settings.levels)
    assert not shop.log.isEnabledFor(logging.DEBUG)
    assert logging.getLogger("shop").propagate is False            # logdial's console is back
    shop.place_order()                                               # WARNING shows on stderr


def test_system_made_during_the_test(logdial_logs, caplog):
    import logdial
    late = logdial.LogSystem("late")
    late.register_log("core", ["late.core"])
    late.init({"LATE_LOGS": "+core"})
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("late.core").debug("late debug")
    assert ["late debug"] == logdial_logs.messages
    assert ["late debug"] == [r.getMessage() for r in caplog.records]
    late.reset()
"""

#: A project that never asks for the fixture: it prints the state of logging it sees.
UNRELATED = """
import logging


def test_unrelated(caplog):
    logging.getLogger("app").warning("app warning")
    assert ["app warning"] == [r.getMessage() for r in caplog.records]
    root = logging.getLogger()
    state = (
        sorted(logging.Logger.manager.loggerDict), [type(h).__name__ for h in root.handlers], root.level,
        logging.getLoggerClass(), logging.getLogRecordFactory(), type(root._cache), logging.root.manager.disable,
    )
    print("LOGGING_STATE", state)
"""


def _project(tmp_path: Path, tests: str, library: str = LIBRARY) -> Path:
    (tmp_path / "shop.py").write_text(textwrap.dedent(library), encoding="utf-8")
    (tmp_path / "test_project.py").write_text(textwrap.dedent(tests), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    return tmp_path


def _pytest(project: Path, version: str, *args: str) -> subprocess.CompletedProcess[str]:
    environ = child_environ()
    environ["PYTHONPATH"] = os.pathsep.join([str(project), *([str(PYTEST8)] if version == "8" else [])])
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-rA", "-s", *args]
    return subprocess.run(
        command, cwd=project, capture_output=True, encoding="utf-8", env=environ, timeout=120, check=False
    )


VERSIONS = [pytest.param("8", marks=pytest.mark.pytest8), "9"]


@pytest.mark.parametrize("version", VERSIONS)
class TestFixture:
    """
    ``logdial_logs`` on each pytest: caplog sees every record once, the fixture captures
    them, settings and outputs come back after the test.
    """

    def test_project(self, tmp_path: Path, version: str) -> None:
        """
        The three tests of the project pass, on the pytest asked for.
        """
        done = _pytest(_project(tmp_path, TESTS), version, "--version")
        assert done.stdout.startswith(f"pytest {version}.") or done.stderr.startswith(f"pytest {version}.")
        done = _pytest(tmp_path, version)
        assert 0 == done.returncode, done.stdout + done.stderr
        assert "3 passed" in done.stdout
        # (-s: the tests' stderr is the run's.) Under the fixture logdial's console is off;
        # outside it, it is back: the one line on stderr is the second test's WARNING.
        assert [("W", "shop.py:18] stock low")] == [
            (line[0], line.split(" ", 3)[3]) for line in done.stderr.splitlines()
        ]


@pytest.mark.parametrize("version", VERSIONS)
def test_plugin_changes_nothing_where_its_fixture_is_not_asked_for(tmp_path: Path, version: str) -> None:
    """
    A project that never asks for ``logdial_logs`` runs as if logdial were not installed:
    the same outcome, report and state of logging (loggers, root handlers and level,
    logger class, record factory, level cache) with the plugin and with ``-p no:logdial``.
    (Loading the plugin imports logdial, which has no side effects: test_public_api.)
    """
    _project(tmp_path, UNRELATED)
    with_plugin, without = _pytest(tmp_path, version), _pytest(tmp_path, version, "-p", "no:logdial")
    assert 0 == with_plugin.returncode, with_plugin.stdout
    assert "LOGGING_STATE ([" in with_plugin.stdout
    assert _timeless(without.stdout) == _timeless(with_plugin.stdout, plugin=True)


def _timeless(report: str, plugin: bool = False) -> list[str]:
    # pytest's report, but for the line with the run's duration (and the plugin's name
    # in the list of plugins).
    lines = [line for line in report.splitlines() if " in " not in line or "passed" not in line]
    if plugin:
        lines = [_without_logdial(line) if line.startswith("plugins: ") else line for line in lines]
    return lines


def _without_logdial(line: str) -> str:
    names = [name for name in line.removeprefix("plugins: ").split(", ") if not name.startswith("logdial-")]
    return "plugins: " + ", ".join(names)


def test_plugin_is_registered() -> None:
    """
    pytest finds the plugin through logdial's ``pytest11`` entry point, and lists its one
    fixture.
    """
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--fixtures", "-p", "no:randomly", "-q"],
        capture_output=True,
        encoding="utf-8",
        env=child_environ(),
        cwd=Path(__file__).parent / "typing",
        timeout=120,
        check=False,
    )
    assert "logdial_logs" in done.stdout, done.stdout + done.stderr
