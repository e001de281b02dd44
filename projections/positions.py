"""The position rows: how far each built version of a projection (or each part of one
being built by parts) has folded the notification log.

    trustpath_projection_positions (name, suffix, version, position, updated_at, live, retired)
    trustpath_projection_parts     (name, suffix, part, parts, version, position, updated_at)

The runner moves a row with a compare-and-set in the transaction that applies the page
(projections/runner.py); the rebuild creates, switches and retires them
(projections/rebuild.py); the read side's handle reads them (projections/read_side.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from projections.protocol import Target

POSITIONS = "trustpath_projection_positions"
PARTS = "trustpath_projection_parts"

positions_metadata = sa.MetaData()
positions = sa.Table(
    POSITIONS,
    positions_metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("suffix", sa.String(32), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("live", sa.Boolean, nullable=False),
    sa.Column("retired", sa.Boolean, nullable=False, default=False),
)
"""One row per built version: the live one, one being built, retired ones kept for readers."""
parts = sa.Table(
    PARTS,
    positions_metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("suffix", sa.String(32), primary_key=True),
    sa.Column("part", sa.Integer, primary_key=True),
    sa.Column("parts", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
"""One row per part of a version being built by parts (projections/parts.py); the version
itself has no row in `positions` until its parts are merged."""


def now() -> datetime:
    return datetime.now(UTC)


def read_positions(conn: Connection, targets: Iterable[Target]) -> dict[tuple[str, str, int], int]:
    """Current position of each target (0 when it has no row yet)."""
    targets = list(targets)
    rows = conn.execute(sa.select(positions.c.name, positions.c.suffix, positions.c.position))
    found = {(r.name, r.suffix, -1): int(r.position) for r in rows}
    if any(t.part is not None for t in targets):
        rows = conn.execute(sa.select(parts.c.name, parts.c.suffix, parts.c.part, parts.c.position))
        found.update({(r.name, r.suffix, int(r.part)): int(r.position) for r in rows})
    return {t.position_key: found.get(t.position_key, 0) for t in targets}


def insert_position(conn: Connection, target: Target, live: bool, position: int = 0) -> None:
    """Start tracking a built version of a projection (a new one: at position 0)."""
    conn.execute(
        positions.insert().values(
            name=target.projection.name,
            suffix=target.suffix,
            version=target.projection.version,
            position=position,
            updated_at=now(),
            live=live,
            retired=False,
        )
    )
