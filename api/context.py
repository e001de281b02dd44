"""What every view needs: the application, the caller, the matrix, and running a command.

A command route is one line (`api.routing`): its `<Thing>In` schema validates the body
and loads it straight into the command's dataclass, then `execute(eid, command)` checks
the caller may see the engagement at all (the matrix's `status`), honours `If-Match` and
`Idempotency-Key`, runs the command in the domain (which enforces who may *do* what) and
returns the receipt: the position reached, for read-your-writes. The visibility check runs
before the key is looked up, so a stranger re-using someone's key gets 403 and learns
nothing about it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import replace
from typing import Any
from uuid import UUID

from flask import current_app, request
from marshmallow import Schema, fields, missing, post_load

from api.auth import principal
from api.problems import Problem
from domain.access import Decision, Resource, ResourceKind, decide
from domain.commands import EngagementCommand, OpenEngagement
from domain.engagement import Engagement
from domain.runs import Receipt
from domain.trustpath import Trustpath
from domain.values import Actor

MAX_KEY_LENGTH = 200

COMMAND_PARAMETERS = [
    {
        "in": "header",
        "name": "Idempotency-Key",
        "required": False,
        "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
        "description": "Re-sending a command with the same key returns the first response.",
    },
    {
        "in": "header",
        "name": "If-Match",
        "required": False,
        "schema": {"type": "string"},
        "description": "The engagement's ETag (its version): refuse with 412 if it moved on.",
    },
]


PATH_ARGUMENTS = {"pid": "protagonist_id", "sid": "session_id", "cid": "commitment_id"}
"""The command arguments a route's path carries, by path parameter."""


class CommandIn(Schema):
    """What every command carries: when it happened, by the client's clock.

    Made with the command's dataclass, the schema loads the body and the path's parameters
    straight into it (the idempotency key, a header, is added by `execute`); an optional
    field takes its default from the dataclass, so that OpenAPI documents it.
    """

    occurred_at = fields.AwareDateTime(
        required=True, metadata={"description": "when it happened (ISO 8601, with time zone)"}
    )

    def __init__(
        self, command: type[EngagementCommand] | type[OpenEngagement], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.command = command
        for item in dataclasses.fields(command):
            # the command's own defaults, declared once on its dataclass, also documented
            field = self.fields.get(item.name)
            if field is None or field.required or field.load_default is not missing:
                continue
            if item.default is not dataclasses.MISSING:
                field.load_default = item.default
            elif item.default_factory is not dataclasses.MISSING:
                field.load_default = item.default_factory

    @post_load
    def make_command(self, data: dict[str, Any], **_: Any) -> Any:
        path = request.view_args or {}
        args = {PATH_ARGUMENTS[name]: value for name, value in path.items() if name != "eid"}
        return self.command(**data, **args)


class ReceiptOut(Schema):
    """Where a command left the engagement and the log."""

    engagement_id = fields.UUID(required=True)
    position = fields.Integer(required=True, metadata={"description": "for min_position"})
    version = fields.Integer(required=True, metadata={"description": "the engagement's ETag"})
    item_id = fields.String(metadata={"description": "the id of what the command created"})


def trustpath() -> Trustpath:
    app: Trustpath = current_app.extensions["trustpath"]
    return app


def actor() -> Actor:
    return principal().actor


def decision(
    eid: UUID, kind: ResourceKind, protagonist_id: str = "", engagement: Engagement | None = None
) -> Decision:
    app = trustpath()
    engagement = engagement or app.engagement(eid)
    return decide(actor(), app.parties(engagement), Resource(kind, protagonist_id))


def require(
    eid: UUID, kind: ResourceKind, protagonist_id: str = "", engagement: Engagement | None = None
) -> None:
    """403 unless the matrix lets the caller see this resource of this engagement."""
    verdict = decision(eid, kind, protagonist_id, engagement)
    if not verdict.allowed:
        raise Problem(
            403,
            "Forbidden",
            f"not allowed ({verdict.rule})",
            type_="/problems/ActionNotAllowedError",
        )


def execute(eid: UUID, command: EngagementCommand) -> tuple[dict[str, Any], dict[str, str]]:
    """Run one domain command for the caller; the receipt and its headers.

    The caller must be allowed to see the engagement (the matrix's `status`); that is
    checked on the engagement the command itself loads, so it costs no extra load, and
    before the idempotency key is compared with the engagement's history.
    """

    def visible(engagement: Engagement) -> None:
        require(eid, ResourceKind.STATUS, engagement=engagement)

    expected, key = if_match(), idempotency_key()
    keyed = replace(command, key=key) if key else command
    receipt = trustpath().execute(eid, actor(), keyed, expected, guard=visible)
    return receipt_out(receipt)


def receipt_out(receipt: Receipt) -> tuple[dict[str, Any], dict[str, str]]:
    headers = {"ETag": f'"{receipt.version}"'}
    if receipt.replayed:
        headers["Idempotent-Replayed"] = "true"
    body = {
        "engagement_id": receipt.engagement_id,
        "position": receipt.position,
        "version": receipt.version,
        "item_id": receipt.item_id,
    }
    return body, headers


def idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_KEY_LENGTH:
        raise Problem(
            422,
            "Unprocessable Content",
            "Idempotency-Key is too long",
            errors={"headers": {"Idempotency-Key": [f"at most {MAX_KEY_LENGTH} characters"]}},
        )
    return key


MAX_VERSION_DIGITS = 18
"""An ETag is the engagement's version: at most 18 ASCII digits (fits a signed 64-bit int)."""
VERSION_TAG = re.compile(rf'(?:W/)?"?([0-9]{{1,{MAX_VERSION_DIGITS}}})"?')


def if_match() -> int | None:
    """The version the client expects, from If-Match; None when absent or `*`.

    A tag that is no version this API gives out ("²", 5,000 digits, "abc") can never match:
    412 at once, without reading it as a number (`str.isdigit` accepts "²").
    """
    raw = request.headers.get("If-Match", "").strip()
    if not raw or raw == "*":
        return None
    found = VERSION_TAG.fullmatch(raw.split(",")[0].strip())
    if found is None:
        raise Problem(
            412,
            "Precondition Failed",
            "If-Match holds no version of this engagement: send back the ETag of "
            'GET /engagements/{eid}, e.g. "7"',
            type_="/problems/VersionMismatchError",
        )
    return int(found.group(1))
