"""The API reference (docs/, built by ``make docs``) covers the whole public API."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import ROOT

import logdial
import logdial.testing

API = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
DOCUMENTED = set(re.findall(r"^\.\. auto(?:class|exception|function|module):: (\S+)", API, flags=re.MULTILINE))


def test_every_public_name_has_its_entry() -> None:
    """
    Each name in ``logdial.__all__`` and ``logdial.testing.__all__`` has an autodoc entry.
    """
    public = {f"logdial.{name}" for name in logdial.__all__} | {
        f"logdial.testing.{name}" for name in logdial.testing.__all__
    }
    assert set() == public - DOCUMENTED


def test_readme_links_the_reference() -> None:
    """
    The README (the guide) says where the reference is and how to build it.
    """
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make docs" in readme
    assert "docs/_build/html/index.html" in readme


def test_every_public_method_of_the_system_is_in_the_reference(tmp_path: Path) -> None:
    """
    The built reference has an entry for every public method and property of
    ``LogSystem``, those its bases define too (``set_output``, ``set_ranks``,
    ``trace_structured``, ``enable_control``...), and names none of its private bases.
    """
    pytest.importorskip("sphinx", reason="the reference is built where make installs Sphinx (CPython 3.11)")
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(ROOT / "docs"), str(tmp_path)],
        capture_output=True, encoding="utf-8", timeout=300, check=False,
    )  # fmt: skip
    assert 0 == done.returncode, done.stderr
    page = (tmp_path / "api.html").read_text(encoding="utf-8")
    entries = set(re.findall(r'id="logdial\.LogSystem\.(\w+)"', page))
    public = {name for name in dir(logdial.LogSystem) if not name.startswith("_")}
    assert set() == public - entries
    assert [] == re.findall(r"logdial\._\w+\.\w+Methods", page)
