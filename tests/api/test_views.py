"""Views: filtered by the matrix, paginated with a cursor, read-your-writes, "as of"."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from api.read_models import decode_cursor
from tests.support.api_world import World
from tests.support.flows import fresh_engagement, post

pytestmark = pytest.mark.api


def get(client: FlaskClient, world: World, who: str, path: str) -> Any:
    r = client.get(path, headers=world.headers(who))
    assert r.status_code == 200, (path, r.json)
    return r.json


def all_pages(client: FlaskClient, world: World, who: str, path: str) -> list[Any]:
    items, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        page = get(client, world, who, path + (f"{sep}cursor={cursor}" if cursor else ""))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_engagement_list_shows_only_the_callers_engagements(
    world: World, client: FlaskClient
) -> None:
    ids = lambda who: {e["engagement_id"] for e in all_pages(client, world, who, "/engagements")}  # noqa: E731
    both = {str(world.demo.engagement_id), str(world.other.engagement_id)}
    assert ids("admin") == both
    assert ids("coach_a") == both
    assert ids("cfo") == {str(world.demo.engagement_id)}
    assert ids("protagonist_other") == {str(world.other.engagement_id)}
    assert ids("coach_other") == set()
    assert ids("sponsor_other") == set()


def test_engagement_list_pages_follow_the_cursor(world: World, client: FlaskClient) -> None:
    first = get(client, world, "admin", "/engagements?limit=1")
    assert len(first["items"]) == 1
    assert first["next_cursor"]
    pages = all_pages(client, world, "admin", "/engagements?limit=1")
    assert len({e["engagement_id"] for e in pages}) == 2


def test_history_pages_cover_every_event_the_reader_may_see_once(
    world: World, client: FlaskClient
) -> None:
    coo = world.demo.protagonists["coo"]
    events = list(world.app.events.get(world.eid))
    hidden = {  # the other protagonist's intentions: their individual space
        e.originator_version
        for e in events
        if type(e).__name__.startswith("Intention")
        and type(e).__name__ != "IntentionShared"
        and e.protagonist_id == coo
    }
    paged = all_pages(client, world, "coach_a", f"/engagements/{world.eid}/history?limit=7")
    assert hidden
    assert [e["version"] for e in paged] == [
        e.originator_version for e in events if e.originator_version not in hidden
    ]


def test_history_pages_of_a_sponsor_cover_every_session_once(
    world: World, client: FlaskClient
) -> None:
    paged = all_pages(client, world, "sponsor", f"/engagements/{world.eid}/history?limit=3")
    whole = get(client, world, "sponsor", f"/engagements/{world.eid}/history?limit=200")
    assert paged == whole["items"]
    assert len(paged) == 10  # six individual and four relationship sessions
    first = get(client, world, "sponsor", f"/engagements/{world.eid}/history?limit=3")
    assert decode_cursor(first["next_cursor"]) == 3  # sessions told, not a count of events


def test_history_for_an_auditor_and_a_sponsor_is_dates_only_where_not_allowed(
    world: World, client: FlaskClient
) -> None:
    path = f"/engagements/{world.eid}/history?limit=200"
    auditor = get(client, world, "auditor", path)["items"]
    sessions = [e for e in auditor if e["type"] == "IndividualSessionHeld"]
    assert sessions
    assert all(e["redacted"] and "data" not in e for e in sessions)
    coach = get(client, world, "coach_a", path)["items"]
    own = [e for e in coach if e["type"] == "IndividualSessionHeld" and not e["redacted"]]
    assert own
    assert all(e["data"]["notes"] == {"sealed": True} for e in own)


def test_timeline_of_a_protagonist_holds_only_their_own_assessments(
    world: World, client: FlaskClient
) -> None:
    cfo = world.demo.protagonists["cfo"]
    mine = get(client, world, "cfo", f"/engagements/{world.eid}/timeline")["assessments"]
    coach = get(client, world, "coach_b", f"/engagements/{world.eid}/timeline")["assessments"]
    assert mine
    assert {a["protagonist_id"] for a in mine} == {cfo}
    assert len({a["protagonist_id"] for a in coach}) == 2


def test_timeline_as_of_shows_what_was_known_then(world: World, client: FlaskClient) -> None:
    full = get(client, world, "coach_a", f"/engagements/{world.eid}/timeline")["assessments"]
    cut = full[3]["occurred_at"]
    from urllib.parse import quote

    then = get(client, world, "coach_a", f"/engagements/{world.eid}/timeline?as_of={quote(cut)}")
    assert [a["occurred_at"] for a in then["assessments"]] == [a["occurred_at"] for a in full[:4]]


def test_view_with_min_position_sees_the_command_just_made(
    world: World, client: FlaskClient
) -> None:
    fresh = fresh_engagement(client, world)
    receipt = post(
        client,
        world,
        "coach_a",
        f"/engagements/{fresh.eid}/trust-assessments",
        protagonist_id=fresh.cfo,
        toward_id=fresh.coo,
        challenge="presence",
        score=7,
    )
    timeline = get(
        client,
        world,
        "coach_a",
        f"/engagements/{fresh.eid}/timeline?min_position={receipt['position']}",
    )
    assert [a["score"] for a in timeline["assessments"]] == [7]


def test_view_with_a_position_beyond_the_log_is_422(world: World, client: FlaskClient) -> None:
    r = client.get(
        f"/engagements/{world.eid}/commitments?min_position=99999999",
        headers=world.headers("coach_a"),
    )
    assert r.status_code == 422


def test_sponsor_without_consent_sees_only_the_default_status(
    world: World, client: FlaskClient
) -> None:
    cfo = world.demo.protagonists["cfo"]
    post(
        client,
        world,
        "cfo",
        f"/engagements/{world.eid}/protagonists/{cfo}/consents/withdraw",
        scope="sponsor_reporting",
    )
    limited = get(client, world, "sponsor", f"/engagements/{world.eid}")
    assert set(limited) == {
        "id",
        "phase",
        "active",
        "individual_sessions",
        "relationship_sessions",
    }


def test_health_is_public_and_ready_reports_positions(world: World, client: FlaskClient) -> None:
    assert client.get("/health/live").status_code == 200
    ready = client.get("/health/ready").json
    assert ready["status"] == "ready"
    assert ready["projections_reached"] == ready["position"]


@pytest.mark.parametrize("cursor", ["MQ==", "bm90IGpzb24=", "%%%", "WyJhIl0="])
def test_engagement_list_with_a_malformed_cursor_is_422(
    world: World, client: FlaskClient, cursor: str
) -> None:
    r = client.get(f"/engagements?cursor={cursor}", headers=world.headers("admin"))
    assert r.status_code == 422


def test_ledger_as_of_a_position_shows_the_commitments_made_by_then(
    world: World, client: FlaskClient
) -> None:
    url = f"/engagements/{world.eid}/commitments"
    now = get(client, world, "coach_a", url)["commitments"]
    made_at = {c["commitment_id"]: min(h["position"] for h in c["history"]) for c in now}
    first = min(made_at.values())
    then = get(client, world, "coach_a", f"{url}?as_of_position={first}")["commitments"]
    before = get(client, world, "coach_a", f"{url}?as_of_position={first - 1}")["commitments"]
    assert len(now) == 4
    assert [c["commitment_id"] for c in then] == [min(made_at, key=made_at.__getitem__)]
    assert before == []


def test_view_as_of_before_the_engagement_opened_is_404(world: World, client: FlaskClient) -> None:
    r = client.get(
        f"/engagements/{world.eid}/timeline?as_of=2000-01-01T00:00:00Z",
        headers=world.headers("coach_a"),
    )
    assert r.status_code == 404


def test_engagement_list_for_a_sponsor_without_consent_holds_phase_and_counts_only(
    world: World, client: FlaskClient
) -> None:
    coo = world.demo.protagonists["coo"]
    receipt = post(
        client,
        world,
        "coo",
        f"/engagements/{world.eid}/protagonists/{coo}/consents/withdraw",
        scope="sponsor_reporting",
    )
    page = get(client, world, "sponsor", f"/engagements?min_position={receipt['position']}")
    mine = next(e for e in page["items"] if e["engagement_id"] == str(world.eid))
    assert mine == {
        "engagement_id": str(world.eid),
        "phase": "completed",
        "active": False,
        "individual_sessions": 6,
        "relationship_sessions": 4,
    }


@pytest.mark.parametrize("who", ["sponsor", "coach_a"])
def test_history_with_a_negative_cursor_is_422_not_a_500(
    world: World, client: FlaskClient, who: str
) -> None:
    from api.read_models import encode_cursor

    path = f"/engagements/{world.eid}/history?limit=200&cursor={encode_cursor(-5)}"
    answer = client.get(path, headers=world.headers(who))
    assert answer.status_code == 422
    assert "cursor" in answer.get_json()["errors"]["query"]
