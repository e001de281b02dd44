"""The auditors' reports: who accessed what, who was refused, what was erased — never content.

    confidentiality_report(url, store, engagement_id)
        accesses    every ContentAccessed: principal, role, purpose, the matrix rule quoted
        refusals    every AccessDenied: principal, role, what, why, how many times (`count`:
                    repeats within a minute are one record), the client address if anonymous
        erasures    every ErasureExecuted: protagonist, who executed it, request reference
        outside_matrix  accesses whose role and rule the matrix (domain.access) does not
                        allow: must be empty
    who_read(url, store, protagonist_id)
        every access to, and refusal about, one protagonist's individual content

Records are read from the events table as stored (their fields are metadata: the item's
name, never its text) and each entry carries its inclusion proof against the latest
checkpoint, so an auditor can check it offline with the exported checkpoints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from eventsourcing.utils import get_topic

from domain.access import Parties, Resource, ResourceKind, decide
from domain.application import DateAsISO
from domain.audit import AccessDenied, ContentAccessed
from domain.ciphers import SealedAsDict
from domain.parties import ErasureExecuted
from domain.values import Actor
from projections.ledger.proofs import prove_inclusion
from projections.ledger.source import stored_events
from projections.ledger.store import LedgerStore

Json = dict[str, Any]
KINDS = {
    get_topic(ContentAccessed): "access",
    get_topic(AccessDenied): "refusal",
    get_topic(ErasureExecuted): "erasure",
}


def _transcoder() -> JSONTranscoder:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO(), SealedAsDict()):
        transcoder.register(transcoding)
    return transcoder


def audit_records(url: str) -> Iterator[Json]:
    """Every access, refusal and erasure in the log, as report entries (no content)."""
    decode = _transcoder().decode
    for nid, oid, _version, topic, state in stored_events(url, topics=list(KINDS)):
        yield _entry(KINDS[topic], nid, oid, decode(state))


def _entry(kind: str, nid: int, oid: str, s: Json) -> Json:
    common = {"kind": kind, "notification_id": nid, "occurred_at": _text(s.get("occurred_at"))}
    if kind == "erasure":
        return common | {
            "engagement_id": oid,
            "protagonist_id": s["protagonist_id"],
            "principal_id": s["actor"]["id"],
            "role": s["actor"]["role"],
            "request_reference": s["request_reference"],
        }
    entry = common | {
        "engagement_id": str(s["engagement_id"]),
        "principal_id": s["principal_id"],
        "role": s["role"],
        "protagonist_id": s["protagonist_id"],
        "item": s["item"],
    }
    if kind == "access":
        return entry | {"purpose": s["purpose"], "rule": s["rule"]}
    coalesced = {
        "count": s.get("count", 1),
        "client": s.get("client", ""),
        "window": s.get("window", ""),
    }
    return entry | {"reason": s["reason"]} | coalesced


def _text(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


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


def confidentiality_report(url: str, store: LedgerStore, engagement_id: UUID | str) -> Json:
    eid = str(engagement_id)
    entries = [e for e in audit_records(url) if e["engagement_id"] == eid]
    _attach_proofs(store, entries)
    accesses = [e for e in entries if e["kind"] == "access"]
    outside = [e["notification_id"] for e in accesses if not allowed_by_matrix(e)]
    return {
        "engagement_id": eid,
        "checkpoint": _checkpoint(store),
        "accesses": accesses,
        "refusals": [e for e in entries if e["kind"] == "refusal"],
        "erasures": [e for e in entries if e["kind"] == "erasure"],
        "outside_matrix": outside,
        "matrix_respected": not outside,
    }


def who_read(url: str, store: LedgerStore, protagonist_id: str) -> Json:
    entries = [
        e
        for e in audit_records(url)
        if e["kind"] != "erasure" and e["protagonist_id"] == protagonist_id
    ]
    _attach_proofs(store, entries)
    return {
        "protagonist_id": protagonist_id,
        "checkpoint": _checkpoint(store),
        "reads": [e for e in entries if e["kind"] == "access"],
        "refusals": [e for e in entries if e["kind"] == "refusal"],
    }


def _checkpoint(store: LedgerStore) -> Json | None:
    latest = store.latest_checkpoint()
    return None if latest is None else latest.as_json()


def _attach_proofs(store: LedgerStore, entries: list[Json]) -> None:
    """Each entry's inclusion proof against the latest checkpoint (None if not covered yet)."""
    latest = store.latest_checkpoint()
    index = store.leaves_by_notification([e["notification_id"] for e in entries])
    for e in entries:
        leaf = index.get(e["notification_id"])
        covered = latest is not None and leaf is not None and leaf < latest.tree_size
        e["proof"] = (
            _without_checkpoint(prove_inclusion(store, index=leaf, tree_size=latest.tree_size))
            if covered and latest is not None
            else None
        )


def _without_checkpoint(proof: Json) -> Json:
    proof.pop("checkpoint", None)
    return proof


def dumps(report: Json) -> str:
    return json.dumps(report, indent=2, sort_keys=True, default=str)
