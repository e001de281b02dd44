"""The parties of an engagement: agreement, protagonists and their coaches, consents, erasure.

POST /engagements/{eid}/agreement                              sign the agreement (admin)
POST /engagements/{eid}/protagonists                           enrol (admin)
POST /engagements/{eid}/protagonists/{pid}/coach               assign a coach (admin)
POST /engagements/{eid}/protagonists/{pid}/coach/reassign      reassign (admin)
POST /engagements/{eid}/protagonists/{pid}/consents            give consent
POST /engagements/{eid}/protagonists/{pid}/consents/withdraw   withdraw consent
POST /engagements/{eid}/protagonists/{pid}/erasure             execute an erasure (admin)
"""

from __future__ import annotations

from marshmallow import fields, validate

from api.context import CommandIn
from api.routing import blueprint, command_route
from domain.commands import (
    AssignCoach,
    EnrolProtagonist,
    ExecuteErasure,
    GiveConsent,
    ReassignCoach,
    SignAgreement,
    WithdrawConsent,
)
from domain.sponsor import SponsorItem
from domain.values import ConsentScope, ProtagonistKind

TEXT = validate.Length(min=1, max=2000)
NAME = validate.Length(min=1, max=200)


class AgreementIn(CommandIn):
    parties = fields.List(fields.String(validate=NAME), required=True, validate=validate.Length(1))
    confidentiality = fields.String(required=True, validate=TEXT)
    sponsor_may_be_told = fields.List(
        fields.String(validate=NAME),
        metadata={
            "description": "what the sponsor may be told beyond active, phase, session dates "
            "and counts, while every protagonist consents: "
            + ", ".join(item.value for item in SponsorItem)
        },
    )
    retention_days = fields.Integer(required=True, validate=validate.Range(1, 36500))


class ProtagonistIn(CommandIn):
    name = fields.String(required=True, validate=NAME)
    kind = fields.String(validate=validate.OneOf([k.value for k in ProtagonistKind]))


class CoachIn(CommandIn):
    coach_id = fields.String(required=True, validate=NAME)
    coach_name = fields.String(required=True, validate=NAME)


class CoachReassignmentIn(CoachIn):
    reason = fields.String(required=True, validate=TEXT)


class ConsentIn(CommandIn):
    scope = fields.String(required=True, validate=validate.OneOf([s.value for s in ConsentScope]))
    evidence = fields.String(
        validate=validate.Length(max=2000),
        metadata={"description": "the written consent, required when a coach records it"},
    )


class ErasureIn(CommandIn):
    request_reference = fields.String(required=True, validate=NAME)


agreement = blueprint("agreement", "The coaching agreement")
command_route(agreement, "/<uuid:eid>/agreement", SignAgreement, AgreementIn)

protagonists = blueprint("protagonists", "Protagonists and their coaches")
P = "/<uuid:eid>/protagonists/<string:pid>"
command_route(protagonists, "/<uuid:eid>/protagonists", EnrolProtagonist, ProtagonistIn, status=201)
command_route(protagonists, f"{P}/coach", AssignCoach, CoachIn)
command_route(protagonists, f"{P}/coach/reassign", ReassignCoach, CoachReassignmentIn)

consents = blueprint("consents", "A protagonist's consents")
command_route(consents, f"{P}/consents", GiveConsent, ConsentIn)
command_route(consents, f"{P}/consents/withdraw", WithdrawConsent, ConsentIn)

erasure = blueprint("erasure", "Crypto-shredding a protagonist's confidential content")
command_route(erasure, f"{P}/erasure", ExecuteErasure, ErasureIn, status=201)
