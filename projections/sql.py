"""Small SQLAlchemy Core helpers the projections share: versioned tables, bulk upserts.

`Versions` keeps a projection's tables per built version (suffix), so that `apply` finds
the version the runner is applying (`conn.info["suffix"]`) and queries find the live one.
`upsert` writes many rows in one executemany INSERT ... ON CONFLICT DO UPDATE, the same
statement on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Generic, TypeVar
from uuid import UUID

import sqlalchemy as sa
from psycopg import sql as pgsql
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

T = TypeVar("T")


@lru_cache(maxsize=65536)
def text_id(originator_id: UUID) -> str:
    """An event's originator id as text (cached: every projection asks for every event)."""
    return str(originator_id)


SUFFIX = re.compile(r"[a-z0-9_]{1,32}")


def safe_suffix(suffix: str) -> bool:
    """Whether a version suffix may become part of a table name."""
    return SUFFIX.fullmatch(suffix) is not None


class Versions(Generic[T]):
    """A projection's tables, one set per suffix."""

    def __init__(self, make: Callable[[sa.MetaData, str], T]) -> None:
        self._make = make
        self._by_suffix: dict[str, T] = {}

    def define(self, metadata: sa.MetaData, suffix: str) -> None:
        if not safe_suffix(suffix):
            raise ValueError(f"unsafe table suffix {suffix!r}")
        self._by_suffix[suffix] = self._make(metadata, suffix)

    def of(self, suffix: str) -> T:
        if suffix not in self._by_suffix:
            self.define(sa.MetaData(), suffix)
        return self._by_suffix[suffix]

    def applying(self, conn: Connection) -> T:
        """The tables of the version the runner is applying on this connection."""
        return self.of(str(conn.info["suffix"]))


def upsert(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace `rows` (keyed by the table's primary key), in bulk.

    SQLite: one executemany. PostgreSQL: one statement whatever the number of rows, each
    column sent as one array (`INSERT ... SELECT * FROM unnest(...) ON CONFLICT ...`):
    psycopg's executemany would send a statement per row, and a multi-row VALUES is
    compiled afresh for every page.
    """
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        statement = sqlite.insert(table)
        keys = [c.name for c in table.primary_key.columns]
        updates = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
        conn.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates), rows)
        return
    names = [c.name for c in table.columns]
    driver: Any = conn.connection.driver_connection
    with driver.cursor() as cursor:
        params = [[r[n] for r in rows] for n in names]
        cursor.execute(_unnest_upsert(conn, table), params)


def _unnest_upsert(conn: Connection, table: sa.Table) -> pgsql.Composed:
    def ident(name: str) -> pgsql.Identifier:
        return pgsql.Identifier(name)

    keys = [c.name for c in table.primary_key.columns]
    arrays = [
        pgsql.SQL("%b::{}[]").format(pgsql.SQL(c.type.compile(dialect=conn.dialect)))
        for c in table.columns
    ]
    updates = [
        pgsql.SQL("{} = EXCLUDED.{}").format(ident(c.name), ident(c.name))
        for c in table.columns
        if c.name not in keys
    ]
    return pgsql.SQL(
        "INSERT INTO {} ({}) SELECT * FROM unnest({}) ON CONFLICT ({}) DO UPDATE SET {}"
    ).format(
        ident(table.name),
        pgsql.SQL(", ").join(ident(c.name) for c in table.columns),
        pgsql.SQL(", ").join(arrays),
        pgsql.SQL(", ").join(map(ident, keys)),
        pgsql.SQL(", ").join(updates),
    )


def insert_all(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Append rows: an executemany on SQLite, COPY on PostgreSQL (same transaction)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), list(rows))
        return
    columns = list(rows[0])
    statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
        pgsql.Identifier(table.name), pgsql.SQL(", ").join(map(pgsql.Identifier, columns))
    )
    driver: Any = conn.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])
