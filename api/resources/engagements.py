# mypy: disable-error-code="untyped-decorator"
"""Engagements: open one, list those the caller may see, read one's status (with its ETag).

    POST /engagements              open (admin) → 201, Location
    GET  /engagements              list, newest first, paginated with a cursor (read side)
    GET  /engagements/{eid}        status; ETag = the engagement's version (for If-Match)

A sponsor sees only what `domain.sponsor` lets it be told: by default whether the
engagement is active, its phase and its session counts (the session dates are in its
history); beyond that exactly the items the agreement lists, while every protagonist's
consent to sponsor reporting stands. It gets no version and no ETag (a count of events).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, post_load, validate

from api.context import (
    COMMAND_PARAMETERS,
    CommandIn,
    ReceiptOut,
    actor,
    decision,
    idempotency_key,
    receipt_out,
    require,
    trustpath,
)
from domain.access import ResourceKind, is_the_sponsor
from domain.commands import OpenEngagement
from domain.engagement import Engagement
from domain.rules.commitment import CommitmentState
from domain.sponsor import tell_sponsor
from domain.state import is_active
from domain.values import RELATIONAL_CHALLENGES, Policy

NAME = validate.Length(1, 200)


class PolicyIn(Schema):
    min_individual_sessions = fields.Integer(validate=validate.Range(0, 100))
    per_protagonist = fields.Boolean()
    min_individual_before_gate = fields.Integer(validate=validate.Range(0, 100))
    relationship_challenges = fields.List(
        fields.String(validate=validate.OneOf(list(RELATIONAL_CHALLENGES))),
        validate=validate.Length(1, 4),
    )
    strict_order = fields.Boolean()

    @post_load
    def make_policy(self, data: dict[str, Any], **_: Any) -> Policy:
        return Policy.from_dict(data)


class EngagementIn(CommandIn):
    title = fields.String(required=True, validate=NAME)
    organisation = fields.String(required=True, validate=NAME)
    context = fields.String(validate=validate.Length(max=5000))
    sponsor = fields.String(required=True, validate=NAME)
    policy = fields.Nested(PolicyIn, load_default=None)  # none: the default policy

    @post_load
    def make_command(self, data: dict[str, Any], **kwargs: Any) -> Any:
        if data.get("policy") is None:  # none sent, or null: the default policy
            data.pop("policy", None)
        return super().make_command(data, **kwargs)


class ProtagonistOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    coach_id = fields.String(required=True)
    consents = fields.Dict(keys=fields.String(), values=fields.Boolean())
    individual_sessions = fields.Integer(required=True)
    intention_declared = fields.Boolean(required=True)
    intention_shared = fields.Boolean(required=True)
    erased = fields.Boolean(required=True)


class EngagementOut(Schema):
    """An engagement's status; a sponsor gets only the fields its items open."""

    id = fields.UUID(required=True)
    version = fields.Integer()
    phase = fields.String(required=True)
    active = fields.Boolean(required=True)
    opened_at = fields.DateTime()
    last_activity = fields.DateTime()
    individual_sessions = fields.Integer(required=True)
    relationship_sessions = fields.Integer(required=True)
    presence_setbacks = fields.Integer()
    title = fields.String()
    organisation = fields.String()
    sponsor = fields.String()
    agreement_signed = fields.Boolean()
    challenges_explored = fields.List(fields.String())
    next_challenge = fields.String(allow_none=True)
    commitments = fields.Dict(keys=fields.String(), values=fields.Integer())
    follow_ups = fields.Integer()
    minimums_missing = fields.List(fields.String())
    protagonists = fields.List(fields.Nested(ProtagonistOut))


blp = Blueprint("engagements", "engagements", url_prefix="/engagements", description=__doc__)


@blp.route("", methods=["POST"])
@blp.arguments(EngagementIn(OpenEngagement))
@blp.response(201, ReceiptOut)
@blp.doc(parameters=COMMAND_PARAMETERS[:1])
def open_engagement(command: OpenEngagement) -> Any:
    """Open an engagement (practice admin), with its policy."""
    key = idempotency_key()
    keyed = replace(command, key=key) if key else command
    receipt = trustpath().execute(None, actor(), keyed)
    body, headers = receipt_out(receipt)
    headers["Location"] = f"{request.script_root}/engagements/{receipt.engagement_id}"
    return body, headers


@blp.route("/<uuid:eid>", methods=["GET"])
@blp.response(200, EngagementOut)
def get_engagement(eid: UUID) -> Any:
    """The engagement's status now, straight from the command side; ETag = version."""
    app = trustpath()
    engagement = app.engagement(eid)
    require(eid, ResourceKind.STATUS, engagement=engagement)
    parties, headers = app.parties(engagement), {"Cache-Control": "private, no-cache"}
    if is_the_sponsor(actor(), parties):
        body = {**status_of(engagement), **detail_of(engagement)}
        return tell_sponsor(body, parties.sponsor_items), headers
    body = status_of(engagement)
    if decision(eid, ResourceKind.ENGAGEMENT_RECORD, engagement=engagement).allowed:
        body.update(detail_of(engagement))
    return body, {**headers, "ETag": f'"{engagement.version}"'}


def status_of(e: Engagement) -> dict[str, Any]:
    """What every role allowed to see the engagement sees (a sponsor's default)."""
    return {
        "id": e.id,
        "version": e.version,
        "phase": e.phase.value,
        "active": is_active(e.phase),
        "opened_at": e.opened_at,
        "last_activity": e.last_activity,
        "individual_sessions": len(e.individual_sessions),
        "relationship_sessions": len(e.relationship_sessions),
        "presence_setbacks": e.presence_setbacks,
    }


def detail_of(e: Engagement) -> dict[str, Any]:
    states: dict[CommitmentState, int] = {}
    for commitment in e.commitments.values():
        state = CommitmentState(commitment["state"])
        states[state] = states.get(state, 0) + 1
    return {
        "title": e.title,
        "organisation": e.organisation,
        "sponsor": e.sponsor,
        "agreement_signed": e.agreement is not None,
        "challenges_explored": list(e.challenges_explored),
        "next_challenge": e.next_challenge(),
        "commitments": states,
        "follow_ups": e.follow_ups,
        "minimums_missing": e.minimums_missing(),
        "protagonists": [_protagonist(pid, p) for pid, p in e.protagonists.items()],
    }


def _protagonist(pid: str, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": pid,
        "name": p["name"],
        "kind": p["kind"],
        "coach_id": p["coach_id"],
        "consents": dict(p["consents"]),
        "individual_sessions": p["sessions"],
        "intention_declared": bool(p["intention_version"]),
        "intention_shared": bool(p["intention_shared"]),
        "erased": bool(p["erased"]),
    }
