"""Expensive views are bounded: a replay "as of" of a long engagement answers a page at a
time and its cost is counted against the caller's rate limit (sizes and counts, never
durations)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from api.auth import TokenBucket
from domain.commands import AssessTrust
from domain.values import Actor
from tests.support.api_world import World
from tests.support.flows import Fresh, fresh_engagement

pytestmark = pytest.mark.api
ASSESSMENTS = 250
COACH_A = Actor("coach-amelie", "coach")


@pytest.fixture
def long_engagement(world: World, client: FlaskClient) -> Fresh:
    """A fresh engagement with ASSESSMENTS trust assessments (over 250 events)."""
    fresh = fresh_engagement(client, world)
    for i in range(ASSESSMENTS):
        world.app.execute(
            fresh.eid,
            COACH_A,
            AssessTrust(
                occurred_at=datetime.now(UTC),
                protagonist_id=fresh.cfo,
                toward_id=fresh.coo,
                challenge="presence",
                score=i % 11,
            ),
        )
    return fresh


def as_of_path(fresh: Fresh, extra: str = "") -> str:
    return f"/engagements/{fresh.eid}/timeline?as_of={quote(datetime.now(UTC).isoformat())}{extra}"


def test_timeline_as_of_answers_pages_that_cover_every_assessment_once(
    world: World, client: FlaskClient, long_engagement: Fresh
) -> None:
    scores: list[Any] = []
    cursor, pages = None, 0
    while pages < 50:
        extra = f"&limit=100&cursor={cursor}" if cursor else "&limit=100"
        r = client.get(as_of_path(long_engagement, extra), headers=world.headers("coach_a"))
        assert r.status_code == 200
        assert len(r.json["assessments"]) <= 100
        assert len(r.json["milestones"]) <= 100
        scores += [a["score"] for a in r.json["assessments"]]
        cursor, pages = r.json["next_cursor"], pages + 1
        if cursor is None:
            break
    assert pages == 3
    assert scores == [i % 11 for i in range(ASSESSMENTS)]


def test_timeline_as_of_costs_rate_limit_tokens_in_proportion_to_events_replayed(
    world: World, client: FlaskClient, long_engagement: Fresh
) -> None:
    world.flask.extensions["trustpath.bucket"] = TokenBucket(rate=0.001, burst=12)
    path = as_of_path(long_engagement)
    answers = Counter(
        client.get(path, headers=world.headers("coach_a")).status_code for _ in range(10)
    )
    assert answers[200] <= 4  # 12 tokens, ~4 a replay of 250+ events
    assert answers[429] >= 6
    assert client.get(path, headers=world.headers("coach_a")).headers["Retry-After"]


def test_timeline_with_a_malformed_cursor_is_422(world: World, client: FlaskClient) -> None:
    r = client.get(
        f"/engagements/{world.eid}/timeline?cursor=WzEsLTFd", headers=world.headers("coach_a")
    )
    assert r.status_code == 422
