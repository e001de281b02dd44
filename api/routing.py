"""Declaring a command route in one line: path, domain command, `<Thing>In` schema.

    command_route(blp, "/<uuid:eid>/pause", PauseEngagement, PauseIn)

registers `POST`, documents `Idempotency-Key` and `If-Match`, validates the body with the
schema (422 with field errors), which loads it, with the path's parameters (`pid` →
`protagonist_id`, `sid` → `session_id`, `cid` → `commitment_id`), straight into the
command's dataclass, runs it with `execute` and answers with the `ReceiptOut`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask_smorest import Blueprint

from api.context import COMMAND_PARAMETERS, CommandIn, ReceiptOut, execute
from domain.commands import EngagementCommand


def command_route(
    blp: Blueprint,
    rule: str,
    command: type[EngagementCommand],
    schema: type[CommandIn],
    *,
    status: int = 200,
    summary: str = "",
) -> None:
    """Register `POST rule` running `command`, its body loaded by `schema`."""

    def view(loaded: EngagementCommand, eid: UUID, **_path: str) -> Any:
        return execute(eid, loaded)

    # the endpoint keeps the command's label: OpenAPI documents and links stay the same
    view.__name__ = command.label
    view.__doc__ = summary or command.label.replace("_", " ").capitalize()
    decorated = blp.response(status, ReceiptOut)(view)
    decorated = blp.arguments(schema(command))(decorated)  # one instance, not one per request
    decorated = blp.doc(parameters=COMMAND_PARAMETERS)(decorated)
    blp.route(rule, methods=["POST"], endpoint=command.label)(decorated)


def blueprint(name: str, description: str) -> Blueprint:
    """A resource's blueprint under /engagements."""
    return Blueprint(name, name, url_prefix="/engagements", description=description)
