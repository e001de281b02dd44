"""Projections stuck on an event: which one, at which position, and why — never what.

    trustpath_projection_failures (name, suffix PK; position, error, failed_at)

The runner never skips an event: a page that fails is rolled back and retried on every
catch-up, so a poison event stops its projection for good. The runner then writes here,
in a transaction of its own, the projection, the position of the event it fails on and a
short reason: the error's type and the first line of its message, quoted values masked
(a database's message may quote the row), so no event data and never sealed text. A row
is current while its projection has not moved past that position (`current`): once the
cause is fixed (a new code version, a repaired row), it falls silent by itself.
`trustpath projections status` and `/health/ready` show the current ones.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("trustpath.projections")
FAILURES = "trustpath_projection_failures"
MAX_REASON = 160

failures_metadata = sa.MetaData()
failures = sa.Table(
    FAILURES,
    failures_metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("suffix", sa.String(32), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("error", sa.String(MAX_REASON), nullable=False),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\([^)]*\)=\([^)]*\)")


@dataclass(frozen=True)
class Failure:
    """A projection stuck at `position`: the event there fails to apply, for `error`."""

    name: str
    suffix: str
    position: int
    error: str
    failed_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"projection": self.name, "position": self.position, "error": self.error}


def reason(error: BaseException) -> str:
    """The error's type and the first line of its message, quoted values masked, bounded."""
    lines = str(error).strip().splitlines()
    first = _QUOTED.sub("…", lines[0]) if lines else ""
    text = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return text[:MAX_REASON]


def record(engine: Engine, name: str, suffix: str, position: int, why: str) -> None:
    """Remember that `name` fails at `position` (the previous failure of it is replaced).

    Best effort: the failure is already reported; if the store does not answer now either,
    the next catch-up fails and records it again.
    """
    row = {
        "name": name,
        "suffix": suffix,
        "position": position,
        "error": why[:MAX_REASON],
        "failed_at": datetime.now(UTC),
    }
    try:
        with engine.begin() as conn:
            key = (failures.c.name == name) & (failures.c.suffix == suffix)
            conn.execute(failures.delete().where(key))
            conn.execute(failures.insert().values(**row))
    except Exception as error:
        log.error("read side: could not record a failure of %s: %s", name, reason(error))


def current(conn: Connection, positions: sa.Table) -> list[Failure]:
    """The failures of versions that have not moved past the failing position (retired
    versions left out; a version still built by parts has no position row yet)."""
    on = (positions.c.name == failures.c.name) & (positions.c.suffix == failures.c.suffix)
    query = (
        sa.select(failures, positions.c.position.label("at"), positions.c.retired)
        .select_from(failures.outerjoin(positions, on))
        .order_by(failures.c.name, failures.c.suffix)
    )
    return [
        Failure(r.name, r.suffix, int(r.position), r.error, r.failed_at)
        for r in conn.execute(query)
        if (r.at is None or int(r.at) < int(r.position)) and not r.retired
    ]
