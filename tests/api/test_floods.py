"""Floods: nobody can grow the audit log at will, with or without a token.

Refusals of confidential reads stay recorded, coalesced into one record per (caller,
item, reason, minute) with a count (api.refusals); callers without a token are limited
per address before anything is written, and refused principals spend a refusal budget
(api.limits). Counts are asserted, never durations.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from flask.testing import FlaskClient

from api.auth import TokenBucket
from domain.audit import AccessDenied
from tests.support.api_world import PURPOSE, World, audit, notes_url

pytestmark = pytest.mark.api
FLOOD = 600
GOLDEN = Path(__file__).parents[1] / "golden" / "events_v1.json"


def events_in_store(world: World) -> int:
    return int(world.app.recorder.max_notification_id() or 0)


def flood(client: FlaskClient, url: str, headers: dict[str, str]) -> Counter[int]:
    return Counter(client.get(url, headers=headers).status_code for _ in range(FLOOD))


def denied_after_flush(world: World) -> list[Any]:
    refusals = world.flask.extensions.get("trustpath.refusals")
    if refusals is not None:  # (absent before coalescing: every refusal was one record)
        refusals.flush(everything=True)
    return audit(world.app, "AccessDenied")


def counted(records: list[Any]) -> int:
    return sum(getattr(d, "count", 1) for d in records)


def test_anonymous_flood_of_a_notes_route_adds_at_most_60_events(
    world: World, client: FlaskClient
) -> None:
    before = events_in_store(world)
    answers = flood(client, notes_url(world), PURPOSE)
    denied = denied_after_flush(world)
    assert set(answers) <= {401, 429}
    assert answers[401] >= 1
    assert events_in_store(world) - before <= 60
    assert counted(denied) == answers[401]


def test_anonymous_refusals_are_coalesced_with_a_count_when_no_limit_applies(
    world: World, client: FlaskClient
) -> None:
    world.flask.extensions["trustpath.anonymous_bucket"] = TokenBucket(10_000, 10_000)
    before = events_in_store(world)
    answers = flood(client, notes_url(world), PURPOSE)
    denied = denied_after_flush(world)
    assert answers == Counter({401: FLOOD})
    assert events_in_store(world) - before <= 60
    assert counted(denied) == FLOOD
    assert {(d.principal_id, d.reason, d.client) for d in denied} == {
        ("anonymous", "unauthenticated", "127.0.0.1")
    }


def test_first_refusal_of_a_window_is_recorded_before_the_answer(
    world: World, client: FlaskClient
) -> None:
    assert client.get(notes_url(world), headers=PURPOSE).status_code == 401
    (record,) = audit(world.app, "AccessDenied")
    assert (record.count, record.client) == (1, "127.0.0.1")
    assert record.window.endswith("+00:00")


def test_authenticated_flood_of_refused_reads_is_limited_and_coalesced(
    world: World, client: FlaskClient
) -> None:
    before = events_in_store(world)
    answers = flood(client, notes_url(world), world.headers("coach_b", **PURPOSE))
    denied = denied_after_flush(world)
    assert set(answers) <= {403, 429}
    assert answers[429] >= 1
    assert events_in_store(world) - before <= 60
    assert {d.principal_id for d in denied} == {"coach-bruno"}
    assert counted(denied) == answers[403]


def test_refusal_budget_spent_by_one_principal_leaves_the_others_reading(
    world: World, client: FlaskClient
) -> None:
    flood(client, notes_url(world), world.headers("coach_b", **PURPOSE))
    r = client.get(notes_url(world), headers=world.headers("coach_a", **PURPOSE))
    assert r.status_code == 200


def test_refusal_counts_reach_the_confidentiality_report_entries(
    world: World, client: FlaskClient
) -> None:
    from projections.ledger.audit_log import audit_records

    world.flask.extensions["trustpath.anonymous_bucket"] = TokenBucket(10_000, 10_000)
    for _ in range(5):
        client.get(notes_url(world), headers=PURPOSE)
    denied_after_flush(world)
    url = world.flask.config.get("DATABASE_URL") or world.app.env["SQLITE_DBNAME"]
    url = url if "://" in url else f"sqlite:///{url}"
    refusals = [e for e in audit_records(url) if e["kind"] == "refusal"]
    assert sum(e["count"] for e in refusals) == 5


def test_access_denied_stored_before_coalescing_loads_as_one_refusal(world: World) -> None:
    (golden,) = [
        e for e in json.loads(GOLDEN.read_text())["events"] if e["topic"].endswith("AccessDenied")
    ]
    stored = StoredEvent(
        originator_id=golden["originator_id"],
        originator_version=golden["originator_version"],
        topic=golden["topic"],
        state=golden["state"].encode(),
    )
    event = world.app.mapper.to_domain_event(stored)
    assert isinstance(event, AccessDenied)
    assert (event.count, event.client, event.window) == (1, "", "")


def test_refusals_counted_by_two_workers_are_summarised_once_when_the_minute_closes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.refusals
    from api.refusals import RefusalWindows
    from domain.values import Actor

    one: RefusalWindows = world.flask.extensions["trustpath.refusals"]
    other = RefusalWindows(world.app, one.table)  # a second worker of the same server
    coach_b = Actor("coach-bruno", "coach")
    clock = 1_800_000_000.0
    monkeypatch.setattr(api.refusals, "FLUSH_SECONDS", 3600.0)  # only this test flushes
    monkeypatch.setattr(api.refusals.time, "time", lambda: clock)
    for windows in (one, other) * 5:
        windows.refuse(world.eid, coach_b, "p", "individual_session/s/notes", "rule")
    assert [d.count for d in audit(world.app, "AccessDenied")] == [1]
    assert one.flush() + other.flush() == 0  # the minute is still open
    clock += 60
    assert one.flush() + other.flush() == 9
    assert [d.count for d in audit(world.app, "AccessDenied")] == [1, 9]
    assert {d.window for d in audit(world.app, "AccessDenied")} == {"2027-01-15T08:00+00:00"}
    other.close()
