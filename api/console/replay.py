"""One replay step as JSON: what the timeline page redraws when the scrubber moves.

    GET /console/engagements/<eid>/replay.json?step=N | ?position=P

`step` is the engagement's N-th event (1..steps), `position` a log position; the answer is
the engagement as of then, filtered for the signed-in person exactly as the page is
(`api.console.views_data.reading`): the chart's panels, the status, the commitment ledger,
and the same three fragments of HTML the page shows (rendered by the page's own partials,
so a replayed moment looks exactly like the page would). Never cached by the browser.
Bad input is a problem+json 4xx naming the parameter.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template, request
from werkzeug.wrappers import Response

from api.console.blueprint import blueprint
from api.console.chart import frame
from api.console.page_kit import engagement_id, reader
from api.console.sessions import signed_in
from api.console.views_data import NotVisibleError, Reading, reading
from domain.errors import EngagementNotFoundError

MAX_INT = 2**63 - 1


def problem(status: int, title: str, detail: str, parameter: str = "") -> Response:
    body: dict[str, Any] = {"status": status, "title": title, "detail": detail}
    if parameter:
        body["errors"] = {"query": {parameter: [detail]}}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers["Cache-Control"] = "no-store"
    return response


def moment() -> dict[str, int | None] | Response:
    """The `step` or `position` asked for, or a 400 naming the parameter."""
    found: dict[str, int | None] = {}
    for name in ("step", "position"):
        raw = request.args.get(name)
        if raw is None:
            continue
        if not (raw.isascii() and raw.isdigit() and 0 < len(raw) <= 18 and int(raw) > 0):
            return problem(400, "Bad Request", f"{name} must be a whole number from 1", name)
        found[name] = int(raw)
    if len(found) > 1:
        return problem(400, "Bad Request", "give either step or position, not both", "position")
    return found


def step_body(found: Reading) -> dict[str, Any]:
    """The JSON of one step: data and the page's fragments for it."""
    context = {"r": found, "frame": frame()}
    return {
        "engagement_id": str(found.engagement_id),
        "position": found.position,
        "step": found.step,
        "steps": found.steps,
        "status": found.status,
        "ledger": found.ledger,
        "panels": found.panels,
        "html": {
            "status": render_template("console/_status.html", **context),
            "ledger": render_template("console/_ledger.html", **context),
            "chart": render_template("console/_chart.html", **context),
        },
    }


@blueprint.route("/engagements/<string:eid>/replay.json", methods=["GET"])
@signed_in
def replay_step(eid: str) -> Response:
    """The engagement as of one step of its history, for the replay scrubber."""
    from api.context import trustpath
    from projections.asof import EngagementUnknownError
    from projections.errors import PositionBeyondLogError

    asked = moment()
    if isinstance(asked, Response):
        return asked
    parsed = engagement_id(eid)
    if parsed is None:
        return problem(404, "Not Found", "no engagement you may see has that id")
    try:
        found = reading(trustpath(), parsed, reader(), asked.get("position"), asked.get("step"))
    except (EngagementNotFoundError, NotVisibleError):
        return problem(404, "Not Found", "no engagement you may see has that id")
    except PositionBeyondLogError as error:
        return problem(422, "Unprocessable Content", str(error), "position")
    except EngagementUnknownError:
        return problem(
            422, "Unprocessable Content", "the engagement had not opened then", "position"
        )
    response = jsonify(step_body(found))
    response.headers["Cache-Control"] = "no-store"
    return response
