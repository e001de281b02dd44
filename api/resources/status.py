# mypy: disable-error-code="untyped-decorator"
"""The status projection of an engagement, now or "as of" a moment.

GET /engagements/{eid}/status?as_of=|as_of_position=     phase, gate, next step, compliance

The same moment parameters and validation as the commitment ledger and the trust timeline
(`views.MomentQuery`), and the same replay: the status projection fed the engagement's
events up to then (`projections.asof`). Who sees what is the matrix's `status`; a sponsor
whom the agreement and every consent do not allow more sees only the default items.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api import read_models
from api.context import actor, decision, require, trustpath
from api.problems import Problem
from api.resources.views import MomentQuery
from domain.access import ResourceKind, is_the_sponsor
from domain.sponsor import DEFAULT_ITEMS, tell_sponsor
from domain.state import is_active

blp = Blueprint("status", "status", url_prefix="/engagements", description=__doc__)


class ProtagonistStatusOut(Schema):
    protagonist_id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String()
    coach_id = fields.String()
    coach_name = fields.String()
    individual_sessions = fields.Integer()
    intention_declared = fields.Boolean()
    intention_shared = fields.Boolean()
    consents = fields.Dict(keys=fields.String(), values=fields.Boolean())
    erased = fields.Boolean()


class StatusOut(Schema):
    """Where the engagement stands (at the moment asked); a sponsor's default is
    `engagement_id`, `active`, `phase` and the session counts (domain.sponsor)."""

    engagement_id = fields.String(required=True)
    active = fields.Boolean()
    phase = fields.String(required=True)
    opened_at = fields.String()
    last_activity = fields.String()
    individual_sessions = fields.Integer()
    relationship_sessions = fields.Integer()
    title = fields.String()
    organisation = fields.String()
    version = fields.Integer()
    position = fields.Integer(metadata={"description": "the log position it reflects"})
    presence_setbacks = fields.Integer()
    intentions_declared = fields.Integer()
    intentions_shared = fields.Integer()
    gate_open = fields.Boolean()
    next_challenge = fields.String(allow_none=True)
    next_step = fields.String()
    minimums_met = fields.Boolean()
    commitments_open = fields.Integer()
    commitments_honoured = fields.Integer()
    commitments_broken = fields.Integer()
    commitments_renegotiated = fields.Integer()
    commitments_withdrawn = fields.Integer()
    protagonists = fields.List(fields.Nested(ProtagonistStatusOut))
    relationship_sessions_per_challenge = fields.Dict(keys=fields.String(), values=fields.Integer())
    challenges_explored = fields.List(fields.String())
    policy = fields.Dict()
    compliance = fields.Dict()


@blp.route("/<uuid:eid>/status", methods=["GET"])
@blp.arguments(MomentQuery(), location="query", as_kwargs=True)
@blp.response(200, StatusOut)
def status(
    eid: UUID,
    min_position: int | None = None,
    as_of: datetime | None = None,
    as_of_position: int | None = None,
) -> Any:
    """The engagement's status from the status projection; `as_of` (a time) or
    `as_of_position` (a log position) replays it as it stood then."""
    from projections.status import get_status

    engagement = trustpath().engagement(eid)
    require(eid, ResourceKind.STATUS, engagement=engagement)
    read_models.wait(min_position)
    with read_models.moment_view(eid, as_of, as_of_position) as view:
        found = get_status(view, eid)
    if found is None:
        raise Problem(404, "Not Found", "the status projection does not know it yet; retry")
    found["active"] = is_active(found["phase"])
    parties = trustpath().parties(engagement)
    if is_the_sponsor(actor(), parties):
        return tell_sponsor(found, parties.sponsor_items)
    if not decision(eid, ResourceKind.ENGAGEMENT_RECORD, engagement=engagement).allowed:
        return tell_sponsor(found, DEFAULT_ITEMS)  # status, counts, dates: nothing contracted
    return found
