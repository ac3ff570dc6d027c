"""Tests for finding installed systems through the ``logdial.systems`` entry points, with real
distributions on ``sys.path`` (a ``*.dist-info`` folder beside a package), not mocks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.subprocesses import HAS_TORCH, child_environ

from logdial import LogSystem
from logdial._env import EnvConfig
from logdial._plugins import GROUP, Plugin, PluginError, UnknownSystemError, discover, find, variables

#: The demo, as its pyproject.toml registers it.
MINITORCH = Plugin("minitorch", "logdial.demo._registrations:system", "logdial")
#: logdial's system for torch, listed where torch is installed (the test extra installs it).
TORCH = Plugin("torch", "logdial.pytorch._command:system", "logdial")
#: What this package registers, as discovered here: torch's system only where torch is installed.
OURS = (MINITORCH, TORCH) if HAS_TORCH else (MINITORCH,)
FAKE_MODULES = ("fakesys", "fakesys.logs", "fakesys.heavy", "brokensys", "exitsys")


def _dist(site: Path, name: str, entry_points: str) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{entry_points}", encoding="utf-8")


def write_plugins(site: Path) -> Path:
    """
    Make ``site`` a directory of installed distributions: ``fakesys`` registers a working
    system ``fake`` (in ``fakesys.logs``, beside a module ``fakesys.heavy`` that nothing
    should import) and ``wrongtype`` (not a LogSystem); ``brokensys`` registers ``broken``,
    whose import raises; ``exitsys`` registers ``exits``, whose import calls ``sys.exit``.
    """
    site.mkdir(parents=True, exist_ok=True)
    package = site / "fakesys"
    package.mkdir()
    (package / "__init__.py").write_text('"""A library with a logdial system."""\n', encoding="utf-8")
    (package / "heavy.py").write_text('"""A module the CLI must not import."""\n', encoding="utf-8")
    (package / "logs.py").write_text(
        textwrap.dedent(
            """\
            import logdial

            system = logdial.LogSystem("fake", env_prefix="FAKE")
            system.register_log("core", ["fakesys.core"])
            system.register_artifact("plan", "The plan.", visible=True)
            system.register_artifact("dump", "Everything.", off_by_default=True)
            COUNT = 3
            """
        ),
        encoding="utf-8",
    )
    _dist(site, "fakesys", "fake = fakesys.logs:system\nwrongtype = fakesys.logs:COUNT\n")
    (site / "brokensys.py").write_text('raise RuntimeError("the broken plugin fails at import")\n', encoding="utf-8")
    _dist(site, "brokensys", "broken = brokensys:system\n")
    (site / "exitsys.py").write_text("import sys\nsys.exit(3)\n", encoding="utf-8")
    _dist(site, "exitsys", "exits = exitsys:system\n")
    return site


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """
    The fake distributions on ``sys.path`` for this test; their modules are forgotten after it.
    """
    site = write_plugins(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in FAKE_MODULES:
        sys.modules.pop(name, None)


class TestDiscover:
    """
    ``discover()``: every entry point of the group, sorted, nothing imported.
    """

    def test_installed_demo(self) -> None:
        """
        The installed package registers the demo, as its pyproject.toml says.
        """
        assert OURS == discover()

    def test_fake_distributions(self, plugins: Path) -> None:
        """
        Distributions found on ``sys.path`` are listed by name, without importing them.
        """
        expected = (
            Plugin("broken", "brokensys:system", "brokensys"),
            Plugin("exits", "exitsys:system", "exitsys"),
            Plugin("fake", "fakesys.logs:system", "fakesys"),
            *OURS,
            Plugin("wrongtype", "fakesys.logs:COUNT", "fakesys"),
        )
        assert (expected, []) == (discover(), [m for m in FAKE_MODULES if m in sys.modules])

    def test_shadowed(self, plugins: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A second distribution registering a name already taken earlier on ``sys.path`` is
        marked shadowed, and ``find`` picks the first.
        """
        later = tmp_path / "later"
        later.mkdir()
        _dist(later, "otherfake", "fake = otherfake:system\n")
        monkeypatch.setattr(sys, "path", [*sys.path, str(later)])
        fakes = [p for p in discover() if p.name == "fake"]
        assert (
            [Plugin("fake", "fakesys.logs:system", "fakesys"), Plugin("fake", "otherfake:system", "otherfake", True)],
            fakes[0],
        ) == (fakes, find("fake"))


