"""The relationship space: sessions and presence setbacks (a coach of the engagement).

POST /engagements/{eid}/relationship-sessions
POST /engagements/{eid}/presence-setbacks
"""

from __future__ import annotations

from marshmallow import fields, validate

from api.context import CommandIn
from api.routing import blueprint, command_route
from domain.commands import HoldRelationshipSession, RecordPresenceSetback
from domain.values import RELATIONAL_CHALLENGES

CHALLENGE = validate.OneOf(list(RELATIONAL_CHALLENGES))


class RelationshipSessionIn(CommandIn):
    challenge = fields.String(required=True, validate=CHALLENGE)
    present = fields.List(fields.String(validate=validate.Length(1, 200)), required=True)
    duration_minutes = fields.Integer(required=True, validate=validate.Range(1, 480))
    shared_notes = fields.String(required=True, validate=validate.Length(1, 20000))
    made_explicit = fields.List(fields.String(validate=validate.Length(1, 2000)))
    decisions = fields.List(fields.String(validate=validate.Length(1, 2000)))


class PresenceSetbackIn(CommandIn):
    challenge = fields.String(required=True, validate=CHALLENGE)
    present = fields.List(fields.String(validate=validate.Length(1, 200)), required=True)
    note = fields.String(validate=validate.Length(max=2000))


sessions = blueprint("relationship-sessions", "Relationship sessions (the decision space)")
command_route(
    sessions,
    "/<uuid:eid>/relationship-sessions",
    HoldRelationshipSession,
    RelationshipSessionIn,
    status=201,
)

setbacks = blueprint("presence-setbacks", "Presence setbacks: a protagonist was absent")
command_route(
    setbacks,
    "/<uuid:eid>/presence-setbacks",
    RecordPresenceSetback,
    PresenceSetbackIn,
    status=201,
)
