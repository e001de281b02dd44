"""The signed checkpoints' rows: read (always with their signed note), written, and the
shared checkpoints table created once per database.

Every checkpoint is read through `with_notes` and `checkpoint_from_row`, so that a
checkpoint served or verified carries its C2SP note's origin and signature
(projections/ledger/notes.py) wherever it was read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domain.adapters.pgrecorder import lock_key
from projections.ledger.checkpoints import Checkpoint
from projections.ledger.tables import LedgerTables, checkpoints_metadata, notes


def with_notes(table: sa.Table) -> sa.Select[Any]:
    """Checkpoint rows with their signed note's origin and signature (NULL before notes)."""
    note = (notes.c.origin, notes.c.signature.label("note_signature"))
    joined = table.join(notes, notes.c.checkpoint_id == table.c.id, isouter=True)
    return sa.select(table, *note).select_from(joined)


def last_checkpoint(conn: Connection, t: LedgerTables) -> Checkpoint | None:
    ensure_checkpoints_table(conn)
    row = conn.execute(
        with_notes(t.checkpoints)
        .order_by(t.checkpoints.c.tree_size.desc(), t.checkpoints.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else checkpoint_from_row(row)


def all_checkpoints(conn: Connection, t: LedgerTables) -> list[Checkpoint]:
    ensure_checkpoints_table(conn)
    rows = conn.execute(with_notes(t.checkpoints).order_by(t.checkpoints.c.id))
    return [checkpoint_from_row(r) for r in rows]


def insert_checkpoints(conn: Connection, t: LedgerTables, made: Sequence[Checkpoint]) -> None:
    """One row per checkpoint, and its note's row under the id the database gave it."""
    if made:
        ensure_checkpoints_table(conn)
    for c in made:
        row = {
            "tree_size": c.tree_size,
            "root_hash": c.root_hash,
            "signed_at": c.signed_at,
            "key_id": c.key_id,
            "signature": c.signature,
        }
        inserted = conn.execute(t.checkpoints.insert().values(row)).inserted_primary_key
        if c.note_signature and inserted is not None:
            conn.execute(
                notes.insert().values(
                    checkpoint_id=inserted[0], origin=c.origin, signature=c.note_signature
                )
            )


_created: set[str] = set()
"""Databases whose checkpoints table is known to exist: known only once a commit made it so."""


def ensure_checkpoints_table(conn: Connection) -> None:
    """Create the shared checkpoints table if this database has none yet.

    The CREATE may run inside a page's transaction (DDL is transactional on PostgreSQL and,
    after the runner's first UPDATE, on SQLite too): if that page fails, the rollback takes
    the table away again. So the process remembers the table only once the transaction that
    saw it commits; a remembered table that is rolled back would fail every later page.
    """
    url = conn.engine.url.render_as_string(hide_password=True)
    if url in _created:
        return
    if conn.dialect.name == "postgresql" and not _has_checkpoints_table(conn):
        # processes starting together on a new database: one creates it, the others wait
        # (until this transaction ends) and then find it
        key = lock_key("trustpath schema: ledger checkpoints")
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    checkpoints_metadata.create_all(conn)
    if not conn.in_transaction():
        _created.add(url)
        return
    pending = {url}

    def committed(_conn: Connection) -> None:
        _created.update(pending)

    def rolled_back(_conn: Connection) -> None:
        pending.clear()

    sa.event.listen(conn, "commit", committed, once=True)
    sa.event.listen(conn, "rollback", rolled_back, once=True)


def _has_checkpoints_table(conn: Connection) -> bool:
    inspector = sa.inspect(conn)
    return all(inspector.has_table(name) for name in checkpoints_metadata.tables)


def checkpoint_from_row(row: sa.Row[Any]) -> Checkpoint:
    """A checkpoint row read with `with_notes`: the checkpoint and its signed note's fields."""
    m = row._mapping
    return Checkpoint(
        int(m["tree_size"]),
        bytes(m["root_hash"]),
        str(m["signed_at"]),
        str(m["key_id"]),
        bytes(m["signature"]),
        str(m["origin"] or ""),
        bytes(m["note_signature"] or b""),
    )
