"""The sponsor's view, in every view (status, list, history), on SQLite and PostgreSQL.

By default exactly four items: active or not, phase, session dates (the history's dated
sessions) and counts. Beyond that exactly the items the agreement lists, and only while every
protagonist's consent to sponsor reporting stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from tests.support.api_world import World, at
from tests.support.flows import post

pytestmark = pytest.mark.api

DEFAULT_STATUS = {"id", "phase", "active", "individual_sessions", "relationship_sessions"}
DEFAULT_SUMMARY = {
    "engagement_id",
    "phase",
    "active",
    "individual_sessions",
    "relationship_sessions",
}
CONTEXT = "The CEO and the CTO fell out over the merger."
NEVER_TOLD = ("TrustAssessed", "Intention", "Consent", "Commitment", CONTEXT, "secret words")


@dataclass
class Sponsored:
    eid: UUID
    ann: str
    bob: str
    position: int


@pytest.fixture
def client(any_world: World) -> FlaskClient:
    return any_world.flask.test_client()


@pytest.fixture
def sponsor(any_world: World) -> str:
    """The bearer token of the sponsor `acme` (the engagements built below)."""
    store = any_world.flask.extensions["trustpath.principals"]
    return str(store.add("sponsor", "acme-hr", "acme")[1])


def sponsored(client: FlaskClient, world: World, items: list[str]) -> Sponsored:
    """An engagement sponsored by `acme` whose agreement lists `items`; both protagonists
    consented to coaching and to sponsor reporting; one session, one trust assessment."""
    opened = post(
        client,
        world,
        "admin",
        "/engagements",
        title="Board of Acme",
        organisation="Acme",
        context=CONTEXT,
        sponsor="acme",
    )
    e = f"/engagements/{opened['engagement_id']}"
    agreement = {"parties": ["all"], "confidentiality": "kept", "retention_days": 365}
    post(client, world, "admin", f"{e}/agreement", sponsor_may_be_told=items, **agreement)
    ids = []
    for name, coach, token in (
        ("Ann", "coach-amelie", "coach_a"),
        ("Bob", "coach-bruno", "coach_b"),
    ):
        pid = post(client, world, "admin", f"{e}/protagonists", name=name)["item_id"]
        post(
            client, world, "admin", f"{e}/protagonists/{pid}/coach", coach_id=coach, coach_name=name
        )
        for scope in ("coaching", "sponsor_reporting"):
            consent = {"scope": scope, "evidence": "signed form"}
            post(client, world, token, f"{e}/protagonists/{pid}/consents", **consent)
        ids.append(pid)
    session = {"duration_minutes": 50, "challenges": ["presence"], "notes": "secret words"}
    post(client, world, "coach_a", f"{e}/individual-sessions", protagonist_id=ids[0], **session)
    last = post(
        client,
        world,
        "coach_a",
        f"{e}/trust-assessments",
        protagonist_id=ids[0],
        toward_id=ids[1],
        challenge="presence",
        score=4,
    )
    return Sponsored(UUID(opened["engagement_id"]), ids[0], ids[1], last["position"])


def as_sponsor(client: FlaskClient, token: str, path: str) -> Any:
    r = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, (path, r.json)
    return r


def views(client: FlaskClient, token: str, s: Sponsored) -> tuple[Any, Any, list[Any], str]:
    """(status, its list row, history items, all three as text) as the sponsor sees them."""
    status = as_sponsor(client, token, f"/engagements/{s.eid}")
    page = as_sponsor(client, token, f"/engagements?min_position={s.position}").json
    row = next(e for e in page["items"] if e["engagement_id"] == str(s.eid))
    history = as_sponsor(client, token, f"/engagements/{s.eid}/history?limit=200")
    text = status.get_data(as_text=True) + str(page) + history.get_data(as_text=True)
    return status, row, history.json["items"], text


def test_sponsor_sees_only_the_four_default_items_when_the_agreement_lists_only_those(
    any_world: World, client: FlaskClient, sponsor: str
) -> None:
    s = sponsored(client, any_world, ["phase", "session dates"])
    status, row, history, text = views(client, sponsor, s)
    assert set(status.json) == DEFAULT_STATUS
    assert "ETag" not in status.headers  # the version counts every event
    assert set(row) == DEFAULT_SUMMARY
    assert [e["type"] for e in history] == ["IndividualSessionHeld"]
    assert set(history[0]) == {"type", "occurred_at", "recorded_at", "redacted"}
    assert not [t for t in NEVER_TOLD if t in text]


def test_sponsor_of_the_demo_sees_only_the_default_items_though_everyone_consented(
    any_world: World, client: FlaskClient
) -> None:
    """The issue's case: sponsor list ["phase", "session dates"], every consent given."""
    engagement = any_world.app.engagement(any_world.eid)
    assert all(p["consents"]["sponsor_reporting"] for p in engagement.protagonists.values())
    r = client.get(f"/engagements/{any_world.eid}", headers=any_world.headers("sponsor"))
    assert r.json == {
        "id": str(any_world.eid),
        "phase": "completed",
        "active": False,
        "individual_sessions": 6,
        "relationship_sessions": 4,
    }
    history = client.get(
        f"/engagements/{any_world.eid}/history?limit=200", headers=any_world.headers("sponsor")
    ).json["items"]
    assert [e["type"] for e in history].count("IndividualSessionHeld") == 6
    assert {e["type"] for e in history} == {"IndividualSessionHeld", "RelationshipSessionHeld"}
    assert len(history) == 10


