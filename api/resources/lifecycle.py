"""The engagement's lifecycle and follow-ups.

POST /engagements/{eid}/pause        admin         POST /engagements/{eid}/complete  admin
POST /engagements/{eid}/resume       admin         POST /engagements/{eid}/close     admin
POST /engagements/{eid}/terminate    any party     POST /engagements/{eid}/follow-ups  a coach
"""

from __future__ import annotations

from marshmallow import fields, validate

from api.context import CommandIn
from api.routing import blueprint, command_route
from domain.commands import (
    CloseEarly,
    CompleteEngagement,
    HoldFollowUp,
    PauseEngagement,
    RequestTermination,
    ResumeEngagement,
)

WHY = validate.Length(1, 2000)


class PauseIn(CommandIn):
    reason = fields.String(required=True, validate=WHY)


class CloseIn(CommandIn):
    reason = fields.String(required=True, validate=WHY)


class TerminationIn(CommandIn):
    reason = fields.String(validate=validate.Length(max=2000))


class FollowUpIn(CommandIn):
    months_after = fields.Integer(required=True, validate=validate.Range(1, 60))
    trust_lasted = fields.Boolean(required=True)
    shared_notes = fields.String(required=True, validate=validate.Length(1, 20000))


lifecycle = blueprint("lifecycle", "Pause, resume, terminate, complete, close")
E = "/<uuid:eid>"
command_route(lifecycle, f"{E}/pause", PauseEngagement, PauseIn)
command_route(lifecycle, f"{E}/resume", ResumeEngagement, CommandIn)
command_route(lifecycle, f"{E}/terminate", RequestTermination, TerminationIn)
command_route(lifecycle, f"{E}/complete", CompleteEngagement, CommandIn)
command_route(lifecycle, f"{E}/close", CloseEarly, CloseIn)

follow_ups = blueprint("follow-ups", "Follow-ups, months later: did trust last?")
command_route(follow_ups, f"{E}/follow-ups", HoldFollowUp, FollowUpIn, status=201)
