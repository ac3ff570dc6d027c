"""What the tests that read logdial's own sources share: where the package is, and the classes written in it."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import logdial

PACKAGE = Path(logdial.__file__).resolve().parent


def subclasses_in_source(base: str) -> list[type]:
    """
    Every class in logdial's sources written as ``class X(<base>, ...)``, its module imported
    (so that the answer does not depend on which modules other tests happened to import).
    """
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == base for b in node.bases)
        ]
        if names:
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            module = importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
            found += [getattr(module, name) for name in names]
    return found
