"""What the sponsor may be told: the default four items, and exactly the agreement's items
while every protagonist's consent to sponsor reporting stands."""

from __future__ import annotations

from typing import Any

import pytest

from domain import errors
from domain.commands import SignAgreement
from domain.sponsor import DEFAULT_ITEMS, SponsorItem, sponsor_items, tell_sponsor
from tests.support.builders import ADMIN, EngagementBuilder

pytestmark = pytest.mark.unit

AGREEMENT = {"sponsor_may_be_told": ["title", "commitment states"]}
STATUS: dict[str, Any] = {
    "id": "e-1",
    "version": 42,
    "phase": "relationship",
    "active": True,
    "opened_at": "2026-01-01",
    "last_activity": "2026-02-01",
    "individual_sessions": 6,
    "relationship_sessions": 2,
    "presence_setbacks": 1,
    "title": "Board",
    "organisation": "Acme",
    "commitments": {"open": 2},
    "minimums_missing": ["2 relationship sessions"],
    "protagonists": [{"id": "p1", "name": "Ann", "kind": "person", "consents": {"x": True}}],
}


def consents(*given: bool) -> dict[str, dict[str, Any]]:
    return {f"p{i}": {"consents": {"sponsor_reporting": g}} for i, g in enumerate(given)}


def test_sponsor_items_are_the_agreements_when_every_protagonist_consents() -> None:
    items = sponsor_items(AGREEMENT, consents(True, True))
    assert items == DEFAULT_ITEMS | {SponsorItem.TITLE, SponsorItem.COMMITMENT_STATES}


@pytest.mark.parametrize(
    "protagonists",
    [consents(True, False), consents(False, False), {"p0": {"consents": {}}}, {}],
    ids=["one withdrew", "none", "never asked", "no protagonist"],
)
def test_sponsor_items_are_the_default_four_unless_every_protagonist_consents(
    protagonists: dict[str, dict[str, Any]],
) -> None:
    assert sponsor_items(AGREEMENT, protagonists) == DEFAULT_ITEMS


def test_sponsor_items_ignore_what_an_older_agreement_listed_outside_the_vocabulary() -> None:
    old = {"sponsor_may_be_told": ["everything", "title"]}
    assert sponsor_items(old, consents(True)) == DEFAULT_ITEMS | {SponsorItem.TITLE}
    assert sponsor_items(None, consents(True)) == DEFAULT_ITEMS


def test_sponsor_is_told_only_the_fields_of_the_default_items() -> None:
    assert tell_sponsor(STATUS, DEFAULT_ITEMS) == {
        "id": "e-1",
        "phase": "relationship",
        "active": True,
        "individual_sessions": 6,
        "relationship_sessions": 2,
    }


def test_sponsor_told_about_protagonists_gets_their_names_only() -> None:
    told = tell_sponsor(STATUS, DEFAULT_ITEMS | {SponsorItem.PROTAGONISTS})
    assert told["protagonists"] == [{"id": "p1", "name": "Ann", "kind": "person"}]
    assert "title" not in told


def test_agreement_is_refused_when_it_lists_an_item_outside_the_vocabulary(
    builder: EngagementBuilder,
) -> None:
    builder.refused(
        errors.InvalidValueError,
        lambda: builder.run(
            ADMIN,
            SignAgreement(
                occurred_at=builder.at(),
                parties=["all"],
                confidentiality="kept",
                sponsor_may_be_told=["phase", "their notes"],
                retention_days=30,
            ),
        ),
    )


def test_agreement_stores_its_sponsor_items_in_their_canonical_spelling(
    builder: EngagementBuilder,
) -> None:
    builder.run(
        ADMIN,
        SignAgreement(
            occurred_at=builder.at(),
            parties=["all"],
            confidentiality="kept",
            sponsor_may_be_told=["Session  Dates", "title", "title"],
            retention_days=30,
        ),
    )
    assert builder.last_event().sponsor_may_be_told == ["session dates", "title"]
