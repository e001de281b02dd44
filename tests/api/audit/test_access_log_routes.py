"""The access log over HTTP, on SQLite and PostgreSQL: pages walk the log exactly once;
cursors and filters are validated; a protagonist sees only who read their own file."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from projections.ledger.checkpoints import Signer
from tests.support.api_world import World
from tests.support.audit_world import PURPOSE, cfo, items, pages, read_notes, sign

pytestmark = pytest.mark.api
SIGNER = Signer.generate()


def test_access_log_pages_walk_every_entry_exactly_once(any_world: World) -> None:
    world, client = any_world, any_world.flask.test_client()
    read_notes(world, client, "coach_a", "coach_b", "cfo", "coo", "coach_a")
    one_page = items(client, world, "auditor", "/audit/access-log?limit=200")
    by_one = pages(client, world, "auditor", "/audit/access-log?limit=1")
    walked = [e for p in by_one for e in p["items"]]
    assert len(one_page) == 5
    assert [e["notification_id"] for e in walked] == [e["notification_id"] for e in one_page]
    assert len(by_one) == 5


def test_access_log_filters_by_principal_engagement_kind_and_time(
    world: World, client: FlaskClient
) -> None:
    start = datetime.now(UTC)
    read_notes(world, client, "coach_a", "coach_b", "cfo")
    log = "/audit/access-log"
    by = lambda query: items(client, world, "auditor", f"{log}?{query}")  # noqa: E731
    assert [e["principal_id"] for e in by("principal=coach-bruno")] == ["coach-bruno"]
    assert [e["kind"] for e in by("kind=refusal")] == ["refusal"]
    assert len(by(f"engagement={world.eid}")) == 3
    assert by(f"engagement={world.other.engagement_id}") == []
    assert len(by(f"since={quote(start.isoformat())}")) == 3
    assert by(f"until={quote(start.isoformat())}") == []
    later = quote((start + timedelta(days=1)).isoformat())
    assert by(f"since={later}") == []


@pytest.mark.parametrize(
    "query",
    [
        "cursor=!!!",
        "cursor=" + base64.urlsafe_b64encode(b"-1").decode(),
        "cursor=" + base64.urlsafe_b64encode(b"01").decode(),
        "cursor=" + base64.urlsafe_b64encode(b"1e5").decode(),
        "cursor=" + base64.urlsafe_b64encode(b"9" * 20).decode(),
        "cursor=" + base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "cursor=" + base64.urlsafe_b64encode(b"123456789").decode(),  # past the log
        "cursor=" + "A" * 100,
        "cursor=" + base64.urlsafe_b64encode(b'["a", 1]').decode(),
        "limit=0",
        "limit=201",
        "limit=many",
        "since=yesterday",
        "since=2026-01-01T00:00:00",  # no time zone
        "since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
        "engagement=not-a-uuid",
        "kind=gossip",
    ],
)
def test_access_log_refuses_a_bad_query_with_422_naming_it(
    world: World, client: FlaskClient, query: str
) -> None:
    r = client.get(f"/audit/access-log?{query}", headers=world.headers("auditor"))
    assert r.status_code == 422, r.json
    assert r.content_type == "application/problem+json"
    named = query.split("=")[0] if "until" not in query else "until"
    assert named in str(r.json["errors"])


def test_a_cursor_from_one_page_continues_after_its_last_entry(
    world: World, client: FlaskClient
) -> None:
    read_notes(world, client, "coach_a", "coach_b", "cfo")
    first = client.get("/audit/access-log?limit=1", headers=world.headers("auditor")).json
    position = int(base64.urlsafe_b64decode(first["next_cursor"]))
    assert position == first["items"][0]["notification_id"]


def test_own_access_log_shows_who_read_the_protagonists_file_and_nothing_else(
    any_world: World,
) -> None:
    world, client = any_world, any_world.flask.test_client()
    read_notes(world, client, "coach_a", "coach_b", "cfo", "coo")
    omar = world.demo.protagonists["coo"]
    intention = f"/engagements/{world.eid}/protagonists/{omar}/intention"
    client.get(intention, headers=world.headers("coo", **{"X-Purpose": "mine"}))
    sign(world, SIGNER)
    path = f"/engagements/{world.eid}/protagonists/{cfo(world)}/access-log"
    mine = items(client, world, "cfo", path)
    assert [(e["kind"], e["principal_id"], e["role"]) for e in mine] == [
        ("access", "coach-amelie", "coach"),
        ("refusal", "coach-bruno", "coach"),
        ("access", cfo(world), "protagonist"),
        ("refusal", omar, "protagonist"),
    ]
    assert mine[0]["purpose"] == PURPOSE
    assert mine[0]["rule"] == "individual_content: allows own coach"
    assert all("proof" not in e and "event" not in e for e in mine)
    as_audited = items(client, world, "auditor", path)
    assert [e["notification_id"] for e in as_audited] == [e["notification_id"] for e in mine]
    assert all(e["proof"] is not None for e in as_audited)


def test_own_access_log_of_someone_not_in_the_engagement_is_404_only_for_the_auditor(
    world: World, client: FlaskClient
) -> None:
    path = f"/engagements/{world.eid}/protagonists/{world.other.protagonists['cfo']}/access-log"
    statuses = [
        client.get(path, headers=world.headers(who)).status_code
        for who in ("auditor", "protagonist_other", "cfo", "coach_a")
    ]
    assert statuses == [404, 403, 403, 403]  # nobody else learns who is enrolled where
