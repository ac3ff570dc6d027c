"""The public API is exactly what ``__all__`` says, importing it has no side effects."""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from tests.conftest import ROOT

import logdial

EXPECTED = {
    "Artifact",
    "Component",
    "FastLogger",
    "FormatError",
    "GlogFormatter",
    "Item",
    "LazyString",
    "LogSystem",
    "LogdialError",
    "Registry",
    "RegistrationError",
    "Settings",
    "SettingsError",
    "warning_once",
}


class TestExports:
    """
    ``logdial.__all__`` pins the public names.
    """

    def test_all(self) -> None:
        """
        ``__all__`` is exactly the curated list, and every name in it exists.
        """
        assert EXPECTED == set(logdial.__all__)
        assert all(hasattr(logdial, name) for name in logdial.__all__)

    def test_public_names_documented(self) -> None:
        """
        Every public name has a docstring.
        """
        assert [] == [name for name in logdial.__all__ if not (getattr(logdial, name).__doc__ or "").strip()]

    def test_modules_private(self) -> None:
        """
        Every implementation module starts with ``_``, except the demo, the PyTorch
        integration and the test support (``logdial.testing``, whose ``__all__`` is pinned).
        """
        names = [m.name for m in pkgutil.iter_modules(logdial.__path__)]
        assert [] == [n for n in names if not n.startswith("_") and n not in {"demo", "pytorch", "testing"}]
        testing = importlib.import_module("logdial.testing")
        assert ["LogCapture"] == testing.__all__


#: The modules a program that makes a ``LogSystem`` and gives no settings loads
#: (``import logdial`` alone loads none of them: see ``test_no_side_effects``).
EAGER_MODULES = [
    "logdial._apply",
    "logdial._console",
    "logdial._control_api",
    "logdial._env",
    "logdial._errors",
    "logdial._fast",
    "logdial._files",
    "logdial._filters",
    "logdial._forks",
    "logdial._formatting",
    "logdial._frozen",
    "logdial._handlers",
    "logdial._inputs",
    "logdial._lazy",
    "logdial._levels",
    "logdial._notices",
    "logdial._output",
    "logdial._output_api",
    "logdial._plan",
    "logdial._rank_api",
    "logdial._ranks",
    "logdial._registry",
    "logdial._settings",
    "logdial._sources",
    "logdial._system",
    "logdial._trace_api",
    "logdial._writes",
]


class TestImport:
    """
    Importing logdial does nothing but define names.
    """

    def test_no_side_effects(self) -> None:
        """
        No handler, no logger, no environment read, no module of its own imported, nor
        ``logging``: a name is imported on first use (``logdial.LogSystem``).
        """
        code = (
            "import os, sys\n"
            "os.environ['LOGDIAL_LOGS'] = 'help'\n"
            "import logdial\n"
            "print('logging' in sys.modules, sorted(m for m in sys.modules if m.startswith('logdial')))\n"
            "import logging\n"
            "before = set(logging.Logger.manager.loggerDict)\n"
            "logdial.LogSystem\n"
            "print(sorted(set(logging.Logger.manager.loggerDict) - before))\n"
            "print(logging.getLogger().handlers)\n"
            "print(sorted(m for m in sys.modules if m.startswith('logdial')))\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        modules = ["logdial", *EAGER_MODULES]
        assert f"False ['logdial']\n[]\n[]\n{modules}\n" == out

    def test_every_public_name_loads_on_first_use(self) -> None:
        """
        Each name of ``__all__`` is there when asked for (from its own module), and a name
        that is not public is refused as a module refuses it.
        """
        for name in logdial.__all__:
            assert name == getattr(logdial, name).__name__
        with pytest.raises(AttributeError, match=r"^module 'logdial' has no attribute 'Nope'$"):
            logdial.Nope  # noqa: B018 (the access is the test)

    def test_what_a_quiet_program_imports(self) -> None:
        """
        A program that registers, calls ``init()`` with no settings and logs imports no
        grammar, no tracing and nothing else it does not use; giving settings, opening a
        trace context and tracing import them then.
        """
        code = (
            "import sys, logging, logdial\n"
            "def new(): return sorted(m for m in sys.modules if m.startswith('logdial.'))\n"
            "logs = logdial.LogSystem('quietprog')\n"
            "logs.register_log('core', ['quietprog.core'])\n"
            "logs.register_artifact('graph', 'the graph')\n"
            "logs.set_output(console='none')\n"
            "logs.init({})\n"
            "logs.getArtifactLogger('quietprog.core.m', 'graph').debug('off')\n"
            "logging.getLogger('quietprog.core').warning('on')\n"
            "logs.trace_structured('quiet_event', dict)\n"
            "quiet = new()\n"
            "print(quiet)\n"
            "logs.set_logs('+core')\n"
            "with logs.trace_context(frame_id=0, frame_compile_id=0):\n"
            "    pass\n"
            "print(sorted(set(new()) - set(quiet)))\n"
        )
        quiet = EAGER_MODULES
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        used = ["logdial._context", "logdial._grammar", "logdial._trace", "logdial._tracing"]
        assert f"{quiet}\n{used}\n" == result.stdout

    def test_installed_package_is_tested(self) -> None:
        """
        The package under test is the one the run says it tests. ``make test`` reinstalls
        the package (not editable) and sets ``LOGDIAL_TEST_INSTALLED=1``: then ``logdial``
        is the copy pip installed in this environment, never this checkout's ``src/`` (as
        ``PYTHONPATH=src`` or an editable install would make it), so that the tests
        exercise what users install. Without the variable (a run against the source),
        it is this checkout's ``src/`` or that installed copy, never another checkout's
        source.
        """
        mode = os.environ.get("LOGDIAL_TEST_INSTALLED", "")
        assert mode in ("", "1"), f"LOGDIAL_TEST_INSTALLED={mode!r}: 1, or unset"
        imported = Path(logdial.__file__ or "").resolve()
        installed = Path(str(metadata.distribution("logdial").locate_file("logdial/__init__.py"))).resolve()
        if mode == "1":
            assert installed == imported
        else:
            assert imported in (installed, ROOT / "src" / "logdial" / "__init__.py"), imported


MODULES = sorted(m.name for m in pkgutil.walk_packages(logdial.__path__, "logdial.") if not m.name.endswith("__main__"))


class TestDocstringExamples:
    """
    The examples in the docstrings run.
    """

    @pytest.mark.parametrize("name", MODULES)
    def test_doctests(self, name: str) -> None:
        """
        Every ``>>>`` example in the module gives what it shows.
        """
        module = importlib.import_module(name)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert 0 == result.failed


def test_published_metadata_has_no_development_dependencies() -> None:
    """
    The installed distribution requires nothing and offers no extra: the test, lint and
    docs tools are PEP 735 dependency groups, outside the published metadata.
    """
    from importlib import metadata

    meta = metadata.metadata("logdial")
    assert ([], []) == (meta.get_all("Requires-Dist") or [], meta.get_all("Provides-Extra") or [])
