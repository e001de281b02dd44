"""The access log: every audit record in the event store as an entry, filtered and paged.

    kind        stored event        fields (metadata only: names of items, never their text)
    access      ContentAccessed     protagonist_id, item, purpose, rule (the matrix's, quoted)
    refusal     AccessDenied        protagonist_id, item, reason, count, client, window
    erasure     ErasureExecuted     protagonist_id, request_reference
    disclosure  DisclosureMade      recipient, basis, description, item

Every entry also has kind, notification_id, occurred_at, engagement_id, principal_id and
role, and, once `attach_proofs` ran:

    event    the stored event as the ledger hashed it (notification id, originator id and
             version, topic, state in base64): audit records and erasures hold no content,
             so this is what lets an auditor recompute the leaf hash from what was served
    proof    the inclusion proof (leaf index, audit path, root) against the latest signed
             checkpoint, or None with `pending: true` when no checkpoint covers it yet

`page(url, store, where, after, limit)` reads the log after one notification id and stops
at the first entry past the page, so a page costs what it returns plus what it skips, not
the whole log. `check_entry` is the auditor's check of one entry, offline.
"""

from __future__ import annotations

import base64
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from eventsourcing.utils import get_topic

from domain.audit import PRACTICE_WIDE, AccessDenied, ContentAccessed, DisclosureMade
from domain.ciphers import SealedAsDict
from domain.events import DateAsISO
from domain.parties import ErasureExecuted
from projections.ledger.checkpoints import Checkpoint
from projections.ledger.leaves import hash_event
from projections.ledger.merkle import NodeSource, inclusion_path, needed_nodes, root
from projections.ledger.proofs import check_bundle
from projections.ledger.source import Row, events_at, stored_events
from projections.ledger.store import DictSource, LedgerStore, fetch_node_map

Json = dict[str, Any]
KINDS = {
    get_topic(ContentAccessed): "access",
    get_topic(AccessDenied): "refusal",
    get_topic(ErasureExecuted): "erasure",
    get_topic(DisclosureMade): "disclosure",
}
EVERY_ENGAGEMENT = str(PRACTICE_WIDE)
CHUNK = 500


def _transcoder() -> JSONTranscoder:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO(), SealedAsDict()):
        transcoder.register(transcoding)
    return transcoder


@dataclass(frozen=True)
class Where:
    """Which entries: None means any. A practice-wide disclosure (an export of every
    engagement) belongs to every engagement."""

    engagement_id: str | None = None
    protagonist_id: str | None = None
    principal_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    kinds: frozenset[str] | None = None

    def matches(self, e: Json) -> bool:
        if self.kinds is not None and e["kind"] not in self.kinds:
            return False
        if self.engagement_id is not None and e["engagement_id"] not in (
            self.engagement_id,
            EVERY_ENGAGEMENT,
        ):
            return False
        if self.protagonist_id is not None and e.get("protagonist_id") != self.protagonist_id:
            return False
        if self.principal_id is not None and e["principal_id"] != self.principal_id:
            return False
        return self._in_time(datetime.fromisoformat(e["occurred_at"]))

    def _in_time(self, at: datetime) -> bool:
        return (self.since is None or at >= self.since) and (self.until is None or at < self.until)


def audit_records(url: str, after: int = 0) -> Generator[Json]:
    """Every access, refusal, erasure and disclosure after `after`, in log order.

    Closing it early closes the read under way (a page stops reading once it is full)."""
    decode = _transcoder().decode
    read = cast(Generator[Row], stored_events(url, after, topics=list(KINDS)))
    with closing(read) as rows:
        for row in rows:
            yield _entry(row, decode(row[4]))


def _entry(row: Row, s: Json) -> Json:
    nid, oid, _version, topic, _state = row
    kind = KINDS[topic]
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
        "item": s["item"],
    }
    if kind == "disclosure":
        return entry | {k: s[k] for k in ("recipient", "basis", "description")}
    entry["protagonist_id"] = s["protagonist_id"]
    if kind == "access":
        return entry | {"purpose": s["purpose"], "rule": s["rule"]}
    coalesced = {  # AccessDenied v2: repeats within a minute are one record (v1: one each)
        "count": s.get("count", 1),
        "client": s.get("client", ""),
        "window": s.get("window", ""),
    }
    return entry | {"reason": s["reason"]} | coalesced


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def entries(url: str, where: Where, after: int = 0) -> Generator[Json]:
    with closing(audit_records(url, after)) as found:
        yield from (e for e in found if where.matches(e))


@dataclass(frozen=True)
class Page:
    entries: list[Json]
    next_after: int | None
    """The notification id to continue after; None at the end."""
    checkpoint: Checkpoint | None
    """What the entries' proofs are against (None without proofs or before any)."""


