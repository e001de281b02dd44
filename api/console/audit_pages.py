# mypy: disable-error-code="untyped-decorator"
"""The auditor's page: checkpoints, the confidentiality report, who read what, each entry
verified in the auditor's own browser.

    GET /console/audit                      the page (a shell: the entries come as JSON)
    GET /console/audit/entries.json         ?engagement&cursor&limit&tree_size: one page of
                                            the access log (or of one engagement's
                                            confidentiality report), each entry with its
                                            stored event and inclusion proof, and the
                                            signed checkpoint the proofs are against
    GET /console/audit/checkpoints.json     ?cursor&limit: signed checkpoints, newest last

The server proves, the browser checks: `audit.js` hashes each entry's stored event itself,
walks its audit path to a root and compares it with the checkpoint whose Ed25519 signature
it verified against the key the auditor pinned (`verify.js`). The data is what the API's
auditor routes answer, from the same functions (`api.resources.audit`): metadata only,
never content. Who may come is the matrix's `ledger` (auditors); others get a 403 page.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify, render_template, request
from marshmallow import Schema, ValidationError, fields, validate

from api import pages, read_models
from api.console.blueprint import blueprint
from api.console.security import refusal
from api.console.sessions import signed_in
from api.context import actor, trustpath
from api.pages import MAX_POSITION, Cursor
from api.problems import Problem
from api.resources import audit as audit_api
from domain.access import Parties, Resource, ResourceKind, decide
from domain.errors import EngagementNotFoundError
from projections.ledger.audit_log import Where
from projections.ledger.reports import summary
from projections.ledger.store import LedgerNotReadyError, LedgerStore

PAGE = 25


class EntriesQuery(Schema):
    engagement = fields.UUID(metadata={"description": "one engagement's report"})
    cursor = Cursor()
    limit = fields.Integer(load_default=PAGE, validate=validate.Range(1, 100))
    tree_size = fields.Integer(validate=validate.Range(1, MAX_POSITION))


class CheckpointsQuery(Schema):
    cursor = Cursor()
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))


def _parties(eid: UUID | None) -> Parties:
    """An engagement's parties, as the API's confidentiality route decides on them (an
    unknown engagement is EngagementNotFoundError: a 404)."""
    if eid is None:
        return Parties()
    return trustpath().parties(trustpath().engagement(eid))


def _allowed(eid: UUID | None) -> bool:
    return decide(actor(), _parties(eid), Resource(ResourceKind.LEDGER)).allowed


def _query(schema: Schema) -> dict[str, Any]:
    """The query string, validated: a 422 naming the field, never a 500."""
    try:
        loaded: dict[str, Any] = schema.load(request.args)
    except ValidationError as error:
        raise Problem(
            422,
            "Unprocessable Content",
            "the query string is not valid: " + ", ".join(sorted(map(str, error.messages))),
            errors={"query": error.messages},
        ) from None
    return loaded


def _json(body: dict[str, Any]) -> Response:
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/audit")
@signed_in
def audit() -> Any:
    """The page: who read what, verified here; an engagement's report with ?engagement=."""
    if not _allowed(None):
        return refusal(403, "Not allowed", "The audit page is for auditors (the ledger's rule).")
    given = request.args.get("engagement")
    try:
        eid = UUID(given) if given else None
        _parties(eid)
    except ValueError:
        return refusal(422, "Not an engagement", "The engagement must be an engagement id.")
    except EngagementNotFoundError:
        return refusal(404, "No such engagement", "No engagement has this id.")
    report = summary(audit_api._url(), eid) if eid is not None else None
    return render_template("console/audit.html", engagement=eid, report=report)


@blueprint.get("/audit/entries.json")
@signed_in
def audit_entries() -> Response:
    """One page of entries with their stored events, proofs and the signed checkpoint."""
    audit_api._require_ledger(Resource(ResourceKind.LEDGER))
    q = _query(EntriesQuery())
    eid: UUID | None = q.get("engagement")
    audit_api._require_ledger(Resource(ResourceKind.LEDGER), _parties(eid))
    where = Where(engagement_id=str(eid)) if eid is not None else Where()
    body = audit_api._page(where, q.get("cursor"), q["limit"], True, q.get("tree_size"))
    return _json({"engagement_id": None if eid is None else str(eid), **body})


@blueprint.get("/audit/checkpoints.json")
@signed_in
def audit_checkpoints() -> Response:
    """Signed checkpoints in signing order, each with its signed note."""
    audit_api._require_ledger(Resource(ResourceKind.LEDGER))
    q = _query(CheckpointsQuery())
    store = LedgerStore(read_models.read_side().engine)
    try:
        found, next_id = store.checkpoint_page(q.get("cursor") or 0, q["limit"], 0, None)
    except LedgerNotReadyError as error:
        raise Problem(503, "Service Unavailable", str(error)) from None
    return _json(
        {
            "items": [c.as_json() for c in found],
            "next_cursor": None if next_id is None else pages.encode(next_id),
        }
    )
