"""Find out whether a module exists, without importing it or any of its parents."""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["module_exists"]


def module_exists(name: str) -> bool:
    """
    Whether ``name`` is an importable module or package.

    Already-imported modules are looked up in ``sys.modules``, built-in and frozen ones
    (with a frozen package's submodules) by name; anything else is found segment by
    segment with ``PathFinder``, which reads directories and imports nothing
    (``importlib.util.find_spec`` would import every parent package).

    >>> module_exists("logging.handlers"), module_exists("logging.nope")
    (True, False)
    """
    import importlib.machinery  # here, not at import: it costs import time

    parts = name.split(".")
    path: Sequence[str] | None = None
    for depth in range(1, len(parts) + 1):
        qualname = ".".join(parts[:depth])
        module = sys.modules.get(qualname)
        if module is not None:
            path = getattr(module, "__path__", None)
            continue
        if depth == 1 and qualname in sys.builtin_module_names:
            path = None
            continue
        frozen = importlib.machinery.FrozenImporter.find_spec(qualname)
        if frozen is not None:  # frozen packages have frozen submodules (__phello__.spam)
            locations = frozen.submodule_search_locations
            path = list(locations) if locations is not None else None
            continue
        if depth > 1 and path is None:
            return False  # a plain module has no submodules
        try:
            spec = importlib.machinery.PathFinder.find_spec(qualname, path)
        except (ImportError, ValueError, OSError):  # unreadable or odd sys.path entries
            return False
        if spec is None:
            return False
        locations = spec.submodule_search_locations
        path = list(locations) if locations is not None else None
    return True
