# mypy: disable-error-code="untyped-decorator"
"""Views of an engagement, each filtered by the matrix; every one accepts `min_position`.

GET /engagements                          the engagements the caller may see (cursor)
GET /engagements/{eid}/commitments        the commitment ledger (relationship space)
GET /engagements/{eid}/timeline?as_of=    trust scores over time (own / coached only)
GET /engagements/{eid}/history            the events, redacted for the caller (cursor)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api import read_models
from api.context import actor, require, trustpath
from api.history import redact
from api.problems import Problem
from domain.access import ResourceKind

blp = Blueprint("views", "views", url_prefix="/engagements", description=__doc__)


class ViewQuery(Schema):
    min_position = fields.Integer(
        validate=validate.Range(0), metadata={"description": "answer only once caught up"}
    )


class PageQuery(ViewQuery):
    cursor = fields.String(validate=validate.Length(max=500))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class MomentQuery(ViewQuery):
    as_of = fields.AwareDateTime(metadata={"description": "the view as it stood at that time"})
    as_of_position = fields.Integer(
        validate=validate.Range(1), metadata={"description": "... or at that log position"}
    )


class EngagementSummaryOut(Schema):
    engagement_id = fields.String(required=True)
    title = fields.String()
    organisation = fields.String()
    phase = fields.String(required=True)
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


class HistoryEventOut(Schema):
    version = fields.Integer(required=True)
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
    with read_models.moment_view(eid, as_of, as_of_position) as view:
        return get_ledger(view, eid)


@blp.route("/<uuid:eid>/timeline", methods=["GET"])
@blp.arguments(MomentQuery(), location="query", as_kwargs=True)
@blp.response(200, TimelineOut)
def trust_timeline(
    eid: UUID,
    min_position: int | None = None,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
) -> Any:
    """Trust scores over time with the milestones around them; `as_of` replays the past
    (the same projection fed the engagement's events up to then)."""
    from projections.timeline import get_timeline

    app = trustpath()
    engagement = app.engagement(eid)
    require(eid, ResourceKind.RELATIONSHIP_SPACE, engagement=engagement)
    if actor().role not in ("coach", "protagonist"):
        raise Problem(403, "Forbidden", "trust assessments are for the parties")
    read_models.wait(min_position)
    with read_models.moment_view(eid, as_of, as_of_position) as view:
        timeline = get_timeline(view, eid)
    return read_models.trust_timeline(timeline, actor(), app.parties(engagement))


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
        raise read_models.malformed_cursor()
    parties, reader = app.parties(app.engagement(eid)), actor()
    events = list(app.events.get(eid, gt=after or 0, limit=limit))
    items = [redact(event, reader, parties) for event in events]
    more = len(events) == limit
    next_cursor = read_models.encode_cursor(events[-1].originator_version) if more else None
    return {"items": items, "next_cursor": next_cursor}
