"""The read side's SQLAlchemy engine, on the same database as the events.

Built from the same TRUSTPATH_DATABASE_URL as the event store: `sqlite:///PATH` stays as it
is (WAL, as the library sets it, and a busy timeout so that the runner waits for the
library's writer instead of failing); `postgresql://...` becomes `postgresql+psycopg://...`
(psycopg 3, the driver the library uses too).

Outages: on PostgreSQL a connection is checked before use (a restart leaves dead ones in the
pool), a new one gives up after CONNECT_TIMEOUT_S, a request waits POOL_TIMEOUT_S at most for
one, and the API's engine also bounds each statement (`statement_timeout_s`): a request fails
fast instead of hanging. `schema_lock` serialises schema creation between processes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from domain.adapters.pgrecorder import lock_key

SQLITE_BUSY_TIMEOUT_S = 30
CONNECT_TIMEOUT_S = 2
POOL_TIMEOUT_S = 2.0


def is_production(environ: Mapping[str, str]) -> bool:
    """A production configuration: TRUSTPATH_ENV=production, or any PostgreSQL store.

    The one rule: `ops.config.Settings` applies it too; production never generates a key.
    """
    url = environ.get("TRUSTPATH_DATABASE_URL", "").strip()
    return environ.get("TRUSTPATH_ENV", "").strip() == "production" or url.startswith("postgres")


def sqlalchemy_url(database_url: str) -> str:
    """The SQLAlchemy URL for a TRUSTPATH_DATABASE_URL (the one helper every layer uses)."""
    for scheme in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if database_url.startswith(scheme):
            return "postgresql+psycopg://" + database_url[len(scheme) :]
    if database_url.startswith("sqlite:///"):
        return database_url
    raise ValueError(f"unsupported database URL {database_url.split(':', 1)[0]!r}")


def make_engine(database_url: str, statement_timeout_s: float | None = None) -> Engine:
    """An engine for the read side of this database (dispose() it when done)."""
    url = sqlalchemy_url(database_url)
    if url.startswith("sqlite"):
        return sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    return sa.create_engine(
        url,
        pool_size=5,
        max_overflow=5,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args=postgres_connect_args(statement_timeout_s),
    )


def postgres_connect_args(statement_timeout_s: float | None = None) -> dict[str, Any]:
    """psycopg's connection arguments: a bounded connect, and statements if asked."""
    args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S}
    if statement_timeout_s:
        args["options"] = f"-c statement_timeout={int(statement_timeout_s * 1000)}"
    return args


@contextmanager
def schema_lock(engine: Engine, name: str) -> Iterator[None]:
    """On PostgreSQL, hold an advisory lock (per `name`) while creating tables: processes
    starting together create them one after the other. Never nest the same `name`."""
    if engine.dialect.name != "postgresql":
        yield
        return
    key = lock_key(f"trustpath schema: {name}")
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": key})
        conn.commit()
        try:
            yield
        finally:
            with suppress(sa.exc.DBAPIError):  # a lost connection has released it
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()


def memory_engine() -> Engine:
    """A private in-memory SQLite engine (for "as of" replays)."""
    options: dict[str, Any] = {"check_same_thread": False}
    return sa.create_engine("sqlite://", connect_args=options, poolclass=StaticPool)
