"""No import cycles in the services: the graph of module-level imports of every module under
jiayi/, read from the source with `ast` (nothing is imported), has no cycle through
jiayi.services. A cycle fails with its path, e.g.
`jiayi.services.booking -> jiayi.services.careplans -> jiayi.services.booking`.

Only imports that run when a module is imported count: those at module level (class bodies
included), not those inside functions or under `if TYPE_CHECKING:`. Importing a submodule runs
its parent packages' `__init__` first, so `import a.b.c` also depends on `a` and `a.b` — except
the packages the importing module itself belongs to, which are being imported already.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "jiayi"
SERVICES = "jiayi.services"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue  # runs when called, not when the module is imported
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
        else:
            pending.extend(ast.iter_child_nodes(node))


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def _imported(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement names (submodules of `from x import y` included)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def import_graph() -> dict[str, set[str]]:
    """Module → the jiayi modules importing it runs (at module level)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        own_packages = set(_ancestors(module))
        edges: set[str] = set()
        for node in _module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _imported(module, path.name == "__init__.py", node):
                if target not in modules:
                    continue
                runs = [*_ancestors(target), target]
                edges.update(t for t in runs if t in modules and t not in own_packages)
        edges.discard(module)
        graph[module] = edges
    return graph


def _components(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
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


def _cycle(graph: dict[str, set[str]], component: set[str], start: str) -> list[str]:
    """A shortest import path from `start` back to itself inside the component."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & component):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError("a component always has a cycle")


def _cycles_through(prefixes: tuple[str, ...]) -> list[str]:
    graph = import_graph()
    found = []
    for component in _components(graph):
        inside = sorted(m for m in component if m.startswith(prefixes))
        if inside:
            found.append(" -> ".join(_cycle(graph, component, inside[0])))
    return found


def test_the_graph_sees_the_services() -> None:
    graph = import_graph()
    assert "jiayi.services.booking" in graph["jiayi.services.attendance"]
    assert "jiayi.services.careplans" in graph["jiayi.services.console"]


def test_booking_and_careplans_do_not_import_each_other_in_a_cycle() -> None:
    graph = import_graph()
    booking, careplans = "jiayi.services.booking", "jiayi.services.careplans"
    crossing = []
    for component in _components(graph):
        if any(m.startswith(booking) for m in component) and any(
            m.startswith(careplans) for m in component
        ):
            start = min(m for m in component if m.startswith(booking))
            crossing.append(" -> ".join(_cycle(graph, component, start)))
    for cycle in crossing:
        print("import cycle:", cycle)
    assert crossing == []


def test_no_import_cycle_through_the_services() -> None:
    cycles = _cycles_through((SERVICES,))
    for cycle in cycles:
        print("import cycle:", cycle)
    assert cycles == []
