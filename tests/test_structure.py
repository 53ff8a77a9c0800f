"""The shape of app/, read from its imports (the AST, imports inside functions included): which package may depend
on which (docs/DECISIONS.md, "Structure"). Nothing is imported or run."""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
# Sanic belongs to the route layer: the routes and their guards, the application factory and command line, the
# HTTP plumbing, the console's own files and the sandbox (a separate app mounted in sandbox mode).
ROUTE_FILES = {"routes.py", "admin_routes.py", "guard.py"}
SANIC_ALLOWED = {"app/main.py", "app/__main__.py", "app/core/http.py", "app/core/disconnects.py",
                 "app/admin/apidocs.py"}
SANIC_ALLOWED_PACKAGES = ("app/sandbox/",)
MOUNT_THE_SANDBOX = {"app/main.py", "app/__main__.py"}


@dataclass(frozen=True)
class Import:
    source: str  # app/orders/service.py
    module: str  # app.orders.models
    line: int
    type_only: bool  # under `if TYPE_CHECKING:`


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_of(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(name: str) -> str:
    """`app.orders.events` when it is a module or package of app/, else the package or module holding the name."""
    parts = name.split(".")
    while parts:
        candidate = APP.parent.joinpath(*parts)
        if candidate.with_suffix(".py").exists() or (candidate / "__init__.py").exists():
            return ".".join(parts)
        parts.pop()
    return name


def imports() -> list[Import]:
    found = []
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        type_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If) and _type_checking(block.test)
                     for statement in block.body for node in ast.walk(statement)}
        package = _module_of(path) if path.name == "__init__.py" else _module_of(path).rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join([*package.split(".")[:len(package.split(".")) - node.level + 1], base]).strip(".")
                names = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                module = _resolve(name) if name.startswith("app.") else name
                found.append(Import(str(path.relative_to(APP.parent)), module, node.lineno, id(node) in type_only))
    return found


def _top(source_or_module: str) -> str:
    """The top-level package or module of app/ a file or module belongs to: `orders`, `deps`, `main`."""
    parts = source_or_module.removesuffix(".py").replace("/", ".").split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _graph(*, type_only: bool) -> dict[str, dict[str, list[str]]]:
    """Top-level package → package it imports → where (file:line)."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for item in imports():
        if not item.module.startswith("app.") or (item.type_only and not type_only):
            continue
        source, target = _top(item.source), _top(item.module)
        if source != target and source != "__init__":
            graph[source][target].append(f"{item.source}:{item.line}")
    return graph


def _cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(set(graph) | {t for targets in graph.values() for t in targets}):
        if node not in index:
            visit(node)
    return cycles


def test_no_two_packages_of_app_import_each_other():
    graph = _graph(type_only=True)
    both_ways = sorted({tuple(sorted((a, b))) for a in graph for b in graph[a] if a in graph.get(b, {})})
    assert not both_ways, "\n".join(f"{a} <-> {b}: {graph[a][b][0]} and {graph[b][a][0]}" for a, b in both_ways)


def test_the_packages_of_app_import_each_other_in_no_cycle():
    """Type-only imports of the deps container (`if TYPE_CHECKING:`) are left out: it is built from the layers that
    take it as an argument, which name its type for the reader and never load it."""
    graph = _graph(type_only=False)
    assert not _cycles(graph), "\n".join(" -> ".join(cycle) for cycle in _cycles(graph))


def test_no_file_of_app_is_in_an_import_cycle():
    edges: dict[str, set[str]] = defaultdict(set)
    for item in imports():
        if item.module.startswith("app.") and not item.type_only:
            edges[_module_of(APP.parent / item.source)].add(item.module)
    graph = {source: {target: [] for target in targets if target != source} for source, targets in edges.items()}
    assert not _cycles(graph), "\n".join(" -> ".join(cycle) for cycle in _cycles(graph))


def test_sanic_is_imported_by_the_route_layer_only():
    below = sorted(f"{item.source}:{item.line}" for item in imports()
                   if item.module.split(".")[0] in ("sanic", "sanic_ext")
                   and Path(item.source).name not in ROUTE_FILES and item.source not in SANIC_ALLOWED
                   and not item.source.startswith(SANIC_ALLOWED_PACKAGES))
    assert not below, "sanic below the routes: " + ", ".join(below)


def test_the_sandbox_shares_no_code_with_the_bff():
    """The two sides of the WeChat protocol are written apart, so that tests between them mean something."""
    sandbox_uses = sorted(f"{item.source}:{item.line} {item.module}" for item in imports()
                          if item.source.startswith("app/sandbox/") and item.module.startswith("app.")
                          and not item.module.startswith("app.sandbox"))
    uses_sandbox = sorted(f"{item.source}:{item.line}" for item in imports()
                          if item.module.startswith("app.sandbox") and not item.source.startswith("app/sandbox/")
                          and item.source not in MOUNT_THE_SANDBOX)
    assert not sandbox_uses and not uses_sandbox, (sandbox_uses, uses_sandbox)



WRITES = {"create", "bulk_create", "update", "delete", "get_or_create", "update_or_create", "save"}


def _model_owners() -> dict[str, str]:
    return {node.name: path.parent.name for path in APP.glob("*/models.py")
            for node in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(node, ast.ClassDef)}


def test_every_table_is_written_only_by_the_package_that_owns_it():
    """Others call the owner's functions (docs/DECISIONS.md, "Structure": which feature owns which table). A write is a
    create, update, delete or save whose chain starts at a model class (`Order.filter(...).update(...)`)."""
    owners, foreign = _model_owners(), []
    for path in sorted(APP.rglob("*.py")):
        package = _top(str(path.relative_to(APP.parent)))
        if package in ("sandbox", "migrations"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
                root = node.func.value
                while isinstance(root, (ast.Call, ast.Attribute)):
                    root = root.func if isinstance(root, ast.Call) else root.value
                if isinstance(root, ast.Name) and owners.get(root.id, package) != package:
                    foreign.append(f"{path.relative_to(APP.parent)}:{node.lineno} writes {root.id} "
                                   f"({owners[root.id]}'s)")
    assert not foreign, foreign

def test_the_graph_reads_the_imports_it_claims_to():
    """The checks above mean something only if the reader sees imports inside functions and type-only ones."""
    found = {(item.source, item.module, item.type_only) for item in imports()}
    assert ("app/main.py", "app.sandbox", False) in found  # inside create_app
    assert ("app/jobs/engine.py", "app.deps", True) in found
    graph = _graph(type_only=True)
    assert "orders" in graph["checkout"] and "checkout" not in graph["orders"]
