"""The console's pages about engagements, for coaches, protagonists, sponsors and admins.

    GET /console/engagements?q=                    those the person may see, searchable
    GET /console/engagements/<eid>                 status, the path through the challenges,
                                                   the commitment ledger
    GET /console/engagements/<eid>/timeline        the trust timeline and its replay
                                                   (api.console.timeline_page, replay)
    GET|POST /console/engagements/<eid>/notes      notes and intentions (api.console.notes)
    GET /console/engagements/<eid>/who-read        who read my file (api.console.notes)

Every page acts as the signed-in person's principal (`g.principal`) through the same matrix
(`decide`) and the same reads as the API (`api.console.views_data`): a page never shows
what that person's bearer token would not get.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import request
from werkzeug.wrappers import Response

from api import read_models
from api.console.blueprint import blueprint
from api.console.page_kit import app_of, guarded_reading, page, reader
from api.console.sessions import signed_in
from api.console.views_data import (
    Reading,
    allowed,
    sees_timeline,
    visible_engagement,
)
from domain.access import ResourceKind

MAX_QUERY = 200
"""A search longer than this is refused in words (a title is far shorter)."""
LISTED = 200
"""Engagements read for one list page (the rest: refine the search)."""
PATH = ("presence", "confrontation", "commitment", "responsibility", "recognition")


@blueprint.route("/engagements", methods=["GET"])
@signed_in
def engagements() -> Response:
    """The engagements the person may see, with phase, next step, minimums, overdue."""
    q = request.args.get("q", "")
    if len(q) > MAX_QUERY or "\x00" in q:
        error = f"Search for at most {MAX_QUERY} printable characters."
        return page("engagements.html", 400, rows=[], q="", error=error)
    rows = [_row(s) for s in _visible() if _matches(s, q.strip().casefold())]
    return page("engagements.html", rows=rows, q=q, error="")


def _visible() -> list[dict[str, Any]]:
    found, _ = read_models.visible_engagements(reader(), None, LISTED)
    return found


def _matches(summary: dict[str, Any], q: str) -> bool:
    if not q:
        return True
    words = (summary.get(k) or "" for k in ("title", "organisation", "phase", "engagement_id"))
    return any(q in str(w).casefold() for w in words)


def _row(summary: dict[str, Any]) -> dict[str, Any]:
    """One list row: the summary, plus the status and ledger items the person may see."""
    from projections.commitment_ledger import get_ledger
    from projections.status import get_status

    eid = UUID(summary["engagement_id"])
    app = app_of()
    _, parties = visible_engagement(app, eid, reader())
    row = dict(summary)
    if allowed(reader(), parties, ResourceKind.ENGAGEMENT_RECORD):
        status = get_status(read_models.read_side(), eid) or {}
        row["next_step"] = status.get("next_step")
        row["minimums_met"] = status.get("minimums_met")
    if allowed(reader(), parties, ResourceKind.RELATIONSHIP_SPACE):
        ledger = get_ledger(read_models.read_side(), eid)
        row["overdue"] = sum(1 for c in ledger["commitments"] if c.get("overdue"))
    return row


@blueprint.route("/engagements/<string:eid>", methods=["GET"])
@signed_in
def engagement(eid: str) -> Response:
    """Status, the path through the five challenges, and the commitment ledger."""
    found = guarded_reading(eid, chart=False)
    if isinstance(found, Response):
        return found
    return page("engagement.html", r=found, path=challenge_path(found.status), **_links(found))


def _links(found: Reading) -> dict[str, Any]:
    """Which other pages of this engagement the person may open (the matrix decides)."""
    app, who = app_of(), reader()
    _, parties = visible_engagement(app, found.engagement_id, who)
    return {
        "timeline_link": sees_timeline(who, parties),
        "notes_link": who.role in ("coach", "protagonist")
        and any(
            allowed(who, parties, ResourceKind.INDIVIDUAL_CONTENT, p) for p in parties.coach_of
        ),
        "who_read_link": who.role == "protagonist"
        and allowed(who, parties, ResourceKind.ACCESS_LOG, who.id),
    }


def challenge_path(status: dict[str, Any]) -> list[dict[str, Any]]:
    """The five challenges in order, each done, current or ahead; the current one says what
    the gate waits for (the status's next step)."""
    if "policy" not in status:
        return []  # a reader without the engagement record sees no path
    per = status.get("relationship_sessions_per_challenge") or {}
    gate_open = bool(status.get("gate_open"))
    current = status.get("next_challenge") if gate_open else "presence"
    steps = []
    for name in PATH:
        done = gate_open if name == "presence" else bool(per.get(name))
        state = "current" if name == current else ("done" if done else "ahead")
        waits = status.get("next_step", "") if state == "current" else ""
        steps.append({"name": name, "state": state, "sessions": per.get(name, 0), "waits": waits})
    return steps
