"""The module import graph of a source tree, read from its code, and what it breaks.

Every import counts, wherever it stands: at the top, inside a function (a lazy import), under
`if TYPE_CHECKING:`. `from pkg import name` is an import of pkg.name when that is a module of
the tree, else of pkg. Each check returns its findings as sentences, sorted; none is good.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

PACKAGES = ("libnet", "harvesters", "index", "webapp")
MAX_LINES = 400
TABLES = "libnet.store.schema"  # the table definitions: SQL stays inside libnet
EXEMPT_FROM_LENGTH = ("libnet/store/migrations/",)  # generated migrations stay as they were written
MAX_CYCLES = 50  # per tangle of modules: past this the finding says how many more there are

Graph = dict[str, set[str]]  # module -> the modules of the tree it imports


def module_files(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Each module of the packages by dotted name (a package by its __init__.py)."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def module_graph(root: Path, packages: Iterable[str] = PACKAGES) -> Graph:
    """The modules and, for each, the modules of the tree it imports (itself left out)."""
    files = module_files(root, packages)
    graph: Graph = {}
    for module, path in files.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        targets = set(_imported(tree, module, is_package, files.keys()))
        graph[module] = targets - {module}
    return graph


def _imported(tree: ast.AST, module: str, is_package: bool, known: Iterable[str]) -> Iterator[str]:
    modules = set(known)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            for alias in node.names:
                submodule = f"{base}.{alias.name}" if base else alias.name
                if submodule in modules:
                    yield submodule
                elif base in modules:
                    yield base


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The module a `from ... import` reads from, its dots resolved against module."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def cycles(graph: Graph) -> list[str]:
    """Each elementary import cycle: "cycle: a -> b -> a", starting at its first module by name."""
    found = []
    for tangle in _tangles(graph):
        members = sorted(tangle)
        count = 0
        for start in members:
            # cycles through start whose other modules all sort after it: each cycle once
            allowed = {m for m in members if m > start}
            for path in _paths_back(graph, start, allowed):
                count += 1
                if count <= MAX_CYCLES:
                    found.append("cycle: " + " -> ".join([*path, start]))
        if count > MAX_CYCLES:
            found.append(f"cycle: {count - MAX_CYCLES} more among {', '.join(members)}")
    return sorted(found)


def _paths_back(graph: Graph, start: str, allowed: set[str]) -> Iterator[list[str]]:
    """Every path start -> ... that returns to start through allowed modules, none twice."""
    stack = [(start, [start], iter(sorted(graph.get(start, ()))))]
    while stack:
        _, path, following = stack[-1]
        step = next(following, None)
        if step is None:
            stack.pop()
        elif step == start:
            yield path
        elif step in allowed and step not in path:
            stack.append((step, [*path, step], iter(sorted(graph.get(step, ())))))


def _tangles(graph: Graph) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, following = work[-1]
            step = next(following, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.get(step, ())))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                tangle = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    tangle.add(member)
                    if member == node:
                        break
                if len(tangle) > 1:
                    found.append(tangle)
    return found


def table_imports(graph: Graph) -> list[str]:
    """Each module outside libnet that imports the table definitions."""
    return sorted(
        f"table import: {module} imports {TABLES}"
        for module, targets in graph.items()
        if TABLES in targets and module.split(".")[0] != "libnet"
    )


def long_modules(root: Path, packages: Iterable[str] = PACKAGES) -> list[str]:
    """Each module over MAX_LINES lines, migrations aside."""
    found = []
    for path in module_files(root, packages).values():
        name = path.relative_to(root).as_posix()
        if name.startswith(EXEMPT_FROM_LENGTH):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            found.append(f"too long: {name} has {lines} lines (at most {MAX_LINES})")
    return sorted(found)
