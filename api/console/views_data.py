"""What a console page shows of one engagement, as of a position, filtered for the reader.

The same reads and the same matrix as the API's routes, so that a page shows exactly what
the reader's bearer token would get:

    status     GET /engagements/{eid}/status      (matrix `status`; a sponsor gets the items
                                                   `domain.sponsor` allows, a reader without
                                                   the engagement record the default items)
    ledger     GET /engagements/{eid}/commitments (matrix `relationship_space`)
    timeline   GET /engagements/{eid}/timeline    (`relationship_space`, coaches and
                                                   protagonists, `read_models.trust_timeline`)

"As of" goes through the console's replay cache (`api.console.replay_cache`), which gives
what `projections.asof` gives without replaying from the start each time.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from flask import current_app

from api import read_models
from api.console import chart
from api.console.replay_cache import ReplayCache
from api.problems import Problem
from domain.access import Parties, Resource, ResourceKind, decide, is_the_sponsor
from domain.engagement import Engagement
from domain.sponsor import DEFAULT_ITEMS, tell_sponsor
from domain.state import is_active
from domain.trustpath import Trustpath
from domain.values import Actor

CACHE_KEY = "trustpath.console.replay"


class NotVisibleError(Exception):
    """The matrix does not let this person see that engagement."""


def replay_cache(app: Trustpath) -> ReplayCache:
    """The process's replay cache, made on first use (one per application)."""
    found: ReplayCache | None = current_app.extensions.get(CACHE_KEY)
    if found is None:
        found = current_app.extensions[CACHE_KEY] = ReplayCache(app, read_models.read_side().engine)
    return found


@dataclass
class Reading:
    """One engagement as a reader sees it at one position (None: what it cannot see)."""

    engagement_id: UUID
    position: int
    step: int
    steps: int
    status: dict[str, Any]
    ledger: dict[str, Any] | None = None
    assessments: list[dict[str, Any]] | None = None  # None: the reader may not see them
    milestones: list[dict[str, Any]] | None = None
    panels: list[dict[str, Any]] = field(default_factory=list)


def allowed(reader: Actor, parties: Parties, kind: ResourceKind, pid: str = "") -> bool:
    return decide(reader, parties, Resource(kind, pid)).allowed


def status_for(found: dict[str, Any], reader: Actor, parties: Parties) -> dict[str, Any]:
    """The status as the API's status route cuts it for this reader."""
    found = {**found, "active": is_active(found["phase"])}
    if is_the_sponsor(reader, parties):
        return tell_sponsor(found, parties.sponsor_items)
    if not allowed(reader, parties, ResourceKind.ENGAGEMENT_RECORD):
        return tell_sponsor(found, DEFAULT_ITEMS)
    return found


def sees_timeline(reader: Actor, parties: Parties) -> bool:
    return reader.role in ("coach", "protagonist") and allowed(
        reader, parties, ResourceKind.RELATIONSHIP_SPACE
    )


def visible_engagement(app: Trustpath, eid: UUID, reader: Actor) -> tuple[Engagement, Parties]:
    """The engagement and its parties, if the reader may see its status (else raises)."""
    engagement = app.engagement(eid)
    parties = app.parties(engagement)
    if not allowed(reader, parties, ResourceKind.STATUS):
        raise NotVisibleError(f"not allowed to see engagement {eid}")
    return engagement, parties


def reading(
    app: Trustpath,
    eid: UUID,
    reader: Actor,
    position: int | None = None,
    step: int | None = None,
    *,
    chart: bool = True,
) -> Reading:
    """The engagement as of `position` (a log position) or `step` (its n-th event), or now;
    with the trust timeline and its chart if `chart` (and the reader may see them).

    Raises EngagementNotFoundError, NotVisibleError, PositionBeyondLogError,
    EngagementUnknownError (nothing had happened by then).
    """
    from projections.commitment_ledger import get_ledger
    from projections.status import get_status

    _, parties = visible_engagement(app, eid, reader)
    cache = replay_cache(app)
    positions = cache.positions(eid)
    if step is not None:
        position = positions[min(max(step, 1), len(positions)) - 1] if positions else 0
    with cache.as_of(eid, position) as view:
        status = get_status(view, eid) or {}
        ledger = get_ledger(view, eid) if _sees_ledger(reader, parties) else None
    at = bisect.bisect_right(positions, positions[-1] if position is None else position)
    found = Reading(
        eid, positions[at - 1], at, len(positions), status_for(status, reader, parties), ledger
    )
    if chart and sees_timeline(reader, parties):
        trust, milestones = cache.timeline_rows(eid, found.position)
        found.assessments, found.milestones = visible_timeline(trust, milestones, reader, parties)
        found.panels = _panels(eid, found, found.status)
    return found


def visible_timeline(
    trust: list[dict[str, Any]], milestones: list[dict[str, Any]], reader: Actor, parties: Parties
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The assessments and milestones the reader may see, as the API's timeline filters them
    (`read_models.trust_timeline`: the same `decide` per resource, no note lengths), without
    the moves the chart does not draw. Decisions are asked once per resource."""
    from projections.timeline import milestone_resource

    decided: dict[Resource, bool] = {}

    def may(resource: Resource) -> bool:
        if resource not in decided:
            decided[resource] = decide(reader, parties, resource).allowed
        return decided[resource]

    shown = [
        {k: v for k, v in m.items() if k not in read_models.UNSHOWN_MILESTONE_FIELDS}
        for m in milestones
        if (resource := milestone_resource(m)) is not None and may(resource)
    ]
    kind = ResourceKind.TRUST_ASSESSMENTS
    pids = {pid for pid in {a["protagonist_id"] for a in trust} if may(Resource(kind, pid))}
    return [a for a in trust if a["protagonist_id"] in pids], shown


def _sees_ledger(reader: Actor, parties: Parties) -> bool:
    return allowed(reader, parties, ResourceKind.RELATIONSHIP_SPACE)


def _panels(eid: UUID, found: Reading, seen: dict[str, Any]) -> list[dict[str, Any]]:
    """The chart's panels, on a time axis fixed by the engagement as it is now; names only
    from the status the reader may see (`seen`)."""
    from projections.errors import ReadSideError
    from projections.status import get_status

    try:
        now = get_status(read_models.read_side(), eid) or seen
    except (Problem, ReadSideError):  # no live read side here: the replayed span will do
        now = seen
    span = {k: now.get(k) for k in ("opened_at", "last_activity")}
    names = {p["protagonist_id"]: p["name"] for p in seen.get("protagonists", [])}
    timeline = {"assessments": found.assessments or [], "milestones": found.milestones or []}
    return chart.panels(timeline, names, chart.span_of(span, timeline))
