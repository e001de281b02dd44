# mypy: disable-error-code="untyped-decorator"
"""Views of an engagement, each filtered by the matrix; every one accepts `min_position`.

GET /engagements                          the engagements the caller may see (cursor)
GET /engagements/{eid}/commitments        the commitment ledger (relationship space)
GET /engagements/{eid}/timeline?as_of=    trust scores over time (own / coached only; cursor)
GET /engagements/{eid}/history            the events, redacted for the caller (cursor)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api import read_models
from api.auth import charge
from api.context import actor, require, trustpath
from api.history import visible_page
from api.problems import Problem
from domain.access import ResourceKind

AS_OF_EVENTS_PER_TOKEN = 100
"""A replay "as of" costs one more rate-limit token per this many events replayed: a
3,000-event engagement (~130 ms of work) weighs what ~30 ordinary requests do."""
AROUND_SHOWN = 20
"""Milestones shown inside one assessment (`milestones_omitted` says how many more);
every milestone is in the page's `milestones` list anyway."""

blp = Blueprint("views", "views", url_prefix="/engagements", description=__doc__)


class ViewQuery(Schema):
    min_position = fields.Integer(
        validate=validate.Range(0), metadata={"description": "answer only once caught up"}
    )


class PageQuery(ViewQuery):
    cursor = fields.String(validate=validate.Length(max=500))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class MomentQuery(ViewQuery):
    as_of = fields.AwareDateTime(
        metadata={
            "description": "the view as it stood at that time (a replay: it costs one more "
            f"token of the rate limit per {AS_OF_EVENTS_PER_TOKEN} events replayed)"
        }
    )
    as_of_position = fields.Integer(
        validate=validate.Range(1), metadata={"description": "... or at that log position"}
    )


class TimelineQuery(MomentQuery):
    cursor = fields.String(validate=validate.Length(max=500))
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(1, 500),
        metadata={"description": "assessments and milestones per page (each)"},
    )


class EngagementSummaryOut(Schema):
    engagement_id = fields.String(required=True)
    title = fields.String()
    organisation = fields.String()
    phase = fields.String(required=True)
    active = fields.Boolean()
    opened_at = fields.String()
    last_activity = fields.String()
    version = fields.Integer()
    position = fields.Integer()
    individual_sessions = fields.Integer()
    relationship_sessions = fields.Integer()


