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


#: The most lines a module may have: the system's façade, and any other.
SYSTEM_LINES, MODULE_LINES = 600, 500


def test_module_sizes() -> None:
    """
    ``_system.py`` (the façade) has at most 600 lines and every other module at most 500:
    each stage, output and wing is a module a reader can hold in mind.
    """
    sizes = {_module_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    too_long = {m: n for m, n in sizes.items() if n > (SYSTEM_LINES if m == "logdial._system" else MODULE_LINES)}
    assert {} == too_long


def _private_names(tree: ast.AST) -> set[str]:
    """
    The private names a module defines: its functions, methods and classes, and the
    attributes it assigns (``self._x = ...``) or lists in ``__slots__``.
    """
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # (slots and _fields list names as strings)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def _reaches(tree: ast.AST, own: set[str], elsewhere: set[str]) -> list[str]:
    """
    The accesses ``obj._name`` in ``tree`` to a private name that another logdial module
    defines and this one does not, on anything but ``self`` or ``cls``.
    """
    modules = {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_") or node.attr.startswith("__"):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls", *modules):
            continue  # (its own, or another library's module: logging._lock)
        if node.attr in elsewhere and node.attr not in own:
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_reach_into_another_modules_private_attributes() -> None:
    """
    No module reads or writes a private attribute that another logdial module defines
    (``capture._active()``, ``system._trace_id_source = ...``): what one part needs from
    another is a documented method or attribute.
    """
    trees = {_module_name(p): ast.parse(p.read_text(encoding="utf-8")) for p in PACKAGE.rglob("*.py")}
    defined = {name: _private_names(tree) for name, tree in trees.items()}
    reaches = {}
    for name, tree in trees.items():
        elsewhere = set().union(*(names for other, names in defined.items() if other != name))
        found = _reaches(tree, defined[name], elsewhere)
        if found:
            reaches[name] = found
    assert {} == reaches


def test_the_reach_checker_finds_a_reach() -> None:
    """
    The checker flags an access to a private attribute defined in another module, and
    passes ``self``'s own, a name the module defines itself and a module's.
    """
    owner = ast.parse("class A:\n    def __init__(self):\n        self._secret = 1\n")
    reader = ast.parse(
        "import logging\ndef f(a, b):\n    b._mine = 2\n    return a._secret, self._secret, b._mine, logging._secret\n"
    )
    own, elsewhere = _private_names(reader), _private_names(owner)
    assert ["4: a._secret"] == _reaches(reader, own, elsewhere)
