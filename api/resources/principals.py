# mypy: disable-error-code="untyped-decorator"
"""Principals over HTTP, for the practice admin: add, list, revoke (as the CLI does).

    POST /principals                 add → 201 with the bearer token, shown this once only
    GET  /principals                 list (cursor), never a token
    POST /principals/{id}/revoke     revoke → its next request, in any worker, is 401

So enrolling a protagonist and giving them access is one flow: POST
`/engagements/{eid}/protagonists` answers the protagonist's id (`item_id`), then POST
`/principals` with `{"role": "protagonist", "protagonist_id": ..., "engagement_id": ...}`.
With `engagement_id`, the subject must be a party of that engagement (its protagonist,
coach or sponsor). Tokens are stored only as their SHA-256 (`api.principals`). Who may
manage principals is the matrix's `principals` row (`domain.access.decide`): the admin.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.context import actor, trustpath
from api.pages import PageQuery, encode
from api.principals import ROLES, SUBJECT_ROLES, Principal, PrincipalStore
from api.problems import Problem
from domain.access import Parties, Resource, ResourceKind, decide
from domain.engagement import Engagement
from domain.errors import EngagementNotFoundError

blp = Blueprint("principals", "principals", url_prefix="/principals", description=__doc__)
SUBJECT_FIELD = {role: f"{role}_id" for role in SUBJECT_ROLES}
ID = validate.And(validate.Length(1, 200), validate.Regexp(r"(?s).*\S", error="must not be blank"))


class PrincipalIn(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    name = fields.String(required=True, validate=ID)
    protagonist_id = fields.String(validate=ID)
    coach_id = fields.String(validate=ID)
    sponsor_id = fields.String(validate=ID)
    engagement_id = fields.UUID(metadata={"description": "check the subject is its party"})

    @validates_schema
    def _subject_fits_role(self, data: dict[str, Any], **_: Any) -> None:
        own = SUBJECT_FIELD.get(data.get("role", ""))
        for name in SUBJECT_FIELD.values():
            if name == own and not str(data.get(name, "")).strip():
                raise ValidationError(f"a {data['role']} principal needs one", name)
            if name != own and name in data:
                raise ValidationError(f"not for a {data.get('role')} principal", name)
        if own is None and "engagement_id" in data:
            raise ValidationError(
                "only coaches, protagonists and sponsors have one", "engagement_id"
            )


class PrincipalOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    acts_as = fields.String(required=True, metadata={"description": "the actor id it acts as"})
    created_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(allow_none=True)


class PrincipalCreatedOut(PrincipalOut):
    token = fields.String(required=True, metadata={"description": "shown this once only"})


class PrincipalPageOut(Schema):
    items = fields.List(fields.Nested(PrincipalOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


@blp.route("", methods=["POST"])
@blp.arguments(PrincipalIn())
@blp.response(201, PrincipalCreatedOut)
def add(data: dict[str, Any]) -> Any:
    """Add a principal; the answer holds its bearer token, which is never shown again."""
    _require_admin()
    subject = str(data.get(SUBJECT_FIELD.get(data["role"], ""), "")).strip()
    if "engagement_id" in data:
        _check_party(_engagement(data["engagement_id"]), data["role"], subject)
    principal, token = _store().add(data["role"], data["name"], subject)
    headers = {"Cache-Control": "no-store", "Location": f"{request.script_root}/principals"}
    return {**_out(principal), "token": token}, headers


@blp.route("", methods=["GET"])
@blp.arguments(PageQuery(), location="query", as_kwargs=True)
@blp.response(200, PrincipalPageOut)
def list_principals(limit: int, cursor: int | None = None) -> Any:
    """Every principal, oldest first, revoked ones included; never a token."""
    _require_admin()
    start = cursor or 0
    everyone = _store().list()
    if start > len(everyone):
        raise Problem(
            422,
            "Unprocessable Content",
            "the cursor points past the end of the list",
            errors={"query": {"cursor": ["beyond the list"]}},
        )
    found = everyone[start : start + limit]
    more = start + limit < len(everyone)
    return {
        "items": [_out(p) for p in found],
        "next_cursor": encode(start + limit) if more else None,
    }


@blp.route("/<string:principal_id>/revoke", methods=["POST"])
@blp.response(200, PrincipalOut)
def revoke(principal_id: str) -> Any:
    """Revoke a principal: its token is refused from its next request on."""
    _require_admin()
    store = _store()
    found = store.find(principal_id) if len(principal_id) <= 32 else None
    if found is None or not store.revoke(principal_id):
        raise Problem(404, "Not Found", f"no live principal {principal_id[:32]!r}")
    return _out(store.find(principal_id) or found)


def _require_admin() -> None:
    verdict = decide(actor(), Parties(), Resource(ResourceKind.PRINCIPALS))
    if not verdict.allowed:
        raise Problem(
            403,
            "Forbidden",
            f"not allowed ({verdict.rule})",
            type_="/problems/ActionNotAllowedError",
        )


def _engagement(eid: UUID) -> Engagement:
    try:
        return trustpath().engagement(eid)
    except EngagementNotFoundError:
        raise _unprocessable("engagement_id", "no such engagement") from None


def _unprocessable(field: str, why: str) -> Problem:
    return Problem(422, "Unprocessable Content", f"{field}: {why}", errors={"json": {field: [why]}})


def _check_party(engagement: Engagement, role: str, subject: str) -> None:
    parties = trustpath().parties(engagement)
    known = {
        "protagonist": set(parties.coach_of),
        "coach": parties.coaches,
        "sponsor": {parties.sponsor},
    }[role]
    if subject not in known:
        raise _unprocessable(SUBJECT_FIELD[role], f"not a {role} of engagement {engagement.id}")


def _store() -> PrincipalStore:
    from flask import current_app

    store: PrincipalStore = current_app.extensions["trustpath.principals"]
    return store


def _out(p: Principal) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "role": p.role,
        "acts_as": p.actor.id,
        "created_at": p.created_at,
        "revoked_at": p.revoked_at,
    }
