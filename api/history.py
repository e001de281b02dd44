"""An engagement's history: its events, redacted for the caller. Never sealed content.

Each event class declares the resource of the matrix it belongs to (`resource_kind`, in
`domain/`); the caller sees an event's data only if `decide` allows that resource (for that
event's protagonist). Otherwise the event is left out, except a session (`dated_fact`):
whoever may see the status sees that one was held on a date, and nothing more. An event
class that declares no resource is shown to nobody (fail closed). The sponsor's history is
thus the sessions' dates only, without versions. Sealed values are always replaced by a
marker.

    individual sessions, intentions      individual_content (of the protagonist)
    trust assessments                    trust_assessments (of the protagonist)
    shared intentions, relationship
    sessions, setbacks, commitments,
    follow-ups                           relationship_space
    opening, agreement, parties,
    consents, lifecycle                  engagement_record
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from itertools import islice
from typing import Any
from uuid import UUID

from domain.access import (
    Parties,
    Resource,
    ResourceKind,
    decide,
    is_dated_fact,
    is_the_sponsor,
    resource_kind_of,
)
from domain.ciphers import Sealed
from domain.values import Actor

HIDDEN = {
    "originator_id",
    "originator_topic",
    "originator_version",
    "timestamp",
    "idempotency_key",
    "fingerprint",
}
SEALED = {"sealed": True}


def resource_of(event: Any) -> Resource | None:
    """The resource an event's data belongs to, or None when its class declared none."""
    kind = resource_kind_of(type(event))
    if kind is None:
        return None
    return Resource(kind, str(getattr(event, "protagonist_id", "")))


def redact(event: Any, reader: Actor, parties: Parties) -> dict[str, Any] | None:
    """One event as `reader` may see it, or None when they may not know it happened."""
    resource = resource_of(event)
    if resource is not None and decide(reader, parties, resource).allowed:
        data = {k: plain(v) for k, v in vars(event).items() if k not in HIDDEN}
        data.pop("occurred_at", None)
        return {
            **_skeleton(event),
            "actor": data.pop("actor", None),
            "data": data,
            "redacted": False,
        }
    status = decide(reader, parties, Resource(ResourceKind.STATUS)).allowed
    if not (status and is_dated_fact(type(event))):
        return None
    skeleton = _skeleton(event)
    if is_the_sponsor(reader, parties):
        del skeleton["version"]  # a count of every event, beyond the sponsor's items
    return skeleton


def _skeleton(event: Any) -> dict[str, Any]:
    return {
        "version": event.originator_version,
        "type": type(event).__name__,
        "recorded_at": event.timestamp,
        "occurred_at": getattr(event, "occurred_at", event.timestamp),
        "redacted": True,
    }


def visible_page(
    events_after: Callable[[int, int], Iterable[Any]],
    reader: Actor,
    parties: Parties,
    after: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int | None]:
    """Up to `limit` events the reader may see after cursor `after`, and the next cursor
    (None at the end). `events_after(version, n)` reads the n events after that version.

    The cursor is the last version returned; for the sponsor it is the number of sessions
    already told instead, since a version counts every event, beyond the sponsor's items.
    """
    sponsor, after = is_the_sponsor(reader, parties), max(after, 0)
    batch = max(limit + 1, 100)
    stream = _visible(events_after, reader, parties, 0 if sponsor else after, batch)
    if sponsor:
        stream = islice(stream, after, None)
    page = list(islice(stream, limit + 1))
    items = [item for _, item in page[:limit]]
    if len(page) <= limit:
        return items, None
    return items, after + limit if sponsor else page[limit - 1][0]


def _visible(
    events_after: Callable[[int, int], Iterable[Any]],
    reader: Actor,
    parties: Parties,
    after: int,
    batch: int,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(version, what the reader sees) of each event after `after` they may see, read in
    batches."""
    while True:
        events = list(events_after(after, batch))
        for event in events:
            after = event.originator_version
            seen = redact(event, reader, parties)
            if seen is not None:
                yield after, seen
        if len(events) < batch:
            return


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
