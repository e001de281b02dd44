"""Engagement status: where each engagement stands, one row per engagement.

    trustpath_status_<suffix>
      engagement_id PK, title, organisation, phase, opened_at, last_activity, version,
      position, protagonists, individual_sessions, relationship_sessions,
      presence_setbacks, intentions_declared, intentions_shared, gate_open,
      next_challenge, commitments_{open,honoured,broken,renegotiated,withdrawn},
      minimums_met, next_step, state (JSON: the folded state, below)

The fold is the domain's own: the state starts as the aggregate's (`initial_state`), each
engagement event's `evolve` (state changes only) runs on a plain `Folded` state, and the
gate, the minimums, the next challenge, the phase and the next step are the domain's pure
rules (`domain.rules.progress`) read from it; nothing here re-implements them. A page is
folded in memory and written as one upsert per engagement touched. No confidential
content: sealed fields are never read here.

Between pages the folded engagements stay in memory (`PageCache`), tagged with the built
version and the position they were folded up to: the next page uses them only if its
transaction moves the position from exactly there (so nothing else can have written the
rows since); otherwise, after a failed page or another runner's page, they are read back
from the rows. A rebuild thus reads no state row back, page after page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domain.engagement import Engagement
from domain.events import EngagementEvent
from domain.parties import CoachAssigned, CoachReassigned
from domain.rules import progress as rules
from domain.rules.commitment import CommitmentState
from domain.state import EngagementValues, initial_state
from domain.values import Policy
from projections.protocol import Item
from projections.read_side import ReadSide
from projections.sql import PageCache, Versions, iso, text_id, upsert

COUNT_COLUMNS = (
    "protagonists",
    "individual_sessions",
    "relationship_sessions",
    "presence_setbacks",
    "intentions_declared",
    "intentions_shared",
    *(f"commitments_{s}" for s in CommitmentState),
)
"""The status table's integer counts (also what the pseudonymised export keeps)."""
SKIPPED = ("content_index", "handled_commands", "_policy")
"""Fold attributes the domain keeps for itself (idempotency, sealed-field index)."""
ENGAGEMENT_EVENTS = (EngagementEvent, Engagement.Opened)
COACH_EVENTS = (CoachAssigned, CoachReassigned)
CACHED_ENGAGEMENTS = 20_000
"""At most this many folded engagements are kept in memory between pages."""


