"""Sphinx configuration for logdial's API reference: ``make docs`` (warnings are errors)."""

from __future__ import annotations

import logdial

project = "logdial"
author = "logdial developers"
release = version = logdial.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
# The docstrings are Google style ("Args:", "Raises:", "Attributes:"); type hints are shown
# in the signatures, as the code writes them (no network here: no intersphinx).
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
autodoc_typehints = "signature"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_preserve_defaults = True
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = f"logdial {release}"
