"""The trust timeline: every trust assessment, with the milestones around it.

    trustpath_trust_<suffix>        one row per assessment
      position PK, engagement_id, protagonist_id, toward_id, challenge, score, occurred_at
    trustpath_milestones_<suffix>   one row per milestone
      position PK, engagement_id, occurred_at, kind, protagonist_id, challenge, label,
      note_length

Milestones: individual sessions, intentions declared / revised / shared, relationship
sessions, presence setbacks, commitments made / honoured / broken / withdrawn /
renegotiated. Both tables only grow (one insert per event), so a page is two executemany
inserts. A confidential field shows only that it exists and its 64-byte bucket
(`Sealed.bucket`, an upper bound of its size, never the exact length; version 2 of this
projection, so that a store built by version 1 is rebuilt without exact lengths); labels
are built from non-confidential fields only. A milestone belongs to the resource its event
class declares (`milestone_resource`): an individual session or an intention is in the
individual space of its protagonist, so readers filter it with the matrix. How trust moved
(previous score, the move, the milestones since the previous assessment of the same pair)
is computed when asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domain.access import Resource, resource_kind_of
from domain.commitments import SETTLED_AS, CommitmentMade, CommitmentRenegotiated
from domain.individual_space import (
    IndividualSessionHeld,
    IntentionDeclared,
    IntentionRevised,
    IntentionShared,
    TrustAssessed,
)
from domain.relationship_space import PresenceSetbackRecorded, RelationshipSessionHeld
from projections.protocol import Item
from projections.read_side import ReadSide
from projections.sql import Versions, insert_tuples, iso, text_id


@dataclass(frozen=True)
class TimelineTables:
    trust: sa.Table
    milestones: sa.Table


def _tables(metadata: sa.MetaData, suffix: str) -> TimelineTables:
    def common(name: str, *columns: sa.Column[Any]) -> sa.Table:
        return sa.Table(
            f"trustpath_{name}_{suffix}",
            metadata,
            sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("engagement_id", sa.String(36), nullable=False, index=True),
            sa.Column("occurred_at", sa.String(40), nullable=False),
            sa.Column("protagonist_id", sa.Text, nullable=False),
            sa.Column("challenge", sa.String(32), nullable=False),
            *columns,
        )

    trust = common(
        "trust",
        sa.Column("toward_id", sa.Text, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
    )
    milestones = common(
        "milestones",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("note_length", sa.Integer),
    )
    return TimelineTables(trust, milestones)


def milestone(event: Any) -> tuple[str, str, str, str, int | None] | None:
    """(kind, protagonist, challenge, label, note length) of an event, or None."""
    if isinstance(event, IndividualSessionHeld):
        length = event.notes.bucket if event.notes is not None else None
        label = f"individual session, {event.duration_minutes} min: {', '.join(event.challenges)}"
        return ("individual_session", event.protagonist_id, event.challenges[0], label, length)
    if isinstance(event, IntentionDeclared):
        kind = "intention_revised" if isinstance(event, IntentionRevised) else "intention_declared"
        label = f"intention v{event.intention_version}"
        return (kind, event.protagonist_id, "", label, event.intention.bucket)
    if isinstance(event, IntentionShared):
        label = f"intention v{event.intention_version} shared"
        return ("intention_shared", event.protagonist_id, "", label, None)
    if isinstance(event, RelationshipSessionHeld):
        label = f"relationship session, {len(event.attendees)} present"
        return ("relationship_session", "", event.challenge, label, None)
    if isinstance(event, PresenceSetbackRecorded):
        label = f"presence setback: {len(event.absent)} absent"
        return ("presence_setback", "", event.challenge, label, None)
    return _commitment_milestone(event)


def _commitment_milestone(event: Any) -> tuple[str, str, str, str, int | None] | None:
    if isinstance(event, CommitmentMade):
        owner = event.owners[0] if event.kind == "individual" else ""
        label = f"{event.kind} commitment {event.commitment_id} due {event.due_on.isoformat()}"
        return ("commitment_made", owner, event.challenge, label, None)
    if type(event) in SETTLED_AS:
        state = SETTLED_AS[type(event)]
        suffix = (
            f" into {event.new_commitment_id}" if isinstance(event, CommitmentRenegotiated) else ""
        )
        return (
            f"commitment_{state}",
            "",
            "",
            f"commitment {event.commitment_id} {state}{suffix}",
            None,
        )
    return None


MILESTONE_EVENTS: dict[str, type[Any]] = {
    "individual_session": IndividualSessionHeld,
    "intention_declared": IntentionDeclared,
    "intention_revised": IntentionRevised,
    "intention_shared": IntentionShared,
    "relationship_session": RelationshipSessionHeld,
    "presence_setback": PresenceSetbackRecorded,
    "commitment_made": CommitmentMade,
    **{f"commitment_{state}": cls for cls, state in SETTLED_AS.items()},
}
"""The event class behind each milestone kind, whose declared resource the milestone is."""


def milestone_resource(row: dict[str, Any]) -> Resource | None:
    """The matrix's resource a milestone row belongs to (its event's, for its protagonist);
    None for a kind no event class declares (shown to nobody)."""
    kind = resource_kind_of(MILESTONE_EVENTS.get(row["kind"], object))
    return Resource(kind, row["protagonist_id"]) if kind is not None else None


class TimelineProjection:
    """Trust assessments and the milestones around them."""

    name = "timeline"
    version = 2
    needs_events = True

    def __init__(self) -> None:
        self.tables: Versions[TimelineTables] = Versions(_tables)

    def define(self, metadata: sa.MetaData, suffix: str) -> None:
        self.tables.define(metadata, suffix)

    def apply(self, conn: Connection, page: Sequence[Item]) -> None:
        tables = self.tables.applying(conn)
        trust: list[tuple[Any, ...]] = []
        milestones: list[tuple[Any, ...]] = []
        for item in page:
            event: Any = item.event
            if isinstance(event, TrustAssessed):
                trust.append((item.notification.id, *_assessment(item, event)))
            elif (found := milestone(event)) is not None:
                eid = text_id(item.notification.originator_id)
                at = iso(event.occurred_at)
                milestones.append((item.notification.id, eid, at, *found))
        insert_tuples(conn, tables.trust, TRUST_COLUMNS, trust)
        insert_tuples(conn, tables.milestones, MILESTONE_COLUMNS, milestones)


TRUST_COLUMNS = (
    "position",
    "engagement_id",
    "occurred_at",
    "protagonist_id",
    "toward_id",
    "challenge",
    "score",
)
MILESTONE_COLUMNS = (
    "position",
    "engagement_id",
    "occurred_at",
    "kind",
    "protagonist_id",
    "challenge",
    "label",
    "note_length",
)


def _assessment(item: Item, event: TrustAssessed) -> tuple[Any, ...]:
    """An assessment's row after its position, in the order of TRUST_COLUMNS."""
    return (
        text_id(item.notification.originator_id),
        iso(event.occurred_at),
        event.protagonist_id,
        event.toward_id,
        event.challenge,
        event.score,
    )