def test_sponsor_sees_exactly_the_listed_items_while_every_consent_stands(
    any_world: World, client: FlaskClient, sponsor: str
) -> None:
    s = sponsored(client, any_world, ["title", "commitment states", "engagement dates"])
    status, row, history, text = views(client, sponsor, s)
    opened = {"title", "commitments", "opened_at", "last_activity"}
    assert set(status.json) == DEFAULT_STATUS | opened
    assert status.json["title"] == "Board of Acme"
    assert set(row) == DEFAULT_SUMMARY | {"title", "opened_at", "last_activity"}
    assert {e["type"] for e in history} == {"IndividualSessionHeld"}
    assert not [t for t in NEVER_TOLD if t in text]


def test_sponsor_is_back_to_the_default_items_when_one_protagonist_withdraws_consent(
    any_world: World, client: FlaskClient, sponsor: str
) -> None:
    s = sponsored(client, any_world, ["title", "protagonists", "minimums"])
    assert "protagonists" in as_sponsor(client, sponsor, f"/engagements/{s.eid}").json
    withdrawn = post(
        client,
        any_world,
        "coach_b",
        f"/engagements/{s.eid}/protagonists/{s.bob}/consents/withdraw",
        scope="sponsor_reporting",
        evidence="letter of withdrawal",
    )
    s.position = withdrawn["position"]
    status, row, _, text = views(client, sponsor, s)
    assert set(status.json) == DEFAULT_STATUS
    assert set(row) == DEFAULT_SUMMARY
    assert "Board of Acme" not in text


def test_sponsor_told_about_protagonists_gets_their_names_and_nothing_of_their_consents(
    any_world: World, client: FlaskClient, sponsor: str
) -> None:
    s = sponsored(client, any_world, ["protagonists"])
    status = as_sponsor(client, sponsor, f"/engagements/{s.eid}").json
    assert set(status) == DEFAULT_STATUS | {"protagonists"}
    assert [(p["name"], set(p)) for p in status["protagonists"]] == [
        ("Ann", {"id", "name", "kind"}),
        ("Bob", {"id", "name", "kind"}),
    ]


def test_agreement_listing_an_unknown_sponsor_item_is_422_naming_the_vocabulary(
    any_world: World, client: FlaskClient
) -> None:
    opened = post(
        client, any_world, "admin", "/engagements", title="T", organisation="O", sponsor="acme"
    )
    r = client.post(
        f"/engagements/{opened['engagement_id']}/agreement",
        json={
            "occurred_at": at(),
            "parties": ["all"],
            "confidentiality": "kept",
            "retention_days": 30,
            "sponsor_may_be_told": ["phase", "everything"],
        },
        headers=any_world.headers("admin"),
    )
    assert (r.status_code, r.json["type"]) == (422, "/problems/InvalidValueError")
    assert "'everything'" in r.json["detail"]
    assert "commitment states" in r.json["detail"]
