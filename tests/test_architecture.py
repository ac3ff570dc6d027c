"""The package's shape, read from its source: no import circle among logdial's modules."""

from __future__ import annotations

import ast
from pathlib import Path

import logdial

PACKAGE = Path(logdial.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(source: str, name: str, *, is_package: bool = False) -> set[str]:
    """
    The logdial modules that module ``name`` (its text: ``source``) imports, at its top or
    inside a function (an import made on first use is still an edge), but not under
    ``if TYPE_CHECKING:``.
    """
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if isinstance(child, ast.ImportFrom):
                base = package
                for _ in range(child.level - 1):
                    base = base.rpartition(".")[0]
                module = child.module if child.level == 0 else ".".join(filter(None, [base, child.module]))
                if module and module.startswith("logdial"):
                    found.add(module)
                    for alias in child.names:  # from . import _lazy: the module itself
                        if _known(f"{module}.{alias.name}"):
                            found.add(f"{module}.{alias.name}")
            elif isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.startswith("logdial"))
            visit(child)

    visit(ast.parse(source))
    # (A module imports its parent packages too: that is how Python works, not a circle.)
    return {m for m in found if _known(m) and m != name and not name.startswith(f"{m}.")}


def _known(module: str) -> bool:
    return module in MODULES or module.startswith("logdial._example")  # (the checker's own test)


MODULES = {_module_name(p) for p in PACKAGE.rglob("*.py")}


def _graph() -> dict[str, set[str]]:
    return {
        _module_name(p): _imports(p.read_text(encoding="utf-8"), _module_name(p), is_package=p.name == "__init__.py")
        for p in PACKAGE.rglob("*.py")
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles, state = [], dict.fromkeys(graph, 0)  # 0 new, 1 on the path, 2 done

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state[target] == 1:
                cycles.append([*path[path.index(target) :], target])
            elif state[target] == 0:
                walk(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if state[module] == 0:
            walk(module, [module])
    return cycles


def test_no_import_circle() -> None:
    """
    No module of logdial imports (at its top or on first use) one that imports it back,
    directly or through others: the stages depend one way.
    """
    assert [] == _cycles(_graph())


def test_the_checker_finds_a_circle() -> None:
    """
    The checker sees an import made on first use, skips one under ``TYPE_CHECKING``, and
    finds the circle two modules make.
    """
    a = "from logdial import _example_b\nif TYPE_CHECKING:\n    from logdial import _example_c\n"
    b = "def f():\n    from . import _example_a\n"
    graph = {
        "logdial._example_a": _imports(a, "logdial._example_a"),
        "logdial._example_b": _imports(b, "logdial._example_b"),
    }
    assert {"logdial._example_a": {"logdial._example_b"}, "logdial._example_b": {"logdial._example_a"}} == graph
    assert [["logdial._example_a", "logdial._example_b", "logdial._example_a"]] == _cycles(graph)
