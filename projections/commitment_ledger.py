"""The commitment ledger: every commitment, its history line by line, and who keeps their word.

    trustpath_commitments_<suffix>        one row per commitment (current terms and state)
      key PK (engagement/commitment), engagement_id, commitment_id, session_id, kind,
      owners, to_whom (JSON lists), what, due_on, challenge, state, made_at, settled_at,
      on_time, supersedes, superseded_by, position
    trustpath_commitment_lines_<suffix>   one row per commitment event (the history)
      position PK, engagement_id, commitment_id, version, line, occurred_at, actor_id,
      actor_role, detail (JSON: terms, evidence or reason)

Rates are computed when asked, from the rows, by the domain's pure `rates` (who keeps
their word: honour rate, on-time rate, reciprocity; `domain.rules.commitment`).
"Overdue" (open and past due) is derived at query time, never stored. Commitments belong
to the relationship space: no confidential content reaches these tables.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domain.commitments import (
    SETTLED_AS,
    CommitmentHonoured,
    CommitmentMade,
    CommitmentRenegotiated,
)
from domain.rules.commitment import CommitmentState, rates
from projections.protocol import Item
from projections.read_side import ReadSide
from projections.sql import PageCache, Versions, insert_tuples, iso, text_id, upsert

CACHED_COMMITMENTS = 100_000
"""At most this many commitment rows are kept in memory between pages (see PageCache)."""
_sorted_json = json.JSONEncoder(sort_keys=True).encode


@dataclass(frozen=True)
class LedgerTables:
    commitments: sa.Table
    lines: sa.Table


def _tables(metadata: sa.MetaData, suffix: str) -> LedgerTables:
    text, iso = sa.Text, sa.String(40)
    commitments = sa.Table(
        f"trustpath_commitments_{suffix}",
        metadata,
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("engagement_id", sa.String(36), nullable=False, index=True),
        *(sa.Column(n, text, nullable=False) for n in ("commitment_id", "session_id", "kind")),
        *(sa.Column(n, text, nullable=False) for n in ("owners", "to_whom", "what")),
        sa.Column("due_on", sa.String(10), nullable=False),
        sa.Column("challenge", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("made_at", iso, nullable=False),
        sa.Column("settled_at", iso),
        sa.Column("on_time", sa.Boolean),
        sa.Column("supersedes", text, nullable=False),
        sa.Column("superseded_by", text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    lines = sa.Table(
        f"trustpath_commitment_lines_{suffix}",
        metadata,
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("engagement_id", sa.String(36), nullable=False, index=True),
        sa.Column("commitment_id", text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("line", sa.String(16), nullable=False),
        sa.Column("occurred_at", iso, nullable=False),
        sa.Column("actor_id", text, nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("detail", text, nullable=False),
    )
    return LedgerTables(commitments, lines)


def made_row(eid: str, event: CommitmentMade, position: int) -> dict[str, Any]:
    return {
        "key": f"{eid}/{event.commitment_id}",
        "engagement_id": eid,
        "commitment_id": event.commitment_id,
        "session_id": event.session_id,
        "kind": event.kind,
        "owners": json.dumps(list(event.owners)),
        "to_whom": json.dumps(list(event.to_whom)),
        "what": event.what,
        "due_on": event.due_on.isoformat(),
        "challenge": event.challenge,
        "state": CommitmentState.OPEN.value,
        "made_at": iso(event.occurred_at),
        "settled_at": None,
        "on_time": None,
        "supersedes": event.supersedes,
        "superseded_by": "",
        "position": position,
    }


def settle(row: dict[str, Any], event: Any, position: int) -> None:
    row["state"] = SETTLING[type(event)]
    row["settled_at"] = iso(event.occurred_at)
    row["position"] = position
    if isinstance(event, CommitmentHonoured):
        row["on_time"] = event.on_time
    if isinstance(event, CommitmentRenegotiated):
        row["superseded_by"] = event.new_commitment_id


def line_detail(event: Any) -> dict[str, Any]:
    if isinstance(event, CommitmentMade):
        keep = ("owners", "to_whom", "what", "challenge", "session_id", "supersedes")
        return {"due_on": event.due_on.isoformat(), **{k: getattr(event, k) for k in keep}}
    if isinstance(event, CommitmentHonoured):
        return {
            "evidence": event.evidence,
            "assessed_by": event.assessed_by,
            "assessors": list(event.assessors),
            "on_time": event.on_time,
        }
    if isinstance(event, CommitmentRenegotiated):
        return {"new_commitment_id": event.new_commitment_id, "reason": event.reason}
    return {"reason": event.reason}


LINE_COLUMNS = (
    "position",
    "engagement_id",
    "commitment_id",
    "version",
    "line",
    "occurred_at",
    "actor_id",
    "actor_role",
    "detail",
)
"""The history table's columns, in the order of `line_row`'s values."""
SETTLING = {event: state.value for event, state in SETTLED_AS.items()}
"""Each settling event's class and the state it leaves its commitment in (as stored)."""
LINE_OF: dict[type[Any], str] = {CommitmentMade: "made", **SETTLING}
"""Each commitment event's class and its history line (the page filter: one dict look-up)."""


