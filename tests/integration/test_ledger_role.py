"""The application's PostgreSQL role may INSERT and SELECT events, never UPDATE or DELETE."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from ops.config import store_env
from ops.db.setup_role import setup_role
from ops.demo import play

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def as_role(url: str, role: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{role}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def app_url(pg_url: str) -> Iterator[str]:
    role, password = f"trustpath_app_{secrets.token_hex(4)}", secrets.token_hex(8)
    setup_role(pg_url, role, password)
    yield as_role(pg_url, role, password)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.fixture
def played(app_url: str) -> str:
    app = Trustpath(store_env(app_url) | {"CREATE_TABLE": "n"}, master_key=MasterKey.generate())
    try:
        play(app)
    finally:
        app.close()
    return app_url


def test_app_role_appends_and_reads_events(played: str) -> None:
    with psycopg.connect(played) as conn:
        found = conn.execute("SELECT count(*) FROM trustpath_events").fetchone()
    assert found is not None
    assert found[0] > 0


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE trustpath_events SET topic = topic",
        "DELETE FROM trustpath_events",
        "TRUNCATE trustpath_events",
        "DROP TABLE trustpath_events",
        "ALTER TABLE trustpath_events DISABLE TRIGGER ALL",
    ],
)
def test_app_role_cannot_rewrite_events(played: str, statement: str) -> None:
    with psycopg.connect(played) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)  # type: ignore[arg-type]
