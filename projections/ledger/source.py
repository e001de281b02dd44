"""The stored events, read straight from the event store's table (no application, no keys).

    PostgreSQL  COPY (SELECT ... ORDER BY notification_id) TO STDOUT (FORMAT BINARY)
                table `trustpath_events` (the library names it after the application)
    SQLite      SELECT rowid, ... FROM stored_events ORDER BY rowid

Each row comes out as (notification id, canonical originator id, version, topic, state),
exactly what the leaf encoding hashes. For the verifier's bulk pass on PostgreSQL,
`pg_leaf_hashes` reads exactly what a bare binary COPY of those columns reads and hashes
each leaf from slices of the row as it arrived (the binary row and the leaf encoding
differ only by three length words), which is several times faster than building Python
tuples per row and leaves the server no more work than the bare read.

The verifier and the auditors' reports read here, so they need only the database URL — of
the live database or of a copy of it.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
from array import array
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


_RAW_SQL = (
    "COPY (SELECT notification_id, originator_id::text, originator_version, topic, state"
    " FROM {} WHERE notification_id > {} AND notification_id <= {} ORDER BY notification_id)"
    " TO STDOUT (FORMAT BINARY)"
)
NO_END = 2**63 - 1
_COPY_HEADER = 19
_UUID_ROW = struct.Struct(">hiqi36xiqi")  # the common row's head: a 36-character UUID id
_FIRST = struct.Struct(">hiqi")  # field count, 8, notification id, length of the id text
_MIDDLE = struct.Struct(">iqi")  # 8, originator version, length of the topic
_LENGTH = struct.Struct(">i")  # length of the state
_PREFIX = b"\x00\x01"  # RFC 6962 leaf prefix, then the leaf encoding's VERSION byte
_TRAILER = b"\xff\xff"


def pg_leaf_hashes(
    url: str,
    table: str = "",
    progress: Callable[[int], None] | None = None,
    every: int = 50_000,
    after: int = 0,
    upto: int = NO_END,
) -> tuple[bytearray, array[int]]:
    """Each event's leaf hash (32 bytes each, concatenated) and notification id, in log order
    (the events with `after < notification id <= upto`).

    The rows come as the bare read has them (binary COPY of the five columns). A binary COPY
    row is `int16 5 | int32 8 | int64 id | int32 n | id text | int32 8 | int64 version |
    int32 n | topic | int32 n | state`, and the leaf encoding is `0x01 | int64 id | int32 n |
    id text | int64 version | int32 n | topic | int32 n | state`: the same bytes but the field
    count, the id's length word and the version's. So each leaf is hashed from slices of the
    row as it arrived, with no decoding and no work on the server beyond the read. libpq
    hands over one row per read: the common row (a UUID originator) is checked and hashed
    with one unpack; anything else goes through `_parse_rows`, which also copes with rows
    split over reads.
    """
    query = sql.SQL(_RAW_SQL).format(
        sql.Identifier(table or PG_TABLE), sql.Literal(after), sql.Literal(upto)
    )
    hashes, ids = bytearray(), array("q")
    add_hash, add_id, sha256 = hashes.extend, ids.append, hashlib.sha256
    head, length = _UUID_ROW.unpack_from, _LENGTH.unpack_from
    rest, next_report = b"", every
    with (
        psycopg.connect(pg_conninfo(url), client_encoding="UTF8") as conn,
        conn.cursor() as cur,
        cur.copy(query) as copy,
    ):
        blocks = iter(copy.read, b"")
        rest = bytes(next(blocks, b""))[_COPY_HEADER:]
        rest = rest[_parse_rows(rest, hashes, ids) :]
        for block in blocks:
            n = len(block)
            if not rest and n >= 74:
                fields, eight, nid, id_length, eight2, _version, topic_length = head(block)
                state_at = 70 + topic_length
                if (
                    fields == 5
                    and id_length == 36
                    and eight == eight2 == 8
                    and 70 <= state_at <= n - 4
                    and state_at + 4 + length(block, state_at)[0] == n
                ):
                    digest = sha256(_PREFIX + block[6:54])
                    digest.update(block[58:])
                    add_hash(digest.digest())
                    add_id(nid)
                    if progress is not None and len(ids) >= next_report:
                        progress(len(ids))
                        next_report += every
                    continue
            rest += bytes(block)
            rest = rest[_parse_rows(rest, hashes, ids) :]
    if rest not in (b"", _TRAILER):
        raise ValueError("the COPY stream ended inside a row")
    return hashes, ids


def _parse_rows(data: bytes, hashes: bytearray, ids: array[int]) -> int:
    """Hash every complete row at the start of `data`; returns how many bytes they took."""
    first, middle, length = _FIRST.unpack_from, _MIDDLE.unpack_from, _LENGTH.unpack_from
    view, at, end = memoryview(data), 0, len(data)
    while at + 18 <= end:
        fields, eight, nid, id_length = first(data, at)
        oid_end = at + 18 + id_length
        if fields != 5 or oid_end + 16 > end:
            break
        eight2, _version, topic_length = middle(data, oid_end)
        state_at = oid_end + 16 + topic_length
        if state_at + 4 > end:
            break
        row_end = state_at + 4 + length(data, state_at)[0]
        if row_end > end:
            break
        if eight != 8 or eight2 != 8 or min(id_length, topic_length) < 0:
            raise ValueError(f"unexpected row layout at notification id {nid}")
        digest = hashlib.sha256(_PREFIX)
        digest.update(view[at + 6 : oid_end])
        digest.update(view[oid_end + 4 : row_end])
        hashes += digest.digest()
        ids.append(nid)
        at = row_end
    view.release()
    return at
