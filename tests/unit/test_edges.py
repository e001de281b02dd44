"""Infrastructure stays at the edges: read from the source itself (with `ast`).

- The domain's model modules touch no file, no environment and no database: that is
  `domain/adapters/` (storage) and `ops/` (configuration, key files) only.
- Only the application service (and the key rotation it runs) composes the adapters.
- Layers point one way: ops -> api -> projections -> domain.
- An audit record or an engagement is created through its aggregate's public commands:
  nothing outside a class calls its `_create`.
- One helper turns a TRUSTPATH_DATABASE_URL into a SQLAlchemy URL.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "projections", "api", "ops")
LAYER = {name: rank for rank, name in enumerate(PACKAGES)}
INFRASTRUCTURE = (
    "os",
    "pathlib",
    "shutil",
    "tempfile",
    "sqlite3",
    "sqlalchemy",
    "psycopg",
    "psycopg_pool",
    "eventsourcing.postgres",
    "eventsourcing.sqlite",
)
ADAPTERS = "domain.adapters"
COMPOSERS = {"domain/application.py", "domain/rotation.py"}


def sources(*packages: str) -> Iterator[tuple[str, ast.Module]]:
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            yield relative, ast.parse(path.read_text(encoding="utf-8"), relative)


def imported(tree: ast.Module) -> Iterator[str]:
    """Every module a file imports, at the top or inside a function."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def model_modules() -> Iterator[tuple[str, ast.Module]]:
    for relative, tree in sources("domain"):
        if not relative.startswith("domain/adapters/"):
            yield relative, tree


def test_domain_model_modules_touch_no_file_environment_or_database() -> None:
    found = []
    for relative, tree in model_modules():
        found += [f"{relative}: import {m}" for m in imported(tree) if within(m, INFRASTRUCTURE)]
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                found.append(f"{relative}:{node.lineno}: reads the environment")
            called = node.func if isinstance(node, ast.Call) else None
            if isinstance(called, ast.Name) and called.id == "open":
                found.append(f"{relative}:{node.lineno}: opens a file")
    assert found == []


def test_domain_model_modules_never_import_the_adapters() -> None:
    found = [
        f"{relative}: import {m}"
        for relative, tree in model_modules()
        if relative not in COMPOSERS
        for m in imported(tree)
        if within(m, (ADAPTERS,))
    ]
    assert found == []


def test_no_layer_imports_a_layer_above_it() -> None:
    found = []
    for relative, tree in sources(*PACKAGES):
        own = LAYER[relative.split("/", 1)[0]]
        above = tuple(name for name, rank in LAYER.items() if rank > own)
        found += [f"{relative}: import {m}" for m in imported(tree) if within(m, above)]
    assert found == []


def test_only_a_class_itself_calls_its_create() -> None:
    found = []
    for relative, tree in sources(*PACKAGES, "tests"):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = node.func.value
            itself = isinstance(receiver, ast.Name) and receiver.id in ("cls", "self")
            if node.func.attr == "_create" and not itself:
                found.append(f"{relative}:{node.lineno}: {ast.unparse(node.func)}")
    assert found == []


def test_one_helper_makes_the_sqlalchemy_url() -> None:
    defined = [
        relative
        for relative, tree in sources(*PACKAGES)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "sqlalchemy_url"
    ]
    assert defined == ["projections/engine.py"]
