"""Tests for module_exists: finding a module without importing it or any of its parents."""

from __future__ import annotations

import importlib.machinery
import subprocess
import sys
import types
from pathlib import Path

import pytest

from logdial._modules import module_exists

# Importing any file of the probe tree fails loudly, so a lookup that imports is caught.
_BOOBY_TRAP = "raise RuntimeError('module_exists imported this module')\n"


@pytest.fixture
def probe_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """
    A directory on ``sys.path`` holding a small tree of modules that must never be imported::

        ldprobe_pkg/__init__.py, ldprobe_pkg/plain.py,
        ldprobe_pkg/sub/__init__.py, ldprobe_pkg/sub/leaf.py,
        ldprobe_mod.py, ldprobe_ns/inner.py (a namespace package)
    """
    pkg = tmp_path / "ldprobe_pkg"
    (pkg / "sub").mkdir(parents=True)
    (tmp_path / "ldprobe_ns").mkdir()
    for path in (
        pkg / "__init__.py",
        pkg / "plain.py",
        pkg / "sub" / "__init__.py",
        pkg / "sub" / "leaf.py",
        tmp_path / "ldprobe_mod.py",
        tmp_path / "ldprobe_ns" / "inner.py",
    ):
        path.write_text(_BOOBY_TRAP)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


class TestModuleExists:
    """
    ``module_exists``: whether a dotted name is an importable module or package.
    """

    @pytest.mark.parametrize(
        "name",
        [
            "ldprobe_pkg",
            "ldprobe_pkg.plain",
            "ldprobe_pkg.sub",
            "ldprobe_pkg.sub.leaf",
            "ldprobe_mod",
            "ldprobe_ns",
            "ldprobe_ns.inner",
        ],
    )
    def test_modules_found_on_sys_path(self, probe_path: Path, name: str) -> None:
        """
        Packages, their submodules at any depth, plain modules and namespace packages
        are found, and none of them is imported.
        """
        before = set(sys.modules)
        assert module_exists(name)
        assert set() == {n for n in set(sys.modules) - before if n.startswith("ldprobe")}

    @pytest.mark.parametrize(
        "name",
        [
            "ldprobe_missing",
            "ldprobe_pkg.missing",
            "ldprobe_pkg.sub.missing",
            "ldprobe_pkg.missing.leaf",
            "ldprobe_pkg.plain.child",  # a plain module has no submodules
            "ldprobe_mod.child",
            "ldprobe_ns.missing",
        ],
    )
    def test_missing_modules(self, probe_path: Path, name: str) -> None:
        """
        A name with any segment that is not there is not a module.
        """
        assert not module_exists(name)

    @pytest.mark.parametrize("name", ["json", "json.decoder", "email.mime.text", "xml.dom.minidom", "logging.handlers"])
    def test_stdlib_modules(self, name: str) -> None:
        """
        Standard-library packages and submodules exist.
        """
        assert module_exists(name)

    @pytest.mark.parametrize("name", ["json.nope", "email.mime.nope", "logdial_no_such_module_anywhere", "ünïcode"])
    def test_missing_stdlib_names(self, name: str) -> None:
        """
        A missing submodule of a real package, or a missing top-level name, does not exist.
        """
        assert not module_exists(name)

    def test_builtin_modules(self) -> None:
        """
        Modules compiled into the interpreter exist, and have no submodules.
        """
        assert "sys" in sys.builtin_module_names
        builtins = [n for n in sys.builtin_module_names if n != "__main__"]
        assert [True] * len(builtins) == [module_exists(n) for n in builtins]
        assert not module_exists("sys.nope")

    @pytest.mark.parametrize(
        ("name", "expected"), [("__hello__", True), ("__phello__", True), ("__phello__.spam", True)]
    )
    def test_frozen_modules(self, name: str, expected: bool) -> None:
        """
        Frozen modules exist, including a frozen package's frozen submodule.
        """
        assert importlib.machinery.FrozenImporter.find_spec(name) is not None
        assert name not in sys.modules
        assert expected == module_exists(name)

    def test_frozen_module_has_no_missing_submodule(self) -> None:
        """
        A frozen plain module has no submodules, and a frozen package only those it has.
        """
        assert (False, False) == (module_exists("__hello__.nope"), module_exists("__phello__.nope"))

    def test_already_imported_plain_module(self) -> None:
        """
        ``os.path`` (imported, and not a package) exists; an attribute of it is not a module.
        """
        assert "os.path" in sys.modules
        assert (True, False) == (module_exists("os.path"), module_exists("os.path.join"))

    def test_imported_package_is_searched_through_its_path(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """
        For a package in ``sys.modules``, submodules are looked for in its ``__path__``,
        even when that directory is not on ``sys.path``.
        """
        (tmp_path / "child.py").write_text(_BOOBY_TRAP)
        package = types.ModuleType("ldprobe_in_memory")
        package.__path__ = [str(tmp_path)]
        monkeypatch.setitem(sys.modules, "ldprobe_in_memory", package)
        assert (True, False) == (module_exists("ldprobe_in_memory.child"), module_exists("ldprobe_in_memory.nope"))
        assert "ldprobe_in_memory.child" not in sys.modules

    def test_imported_plain_module_has_no_submodules(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A module in ``sys.modules`` without ``__path__`` exists, and has no submodules.
        """
        monkeypatch.setitem(sys.modules, "ldprobe_plain_in_memory", types.ModuleType("ldprobe_plain_in_memory"))
        assert (True, False) == (module_exists("ldprobe_plain_in_memory"), module_exists("ldprobe_plain_in_memory.x"))

    def test_imported_submodule_of_unimported_parent(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A submodule already in ``sys.modules`` counts, even when its parent is found on disk.
        """
        monkeypatch.setitem(sys.modules, "json.ldprobe_child", types.ModuleType("json.ldprobe_child"))
        assert module_exists("json.ldprobe_child")

    def test_odd_sys_path_entries_are_harmless(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A file, a missing directory and a non-string on ``sys.path`` do not break lookups.
        """
        a_file = tmp_path / "not_a_dir.txt"
        a_file.write_text("x")
        monkeypatch.syspath_prepend(str(a_file))
        monkeypatch.syspath_prepend(str(tmp_path / "missing_dir"))
        monkeypatch.setattr(sys, "path", [42, *sys.path])
        assert (True, False) == (module_exists("json.decoder"), module_exists("ldprobe_absent"))

    def test_unusable_sys_path_entry_means_not_found(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A ``sys.path`` entry that makes the import system itself fail (an embedded NUL)
        answers ``False`` instead of raising, as the import would fail too.
        """
        monkeypatch.setattr(sys, "path", ["/tmp/bad\x00entry", *sys.path])
        monkeypatch.setattr(sys, "path_importer_cache", dict(sys.path_importer_cache))
        assert not module_exists("ldprobe_absent")

    def test_imports_nothing_in_a_fresh_interpreter(self, python: str) -> None:
        """
        In a fresh interpreter, looking up stdlib submodules imports neither them nor
        their parent packages (only the import system's own ``importlib.machinery``, on
        the first lookup, imported before the count here: on 3.11 the ``importlib``
        package brings ``warnings``, which a run under coverage has already loaded).
        """
        code = (
            "import sys, importlib.machinery; from logdial._modules import module_exists; before = set(sys.modules); "
            "found = [module_exists(n) for n in ('email.mime.text', 'xml.dom.minidom', 'json.decoder')]; "
            "new = sorted(set(sys.modules) - before); "
            "print(found, 'email' in sys.modules, new)"
        )
        result = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True, timeout=60)
        assert "[True, True, True] False []\n" == result.stdout
