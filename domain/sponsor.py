"""What the sponsor (the organisation that pays) may be told about an engagement.

By default exactly four items, in every view: whether the engagement is active, its phase,
its session dates and its session counts. More only where the agreement lists an item, and
only while every protagonist's consent to sponsor reporting stands; each item opens exactly
the status fields below, nothing else. Confidential content, trust assessments and the
relationship space (notes, intentions, commitments themselves) are never sponsor items.

    item (agreement's list)   status fields it opens
    active                    active                       default
    phase                     phase                        default
    session dates             (the dates of sessions)      default
    session counts            individual_sessions,         default
                              relationship_sessions
    title                     title
    organisation              organisation
    engagement dates          opened_at, last_activity
    challenges explored       challenges_explored, next_challenge
    presence setbacks         presence_setbacks
    commitment states         commitments (a count per state)
    minimums                  minimums_missing
    follow-ups                follow_ups
    protagonists              protagonists (id, name and kind only)

`sponsor_items` is the one place that decides which items are open now; `tell_sponsor`
cuts a status (or a status summary) down to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from domain import errors


class SponsorItem(StrEnum):
    ACTIVE = "active"
    PHASE = "phase"
    SESSION_DATES = "session dates"
    SESSION_COUNTS = "session counts"
    TITLE = "title"
    ORGANISATION = "organisation"
    ENGAGEMENT_DATES = "engagement dates"
    CHALLENGES_EXPLORED = "challenges explored"
    PRESENCE_SETBACKS = "presence setbacks"
    COMMITMENT_STATES = "commitment states"
    MINIMUMS = "minimums"
    FOLLOW_UPS = "follow-ups"
    PROTAGONISTS = "protagonists"


DEFAULT_ITEMS = frozenset(
    {
        SponsorItem.ACTIVE,
        SponsorItem.PHASE,
        SponsorItem.SESSION_DATES,
        SponsorItem.SESSION_COUNTS,
    }
)
"""What a sponsor is always told, whatever the agreement says."""

FIELDS: dict[SponsorItem, frozenset[str]] = {
    SponsorItem.ACTIVE: frozenset({"active"}),
    SponsorItem.PHASE: frozenset({"phase"}),
    SponsorItem.SESSION_DATES: frozenset(),
    SponsorItem.SESSION_COUNTS: frozenset({"individual_sessions", "relationship_sessions"}),
    SponsorItem.TITLE: frozenset({"title"}),
    SponsorItem.ORGANISATION: frozenset({"organisation"}),
    SponsorItem.ENGAGEMENT_DATES: frozenset({"opened_at", "last_activity"}),
    SponsorItem.CHALLENGES_EXPLORED: frozenset({"challenges_explored", "next_challenge"}),
    SponsorItem.PRESENCE_SETBACKS: frozenset({"presence_setbacks"}),
    SponsorItem.COMMITMENT_STATES: frozenset({"commitments"}),
    SponsorItem.MINIMUMS: frozenset({"minimums_missing"}),
    SponsorItem.FOLLOW_UPS: frozenset({"follow_ups"}),
    SponsorItem.PROTAGONISTS: frozenset({"protagonists"}),
}
"""The status fields each item opens. Session dates are told by the history (a session
held on a date, nothing else), so the item opens no status field."""

IDENTITY = frozenset({"id", "engagement_id"})
"""How the sponsor names the engagement it asks about: not an item, never more."""

PROTAGONIST_FIELDS = frozenset({"id", "name", "kind"})
"""What the `protagonists` item tells of each protagonist."""


def parse_items(items: Iterable[str]) -> list[str]:
    """The agreement's list, checked against the vocabulary (InvalidValueError otherwise)."""
    known = {item.value for item in SponsorItem}
    parsed = []
    for item in items:
        name = " ".join(str(item).split()).lower()
        if name not in known:
            raise errors.InvalidValueError(
                f"sponsor item {item!r} is not one of: {', '.join(sorted(known))}"
            )
        parsed.append(name)
    return list(dict.fromkeys(parsed))


def sponsor_items(
    agreement: Mapping[str, Any] | None, protagonists: Mapping[str, Mapping[str, Any]]
) -> frozenset[SponsorItem]:
    """The items the sponsor may be told now: the default four, plus the agreement's items
    while every protagonist's consent to sponsor reporting stands.

    Items an older agreement listed outside today's vocabulary open nothing (fail closed).
    """
    listed = (agreement or {}).get("sponsor_may_be_told") or []
    consented = bool(protagonists) and all(
        p["consents"].get("sponsor_reporting") for p in protagonists.values()
    )
    if not consented:
        return DEFAULT_ITEMS
    known = {item.value: item for item in SponsorItem}
    return DEFAULT_ITEMS | {known[name] for name in listed if name in known}


def tell_sponsor(status: Mapping[str, Any], items: frozenset[SponsorItem]) -> dict[str, Any]:
    """A status (or a status summary) cut down to exactly what `items` open."""
    open_fields = IDENTITY.union(*(FIELDS[item] for item in items))
    told = {k: v for k, v in status.items() if k in open_fields}
    if "protagonists" in told and isinstance(told["protagonists"], list):
        told["protagonists"] = [
            {k: v for k, v in p.items() if k in PROTAGONIST_FIELDS} for p in told["protagonists"]
        ]
    return told
