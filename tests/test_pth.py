"""
``_logdial_pth``: what the ``.pth`` line of ``logdial.pytorch`` runs in every interpreter of a
venv. The import hook on modules of the tests' own, and the line on a stand-in ``torch``
package: no torch needed, so these run on every Python (the hook works with the import
system's internals, which change between versions).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.subprocesses import child_environ


def write(path: Path, text: str) -> Path:
    """
    Write ``text`` to ``path``, making its folders.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class TestTheLine:
    """
    The line in a site directory, with a stand-in ``torch`` whose ``torch._logging`` is not
    torch's: the interpreter starts without importing logdial's package; ``import torch``
    fires the hook once, and logdial declines in one line, leaving that torch as it was.
    """

    @pytest.mark.parametrize(
        "line",
        ["import _logdial_pth; _logdial_pth.install()", "import logdial.pytorch; logdial.pytorch.install()"],
        ids=["line", "earlier-line"],
    )
    def test_the_line(self, tmp_path: Path, line: str) -> None:
        """
        Today's line imports only ``_logdial_pth`` at start; the earlier one also the package.
        """
        write(tmp_path / "site" / "logdial-pytorch.pth", line + "\n")
        write(tmp_path / "site" / "again.pth", line + "\n")  # a second copy does no harm
        write(tmp_path / "fake" / "torch" / "__init__.py", "from torch import _logging\n")
        write(tmp_path / "fake" / "torch" / "_logging" / "__init__.py", "print('their logging ran')\n")
        code = f"""
            import site, sys
            sys.path.insert(0, {str(tmp_path / "fake")!r})
            site.addsitedir({str(tmp_path / "site")!r})  # what the interpreter does with site-packages at start
            print(sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "logdial", "_logdial_pth")))
            print(sum(type(f).__name__ == "TorchLoggingHook" for f in sys.meta_path))
            import torch
            print(sum(type(f).__name__ == "TorchLoggingHook" for f in sys.meta_path))
        """
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True, encoding="utf-8", env=child_environ(), cwd=tmp_path, timeout=120, check=False,
        )  # fmt: skip
        loaded = (
            ["_logdial_pth"]
            if line.startswith("import _logdial_pth")
            else ["_logdial_pth", "logdial", "logdial.pytorch"]
        )
        assert (0, f"{loaded}\n1\ntheir logging ran\n0\n") == (done.returncode, done.stdout)
        assert done.stderr.startswith("logdial.pytorch: not installed, torch's own logging stays in charge")


class TestHookUnits:
    """
    The import hook, on a module of the test's own instead of torch._logging.
    """

    def test_fires_once_after_the_module_ran(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        The callback gets the executed module; the hook leaves sys.meta_path and the
        loader is the finders' own again; other modules are not its business.
        """
        import importlib

        import _logdial_pth as hooks

        write(tmp_path / "hooked_target.py", "VALUE = 42\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.setattr(hooks, "TARGET", "hooked_target")
        seen: list[object] = []
        hook = hooks.TorchLoggingHook(lambda module: seen.append(getattr(module, "VALUE", None)))
        hook.place()
        hook.place()
        try:
            assert 1 == sys.meta_path.count(hook)  # type: ignore[arg-type]
            assert None is hook.find_spec("something_else")
            module = importlib.import_module("hooked_target")
        finally:
            hook.remove()
            sys.modules.pop("hooked_target", None)
        assert [42] == seen
        assert hook not in sys.meta_path  # type: ignore[comparison-overlap]
        assert "exec_module" not in vars(module.__loader__)

    def test_a_failing_callback_does_not_fail_the_import(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """
        Whatever the callback raises, the module imports, and one line says why.
        """
        import importlib

        import _logdial_pth as hooks

        def fail(module: object) -> None:
            raise RuntimeError("broken")

        write(tmp_path / "hooked_failing.py", "VALUE = 1\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.setattr(hooks, "TARGET", "hooked_failing")
        hook = hooks.TorchLoggingHook(fail)
        hook.place()
        try:
            assert 1 == importlib.import_module("hooked_failing").VALUE
        finally:
            hook.remove()
            sys.modules.pop("hooked_failing", None)
        assert (
            "logdial.pytorch: not installed (RuntimeError: broken); torch's own logging stays in charge\n"
        ) == capsys.readouterr().err

    def test_leaves_what_it_cannot_wrap(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        No finder finds the module, or its loader cannot take an attribute: the hook
        returns None and the import system goes on without it.
        """
        import importlib.machinery

        import _logdial_pth as hooks

        class SlotLoader:
            __slots__ = ()

            def exec_module(self, module: object) -> None:
                pass

        class Finder:
            def find_spec(self, name: str, path: object = None, target: object = None) -> object:
                return importlib.machinery.ModuleSpec(name, SlotLoader())  # type: ignore[arg-type]

        monkeypatch.setattr(hooks, "TARGET", "no_such_module_anywhere")
        hook = hooks.TorchLoggingHook(lambda module: None)
        assert None is hook.find_spec("no_such_module_anywhere")
        monkeypatch.setattr(sys, "meta_path", [hook, Finder()])
        assert None is hook.find_spec("no_such_module_anywhere")
