"""The recorded read of confidential content: the only route to a plaintext.

    GET …/individual-sessions/{sid}/notes      GET …/protagonists/{pid}/intention
      1. the engagement and the item exist                      → else 404
      2. a purpose: header X-Purpose or parameter ?purpose=,    → else 422 naming it
         printable text of at most 500 characters                  (nothing read, nothing
                                                                   refused)
      3. Trustpath.read_content: the matrix allows it           → else 403, refusal recorded
         then appends ContentAccessed, then decrypts                (coalesced: api.refusals;
                                       append failed            → 503, no content   it spends
                                                                   the caller's refusal budget)
A request without a valid token on these routes is answered 401 and recorded too (the
refusals of one client address coalesced the same way).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import current_app, request
from marshmallow import Schema, fields

from api.auth import spend_refusal
from api.context import actor, trustpath
from api.problems import Problem
from api.refusals import RefusalWindows
from domain.audit import MAX_PURPOSE, require_purpose
from domain.ciphers import MasterKeyError
from domain.engagement import Engagement
from domain.errors import ActionNotAllowedError, InvalidValueError, TrustpathError
from domain.values import Actor

log = logging.getLogger("trustpath.api")
ANONYMOUS = Actor("anonymous", "system")
READ_PARAMETERS = [
    {
        "in": "header",
        "name": "X-Purpose",
        "required": False,
        "schema": {"type": "string", "maxLength": MAX_PURPOSE},
        "description": "Why the content is read, printable text; recorded. Required (or "
        "?purpose=).",
    },
    {
        "in": "query",
        "name": "purpose",
        "required": False,
        "schema": {"type": "string", "maxLength": MAX_PURPOSE},
    },
]

Target = Callable[[UUID, dict[str, Any]], tuple[str, str]]
"""(engagement id, view args) → (protagonist id, confidential field)."""


class ContentOut(Schema):
    """Confidential content, returned only after its access was recorded."""

    field = fields.String(required=True)
    protagonist_id = fields.String(required=True)
    text = fields.String(required=True)
    erased = fields.Boolean(required=True)
    access_position = fields.Integer(required=True)


def read(
    eid: UUID, field: str, engagement: Engagement | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Read one confidential field: `read_content` authorises (recording a refusal),
    records the access, and only then decrypts."""
    app, reader = trustpath(), actor()
    purpose = _purpose()
    try:
        content = app.read_content(eid, reader, field, purpose, engagement)
    except ActionNotAllowedError:
        spend_refusal()
        raise
    except (TrustpathError, MasterKeyError):
        raise  # MasterKeyError: recorded, but this server missed a master-key rotation (503)
    except Exception as error:
        log.error("access record not written: %s", type(error).__name__)
        raise Problem(
            503,
            "Service Unavailable",
            "the access could not be recorded, so nothing is returned; retry later",
            type_="/problems/AccessNotRecorded",
            headers={"Retry-After": "1"},
        ) from None
    return content.__dict__, {"Cache-Control": "no-store"}


def _purpose() -> str:
    header = request.headers.get("X-Purpose", "")
    where, name = ("headers", "X-Purpose") if header.strip() else ("query", "purpose")
    purpose = header if header.strip() else request.args.get("purpose", "")
    if not purpose.strip():
        raise Problem(
            422,
            "Unprocessable Content",
            "say why you read this: header X-Purpose or parameter purpose",
            errors={"headers": {"X-Purpose": ["required"]}},
        )
    try:
        return require_purpose(purpose)
    except InvalidValueError as error:
        raise Problem(
            422,
            "Unprocessable Content",
            str(error),
            type_="/problems/InvalidValueError",
            errors={where: {name: [str(error)]}},
        ) from None


def records_refusals(target: Target) -> Callable[[Any], Any]:
    """Mark a view as confidential: an unauthenticated request to it is recorded."""

    def mark(view: Any) -> Any:
        def record_refusal(view_args: dict[str, Any]) -> None:
            eid = view_args.get("eid")
            try:
                protagonist_id, field = target(eid, view_args)  # type: ignore[arg-type]
            except TrustpathError:
                return  # nothing confidential exists there
            refusals: RefusalWindows = current_app.extensions["trustpath.refusals"]
            client = request.remote_addr or ""
            refusals.refuse(eid, ANONYMOUS, protagonist_id, field, "unauthenticated", client)  # type: ignore[arg-type]

        view.record_refusal = record_refusal
        return view

    return mark
