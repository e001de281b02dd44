"""The status projection over HTTP, now and "as of" a time or a log position, with the same
parameters and validation as the commitment ledger and the trust timeline."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from domain.ciphers import MasterKey
from projections.asof import Moment, as_of
from projections.status import get_status
from tests.support.api_world import World
from tests.support.audit_world import world_on

pytestmark = pytest.mark.api


@pytest.fixture
def any_world(store_url: str, master_key: MasterKey) -> Iterator[World]:
    with world_on(store_url, master_key) as found:
        yield found


def status(client: FlaskClient, world: World, query: str = "", who: str = "coach_a") -> dict:
    r = client.get(f"/engagements/{world.eid}/status{query}", headers=world.headers(who))
    assert r.status_code == 200, r.json
    return dict(r.json)


def positions(world: World) -> list[int]:
    engine = world.flask.extensions["trustpath.read_side"].engine
    from projections.asof import engagement_notifications

    return [n.id for n in engagement_notifications(world.app, engine, world.eid)]


def test_status_as_of_a_position_is_the_projection_replayed_up_to_it(any_world: World) -> None:
    world, client = any_world, any_world.flask.test_client()
    now = status(client, world)
    assert now["phase"] == "completed"
    cut = positions(world)[15]
    then = status(client, world, f"?as_of_position={cut}")
    read_side = world.flask.extensions["trustpath.read_side"]
    with as_of(world.app, read_side.engine, world.eid, Moment(position=cut)) as replayed:
        expected = get_status(replayed, world.eid)
    assert then == {**expected, "active": True}
    assert then["position"] == cut
    assert then["individual_sessions"] < now["individual_sessions"]


def test_status_as_of_a_time_shows_what_had_happened_by_then(any_world: World) -> None:
    world, client = any_world, any_world.flask.test_client()
    opened = status(client, world)["opened_at"]
    then = status(client, world, f"?as_of={quote(opened)}")
    assert (then["phase"], then["individual_sessions"], then["protagonists"]) == (
        "contracting",
        0,
        [],
    )


def test_status_as_of_is_cut_to_the_default_for_a_sponsor_without_consent(
    world: World, client: FlaskClient
) -> None:
    cfo = world.demo.protagonists["cfo"]
    client.post(
        f"/engagements/{world.eid}/protagonists/{cfo}/consents/withdraw",
        json={"occurred_at": "2026-11-29T00:00:00Z", "scope": "sponsor_reporting", "evidence": "e"},
        headers=world.headers("coach_a"),
    )
    seen = status(client, world, f"?as_of_position={positions(world)[30]}", who="sponsor")
    assert set(seen) == {
        "engagement_id",
        "active",
        "phase",
        "individual_sessions",
        "relationship_sessions",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?as_of=2000-01-01T00:00:00Z", 404),
        ("?as_of_position=999999", 422),
        ("?as_of_position=0", 422),
        ("?as_of_position=x", 422),
        ("?as_of=tomorrow", 422),
        ("?as_of=2026-07-01T00:00:00", 422),
        ("?min_position=-1", 422),
    ],
)
def test_status_as_of_is_validated_as_the_other_views(
    world: World, client: FlaskClient, query: str, expected: int
) -> None:
    answers = [
        client.get(f"/engagements/{world.eid}/{view}{query}", headers=world.headers("coach_a"))
        for view in ("status", "commitments")
    ]
    assert [r.status_code for r in answers] == [expected, expected]
    assert answers[0].json["detail"] == answers[1].json["detail"]
    assert answers[0].json.get("errors") == answers[1].json.get("errors")