def line_row(eid: str, item: Item) -> tuple[Any, ...]:
    """One history row, as values in the order of `LINE_COLUMNS` (no dict per row)."""
    event: Any = item.event
    actor = event.actor
    return (
        item.notification.id,
        eid,
        event.commitment_id,
        event.originator_version,
        LINE_OF[type(event)],
        iso(event.occurred_at),
        actor["id"],
        actor["role"],
        _sorted_json(line_detail(event)),
    )


class CommitmentLedgerProjection:
    """Every commitment with its history."""

    name = "commitment_ledger"
    version = 1
    needs_events = True

    def __init__(self) -> None:
        self.tables: Versions[LedgerTables] = Versions(_tables)
        self.cache: PageCache[dict[str, Any]] = PageCache(CACHED_COMMITMENTS)

    def define(self, metadata: sa.MetaData, suffix: str) -> None:
        self.tables.define(metadata, suffix)

    def apply(self, conn: Connection, page: Sequence[Item]) -> None:
        tables = self.tables.applying(conn)
        lines = LINE_OF
        items = [i for i in page if type(i.event) in lines]
        if not items:
            return
        keyed = [(text_id(i.notification.originator_id), i) for i in items]
        rows = self.cache.take(conn)
        rows.update(self._load(conn, tables.commitments, keyed, rows))
        touched = []
        for eid, item in keyed:
            event = item.event
            if type(event) is CommitmentMade:
                row = made_row(eid, event, item.notification.id)
                rows[row["key"]] = row
            else:
                row = rows[f"{eid}/{event.commitment_id}"]
                settle(row, event, item.notification.id)
            touched.append(row)
        written = {row["key"]: row for row in touched}
        upsert(conn, tables.commitments, list(written.values()))
        insert_tuples(conn, tables.lines, LINE_COLUMNS, [line_row(e, i) for e, i in keyed])
        self.cache.keep(conn, page[-1].notification.id, rows, touched=written)

    def _load(
        self,
        conn: Connection,
        table: sa.Table,
        keyed: list[tuple[str, Item]],
        known: dict[str, dict[str, Any]],
    ) -> dict[str, dict[str, Any]]:
        """The rows of the commitments this page settles that were made before it."""
        made: set[str] = set()
        keys: set[str] = set()
        for eid, item in keyed:
            key = f"{eid}/{item.event.commitment_id}"
            (made if type(item.event) is CommitmentMade else keys).add(key)
        keys -= made | known.keys()
        if not keys:
            return {}
        query = sa.select(table).where(table.c.key.in_(sorted(keys)))
        return {r.key: dict(r._mapping) for r in conn.execute(query)}


# -- queries ----------------------------------------------------------------------------


def commitment_out(row: Any, today: date) -> dict[str, Any]:
    out = {k: v for k, v in row._mapping.items() if k != "key"}
    out["owners"], out["to_whom"] = json.loads(row.owners), json.loads(row.to_whom)
    out["overdue"] = row.state == CommitmentState.OPEN and date.fromisoformat(row.due_on) < today
    return out


def line_out(row: Any) -> dict[str, Any]:
    out = {k: v for k, v in row._mapping.items() if k != "engagement_id"}
    out["detail"] = json.loads(row.detail)
    return out


def get_ledger(
    read_side: ReadSide, engagement_id: UUID | str, today: date | None = None
) -> dict[str, Any]:
    """Every commitment of one engagement with its history, and the rates."""
    today = today or datetime.now(UTC).date()
    eid = str(engagement_id)
    with read_side.view(CommitmentLedgerProjection.name) as (conn, suffix):
        projection = read_side.projection(CommitmentLedgerProjection.name)
        assert isinstance(projection, CommitmentLedgerProjection)
        t = projection.tables.of(suffix)
        rows = conn.execute(
            sa.select(t.commitments)
            .where(t.commitments.c.engagement_id == eid)
            .order_by(t.commitments.c.made_at, t.commitments.c.position)
        ).all()
        lines = conn.execute(
            sa.select(t.lines).where(t.lines.c.engagement_id == eid).order_by(t.lines.c.position)
        ).all()
    commitments = [commitment_out(r, today) for r in rows]
    for c in commitments:
        c["history"] = [line_out(x) for x in lines if x.commitment_id == c["commitment_id"]]
    return {"engagement_id": eid, "commitments": commitments, **rates(commitments)}
