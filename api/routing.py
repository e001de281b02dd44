"""Declaring a command route in one line: path, domain method, `<Thing>In` schema.

    command_route(blp, "/<uuid:eid>/pause", "pause", PauseIn)

registers `POST`, documents `Idempotency-Key` and `If-Match`, validates the body with the
schema (422 with field errors), maps path parameters onto the command's arguments
(`pid` → `protagonist_id`, `sid` → `session_id`, `cid` → `commitment_id`) and answers
with the `ReceiptOut`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask_smorest import Blueprint
from marshmallow import Schema

from api.context import COMMAND_PARAMETERS, ReceiptOut, command

PATH_ARGUMENTS = {"pid": "protagonist_id", "sid": "session_id", "cid": "commitment_id"}


def command_route(
    blp: Blueprint,
    rule: str,
    method_name: str,
    schema: type[Schema],
    *,
    status: int = 200,
    summary: str = "",
) -> None:
    """Register `POST rule` running the domain command `method_name`."""

    def view(data: dict[str, Any], eid: UUID, **path: str) -> Any:
        args = {**data, **{PATH_ARGUMENTS[k]: v for k, v in path.items()}}
        return command(method_name, eid, args)

    view.__name__ = method_name
    view.__doc__ = summary or method_name.replace("_", " ").capitalize()
    decorated = blp.response(status, ReceiptOut)(view)
    decorated = blp.arguments(schema())(decorated)  # one instance, not one per request
    decorated = blp.doc(parameters=COMMAND_PARAMETERS)(decorated)
    blp.route(rule, methods=["POST"], endpoint=method_name)(decorated)


def blueprint(name: str, description: str) -> Blueprint:
    """A resource's blueprint under /engagements."""
    return Blueprint(name, name, url_prefix="/engagements", description=description)
