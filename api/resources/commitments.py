"""Commitments: made in a relationship session; honoured, broken, renegotiated or withdrawn.

    POST /engagements/{eid}/commitments                        make (a coach)
    POST /engagements/{eid}/commitments/{cid}/honour
    POST /engagements/{eid}/commitments/{cid}/break
    POST /engagements/{eid}/commitments/{cid}/renegotiate      → a new commitment's id
    POST /engagements/{eid}/commitments/{cid}/withdraw
(The ledger, GET /engagements/{eid}/commitments, is a view: see `views`.)
"""

from __future__ import annotations

from marshmallow import fields, validate

from api.context import CommandIn
from api.routing import blueprint, command_route
from domain.commands import (
    BreakCommitment,
    HonourCommitment,
    MakeCommitment,
    RenegotiateCommitment,
    WithdrawCommitment,
)
from domain.values import Assessor, Challenge

ID = validate.Length(1, 200)
WHY = validate.Length(1, 2000)


class CommitmentIn(CommandIn):
    session_id = fields.String(required=True, validate=ID)
    owners = fields.List(fields.String(validate=ID), required=True, validate=validate.Length(1))
    to_whom = fields.List(fields.String(validate=ID))
    what = fields.String(required=True, validate=WHY)
    due_on = fields.Date(required=True)
    challenge = fields.String(required=True, validate=validate.OneOf([c.value for c in Challenge]))


class HonourIn(CommandIn):
    evidence = fields.String(required=True, validate=WHY)
    assessed_by = fields.String(validate=validate.OneOf([a.value for a in Assessor]))
    assessors = fields.List(fields.String(validate=ID))


class ReasonIn(CommandIn):
    reason = fields.String(required=True, validate=WHY)


class RenegotiationIn(ReasonIn):
    owners = fields.List(fields.String(validate=ID), required=True, validate=validate.Length(1))
    to_whom = fields.List(fields.String(validate=ID))
    what = fields.String(required=True, validate=WHY)
    due_on = fields.Date(required=True)


commitments = blueprint("commitments", "Commitments and their lifecycle")
C = "/<uuid:eid>/commitments/<string:cid>"
command_route(commitments, "/<uuid:eid>/commitments", MakeCommitment, CommitmentIn, status=201)
command_route(commitments, f"{C}/honour", HonourCommitment, HonourIn)
command_route(commitments, f"{C}/break", BreakCommitment, ReasonIn)
command_route(commitments, f"{C}/renegotiate", RenegotiateCommitment, RenegotiationIn, status=201)
command_route(commitments, f"{C}/withdraw", WithdrawCommitment, ReasonIn)
