"""The package graph: no import cycle, and the layers point one way.

    ops ──▶ api ──▶ projections ──▶ domain      (a lower layer never imports a higher one)

Every import statement counts, wherever it stands: at the top of a module, inside a
function, under `if TYPE_CHECKING:`. An import hidden in a function still ties the two
modules together (a reader must know both, a refactor breaks both); hiding it only moves the
cycle from import time to call time. The source is parsed with `ast`, nothing is imported.

An edge goes to the module an import names: `from a.b import c` is an edge to `a.b.c` when
that is a module, else to `a.b` (as grimp, the graph library under import-linter, counts).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "projections", "api", "ops")
"""Lowest first: a module may import its own layer and the layers before it."""

Graph = dict[str, set[str]]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))
    }


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[str, ...]]:
    """What each import statement of `tree` names: per statement, the candidates, most
    specific first (`from a.b import c`: `a.b.c`, then `a.b`); relative imports resolved."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name,) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield from ((f"{base}.{alias.name}", base) for alias in node.names)


def import_graph() -> Graph:
    """module -> the project modules it imports (any import statement, anywhere)."""
    modules = project_modules()
    graph: Graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        targets = set()
        for candidates in imported_names(tree, name, path.name == "__init__.py"):
            target = next((c for c in candidates if c in modules), None)
            if target is not None and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def upward(graph: Graph) -> list[str]:
    """Every import from a lower layer into a higher one."""
    return sorted(
        f"{source} -> {target}"
        for source, targets in graph.items()
        for target in targets
        if layer(target) > layer(source)
    )


def test_import_graph_has_no_cycle_when_every_import_statement_counts() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_import_graph_points_one_way_when_layers_are_ops_api_projections_domain() -> None:
    wrong = upward(import_graph())
    assert wrong == [], "imports against the layers:\n" + "\n".join(wrong)


def test_import_graph_counts_function_level_and_type_checking_imports() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from projections.runner import Target\n"
        "def later():\n    from .follow import follow\n"
        "from . import ledger\n"
    )
    named = {c[0] for c in imported_names(tree, "projections.wiring", is_package=False)}
    assert {"projections.runner.Target", "projections.follow.follow", "projections.ledger"} <= named


def test_cycles_finds_a_cycle_when_two_modules_import_each_other() -> None:
    graph: Graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
