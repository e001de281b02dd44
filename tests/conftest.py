"""Shared fixtures: real stores (a SQLite file, a throwaway PostgreSQL server), the app.

sqlite_url   a fresh SQLite file under tmp_path
pg_url       a fresh database on the session's PostgreSQL server (tests/support/pg_fixture.py)
store_url    parametrised over both: the persistence contract runs on each
app          a Trustpath application on `store_url` with a fresh master key
master_key   the master key used by `app`
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from tests.support.apps import make_app
from tests.support.no_io import refusing_io

pytest_plugins = ["tests.support.pg_fixture"]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'trustpath.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def master_key() -> MasterKey:
    return MasterKey.generate()


@pytest.fixture
def app(store_url: str, master_key: MasterKey) -> Iterator[Trustpath]:
    application = make_app(store_url, master_key)
    yield application
    application.close()


@pytest.fixture
def sqlite_app(sqlite_url: str, master_key: MasterKey) -> Iterator[Trustpath]:
    application = make_app(sqlite_url, master_key)
    yield application
    application.close()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(autouse=True)
def _unit_tests_do_no_io(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """A test marked `unit` fails if it (or a fixture it uses) writes a file, opens a SQLite
    file or uses a socket (tests/support/no_io.py)."""
    if request.node.get_closest_marker("unit") is None:
        yield
        return
    with refusing_io(monkeypatch):
        yield
