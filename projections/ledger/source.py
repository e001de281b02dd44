"""The stored events, read straight from the event store's table (no application, no keys).

    PostgreSQL  COPY (SELECT ... ORDER BY notification_id) TO STDOUT (FORMAT BINARY)
                table `trustpath_events` (the library names it after the application)
    SQLite      SELECT rowid, ... FROM stored_events ORDER BY rowid

Each row comes out as (notification id, canonical originator id, version, topic, state),
exactly what the leaf encoding hashes. For the verifier's bulk pass on PostgreSQL,
`pg_leaf_stream` has the server lay each row out in the leaf encoding (concatenation
only: every hash is still computed here) and parses the binary COPY stream itself, which
is several times faster than building Python tuples per row.

The verifier and the auditors' reports read here, so they need only the database URL — of
the live database or of a copy of it.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql

from projections.ledger.leaves import canonical_id

PG_TABLE = "trustpath_events"
SQLITE_TABLE = "stored_events"
Row = tuple[int, str, int, str, bytes]
COLUMNS = "notification_id, originator_id::text, originator_version, topic, state"


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres:"))


def pg_conninfo(url: str) -> str:
    """A libpq URL (drops SQLAlchemy's +psycopg)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def sqlite_path(url: str) -> str:
    return unquote(urlsplit(url).path)[1:] if url.startswith("sqlite:///") else url


def stored_events(
    url: str, after: int = 0, topics: Sequence[str] = (), table: str = ""
) -> Iterator[Row]:
    """Every stored event after notification id `after`, in log order."""
    if is_postgres(url):
        yield from _pg_rows(url, after, topics, table or PG_TABLE)
    else:
        yield from _sqlite_rows(url, after, topics, table or SQLITE_TABLE)


def count_events(url: str, table: str = "") -> int:
    if is_postgres(url):
        with psycopg.connect(pg_conninfo(url)) as conn:
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table or PG_TABLE))
            found = conn.execute(query).fetchone()
            return int(found[0]) if found else 0
    with closing(sqlite3.connect(sqlite_path(url))) as db:
        return int(db.execute(f"SELECT count(*) FROM {table or SQLITE_TABLE}").fetchone()[0])


def events_at(url: str, ids: Sequence[int], table: str = "") -> dict[int, Row]:
    """The stored events with these notification ids (for a diagnosis or a report)."""
    if is_postgres(url):
        query = sql.SQL("SELECT " + COLUMNS + " FROM {} WHERE notification_id = ANY(%s)").format(
            sql.Identifier(table or PG_TABLE)
        )
        with psycopg.connect(pg_conninfo(url)) as conn:
            rows: list[Any] = conn.execute(query, (list(ids),)).fetchall()
        return {int(r[0]): (int(r[0]), r[1], int(r[2]), r[3], bytes(r[4])) for r in rows}
    marks = ",".join("?" * len(ids))
    with closing(sqlite3.connect(sqlite_path(url))) as db:
        rows = db.execute(
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {table or SQLITE_TABLE} WHERE rowid IN ({marks})",
            list(ids),
        ).fetchall()
    return {int(r[0]): (int(r[0]), canonical_id(r[1]), int(r[2]), r[3], _blob(r[4])) for r in rows}


def _pg_rows(url: str, after: int, topics: Sequence[str], table: str) -> Iterator[Row]:
    where = sql.SQL("notification_id > {}").format(sql.Literal(after))
    if topics:
        where += sql.SQL(" AND topic = ANY({})").format(sql.Literal(list(topics)))
    query = sql.SQL(
        "COPY (SELECT " + COLUMNS + " FROM {} WHERE {} ORDER BY notification_id) "
        "TO STDOUT (FORMAT BINARY)"
    ).format(sql.Identifier(table), where)
    with (
        psycopg.connect(pg_conninfo(url)) as conn,
        conn.cursor() as cur,
        cur.copy(query) as copy,
    ):
        copy.set_types(["int8", "text", "int8", "text", "bytea"])
        yield from copy.rows()


def _sqlite_rows(url: str, after: int, topics: Sequence[str], table: str) -> Iterator[Row]:
    query = (
        f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} "
        "WHERE rowid > ?"
    )
    params: list[Any] = [after]
    if topics:
        query += f" AND topic IN ({','.join('?' * len(topics))})"
        params += list(topics)
    with closing(sqlite3.connect(f"file:{sqlite_path(url)}?mode=ro", uri=True)) as db:
        for nid, oid, version, topic, state in db.execute(query + " ORDER BY rowid", params):
            yield nid, canonical_id(oid), version, topic, _blob(state)


def _blob(value: object) -> bytes:
    """SQLite is loosely typed: a tampered state may come back as text."""
    return value.encode() if isinstance(value, str) else bytes(value)  # type: ignore[call-overload]


_LEAF_SQL = (
    "SELECT notification_id, '\\x01'::bytea || int8send(notification_id)"
    " || int4send(octet_length(convert_to(originator_id::text, 'UTF8')))"
    " || convert_to(originator_id::text, 'UTF8') || int8send(originator_version)"
    " || int4send(octet_length(convert_to(topic, 'UTF8'))) || convert_to(topic, 'UTF8')"
    " || int4send(octet_length(state)) || state"
    " FROM {} ORDER BY notification_id"
)
_ROW = struct.Struct(">hiqi")  # field count, 8, notification id, length of the leaf data
_COPY_HEADER = 19


def pg_leaf_stream(url: str, on_leaf: Callable[[int, memoryview], None], table: str = "") -> None:
    """Call `on_leaf(notification id, leaf data)` for every event, in log order."""
    query = sql.SQL("COPY (" + _LEAF_SQL + ") TO STDOUT (FORMAT BINARY)").format(
        sql.Identifier(table or PG_TABLE)
    )
    buf, at, header = bytearray(), 0, True
    unpack, size = _ROW.unpack_from, _ROW.size
    with psycopg.connect(pg_conninfo(url)) as conn, conn.cursor() as cur, cur.copy(query) as copy:
        for block in iter(copy.read, b""):
            del buf[:at]
            buf += block
            at = _COPY_HEADER if header else 0
            header = False
            view, end = memoryview(buf), len(buf)
            while at + size <= end:
                fields, _, nid, length = unpack(buf, at)
                if fields != 2 or at + size + length > end:
                    break
                on_leaf(nid, view[at + size : at + size + length])
                at += size + length
            view.release()
