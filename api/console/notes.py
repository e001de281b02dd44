"""Confidential content and who read it, for a protagonist and their own coach.

    GET  /console/engagements/<eid>/notes    the items the person may read, each behind a
                                             purpose (nothing confidential is on this page)
    POST /console/engagements/<eid>/notes    item + purpose (+ CSRF): `Trustpath.read_content`
                                             authorises, records exactly one access, then
                                             decrypts; the page says where it was recorded
    GET  /console/engagements/<eid>/who-read who read my file (a protagonist: their own),
                                             the same entries as the API's access-log route

The purpose is validated as the API's (`domain.audit.require_purpose`) and an error is
shown next to the purpose field. The content is never cached (`no-store`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import request
from werkzeug.wrappers import Response

from api.auth import spend_refusal
from api.console.blueprint import blueprint
from api.console.page_kit import engagement_id, not_found, page, problem_page, reader
from api.console.sessions import signed_in
from api.console.views_data import NotVisibleError, allowed, visible_engagement
from domain.access import Parties, ResourceKind
from domain.audit import MAX_PURPOSE, require_purpose
from domain.engagement import Engagement
from domain.errors import ActionNotAllowedError, EngagementNotFoundError, InvalidValueError

MAX_ITEM = 300
"""A field name is far shorter; a longer one is no item of this engagement."""


def _app() -> Any:
    from api.context import trustpath

    return trustpath()


def readable(engagement: Engagement, parties: Parties) -> list[dict[str, str]]:
    """The confidential items the person may read (the matrix's individual content of their
    own file, or of a protagonist they coach): field, label, whose."""
    who = reader()
    items = []
    for field, (pid, version) in sorted(engagement.content_index.items()):
        if not allowed(who, parties, ResourceKind.INDIVIDUAL_CONTENT, pid):
            continue
        name = engagement.protagonists.get(pid, {}).get("name", "a protagonist")
        if field.startswith("intention/"):
            label = f"{name}'s intention, version {version}"
        else:
            label = f"{name}'s notes of individual session {field.split('/')[1][:8]}"
        items.append({"field": field, "label": label})
    return items


def _loaded(text: str) -> tuple[UUID, Engagement, Parties] | Response:
    eid = engagement_id(text)
    if eid is None:
        return not_found()
    try:
        engagement, parties = visible_engagement(_app(), eid, reader())
    except (EngagementNotFoundError, NotVisibleError):
        return not_found()
    return eid, engagement, parties


@blueprint.route("/engagements/<string:eid>/notes", methods=["GET", "POST"])
@signed_in
def notes(eid: str) -> Response:
    """The readable items; on POST, the one asked for, read with a purpose and recorded."""
    loaded = _loaded(eid)
    if isinstance(loaded, Response):
        return loaded
    parsed, engagement, parties = loaded
    items = readable(engagement, parties)
    if not items and reader().role not in ("coach", "protagonist"):
        return problem_page(
            403, "Not for your role", "Notes are for a protagonist and their coach."
        )
    context: dict[str, Any] = {"eid": parsed, "items": items, "max_purpose": MAX_PURPOSE}
    if request.method == "GET":
        return _no_store(page("notes.html", **context))
    return _no_store(_read(parsed, engagement, items, context))


def _read(
    eid: UUID, engagement: Engagement, items: list[dict[str, str]], context: dict[str, Any]
) -> Response:
    field = request.form.get("item", "")[:MAX_ITEM]
    purpose = request.form.get("purpose", "")
    context |= {"asked": field, "purpose": purpose[:MAX_PURPOSE]}
    if field not in {i["field"] for i in items}:
        return page("notes.html", 404, error_item="That is no item you may read here.", **context)
    try:
        purpose = require_purpose(purpose)
    except InvalidValueError as error:
        message = "Say why you read this." if not purpose.strip() else f"The {error}."
        return page("notes.html", 422, error_purpose=message, **context)
    try:
        content = _app().read_content(eid, reader(), field, purpose, engagement)
    except ActionNotAllowedError:
        spend_refusal()
        return page("notes.html", 403, error_item="You may not read this item.", **context)
    return page("notes.html", content=content, label=_label(items, field), **context)


def _label(items: list[dict[str, str]], field: str) -> str:
    return next(i["label"] for i in items if i["field"] == field)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/engagements/<string:eid>/who-read", methods=["GET"])
@signed_in
def who_read(eid: str) -> Response:
    """Who read my file: every recorded read of the protagonist's content, and refusals."""
    from api.resources.audit import _page  # the function the API's access-log route uses
    from projections.ledger.audit_log import Where
    from projections.ledger.reports import READS_AND_REFUSALS

    loaded = _loaded(eid)
    if isinstance(loaded, Response):
        return loaded
    parsed, _, parties = loaded
    who = reader()
    if who.role != "protagonist" or not allowed(who, parties, ResourceKind.ACCESS_LOG, who.id):
        return problem_page(403, "Not for your role", "This page shows a protagonist their file.")
    where = Where(engagement_id=str(parsed), protagonist_id=who.id, kinds=READS_AND_REFUSALS)
    entries = _page(where, None, 200, proofs=False)["items"]  # the API's own-access-log read
    return _no_store(page("who_read.html", eid=parsed, entries=entries))
