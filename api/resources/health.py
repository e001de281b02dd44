# mypy: disable-error-code="untyped-decorator"
"""Health: live (the process answers) and ready (the store answers, projections keep up).

GET /health/live    200 always
GET /health/ready   200 when the event store answers and every projection is within
                    PROJECTION_LAG_LIMIT positions of the log; 503 otherwise
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
    reached = _reached(read_side)
    if position - reached > current_app.config["PROJECTION_LAG_LIMIT"]:
        raise Problem(503, "Service Unavailable", f"projections at {reached} of {position}")
    return {"status": "ready", "position": position, "projections_reached": reached}


def _reached(read_side: Any) -> int:
    try:
        return int(read_side.reached())
    except Exception:
        raise Problem(503, "Service Unavailable", "the read side does not answer") from None