def page(
    url: str,
    store: LedgerStore | None,
    where: Where,
    after: int,
    limit: int,
    against: Checkpoint | None = None,
) -> Page:
    """Up to `limit` entries after notification id `after`, with their proofs when a ledger
    store is given (against the latest checkpoint, or `against`)."""
    found: list[Json] = []
    more = False
    with closing(entries(url, where, after)) as matching:
        for entry in matching:
            if len(found) == limit:
                more = True
                break
            found.append(entry)
    checkpoint = attach_proofs(url, store, found, against) if store is not None else None
    return Page(found, found[-1]["notification_id"] if more else None, checkpoint)


def attach_proofs(
    url: str, store: LedgerStore, found: list[Json], against: Checkpoint | None = None
) -> Checkpoint | None:
    """Give each entry its stored event and inclusion proof against the latest checkpoint,
    or `against` (`proof: None, pending: True` when it does not cover it); that checkpoint."""
    latest = against or store.latest_checkpoint()
    index = store.leaves_by_notification([e["notification_id"] for e in found])
    stored = _stored(url, [e["notification_id"] for e in found])
    proofs = _proofs(store, index, latest.tree_size) if latest is not None else {}
    for e in found:
        e["event"] = stored.get(e["notification_id"])
        e["proof"] = proofs.get(e["notification_id"])
        e["pending"] = e["proof"] is None
    return latest


def _proofs(store: LedgerStore, leaves: dict[int, int], size: int) -> dict[int, Json]:
    """Inclusion proofs (as `proofs.prove_inclusion` spells them) of the leaves a tree of
    `size` holds, from one fetch of every node they need: a page's proofs cost one query."""
    wanted = {nid: i for nid, i in leaves.items() if i < size}

    def every_proof(source: NodeSource) -> list[object]:
        paths = [inclusion_path(source, i, size) for i in wanted.values()]
        return [root(source, size), paths, [source.node(0, i) for i in wanted.values()]]

    if not wanted:
        return {}
    with store.engine.connect() as conn:
        nodes = fetch_node_map(conn, store.tables(conn), needed_nodes(every_proof))
    source = DictSource(nodes)
    root_hash = root(source, size).hex()
    return {
        nid: {
            "leaf_index": i,
            "tree_size": size,
            "leaf_hash": source.node(0, i).hex(),
            "audit_path": [h.hex() for h in inclusion_path(source, i, size)],
            "root_hash": root_hash,
            "notification_id": nid,
        }
        for nid, i in wanted.items()
    }


def _stored(url: str, ids: list[int]) -> dict[int, Json]:
    rows = {}
    for start in range(0, len(ids), CHUNK):  # a bounded IN list (SQLite caps parameters)
        rows.update(events_at(url, ids[start : start + CHUNK]))
    return {
        nid: {
            "notification_id": nid,
            "originator_id": oid,
            "originator_version": version,
            "topic": topic,
            "state": base64.b64encode(state).decode(),
        }
        for nid, (_n, oid, version, topic, state) in rows.items()
    }


def check_entry(entry: Json, checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> list[str]:
    """What is wrong with one served entry (empty when it holds): its stored event hashes
    to the proof's leaf, the audit path leads to the checkpoint's root, and the checkpoint
    is signed by the ledger's key."""
    proof, event = entry.get("proof"), entry.get("event")
    if proof is None or event is None:
        return ["the entry carries no proof (no checkpoint covers it yet)"]
    try:
        leaf = hash_event(
            int(event["notification_id"]),
            str(event["originator_id"]),
            int(event["originator_version"]),
            str(event["topic"]),
            base64.b64decode(event["state"], validate=True),
        )
    except (KeyError, ValueError, TypeError) as error:
        return [f"malformed event: {type(error).__name__}"]
    problems = [] if leaf.hex() == proof["leaf_hash"] else ["the stored event is not the leaf"]
    if not _says_what_is_stored(entry, event):
        problems.append("the entry's fields are not what its stored event says")
    return problems + check_bundle({**proof, "checkpoint": checkpoint.as_json()}, public_key)


def _says_what_is_stored(entry: Json, event: Json) -> bool:
    """The entry is the one `_entry` reads from its stored event (the same code served it)."""
    state = base64.b64decode(event["state"])
    row = (event["notification_id"], event["originator_id"], 0, event["topic"], state)
    if event["topic"] not in KINDS:
        return False
    try:
        expected = _entry(row, _transcoder().decode(state))
    except (KeyError, ValueError, TypeError):
        return False
    return all(entry.get(k) == v for k, v in expected.items())
