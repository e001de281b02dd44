"""Small SQLAlchemy Core helpers the projections share: versioned tables, bulk upserts.

`Versions` keeps a projection's tables per built version (suffix), so that `apply` finds
the version the runner is applying (`conn.info["suffix"]`) and queries find the live one.
`upsert` writes many rows in one INSERT ... ON CONFLICT DO UPDATE (an executemany on
SQLite, one statement of column arrays on PostgreSQL); `insert_all` / `insert_tuples`
append rows (COPY on PostgreSQL). `PageCache` keeps what a projection folded in memory
from one page to the next, safely (see its docstring); `iso` and `text_id` are the cheap
conversions every projection makes for every event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
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


def iso(at: datetime) -> str:
    """A time as ISO 8601 text in UTC (the events' times are UTC already: no conversion)."""
    if at.tzinfo is UTC:
        return at.isoformat()
    return at.astimezone(UTC).isoformat()


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


class PageCache(Generic[T]):
    """What a projection folded, kept in memory between pages, as committed at one position.

    `take` hands the values out only to a transaction of the same built version (engine,
    suffix, and part when it is built by parts) that moves the position from that very
    position (`conn.info["from"]`, under the position row's lock: nothing else can have
    written the rows since), and forgets them meanwhile, so a page that fails leaves nothing
    behind. `keep` stores them tagged with the position the page moves to: right once the
    page commits, and never matched again if it does not. Anything missing is read back
    from the rows.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._where: tuple[Any, ...] | None = None
        self._position: int | None = None
        self._values: dict[str, T] = {}

    def take(self, conn: Connection) -> dict[str, T]:
        where, position = self._where_of(conn), conn.info.get("from")
        hit = position is not None and self._where == where and self._position == position
        values = self._values if hit else {}
        self._where, self._position, self._values = None, None, {}
        return values

    def keep(
        self, conn: Connection, position: int, values: dict[str, T], touched: Iterable[str]
    ) -> None:
        """Keep `values` for the next page (past the limit, only those this page touched)."""
        if len(values) > self.limit:
            values = {key: values[key] for key in touched if key in values}
        if len(values) <= self.limit:
            self._where = self._where_of(conn)
            self._position, self._values = position, values

    @staticmethod
    def _where_of(conn: Connection) -> tuple[Any, ...]:
        """Engine, built version and part: values kept for one are never handed to another."""
        return (conn.engine, str(conn.info["suffix"]), conn.info.get("part"))


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
    if rows:
        columns = list(rows[0])
        insert_tuples(conn, table, columns, [[row[c] for c in columns] for row in rows])


def insert_tuples(
    conn: Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Append rows given as value tuples in the order of `columns` (no dict per row)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
        pgsql.Identifier(table.name), pgsql.SQL(", ").join(map(pgsql.Identifier, columns))
    )
    driver: Any = conn.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        write = copy.write_row
        for row in rows:
            write(row)