# -- queries ----------------------------------------------------------------------------


def get_timeline(read_side: ReadSide, engagement_id: UUID | str) -> dict[str, Any]:
    """Assessments in time order, each with its move and the milestones since the last one."""
    eid = str(engagement_id)
    with read_side.view(TimelineProjection.name) as (conn, suffix):
        projection = read_side.projection(TimelineProjection.name)
        assert isinstance(projection, TimelineProjection)
        t = projection.tables.of(suffix)
        trust = _rows(conn, t.trust, eid)
        milestones = _rows(conn, t.milestones, eid)
    return {
        "engagement_id": eid,
        "assessments": moves(trust, milestones),
        "milestones": milestones,
    }


def _rows(conn: Connection, table: sa.Table, eid: str) -> list[dict[str, Any]]:
    query = (
        sa.select(table)
        .where(table.c.engagement_id == eid)
        .order_by(table.c.occurred_at, table.c.position)
    )
    return [
        {k: v for k, v in r._mapping.items() if k != "engagement_id"} for r in conn.execute(query)
    ]


def moves(trust: list[dict[str, Any]], milestones: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each assessment with the previous score on the same challenge and what happened since
    the same protagonist's previous assessment toward the same person."""
    last_score: dict[tuple[str, str, str], int] = {}
    last_at: dict[tuple[str, str], str] = {}
    out = []
    for a in trust:
        pair = (a["protagonist_id"], a["toward_id"])
        previous = last_score.get((*pair, a["challenge"]))
        since = last_at.get(pair, "")
        around = [m for m in milestones if since < m["occurred_at"] <= a["occurred_at"]]
        out.append(
            {
                **a,
                "previous_score": previous,
                "moved": None if previous is None else a["score"] - previous,
                "milestones": around,
            }
        )
        last_score[(*pair, a["challenge"])] = a["score"]
        last_at[pair] = a["occurred_at"]
    return out
