"""The auditors' reports: who accessed what, who was refused, what was erased — never content.

    confidentiality_report(url, store, engagement_id)
        accesses    every ContentAccessed: principal, role, purpose, the matrix rule quoted
        refusals    every AccessDenied: principal, role, what, why, how many times (`count`:
                    repeats within a minute are one record), the client address if anonymous
        erasures    every ErasureExecuted: protagonist, who executed it, request reference
        disclosures every DisclosureMade about it (a practice-wide export covers them all)
        outside_matrix  accesses whose role and rule the matrix (domain.access) does not
                        allow: must be empty
    who_read(url, store, protagonist_id)
        every access to, and refusal about, one protagonist's individual content

Both are built from the access log's entries (`audit_log`), the same ones the HTTP API
serves page by page: records are read from the events table as stored (their fields are
metadata: the item's name, never its text) and each entry carries its stored event and its
inclusion proof against the latest checkpoint, so an auditor can check it offline with the
exported checkpoints. `summary` is the report's verdict without the entries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from domain.access import Parties, Resource, ResourceKind, decide
from domain.values import Actor
from projections.ledger.audit_log import Where, attach_proofs, entries
from projections.ledger.store import LedgerStore

Json = dict[str, Any]
SECTIONS = {"access": "accesses", "refusal": "refusals", "erasure": "erasures"}


def allowed_by_matrix(entry: Json) -> bool:
    """Does the matrix allow this principal's role to read individual content as recorded?"""
    relation = str(entry["rule"]).rsplit("allows ", 1)[-1]
    me, them = entry["principal_id"], entry["protagonist_id"]
    if relation == "self":
        parties = Parties(coach_of={them: "-"})
    elif relation == "own coach":
        parties = Parties(coach_of={them: me})
    else:
        return False
    try:
        actor = Actor(me, entry["role"])
    except ValueError:
        return False
    decision = decide(actor, parties, Resource(ResourceKind.INDIVIDUAL_CONTENT, them))
    return decision.allowed and decision.rule == entry["rule"]


def summary(url: str, engagement_id: UUID | str) -> Json:
    """How many of each kind of entry an engagement has, and whether the matrix held."""
    return tally(entries(url, Where(engagement_id=str(engagement_id))))


def tally(found: Iterable[Json]) -> Json:
    counts = dict.fromkeys((*SECTIONS.values(), "disclosures"), 0)
    outside: list[int] = []
    for e in found:
        counts[SECTIONS.get(e["kind"], "disclosures")] += 1
        if e["kind"] == "access" and not allowed_by_matrix(e):
            outside.append(e["notification_id"])
    return counts | {"outside_matrix": outside, "matrix_respected": not outside}


def confidentiality_report(url: str, store: LedgerStore, engagement_id: UUID | str) -> Json:
    eid = str(engagement_id)
    found = list(entries(url, Where(engagement_id=eid)))
    checkpoint = attach_proofs(url, store, found)
    verdict = tally(found)
    return {
        "engagement_id": eid,
        "checkpoint": None if checkpoint is None else checkpoint.as_json(),
        **{section: [e for e in found if e["kind"] == k] for k, section in SECTIONS.items()},
        "disclosures": [e for e in found if e["kind"] == "disclosure"],
        "outside_matrix": verdict["outside_matrix"],
        "matrix_respected": verdict["matrix_respected"],
    }


READS_AND_REFUSALS = frozenset({"access", "refusal"})


def who_read(url: str, store: LedgerStore, protagonist_id: str) -> Json:
    found = list(entries(url, Where(protagonist_id=protagonist_id, kinds=READS_AND_REFUSALS)))
    checkpoint = attach_proofs(url, store, found)
    return {
        "protagonist_id": protagonist_id,
        "checkpoint": None if checkpoint is None else checkpoint.as_json(),
        "reads": [e for e in found if e["kind"] == "access"],
        "refusals": [e for e in found if e["kind"] == "refusal"],
    }


def dumps(report: Json) -> str:
    return json.dumps(report, indent=2, sort_keys=True, default=str)
