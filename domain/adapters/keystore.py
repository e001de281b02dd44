"""The key store: one row per protagonist data key, wrapped by the master key.

It lives in the same database as the events, beside the library's tables, and uses the
library's own datastore (its connection pool and transactions) for SQLite and PostgreSQL.
Erasure turns a row into a tombstone (wrapped key gone, `destroyed_at` set) so a key can
never be silently re-created for an erased protagonist. A master-key rotation rewraps live
rows one at a time (`rewrap`, a compare-and-set) and never touches a tombstone.

    trustpath_data_keys(key_id PK, wrapped NULL after erasure, master_key_id,
                        created_at, destroyed_at)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from domain.adapters.pgrecorder import schema_lock

TABLE = "trustpath_data_keys"

_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    "key_id TEXT PRIMARY KEY, wrapped {blob}, master_key_id TEXT NOT NULL, "
    "created_at TEXT NOT NULL, destroyed_at TEXT)"
)


class SQLKeyStore:
    """A KeyStore over the library's SQLite or PostgreSQL datastore."""

    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self._db = datastore
        self._p = "%s" if isinstance(datastore, PostgresDatastore) else "?"
        if isinstance(datastore, PostgresDatastore):
            with schema_lock(datastore, "data keys"):
                self._create("BYTEA")
        else:
            self._create("BLOB")

    def _create(self, blob: str) -> None:
        with self._db.transaction(commit=True) as curs:
            curs.execute(_CREATE.format(blob=blob))

    def put_if_absent(self, key_id: str, wrapped: bytes, master_key_id: str) -> None:
        p = self._p
        self._execute(
            f"INSERT INTO {TABLE} (key_id, wrapped, master_key_id, created_at) "
            f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (key_id) DO NOTHING",
            (key_id, wrapped, master_key_id, _now()),
        )

    def get(self, key_id: str) -> tuple[bytes, str] | None:
        with self._db.transaction(commit=False) as curs:
            curs.execute(
                f"SELECT wrapped, master_key_id FROM {TABLE} WHERE key_id = {self._p}",
                (key_id,),
            )
            row: Any = curs.fetchone()
        if row is None or row["wrapped"] is None:
            return None
        return bytes(row["wrapped"]), str(row["master_key_id"])

    def destroy(self, key_id: str) -> None:
        p = self._p
        now = _now()
        self._execute(
            f"INSERT INTO {TABLE} (key_id, wrapped, master_key_id, created_at, destroyed_at) "
            f"VALUES ({p}, NULL, '', {p}, {p}) ON CONFLICT (key_id) "
            f"DO UPDATE SET wrapped = NULL, destroyed_at = {p}",
            (key_id, now, now, now),
        )

    def is_destroyed(self, key_id: str) -> bool:
        with self._db.transaction(commit=False) as curs:
            curs.execute(f"SELECT destroyed_at FROM {TABLE} WHERE key_id = {self._p}", (key_id,))
            row: Any = curs.fetchone()
        return row is not None and row["destroyed_at"] is not None

    def master_key_ids(self) -> set[str]:
        with self._db.transaction(commit=False) as curs:
            curs.execute(f"SELECT DISTINCT master_key_id FROM {TABLE} WHERE wrapped IS NOT NULL")
            rows: Any = curs.fetchall()
        return {str(row["master_key_id"]) for row in rows}

    def not_under(
        self, master_key_id: str, after: str = "", limit: int = 500
    ) -> list[tuple[str, bytes, str]]:
        """Live rows wrapped by another master key, by key id after `after` (a page)."""
        p = self._p
        with self._db.transaction(commit=False) as curs:
            curs.execute(
                f"SELECT key_id, wrapped, master_key_id FROM {TABLE} WHERE wrapped IS NOT NULL "
                f"AND master_key_id <> {p} AND key_id > {p} ORDER BY key_id LIMIT {int(limit)}",
                (master_key_id, after),
            )
            rows: Any = curs.fetchall()
        return [(str(r["key_id"]), bytes(r["wrapped"]), str(r["master_key_id"])) for r in rows]

    def rewrap(self, key_id: str, old: bytes, new: bytes, master_key_id: str) -> bool:
        """Replace the wrapping of a row still wrapped as `old`: one atomic compare-and-set,
        so a row erased (or rewrapped) meanwhile is left as it is. Whether it was replaced."""
        p = self._p
        with self._db.transaction(commit=True) as curs:
            curs.execute(
                f"UPDATE {TABLE} SET wrapped = {p}, master_key_id = {p} "
                f"WHERE key_id = {p} AND wrapped = {p} AND destroyed_at IS NULL",
                (new, master_key_id, key_id, old),
            )
            # the library's SQLite cursor has no rowcount: read the row back instead
            curs.execute(
                f"SELECT 1 FROM {TABLE} WHERE key_id = {p} AND wrapped = {p}", (key_id, new)
            )
            return curs.fetchone() is not None

    def census(self) -> dict[str, int]:
        """How many live rows each master key wraps; erased rows under "" (tombstones)."""
        with self._db.transaction(commit=False) as curs:
            curs.execute(
                f"SELECT CASE WHEN wrapped IS NULL THEN '' ELSE master_key_id END AS mk, "
                f"COUNT(*) AS n FROM {TABLE} GROUP BY 1"
            )
            rows: Any = curs.fetchall()
        return {str(r["mk"]): int(r["n"]) for r in rows}

    def _execute(self, sql: str, params: tuple[Any, ...]) -> None:
        with self._db.transaction(commit=True) as curs:
            curs.execute(sql, params)


def _now() -> str:
    return datetime.now(UTC).isoformat()