class EngagementPageOut(Schema):
    items = fields.List(fields.Nested(EngagementSummaryOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class LedgerOut(Schema):
    engagement_id = fields.String(required=True)
    commitments = fields.List(fields.Dict(), required=True)
    per_protagonist = fields.Dict()
    engagement = fields.Dict()
    reciprocity = fields.List(fields.Dict())


class TimelineOut(Schema):
    engagement_id = fields.String(required=True)
    assessments = fields.List(fields.Dict(), required=True)
    milestones = fields.List(fields.Dict(), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class HistoryEventOut(Schema):
    version = fields.Integer(metadata={"description": "absent for the sponsor"})
    type = fields.String(required=True)
    recorded_at = fields.DateTime(required=True)
    occurred_at = fields.DateTime(required=True)
    redacted = fields.Boolean(required=True)
    actor = fields.Dict(allow_none=True)
    data = fields.Dict()


class HistoryPageOut(Schema):
    items = fields.List(fields.Nested(HistoryEventOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


@blp.route("", methods=["GET"])
@blp.arguments(PageQuery(), location="query", as_kwargs=True)
@blp.response(200, EngagementPageOut)
def list_engagements(limit: int, cursor: str | None = None, min_position: int | None = None) -> Any:
    """The engagements the caller may see, oldest first; follow `next_cursor`."""
    read_models.wait(min_position)
    items, next_cursor = read_models.visible_engagements(actor(), cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/<uuid:eid>/commitments", methods=["GET"])
@blp.arguments(MomentQuery(), location="query", as_kwargs=True)
@blp.response(200, LedgerOut)
def commitment_ledger(
    eid: UUID,
    min_position: int | None = None,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
) -> Any:
    """Every commitment with its history, and honour / on-time rates per protagonist."""
    from projections.commitment_ledger import get_ledger

    require(eid, ResourceKind.RELATIONSHIP_SPACE)
    read_models.wait(min_position)
    charge_replay(eid, as_of, as_of_position)
    with read_models.moment_view(eid, as_of, as_of_position) as view:
        return get_ledger(view, eid)


@blp.route("/<uuid:eid>/timeline", methods=["GET"])
@blp.arguments(TimelineQuery(), location="query", as_kwargs=True)
@blp.response(200, TimelineOut)
def trust_timeline(
    eid: UUID,
    limit: int,
    cursor: str | None = None,
    min_position: int | None = None,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
) -> Any:
    """Trust scores over time with the milestones around them, a page at a time (follow
    `next_cursor`); `as_of` replays the past (the same projection fed the engagement's
    events up to then)."""
    from projections.timeline import get_timeline

    app = trustpath()
    engagement = app.engagement(eid)
    require(eid, ResourceKind.RELATIONSHIP_SPACE, engagement=engagement)
    if actor().role not in ("coach", "protagonist"):
        raise Problem(403, "Forbidden", "trust assessments are for the parties")
    read_models.wait(min_position)
    charge_replay(eid, as_of, as_of_position)
    with read_models.moment_view(eid, as_of, as_of_position) as view:
        timeline = get_timeline(view, eid)
    visible = read_models.trust_timeline(timeline, actor(), app.parties(engagement))
    return timeline_page(visible, cursor, limit)


@blp.route("/<uuid:eid>/history", methods=["GET"])
@blp.arguments(PageQuery(), location="query", as_kwargs=True)
@blp.response(200, HistoryPageOut)
def history(
    eid: UUID, limit: int, cursor: str | None = None, min_position: int | None = None
) -> Any:
    """The engagement's events, oldest first, redacted for the caller; never sealed content."""
    require(eid, ResourceKind.STATUS)
    app = trustpath()
    after = read_models.decode_cursor(cursor)
    if after is not None and not isinstance(after, int):
        raise Problem(422, "Unprocessable Content", "malformed cursor")
    parties, reader = app.parties(app.engagement(eid)), actor()

    def events_after(version: int, n: int) -> Any:
        return app.events.get(eid, gt=version, limit=n)

    items, last = visible_page(events_after, reader, parties, after or 0, limit)
    next_cursor = read_models.encode_cursor(last) if last is not None else None
    return {"items": items, "next_cursor": next_cursor}


def charge_replay(eid: UUID, as_of: datetime | None, as_of_position: int | None) -> None:
    """A replay "as of" costs rate-limit tokens in proportion to the events it replays."""
    if as_of is None and as_of_position is None:
        return
    replayed = trustpath().engagement(eid).version
    charge(replayed / AS_OF_EVENTS_PER_TOKEN)


def timeline_page(timeline: dict[str, Any], cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of the assessments and of the milestones (each at most `limit`), with the
    cursor of the next; the cursor holds where each list stopped."""
    start = read_models.decode_cursor(cursor) or [0, 0]
    if not (
        isinstance(start, list)
        and len(start) == 2
        and all(isinstance(i, int) and i >= 0 for i in start)
    ):
        raise Problem(422, "Unprocessable Content", "malformed cursor")
    (a, m), assessments = start, timeline["assessments"]
    milestones = timeline["milestones"]
    page_a, page_m = assessments[a : a + limit], milestones[m : m + limit]
    more = a + limit < len(assessments) or m + limit < len(milestones)
    return {
        "engagement_id": timeline["engagement_id"],
        "assessments": [_capped(x) for x in page_a],
        "milestones": page_m,
        "next_cursor": read_models.encode_cursor([a + limit, m + limit]) if more else None,
    }


def _capped(assessment: dict[str, Any]) -> dict[str, Any]:
    around = assessment.get("milestones") or []
    if len(around) <= AROUND_SHOWN:
        return assessment
    return {
        **assessment,
        "milestones": around[-AROUND_SHOWN:],
        "milestones_omitted": len(around) - AROUND_SHOWN,
    }
