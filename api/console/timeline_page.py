"""The trust timeline as a picture, and its replay.

    GET /console/engagements/<eid>/timeline[?step=N]

For coaches and protagonists allowed the relationship space (as the API's timeline route):
an SVG drawn on the server (one panel per protagonist toward the other, one line per
challenge, milestones marked), a table with the same scores for screen readers, and the
status and commitment ledger. The scrubber is a GET form (it works without script); with
`replay.js` it and the play button redraw the chart, the status and the ledger through
`replay.json` (api.console.replay) without reloading the page.
"""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from api.console.blueprint import blueprint
from api.console.chart import CHALLENGES, frame
from api.console.page_kit import guarded_reading, page, problem_page
from api.console.sessions import signed_in


@blueprint.route("/engagements/<string:eid>/timeline", methods=["GET"])
@signed_in
def timeline(eid: str) -> Response:
    """The chart, its table and the replay controls, as of now or of step N."""
    raw = request.args.get("step")
    step = None
    if raw is not None:
        if not (raw.isascii() and raw.isdigit() and 0 < len(raw) <= 18 and int(raw) > 0):
            return problem_page(400, "No such moment", "The step must be a whole number from 1.")
        step = int(raw)
    found = guarded_reading(eid, step=step)
    if isinstance(found, Response):
        return found
    if found.assessments is None:
        return problem_page(
            403, "Not for your role", "The trust timeline is for the coaches and protagonists."
        )
    return page("timeline.html", r=found, frame=frame(), challenges=CHALLENGES)
