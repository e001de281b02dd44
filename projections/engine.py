"""The read side's SQLAlchemy engine, on the same database as the events.

Built from the same TRUSTPATH_DATABASE_URL as the event store: `sqlite:///PATH` stays as it
is (WAL, as the library sets it, and a busy timeout so that the runner waits for the
library's writer instead of failing); `postgresql://...` becomes `postgresql+psycopg://...`
(psycopg 3, the driver the library uses too).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

SQLITE_BUSY_TIMEOUT_S = 30


def sqlalchemy_url(database_url: str) -> str:
    """The SQLAlchemy URL for a TRUSTPATH_DATABASE_URL."""
    for scheme in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if database_url.startswith(scheme):
            return "postgresql+psycopg://" + database_url[len(scheme) :]
    if database_url.startswith("sqlite:///"):
        return database_url
    raise ValueError(f"unsupported database URL {database_url.split(':', 1)[0]!r}")


def make_engine(database_url: str) -> Engine:
    """An engine for the read side of this database (dispose() it when done)."""
    url = sqlalchemy_url(database_url)
    if url.startswith("sqlite"):
        return sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    return sa.create_engine(url, pool_size=5, max_overflow=5, pool_pre_ping=True)


def memory_engine() -> Engine:
    """A private in-memory SQLite engine (for "as of" replays)."""
    options: dict[str, Any] = {"check_same_thread": False}
    return sa.create_engine("sqlite://", connect_args=options, poolclass=StaticPool)
