"""Signing checkpoints as they fall due: `tick` for idle loops, cheap when nothing is due.

A checkpoint falls due when the sealed tree has leaves no checkpoint signed yet and the
latest checkpoint is `every_seconds` old or `every_events` behind (`due`); projections/ledger
`tick` and `start_ticking` call it with the deployment's key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from projections.ledger.checkpoint_rows import last_checkpoint
from projections.ledger.checkpoints import Checkpoint, Signer
from projections.ledger.store import NAME, LedgerStore, tip
from projections.ledger.tables import define_tables
from projections.positions import positions

SignerSource = Signer | Callable[[], Signer]


def due(
    conn: Connection,
    every_seconds: float = 60.0,
    every_events: int = 1000,
    now: datetime | None = None,
) -> int | None:
    """The tree size to sign when the sealed tree has leaves no checkpoint signed yet and
    the latest checkpoint is `every_seconds` old or `every_events` behind; else None.

    Three indexed single-row queries (the live version, the tip, the latest checkpoint).
    """
    suffix = conn.execute(
        sa.select(positions.c.suffix).where(positions.c.name == NAME, positions.c.live)
    ).scalar()
    if suffix is None:
        return None
    t = define_tables(sa.MetaData(), str(suffix))
    size = tip(conn, t)[0]
    latest = last_checkpoint(conn, t)
    if size == 0 or (latest is not None and latest.tree_size >= size):
        return None
    if latest is None or size - latest.tree_size >= every_events:
        return size
    age = (now or datetime.now(UTC)) - datetime.fromisoformat(latest.signed_at)
    return size if age.total_seconds() >= every_seconds else None


def tick(
    engine: Engine,
    signer: SignerSource,
    every_seconds: float = 60.0,
    every_events: int = 1000,
    now: datetime | None = None,
) -> Checkpoint | None:
    """Sign a checkpoint of the sealed tree if one is due (see `due`); else None, cheaply.

    For an idle loop (the follower between rounds, the in-process read side when quiet):
    a quiet log's last events get signed within `every_seconds`. `signer` may be a
    factory, called only when a checkpoint is due.
    """
    with engine.begin() as conn:
        if due(conn, every_seconds, every_events, now) is None:
            return None
    return LedgerStore(engine).checkpoint(signer if isinstance(signer, Signer) else signer())


def checkpoint_if_due(store: LedgerStore, signer: Signer, every_seconds: float = 60.0) -> bool:
    """Sign a checkpoint if leaves were sealed since the last one and it is `every_seconds` old."""
    return tick(store.engine, signer, every_seconds) is not None
