# mypy: disable-error-code="untyped-decorator"
"""Health: live (the process answers) and ready (the store answers, projections keep up).

GET /health/live    200 always
GET /health/ready   200 when the event store answers and every projection is within
                    PROJECTION_LAG_LIMIT positions of the log; 503 otherwise

A projection stuck on an event it cannot apply is named in `failing_projections` (name,
position, short reason; never content) and the status is `degraded`, still 200: commands
and the other views work, so taking the instance out of rotation would not help. Once the
stuck projection falls PROJECTION_LAG_LIMIT behind, ready answers 503 (naming it too).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.context import trustpath
from api.problems import Problem

blp = Blueprint("health", "health", url_prefix="/health", description=__doc__)


class HealthOut(Schema):
    status = fields.String(required=True)
    position = fields.Integer()
    projections_reached = fields.Integer(allow_none=True)
    failing_projections = fields.List(
        fields.Dict(),
        metadata={"description": "projections stuck on an event: projection, position, error"},
    )


@blp.route("/live", methods=["GET"])
@blp.response(200, HealthOut)
@blp.doc(security=[])
def live() -> Any:
    """The process answers."""
    return {"status": "live"}


@blp.route("/ready", methods=["GET"])
@blp.response(200, HealthOut)
@blp.doc(security=[])
def ready() -> Any:
    """The store answers and the projections are within their lag limit."""
    try:
        position = int(trustpath().recorder.max_notification_id() or 0)
    except Exception:
        raise Problem(503, "Service Unavailable", "the event store does not answer") from None
    read_side = current_app.extensions["trustpath.read_side"]
    if read_side is None:
        return {"status": "ready", "position": position, "projections_reached": None}
    reached, failing = _reached(read_side)
    if position - reached > current_app.config["PROJECTION_LAG_LIMIT"]:
        raise Problem(
            503,
            "Service Unavailable",
            f"projections at {reached} of {position}",
            failing_projections=failing,
        )
    return {
        "status": "degraded" if failing else "ready",
        "position": position,
        "projections_reached": reached,
        "failing_projections": failing,
    }


def _reached(read_side: Any) -> tuple[int, list[dict[str, Any]]]:
    """The position every projection reached, and those stuck on an event."""
    try:
        return int(read_side.reached()), [f.as_dict() for f in read_side.failures()]
    except Exception:
        raise Problem(503, "Service Unavailable", "the read side does not answer") from None
