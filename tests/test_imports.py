"""No import cycles between ptdata's modules, counting every import that runs.

The graph is read from the source (``ast``): imports inside functions count (a cycle there
is still two modules that each need the other, only later); imports under ``if
TYPE_CHECKING:`` never run and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ptdata

ROOT = Path(ptdata.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _source_files() -> dict[str, Path]:
    files = {}
    for path in sorted(ROOT.rglob("*.py*")):  # with __init__.pyi, the lazy package surface
        if path.suffix in (".py", ".pyi") and "__pycache__" not in path.parts:
            files.setdefault(_module_name(path), path)
            if path.suffix == ".pyi":
                files[_module_name(path) + " (stub)"] = path
    return files


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:``."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                todo.extend(child.orelse)
            else:
                todo.append(child)


def import_graph() -> dict[str, set[str]]:
    """Module -> the ptdata modules it imports (``import a.b``, ``from a.b import c``)."""
    files = _source_files()
    modules = {name for name in files if not name.endswith(" (stub)")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in files.items():
        owner = name.removesuffix(" (stub)")
        package = owner if path.stem == "__init__" else owner.rpartition(".")[0]
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in node.names:  # a submodule imported by name, else the module
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in modules else base)
            graph[owner].update(t for t in targets if t in modules and t != owner)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_imports_of_every_kind():
    graph = import_graph()
    assert "ptdata.api.errors" in graph["ptdata.api.client"]  # from a.b import c
    assert "ptdata.sheets.errors" in graph["ptdata.sheets"]  # the package's own imports
    assert "ptdata.sandbox.control" in graph["ptdata.sandbox.core"]  # inside a function
    assert "ptdata.sandbox.core" not in graph["ptdata.sandbox.control"]  # only for typing
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_no_import_cycles_between_ptdata_modules():
    assert [sorted(c) for c in cycles(import_graph())] == []


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_timing_never_imports_bulk():
    """Bulk sends call the timing package, never the other way round."""
    graph = import_graph()
    assert (
        sorted(
            (m, t)
            for m, targets in graph.items()
            if _package(m) == "ptdata.timing"
            for t in targets
            if _package(t) == "ptdata.bulk"
        )
        == []
    )


def test_no_module_imports_another_packages_private_names():
    """``from ptdata.timing._clock import ...`` or ``import _name`` across packages is not allowed:
    what one package offers the others is its public surface."""
    crossing = []
    for name, path in _source_files().items():
        owner = name.removesuffix(" (stub)")
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            if not node.module.startswith("ptdata.") or len(node.module.split(".")) < 3:
                continue
            if _package(node.module) == _package(owner):
                continue
            names = [a.name for a in node.names]
            if any(part.startswith("_") for part in node.module.split(".")[2:]) or any(
                n.startswith("_") for n in names
            ):
                crossing.append(f"{owner}: from {node.module} import {', '.join(names)}")
    assert crossing == []
