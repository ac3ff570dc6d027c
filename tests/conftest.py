"""Shared fixtures: every test runs with the logging tree and the environment as they were."""

from __future__ import annotations

import io
import logging
import os
import pty
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.records import set_tz
from tests.subprocesses import HAS_TORCH, is_logging_var

from logdial import LogSystem
from logdial.demo._registrations import build_system

ROOT = Path(__file__).resolve().parent.parent
#: Debian's Chromium, which the report's browser tests drive (.ci/run installs it).
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
#: pytest 8, beside this environment's pytest 9, for the plugin's tests (make puts it there).
PYTEST8 = Path(sys.prefix) / "pytest8"

#: What a test marked with each name needs, whether it is here, and how to get it.
_NEEDS = {
    "torch": (HAS_TORCH, "no torch: make installs torch==2.13.0 on CPython 3.11 only (its local CPU build)"),
    "chromium": (CHROMIUM.exists(), f"no Chromium at {CHROMIUM}: apt-get install chromium (.ci/run does)"),
    "pytest8": (PYTEST8.is_dir(), f"no pytest 8 at {PYTEST8}: make installs it there (pip install --target)"),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """
    Tests marked ``torch`` or ``chromium`` skip, saying why, where that is missing; but
    what ``LOGDIAL_TEST_REQUIRE`` names (comma-separated; ``make test`` sets it) must be
    here, or the run stops before the first test: a skip must never pass for a test run.
    """
    required = {name.strip() for name in os.environ.get("LOGDIAL_TEST_REQUIRE", "").split(",") if name.strip()}
    unknown = required - _NEEDS.keys()
    if unknown:
        raise pytest.UsageError(f"LOGDIAL_TEST_REQUIRE names {sorted(unknown)}; known: {sorted(_NEEDS)}")
    for name, (present, why) in _NEEDS.items():
        if present:
            continue
        if name in required:
            raise pytest.UsageError(f"LOGDIAL_TEST_REQUIRE asks for {name}, but {why}")
        skip = pytest.mark.skip(reason=why)
        for item in items:
            if item.get_closest_marker(name) is not None:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolate_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """
    Snapshot the logger tree (levels, propagation, handlers, parents) and clear the
    variables logdial reads; restore both afterwards.
    """
    for name in list(os.environ):
        if is_logging_var(name):
            monkeypatch.delenv(name)
    manager = logging.Logger.manager
    saved_dict = dict(manager.loggerDict)
    root = logging.getLogger()
    loggers = [root, *(lg for lg in saved_dict.values() if isinstance(lg, logging.Logger))]
    saved = [(lg, lg.level, lg.propagate, list(lg.handlers), lg.disabled, lg.parent) for lg in loggers]
    yield
    manager.loggerDict.clear()
    manager.loggerDict.update(saved_dict)
    for lg, level, propagate, handlers, disabled, parent in saved:
        lg.level, lg.propagate, lg.handlers, lg.disabled, lg.parent = level, propagate, handlers, disabled, parent
    manager._clear_cache()  # the stdlib's own invalidation of the level caches


@pytest.fixture
def system() -> Iterator[LogSystem]:
    """
    A fresh system ``testsys`` (prefix ``TESTSYS``) with two components and three artifacts.
    """
    logs = LogSystem("testsys")
    logs.register_log("core", ["testsys.core"])
    logs.register_log("io", ["testsys.io", "testsys.net"])
    logs.register_artifact("graph", "The graph.", visible=True)
    logs.register_artifact("graph_code", "The graph as code.")
    logs.register_artifact("schedule", "The schedule.", off_by_default=True)
    yield logs
    logs.reset()


@pytest.fixture
def ranked(system: LogSystem) -> LogSystem:
    """
    The ``testsys`` system, on rank 1 (from a provider).
    """
    system.set_rank_provider(lambda: 1)
    return system


@pytest.fixture
def utc() -> Iterator[None]:
    """
    Run the test in UTC (a POSIX TZ string, no tz database needed); restore after. (A
    module that formats times asks for it: ``pytestmark = pytest.mark.usefixtures("utc")``.)
    """
    saved = os.environ.get("TZ")
    set_tz("UTC0")
    try:
        yield
    finally:
        set_tz(saved)


@pytest.fixture
def demo() -> Iterator[LogSystem]:
    """
    The demo's system (PyTorch's documented components and artifacts), not initialised.
    """
    logs = build_system()
    yield logs
    logs.reset()


@pytest.fixture
def terminal() -> Iterator[tuple[int, io.TextIOWrapper]]:
    """
    A real pseudo-terminal: (the master side to read, a text stream on the terminal
    side, for the test to make ``sys.stderr``).
    """
    master, slave = pty.openpty()
    stream = open(slave, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    try:
        yield master, stream
    finally:
        stream.close()
        os.close(master)


@pytest.fixture
def python() -> str:
    """
    The interpreter to run subprocesses with (the one that has logdial installed).
    """
    return sys.executable


def pytest_addoption(parser: pytest.Parser) -> None:
    """
    ``--update-golden`` rewrites the golden files from the current output instead of
    comparing against them.
    """
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*.txt from the current output")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """
    Whether the run was asked to rewrite golden files.
    """
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def here(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Put the tests' directory on sys.path, so that the records ``tests/outputs.py`` logs
    (its ``warn``) show as ``outputs.py``, as its ``glog`` expects.
    """
    monkeypatch.syspath_prepend(str(ROOT / "tests"))


@pytest.fixture
def trace_dir(tmp_path: Path) -> Path:
    """
    A nested directory that does not exist yet.
    """
    return tmp_path / "nested" / "deeper" / "trace"
