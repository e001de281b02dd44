# mypy: disable-error-code="untyped-decorator"
"""The individual space: sessions, intentions, trust assessments, and their recorded reads.

POST /engagements/{eid}/individual-sessions                  hold (the protagonist's coach)
GET  /engagements/{eid}/individual-sessions/{sid}/notes      read the notes (recorded)
POST /engagements/{eid}/protagonists/{pid}/intention         declare or revise (coach)
POST /engagements/{eid}/protagonists/{pid}/intention/share   share (protagonist or coach)
GET  /engagements/{eid}/protagonists/{pid}/intention         read it (recorded; ?version=)
POST /engagements/{eid}/trust-assessments                    record (the protagonist's coach)
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from marshmallow import Schema, fields, validate

from api.context import CommandIn, trustpath
from api.reading import READ_PARAMETERS, ContentOut, read, records_refusals
from api.routing import blueprint, command_route
from domain import errors
from domain.commands import AssessTrust, DeclareIntention, HoldIndividualSession, ShareIntention
from domain.individual_space import intention_field
from domain.values import Challenge

TEXT = validate.Length(min=1, max=20000)
CHALLENGE = validate.OneOf([c.value for c in Challenge])


class IndividualSessionIn(CommandIn):
    protagonist_id = fields.String(required=True, validate=validate.Length(1, 200))
    duration_minutes = fields.Integer(required=True, validate=validate.Range(1, 480))
    challenges = fields.List(
        fields.String(validate=CHALLENGE), required=True, validate=validate.Length(1, 5)
    )
    notes = fields.String(
        allow_none=True, validate=TEXT, metadata={"description": "confidential; sealed"}
    )


class IntentionIn(CommandIn):
    text = fields.String(required=True, validate=TEXT, metadata={"description": "confidential"})


class SharedIntentionIn(CommandIn):
    shared_text = fields.String(required=True, validate=TEXT)


class TrustAssessmentIn(CommandIn):
    protagonist_id = fields.String(required=True, validate=validate.Length(1, 200))
    toward_id = fields.String(required=True, validate=validate.Length(1, 200))
    challenge = fields.String(required=True, validate=CHALLENGE)
    score = fields.Integer(required=True, validate=validate.Range(0, 10))


class IntentionQuery(Schema):
    version = fields.Integer(validate=validate.Range(1, 10000))
    purpose = fields.String()


class NotesQuery(Schema):
    purpose = fields.String()


def notes_target(eid: UUID, view_args: dict[str, Any]) -> tuple[str, str]:
    field = trustpath().session_notes_field(view_args["sid"])
    try:
        protagonist_id, _ = trustpath().engagement(eid).content_index[field]
    except KeyError:
        raise errors.SessionNotFoundError(f"no notes for session {view_args['sid']!r}") from None
    return protagonist_id, field


def intention_target(eid: UUID, view_args: dict[str, Any]) -> tuple[str, str]:
    pid, version = view_args["pid"], view_args.get("version")
    if version:
        return pid, intention_field(pid, version)
    return pid, trustpath().intention_field(eid, pid)


sessions = blueprint("individual-sessions", "Individual sessions and their confidential notes")
command_route(
    sessions,
    "/<uuid:eid>/individual-sessions",
    HoldIndividualSession,
    IndividualSessionIn,
    status=201,
)


@sessions.route("/<uuid:eid>/individual-sessions/<string:sid>/notes", methods=["GET"])
@sessions.arguments(NotesQuery(), location="query", as_kwargs=True)
@sessions.response(200, ContentOut)
@sessions.doc(parameters=READ_PARAMETERS[:1])
@records_refusals(notes_target)
def read_notes(eid: UUID, sid: str, **_: Any) -> Any:
    """Read a session's notes: allowed to the protagonist and their coach; recorded first."""
    return read(eid, trustpath().session_notes_field(sid))


intentions = blueprint("intentions", "A protagonist's intention: declared, shared, read")
P = "/<uuid:eid>/protagonists/<string:pid>"
command_route(intentions, f"{P}/intention", DeclareIntention, IntentionIn, status=201)
command_route(intentions, f"{P}/intention/share", ShareIntention, SharedIntentionIn)


@intentions.route(f"{P}/intention", methods=["GET"])
@intentions.arguments(IntentionQuery(), location="query", as_kwargs=True)
@intentions.response(200, ContentOut)
@intentions.doc(parameters=READ_PARAMETERS[:1])
@records_refusals(intention_target)
def read_intention(eid: UUID, pid: str, version: int | None = None, **_: Any) -> Any:
    """Read an intention (the current one, or ?version=); recorded first."""
    engagement = trustpath().engagement(eid)
    current = engagement.protagonist(pid)["intention_version"]
    if not (version or current):
        raise errors.IntentionNotFoundError(f"{pid!r} has declared no intention")
    return read(eid, intention_field(pid, version or current), engagement)


assessments = blueprint("trust-assessments", "Trust assessments (0-10, toward another)")
command_route(
    assessments, "/<uuid:eid>/trust-assessments", AssessTrust, TrustAssessmentIn, status=201
)
