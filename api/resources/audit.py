# mypy: disable-error-code="untyped-decorator"
"""The access log over HTTP: auditors' reports, and a protagonist's "who read my file".

    GET /audit/engagements/{eid}/confidentiality    auditor   verdict + entries (cursor)
    GET /audit/protagonists/{pid}/reads             auditor   who read P's file, who was refused
    GET /audit/access-log?since&until&principal&engagement&kind     auditor   the whole practice
    (the auditor's routes take ?tree_size=N: proofs against that signed checkpoint)
    GET /engagements/{eid}/protagonists/{pid}/access-log     P (own), auditor

Who may see it is `domain.access.decide`, as everywhere: the ledger (`ResourceKind.LEDGER`)
for the auditor's routes, the access log of P (`ACCESS_LOG`) for the last one, where a
protagonist sees the entries about their own file without proofs (the ledger is the
auditor's) and an auditor sees them with proofs. Entries are computed by the same code as
`trustpath audit ...` (`projections.ledger.audit_log`, `reports`), carry metadata only,
and each one its stored event and inclusion proof against the page's signed checkpoint
(`proof: null, pending: true` until a checkpoint covers it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from flask import current_app
from flask_smorest import Blueprint

from api import pages, read_models
from api.context import actor, decision, require, trustpath
from api.pages import PageQuery
from api.principals import database_url_of
from api.problems import Problem
from api.resources.audit_schemas import (
    AccessLogQuery,
    ConfidentialityOut,
    EntryPageOut,
    ProvedPageQuery,
    WhoReadOut,
)
from domain.access import Parties, Resource, ResourceKind, decide
from projections.ledger.audit_log import Where, page
from projections.ledger.checkpoints import Checkpoint
from projections.ledger.reports import READS_AND_REFUSALS, summary
from projections.ledger.store import LedgerNotReadyError, LedgerStore

blp = Blueprint("audit", "audit", url_prefix="/audit", description=__doc__)
own = Blueprint("access-log", "access-log", url_prefix="/engagements", description=__doc__)


@blp.route("/engagements/<uuid:eid>/confidentiality", methods=["GET"])
@blp.arguments(ProvedPageQuery(), location="query", as_kwargs=True)
@blp.response(200, ConfidentialityOut)
def confidentiality(
    eid: UUID, limit: int, cursor: int | None = None, tree_size: int | None = None
) -> Any:
    """An engagement's confidentiality report: accesses, refusals, erasures, disclosures,
    reads outside the matrix; `summary` covers every entry, `items` one page of them."""
    _require_ledger(Resource(ResourceKind.LEDGER), trustpath().parties(trustpath().engagement(eid)))
    body = _page(Where(engagement_id=str(eid)), cursor, limit, proofs=True, tree_size=tree_size)
    return {"engagement_id": str(eid), "summary": summary(_url(), eid), **body}


@blp.route("/protagonists/<string:pid>/reads", methods=["GET"])
@blp.arguments(ProvedPageQuery(), location="query", as_kwargs=True)
@blp.response(200, WhoReadOut)
def who_read(pid: str, limit: int, cursor: int | None = None, tree_size: int | None = None) -> Any:
    """Who read protagonist P's individual content, and who was refused, with proofs."""
    _require_ledger(Resource(ResourceKind.LEDGER))
    where = Where(protagonist_id=_id(pid), kinds=READS_AND_REFUSALS)
    return {"protagonist_id": pid, **_page(where, cursor, limit, True, tree_size)}


@blp.route("/access-log", methods=["GET"])
@blp.arguments(AccessLogQuery(), location="query", as_kwargs=True)
@blp.response(200, EntryPageOut)
def access_log(
    limit: int,
    cursor: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    principal: str | None = None,
    engagement: UUID | None = None,
    kind: str | None = None,
    tree_size: int | None = None,
) -> Any:
    """Every access, refusal, erasure and disclosure of the practice, oldest first."""
    _require_ledger(Resource(ResourceKind.LEDGER))
    where = Where(
        engagement_id=str(engagement) if engagement else None,
        principal_id=principal,
        since=since,
        until=until,
        kinds=frozenset({kind}) if kind else None,
    )
    return _page(where, cursor, limit, proofs=True, tree_size=tree_size)


@own.route("/<uuid:eid>/protagonists/<string:pid>/access-log", methods=["GET"])
@own.arguments(PageQuery(), location="query", as_kwargs=True)
@own.response(200, WhoReadOut)
def own_access_log(eid: UUID, pid: str, limit: int, cursor: int | None = None) -> Any:
    """Who read P's file: when, in which role, with what purpose, under which rule (and who
    was refused). P sees their own; an auditor sees anyone's, with proofs."""
    engagement = trustpath().engagement(eid)
    require(eid, ResourceKind.ACCESS_LOG, pid, engagement)  # first: a 404 would tell outsiders
    engagement.protagonist(pid)
    proofs = decision(eid, ResourceKind.LEDGER, engagement=engagement).allowed
    where = Where(engagement_id=str(eid), protagonist_id=pid, kinds=READS_AND_REFUSALS)
    return {"protagonist_id": pid, **_page(where, cursor, limit, proofs=proofs)}


def _require_ledger(resource: Resource, parties: Parties | None = None) -> None:
    verdict = decide(actor(), parties or Parties(), resource)
    if not verdict.allowed:
        raise Problem(
            403,
            "Forbidden",
            f"not allowed ({verdict.rule})",
            type_="/problems/ActionNotAllowedError",
        )


def _page(
    where: Where, cursor: int | None, limit: int, proofs: bool, tree_size: int | None = None
) -> dict[str, Any]:
    after = _after(cursor)
    store = LedgerStore(read_models.read_side().engine) if proofs else None
    try:
        against = _signed(store, tree_size) if store is not None and tree_size else None
        found = page(_url(), store, where, after, limit, against)
    except LedgerNotReadyError as error:
        raise Problem(
            503, "Service Unavailable", str(error), headers={"Retry-After": "5"}
        ) from None
    body: dict[str, Any] = {
        "items": found.entries,
        "next_cursor": None if found.next_after is None else pages.encode(found.next_after),
    }
    if proofs:
        body["checkpoint"] = None if found.checkpoint is None else found.checkpoint.as_json()
    return body


def _signed(store: LedgerStore, tree_size: int) -> Checkpoint:
    found = store.signed_checkpoint(tree_size)
    if found is None:
        raise Problem(
            422,
            "Unprocessable Content",
            f"no checkpoint was signed of {tree_size} events",
            errors={"query": {"tree_size": ["no checkpoint signed of that size"]}},
        )
    return found


def _after(cursor: int | None) -> int:
    if cursor is None:
        return 0
    last = int(trustpath().recorder.max_notification_id() or 0)
    if cursor > last:
        raise Problem(
            422,
            "Unprocessable Content",
            "the cursor points past the end of the log",
            errors={"query": {"cursor": [f"beyond the log ({last})"]}},
        )
    return cursor


def _id(pid: str) -> str:
    if not pid.strip() or len(pid) > 200:
        raise Problem(
            422,
            "Unprocessable Content",
            "not a protagonist id",
            errors={"path": {"pid": ["1 to 200 characters"]}},
        )
    return pid


def _url() -> str:
    configured: str | None = current_app.config.get("DATABASE_URL")
    return configured or database_url_of(trustpath().env)
