"""The throwaway PostgreSQL server (ops.pgserver) and its pytest fixtures."""

from __future__ import annotations

import psycopg
import pytest

from ops import pgserver

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_fresh_database_is_empty_and_writable(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
        assert tables == (0,)
        conn.execute("CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)")
        conn.execute("INSERT INTO note VALUES (1, 'hello')")
        conn.commit()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT id, body FROM note").fetchall() == [(1, "hello")]
        version = conn.execute("SHOW server_version_num").fetchone()
        assert version is not None
        assert int(version[0]) >= 150000


def test_two_fresh_databases_are_isolated(pg_url: str, pg_server_url: str) -> None:
    other_name = "t_isolation_other_" + pg_url.rsplit("_", 1)[-1]
    other_url = pgserver.create_database(pg_server_url, other_name)
    try:
        with psycopg.connect(pg_url) as conn:
            conn.execute("CREATE TABLE only_here (id int)")
            conn.commit()
            assert conn.execute("SELECT current_database()").fetchone() != (other_name,)
        with psycopg.connect(other_url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (other_name,)
            assert conn.execute("SELECT to_regclass('only_here')").fetchone() == (None,)
    finally:
        pgserver.drop_database(pg_server_url, other_name)


def test_drop_database_terminates_open_connections(pg_server_url: str) -> None:
    name = "t_drop_with_open_connection"
    url = pgserver.create_database(pg_server_url, name)
    with psycopg.connect(url) as conn:
        conn.execute("SELECT 1")
        pgserver.drop_database(pg_server_url, name)
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        assert (
            admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None
        )
