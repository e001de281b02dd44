"""An engagement's history: its events, redacted for the caller. Never sealed content.

Each event type belongs to one resource of the matrix; the caller sees an event's data
only if `decide` allows that resource (for that event's protagonist), otherwise only its
skeleton — type, version, dates — which is the "status, counts, dates" every role that may
see the engagement is allowed. Sealed values are always replaced by a marker.

    individual sessions, intentions      individual_content (of the protagonist)
    trust assessments                    trust_assessments (of the protagonist)
    shared intentions, relationship
    sessions, setbacks, commitments,
    follow-ups                           relationship_space
    everything else (opening, agreement,
    parties, consents, lifecycle)        sponsor_detail
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.access import Parties, Resource, ResourceKind, decide
from domain.ciphers import Sealed
from domain.values import Actor

INDIVIDUAL = {"IndividualSessionHeld", "IntentionDeclared", "IntentionRevised"}
TRUST = {"TrustAssessed"}
RELATIONSHIP = {
    "IntentionShared",
    "RelationshipSessionHeld",
    "PresenceSetbackRecorded",
    "CommitmentMade",
    "CommitmentHonoured",
    "CommitmentBroken",
    "CommitmentWithdrawn",
    "CommitmentRenegotiated",
    "FollowUpHeld",
}
HIDDEN = {
    "originator_id",
    "originator_topic",
    "originator_version",
    "timestamp",
    "idempotency_key",
    "fingerprint",
}
SEALED = {"sealed": True}


def resource_of(event: Any) -> Resource:
    name = type(event).__name__
    protagonist_id = str(getattr(event, "protagonist_id", ""))
    if name in INDIVIDUAL:
        return Resource(ResourceKind.INDIVIDUAL_CONTENT, protagonist_id)
    if name in TRUST:
        return Resource(ResourceKind.TRUST_ASSESSMENTS, protagonist_id)
    if name in RELATIONSHIP:
        return Resource(ResourceKind.RELATIONSHIP_SPACE, protagonist_id)
    return Resource(ResourceKind.SPONSOR_DETAIL)


def redact(event: Any, reader: Actor, parties: Parties) -> dict[str, Any]:
    """One event as `reader` may see it."""
    out: dict[str, Any] = {
        "version": event.originator_version,
        "type": type(event).__name__,
        "recorded_at": event.timestamp,
        "occurred_at": getattr(event, "occurred_at", event.timestamp),
        "redacted": True,
    }
    if decide(reader, parties, resource_of(event)).allowed:
        data = {k: plain(v) for k, v in vars(event).items() if k not in HIDDEN}
        data.pop("occurred_at", None)
        out.update(actor=data.pop("actor", None), data=data, redacted=False)
    return out


def plain(value: Any) -> Any:
    """A JSON-able copy, with every sealed value replaced by a marker."""
    if isinstance(value, Sealed):
        return dict(SEALED)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value
