"""What every view needs: the application, the caller, the matrix, and running a command.

A command route is three lines: its `<Thing>In` schema validated the body, then
`command(name, eid, data)` checks the caller may see the engagement at all (the matrix's
`status`), honours `If-Match` and `Idempotency-Key`, calls the domain (which enforces who
may *do* what) and returns the receipt: the position reached, for read-your-writes. The
visibility check runs before the key is looked up, so a stranger re-using someone's key
gets 403 and learns nothing about it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app, request
from marshmallow import Schema, fields

from api.auth import principal
from api.problems import Problem
from domain.access import Decision, Resource, ResourceKind, decide
from domain.application import Receipt
from domain.engagement import Engagement
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


class CommandIn(Schema):
    """What every command carries: when it happened, by the client's clock."""

    occurred_at = fields.AwareDateTime(
        required=True, metadata={"description": "when it happened (ISO 8601, with time zone)"}
    )


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


def command(name: str, eid: UUID, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Run one domain command for the caller; the receipt and its headers.

    The caller must be allowed to see the engagement (the matrix's `status`); that is
    checked on the engagement the command itself loads, so it costs no extra load, and
    before the idempotency key is compared with the engagement's history.
    """
    args = dict(data)
    at = args.pop("occurred_at")
    app = trustpath()

    def visible(engagement: Engagement) -> None:
        require(eid, ResourceKind.STATUS, engagement=engagement)

    with app.expecting(if_match(), visible):
        receipt = getattr(app, name)(eid, actor(), at, key=idempotency_key(), **args)
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


def if_match() -> int | None:
    """The version the client expects, from If-Match; None when absent or `*`."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw or raw == "*":
        return None
    tag = raw.split(",")[0].strip().removeprefix("W/").strip('"')
    return int(tag) if tag.isdigit() else -1
