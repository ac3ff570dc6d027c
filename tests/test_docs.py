"""The API reference (docs/, built by ``make docs``) covers the whole public API."""

from __future__ import annotations

import re

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