def _tables(metadata: sa.MetaData, suffix: str) -> sa.Table:
    return sa.Table(
        f"trustpath_status_{suffix}",
        metadata,
        sa.Column("engagement_id", sa.String(36), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text, nullable=False),
        sa.Column("phase", sa.String(32), nullable=False, index=True),
        sa.Column("opened_at", sa.String(40), nullable=False),
        sa.Column("last_activity", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        *(sa.Column(name, sa.Integer, nullable=False) for name in COUNT_COLUMNS),
        sa.Column("gate_open", sa.Boolean, nullable=False),
        sa.Column("minimums_met", sa.Boolean, nullable=False),
        sa.Column("next_challenge", sa.String(32)),
        sa.Column("next_step", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
    )


class Folded(EngagementValues):
    """An engagement's state as its events evolve it, outside any aggregate (its times are
    ISO texts here)."""

    coach_names: dict[str, str]
    version: int

    def __init__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.content_index, self.handled_commands = {}, {}

    @classmethod
    def opened(cls, event: Engagement.Opened) -> Folded:
        at = iso(event.occurred_at)
        state = initial_state(event.title, event.organisation, event.sponsor, event.policy, at)
        return cls({**state, "coach_names": {}, "version": event.originator_version})

    def fold_all(self, events: Sequence[EngagementEvent]) -> None:
        """Evolve the state by each event in turn (the domain's own `evolve`)."""
        for event in events:
            event.evolve(self)  # type: ignore[arg-type]  # values only (EngagementValues)
            if isinstance(event, COACH_EVENTS):
                self.coach_names[event.protagonist_id] = event.coach_name
        if events:
            self.version = events[-1].originator_version

    def the_policy(self) -> Policy:
        """The domain's policy, parsed once per fold (the rules ask for it many times)."""
        if "_policy" not in self.__dict__:
            self.__dict__["_policy"] = Policy.from_dict(self.policy)
        policy: Policy = self.__dict__["_policy"]
        return policy

    def state(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in SKIPPED}

    def next_challenge(self) -> str | None:
        return rules.next_challenge(self.the_policy(), self.challenges_explored)

    def minimums_missing(self) -> list[str]:
        return rules.minimums_missing(
            self.the_policy(), self.protagonists, self.challenges_explored
        )

    def next_step(self) -> str:
        """What comes next, in the method's words."""
        return rules.next_step(
            phase=self.phase,
            agreement_signed=self.agreement is not None,
            policy=self.the_policy(),
            protagonists=self.protagonists,
            explored=self.challenges_explored,
        )


def status_row(engagement_id: str, folded: Folded, position: int) -> dict[str, Any]:
    """The status row of a folded engagement."""
    people = folded.protagonists.values()
    states = [c["state"] for c in folded.commitments.values()]
    return {
        "engagement_id": engagement_id,
        "title": folded.title,
        "organisation": folded.organisation,
        "phase": folded.phase.value,
        "opened_at": folded.opened_at,
        "last_activity": folded.last_activity,
        "version": folded.version,
        "position": position,
        "protagonists": len(folded.protagonists),
        "individual_sessions": len(folded.individual_sessions),
        "relationship_sessions": len(folded.relationship_sessions),
        "presence_setbacks": folded.presence_setbacks,
        "intentions_declared": sum(1 for p in people if p["intention_version"]),
        "intentions_shared": sum(1 for p in people if p["intention_shared"]),
        **{f"commitments_{s}": states.count(s) for s in CommitmentState},
        "gate_open": rules.gate_is_open(folded.protagonists, folded.the_policy()),
        "minimums_met": not folded.minimums_missing(),
        "next_challenge": folded.next_challenge(),
        "next_step": folded.next_step(),
        "state": json.dumps(folded.state()),  # insertion order, as the aggregate keeps it
    }


def _grouped(page: Sequence[Item]) -> dict[str, list[Item]]:
    """The page's engagement events per engagement, each in log order."""
    groups: dict[str, list[Item]] = {}
    for item in page:
        if isinstance(item.event, ENGAGEMENT_EVENTS):
            eid = text_id(item.notification.originator_id)
            if eid in groups:
                groups[eid].append(item)
            else:
                groups[eid] = [item]
    return groups


class StatusProjection:
    """Current status of every engagement."""

    name = "status"
    version = 1
    needs_events = True

    def __init__(self) -> None:
        self.tables: Versions[sa.Table] = Versions(_tables)
        self.cache: PageCache[Folded] = PageCache(CACHED_ENGAGEMENTS)

    def define(self, metadata: sa.MetaData, suffix: str) -> None:
        self.tables.define(metadata, suffix)

    def apply(self, conn: Connection, page: Sequence[Item]) -> None:
        table = self.tables.applying(conn)
        folds = self.cache.take(conn)
        per_engagement = _grouped(page)
        missing = [
            eid
            for eid, items in per_engagement.items()
            if eid not in folds and not isinstance(items[0].event, Engagement.Opened)
        ]
        folds.update(self._load(conn, table, sorted(missing)))
        rows = []
        for eid, items in per_engagement.items():
            first: Any = items[0].event
            if isinstance(first, Engagement.Opened):
                folds[eid] = Folded.opened(first)
                items = items[1:]
            elif eid not in folds:
                raise KeyError(eid)  # an engagement without its opening: never skipped
            folded = folds[eid]
            folded.fold_all([i.event for i in items])
            last = per_engagement[eid][-1]
            folded.last_activity = iso(last.event.occurred_at)  # type: ignore[assignment]
            rows.append(status_row(eid, folded, last.notification.id))
        upsert(conn, table, rows)
        if page:
            self.cache.keep(conn, page[-1].notification.id, folds, touched=per_engagement)

    def _load(self, conn: Connection, table: sa.Table, ids: list[str]) -> dict[str, Folded]:
        if not ids:
            return {}
        query = sa.select(table.c.engagement_id, table.c.state).where(
            table.c.engagement_id.in_(ids)
        )
        return {r.engagement_id: Folded(json.loads(r.state)) for r in conn.execute(query)}


# -- queries ----------------------------------------------------------------------------


def _table(read_side: ReadSide, suffix: str) -> sa.Table:
    projection = read_side.projection(StatusProjection.name)
    assert isinstance(projection, StatusProjection)
    return projection.tables.of(suffix)


def describe(row: Any) -> dict[str, Any]:
    """The full status of one engagement from its row, as plain data."""
    state = json.loads(row.state)
    folded = Folded(state)
    per_challenge: dict[str, int] = {}
    for challenge in state["relationship_sessions"].values():
        per_challenge[challenge] = per_challenge.get(challenge, 0) + 1
    return {
        **summary(row),
        "protagonists": [
            _protagonist(pid, p, state["coach_names"].get(pid, ""))
            for pid, p in state["protagonists"].items()
        ],
        "relationship_sessions_per_challenge": per_challenge,
        "challenges_explored": state["challenges_explored"],
        "policy": state["policy"],
        "compliance": {"minimums_met": row.minimums_met, "missing": folded.minimums_missing()},
    }


def _protagonist(pid: str, p: dict[str, Any], coach_name: str) -> dict[str, Any]:
    return {
        "protagonist_id": pid,
        "name": p["name"],
        "kind": p["kind"],
        "coach_id": p["coach_id"],
        "coach_name": coach_name,
        "individual_sessions": p["sessions"],
        "intention_declared": bool(p["intention_version"]),
        "intention_shared": p["intention_shared"],
        "consents": p["consents"],
        "erased": p["erased"],
    }


def summary(row: Any) -> dict[str, Any]:
    """The flat columns of a status row."""
    return {k: v for k, v in row._mapping.items() if k != "state"}


def get_status(read_side: ReadSide, engagement_id: UUID | str) -> dict[str, Any] | None:
    """The status of one engagement, or None when the projection does not know it."""
    with read_side.view(StatusProjection.name) as (conn, suffix):
        table = _table(read_side, suffix)
        row = conn.execute(
            sa.select(table).where(table.c.engagement_id == str(engagement_id))
        ).first()
    return describe(row) if row is not None else None


def list_engagements(
    read_side: ReadSide, phase: str | None = None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Status summaries, most recently active first."""
    with read_side.view(StatusProjection.name) as (conn, suffix):
        table = _table(read_side, suffix)
        query = sa.select(table).order_by(table.c.last_activity.desc(), table.c.engagement_id)
        if phase is not None:
            query = query.where(table.c.phase == phase)
        rows = conn.execute(query.limit(limit).offset(offset)).all()
    return [summary(r) for r in rows]