class TestLoad:
    """
    ``find(name).load()``: imports the one module that defines the system.
    """

    def test_working_plugin(self, plugins: Path) -> None:
        """
        The system comes back; its module is imported, its sibling modules and the other plugins are not.
        """
        system = find("fake").load()
        assert (
            "fake",
            ["fakesys", "fakesys.logs"],
        ) == (system.name, [m for m in FAKE_MODULES if m in sys.modules])

    def test_demo_imports_only_its_registrations(self) -> None:
        """
        Loading the demo imports its registrations, not its pipeline (checked in a fresh interpreter).
        """
        code = (
            "import sys; from logdial._plugins import find; find('minitorch').load(); "
            "print(sorted(m for m in sys.modules if m.startswith('logdial.demo')))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=child_environ()
        ).stdout
        assert "['logdial.demo', 'logdial.demo._registrations']\n" == out

    def test_import_fails(self, plugins: Path) -> None:
        """
        An exception at import becomes a PluginError naming the system, its value and the error.
        """
        with pytest.raises(PluginError) as raised:
            find("broken").load()
        expected = "cannot load system 'broken' (brokensys:system): RuntimeError: the broken plugin fails at import"
        assert expected == str(raised.value)

    def test_import_exits(self, plugins: Path) -> None:
        """
        A plugin that calls ``sys.exit`` at import does not end the command.
        """
        with pytest.raises(PluginError) as raised:
            find("exits").load()
        assert "cannot load system 'exits' (exitsys:system): SystemExit: 3" == str(raised.value)

    def test_not_a_system(self, plugins: Path) -> None:
        """
        An attribute that is not a LogSystem is refused with its type.
        """
        with pytest.raises(PluginError) as raised:
            find("wrongtype").load()
        expected = "cannot load system 'wrongtype': fakesys.logs:COUNT is not a logdial.LogSystem (its type is int)"
        assert expected == str(raised.value)

    def test_missing_attribute(self) -> None:
        """
        A module without the attribute is a PluginError too.
        """
        with pytest.raises(PluginError) as raised:
            Plugin("nope", "logdial.demo._registrations:nothing_here").load()
        assert str(raised.value).startswith(
            "cannot load system 'nope' (logdial.demo._registrations:nothing_here): AttributeError: "
        )

    def test_unknown_name(self, plugins: Path) -> None:
        """
        An unknown name lists the installed ones.
        """
        with pytest.raises(UnknownSystemError) as raised:
            find("nope")
        installed = ", ".join(sorted(["broken", "exits", "fake", *(p.name for p in OURS), "wrongtype"]))
        assert f"no system named 'nope'; installed: {installed}" == str(raised.value)

    def test_unknown_name_when_none_installed(self) -> None:
        """
        With no systems at all, the message says so.
        """
        with pytest.raises(UnknownSystemError) as raised:
            find("nope", ())
        assert "no system named 'nope'; installed: none" == str(raised.value)

    def test_module(self) -> None:
        """
        ``module`` is the part of the value before the colon.
        """
        assert "logdial.demo._registrations" == MINITORCH.module


class TestVariables:
    """
    ``variables()``: the environment variables of a system.
    """

    def test_names(self) -> None:
        """
        The six variables, with the system's prefix.
        """
        expected = (
            "SHOP_LOGS",
            "SHOP_LOGS_OUT",
            "SHOP_LOGS_FORMAT",
            "SHOP_LOGS_CONSOLE",
            "SHOP_LOGS_STRICT",
            "SHOP_LOGS_RANKS",
            "SHOP_LOGS_RANKS_OTHERS",
            "SHOP_LOGS_CONTROL",
            "SHOP_TRACE",
        )
        assert expected == variables(LogSystem("shop"))

    def test_each_is_read(self) -> None:
        """
        Each listed variable changes what EnvConfig reads, and together they reach every
        field but those of the colour conventions (``NO_COLOR``, ``FORCE_COLOR``,
        ``CLICOLOR_FORCE``, ``TERM``: variables without the prefix): the list is the reader's.
        """
        prefix = "SHOP"
        changed = set()
        for name in variables(LogSystem("shop")):
            config = EnvConfig.from_environ({name: "1"}, prefix=prefix)
            changed |= {
                field for field in EnvConfig._fields if getattr(config, field) != getattr(EnvConfig(prefix), field)
            }
        assert set(EnvConfig._fields) - {"prefix", "no_color", "force_color", "dumb_terminal"} == changed
