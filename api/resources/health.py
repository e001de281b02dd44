# mypy: disable-error-code="untyped-decorator"
"""Health, for load balancers: both answer within a second, whatever the database does.

GET /health/live    200 always: the process answers (restart it if not)
GET /health/ready   200 when the event store answers and can write: keep it in rotation.
                    "status": "ready", or "degraded" when the projections are more than
                    PROJECTION_LAG_LIMIT positions behind (the follower is down or slow):
                    commands still work, views with ?min_position= may answer 503.
                    503 problem+json with Retry-After when the store cannot be reached, is
                    read-only (a standby, recovery), or does not answer within
                    READY_TIMEOUT_S: take it out of rotation.

The check runs on a helper thread, one at a time per process: a probe that hangs on a dead
database is answered 503 at READY_TIMEOUT_S, and the next probes wait for the same check
instead of piling up threads.

A projection stuck on an event it cannot apply is named in `failing_projections` (name,
position, short reason; never content) and the status is `degraded`, still 200: commands
and the other views work, so taking the instance out of rotation would not help.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder
from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.context import trustpath
from api.problems import RETRY_AFTER_S, Problem

blp = Blueprint("health", "health", url_prefix="/health", description=__doc__)
READY_TIMEOUT_S = 0.8
NOT_READY = "The store cannot be reached or cannot write; this server cannot serve commands."


class HealthOut(Schema):
    status = fields.String(required=True, metadata={"description": "live, ready or degraded"})
    position = fields.Integer()
    projections_reached = fields.Integer(allow_none=True)
    lag = fields.Integer(allow_none=True, metadata={"description": "positions behind the log"})
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
    """The store answers and can write (degraded when the projections lag)."""
    check = current_app.extensions.get("trustpath.readiness")
    if check is None:
        app, read_side = trustpath(), current_app.extensions["trustpath.read_side"]
        limit = current_app.config["PROJECTION_LAG_LIMIT"]
        check = OneAtATime(lambda: readiness(app, read_side, limit))
        current_app.extensions["trustpath.readiness"] = check
    try:
        return check(READY_TIMEOUT_S)
    except FutureTimeout:
        detail = f"the store did not answer within {READY_TIMEOUT_S:g} s"
    except Exception as error:
        detail = f"the store does not answer or cannot write ({type(error).__name__})"
    raise Problem(
        503, NOT_READY, detail, type_="/problems/NotReady", headers={"Retry-After": RETRY_AFTER_S}
    )


class ReadOnlyStoreError(Exception):
    """The store answers but cannot write (a standby, or in recovery)."""


def readiness(app: Any, read_side: Any, lag_limit: int) -> dict[str, Any]:
    """What /health/ready answers; raises when the store cannot be reached or written."""
    position = int(app.recorder.max_notification_id() or 0)
    _check_writable(app)
    if read_side is None:
        return {
            "status": "ready",
            "position": position,
            "projections_reached": None,
            "lag": None,
            "failing_projections": [],
        }
    reached = int(read_side.reached())
    failing = [f.as_dict() for f in read_side.failures()]
    lag = max(position - reached, 0)
    status = "degraded" if lag > lag_limit or failing else "ready"
    return {
        "status": status,
        "position": position,
        "projections_reached": reached,
        "lag": lag,
        "failing_projections": failing,
    }


def _check_writable(app: Any) -> None:
    if not isinstance(app.recorder, PostgresApplicationRecorder):
        return  # SQLite: a full or read-only file shows as 503 on the commands themselves
    with app.recorder.datastore.transaction(commit=False) as curs:
        curs.execute(
            "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on' AS ro"
        )
        row: Any = curs.fetchone()
        if row["ro"]:
            raise ReadOnlyStoreError("the store is read-only")


class OneAtATime:
    """Run `check` on a helper thread, one run at a time; callers wait at most `timeout`."""

    def __init__(self, check: Callable[[], dict[str, Any]]) -> None:
        self.check = check
        self._lock = threading.Lock()
        self._running: Future[dict[str, Any]] | None = None

    def __call__(self, timeout: float) -> dict[str, Any]:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = Future()
                threading.Thread(target=self._run, args=(self._running,), daemon=True).start()
            running = self._running
        return running.result(timeout)

    def _run(self, future: Future[dict[str, Any]]) -> None:
        try:
            future.set_result(self.check())
        except Exception as error:
            future.set_exception(error)
