"""Confidentiality at the edges, on SQLite and PostgreSQL: who may act on P's consents and
individual space (403, the rule named), and whose timeline shows P's individual space."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from api.problems import from_domain
from domain import errors
from tests.support.api_world import World, body
from tests.support.flows import fresh_engagement, post

pytestmark = pytest.mark.api

INDIVIDUAL_MILESTONES = {"individual_session", "intention_declared", "intention_revised"}


@pytest.fixture
def client(any_world: World) -> FlaskClient:
    return any_world.flask.test_client()


def refused(r: Any, error: type[errors.TrustpathError]) -> None:
    assert r.status_code == 403, r.json
    assert r.json["type"] == f"/problems/{error.__name__}"
    assert r.json["title"] == (error.__doc__ or "").strip()


@pytest.mark.parametrize("action", ["consents", "consents/withdraw"])
def test_consent_by_another_coach_of_the_engagement_is_403_and_changes_nothing(
    any_world: World, client: FlaskClient, action: str
) -> None:
    fresh = fresh_engagement(client, any_world)  # Ann (cfo) with coach A, Bob with coach B
    path = f"/engagements/{fresh.eid}/protagonists/{fresh.cfo}/{action}"
    before = any_world.app.engagement(fresh.eid).version
    r = client.post(
        path,
        json=body(scope="sponsor_reporting", evidence="a form"),
        headers=any_world.headers("coach_b"),
    )
    refused(r, errors.ConsentNotByProtagonistOrOwnCoachError)
    engagement = any_world.app.engagement(fresh.eid)
    assert engagement.version == before
    assert "sponsor_reporting" not in engagement.protagonists[fresh.cfo]["consents"]


def test_consent_recorded_by_the_protagonists_own_coach_is_accepted(
    any_world: World, client: FlaskClient
) -> None:
    fresh = fresh_engagement(client, any_world)
    post(
        client,
        any_world,
        "coach_a",
        f"/engagements/{fresh.eid}/protagonists/{fresh.cfo}/consents",
        scope="sponsor_reporting",
        evidence="signed form",
    )
    consents = any_world.app.engagement(fresh.eid).protagonists[fresh.cfo]["consents"]
    assert consents["sponsor_reporting"] is True


@pytest.mark.parametrize(
    ("route", "fields"),
    [
        ("individual-sessions", {"duration_minutes": 30, "challenges": ["presence"]}),
        ("trust-assessments", {"toward_id": "", "challenge": "presence", "score": 5}),
    ],
)
def test_coach_acting_for_another_coachs_protagonist_is_403_naming_the_rule(
    any_world: World, client: FlaskClient, route: str, fields: dict[str, Any]
) -> None:
    fresh = fresh_engagement(client, any_world)
    fields = {k: v or fresh.coo for k, v in fields.items()}  # toward the other protagonist
    r = client.post(
        f"/engagements/{fresh.eid}/{route}",
        json=body(protagonist_id=fresh.cfo, **fields),
        headers=any_world.headers("coach_b"),
    )
    refused(r, errors.NotTheProtagonistsCoachError)


def test_intention_declared_by_another_coach_is_403_naming_the_rule(
    any_world: World, client: FlaskClient
) -> None:
    fresh = fresh_engagement(client, any_world)
    r = client.post(
        f"/engagements/{fresh.eid}/protagonists/{fresh.cfo}/intention",
        json=body(text="words"),
        headers=any_world.headers("coach_b"),
    )
    refused(r, errors.NotTheProtagonistsCoachError)


def individual_milestones(timeline: dict[str, Any]) -> set[str]:
    """The protagonists whose individual-space milestones the timeline shows, anywhere."""
    found = [*timeline["milestones"]]
    for assessment in timeline["assessments"]:
        found += assessment["milestones"]
    return {m["protagonist_id"] for m in found if m["kind"] in INDIVIDUAL_MILESTONES}


@pytest.mark.parametrize(
    ("who", "whose"),
    [("cfo", {"cfo"}), ("coach_a", {"cfo"}), ("coo", {"coo"}), ("coach_b", {"coo"})],
)
def test_timeline_shows_individual_milestones_only_to_the_protagonist_and_their_coach(
    any_world: World, client: FlaskClient, who: str, whose: set[str]
) -> None:
    p = any_world.demo.protagonists
    r = client.get(f"/engagements/{any_world.eid}/timeline", headers=any_world.headers(who))
    assert r.status_code == 200
    assert individual_milestones(r.json) == {p[label] for label in whose}
    shown = {m["kind"] for m in r.json["milestones"]}
    assert {"relationship_session", "commitment_made", "intention_shared"} <= shown


def test_timeline_as_of_hides_the_other_protagonists_individual_milestones_too(
    any_world: World, client: FlaskClient
) -> None:
    cfo = any_world.demo.protagonists["cfo"]
    full = client.get(
        f"/engagements/{any_world.eid}/timeline", headers=any_world.headers("coach_a")
    ).json
    cut = full["assessments"][-1]["occurred_at"].replace("+", "%2B")
    then = client.get(
        f"/engagements/{any_world.eid}/timeline?as_of={cut}", headers=any_world.headers("coo")
    )
    assert then.status_code == 200
    assert cfo not in individual_milestones(then.json)


def test_history_hides_the_other_protagonists_intentions_and_assessments(
    any_world: World, client: FlaskClient
) -> None:
    cfo = any_world.demo.protagonists["cfo"]
    r = client.get(
        f"/engagements/{any_world.eid}/history?limit=200", headers=any_world.headers("coo")
    )
    items = r.json["items"]
    mine = [e for e in items if not e["redacted"] and e["data"].get("protagonist_id") == cfo]
    assert {e["type"] for e in mine} >= {"IntentionShared", "ConsentGiven"}
    types = {e["type"] for e in items if e["redacted"]}
    assert types == {"IndividualSessionHeld"}  # held on a date, nothing more
    assert all(
        set(e) == {"version", "type", "recorded_at", "occurred_at", "redacted"}
        for e in items
        if e["redacted"]
    )


def all_kinds(error: type) -> list[type]:
    return [error, *(k for sub in error.__subclasses__() for k in all_kinds(sub))]


@pytest.mark.parametrize("error", all_kinds(errors.ActionNotAllowedError), ids=lambda c: c.__name__)
def test_who_may_do_what_refusals_are_403_named_after_their_rule(error: type) -> None:
    problem = from_domain(error("refused"))
    assert (problem.status, problem.type) == (403, f"/problems/{error.__name__}")
    assert not issubclass(error, errors.RuleBrokenError)
