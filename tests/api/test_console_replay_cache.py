"""The console's cheap replay gives exactly what `projections.asof` gives, at every position,
on SQLite and PostgreSQL, while checkpoints are thinned and extended by new events."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from api.console import replay_cache
from api.console.replay_cache import ReplayCache
from projections.asof import EngagementUnknownError, Moment, as_of, engagement_notifications
from projections.commitment_ledger import get_ledger
from projections.runner import PositionBeyondLogError
from projections.status import get_status
from projections.timeline import get_timeline
from tests.api.conftest import World

pytestmark = pytest.mark.api
TODAY = date(2026, 11, 29)


def views(read_side: Any, eid: UUID) -> tuple[Any, ...]:
    return (
        get_status(read_side, eid),
        get_ledger(read_side, eid, TODAY),
        get_timeline(read_side, eid),
    )


def expected(world: World, position: int) -> tuple[Any, ...]:
    engine = world.flask.extensions["trustpath.read_side"].engine
    with as_of(world.app, engine, world.eid, Moment(position=position)) as replayed:
        return views(replayed, world.eid)


def cache_of(world: World) -> ReplayCache:
    return ReplayCache(world.app, world.flask.extensions["trustpath.read_side"].engine)


def test_replay_cache_equals_as_of_when_asked_at_every_position(
    any_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay_cache, "FIRST_EVERY", 3)
    monkeypatch.setattr(replay_cache, "MAX_CHECKPOINTS", 4)
    world, cache = any_world, cache_of(any_world)
    engine = world.flask.extensions["trustpath.read_side"].engine
    positions = [n.id for n in engagement_notifications(world.app, engine, world.eid)]
    assert cache.positions(world.eid) == positions
    replay = cache.extended(world.eid, positions[-1])
    assert 2 <= len(replay.checkpoints) <= 5
    assert replay.every > 3
    for position in [*positions[:: max(1, len(positions) // 12)], positions[-1]]:
        with cache.as_of(world.eid, position) as replayed:
            assert views(replayed, world.eid) == expected(world, position), position


def test_replay_cache_extends_when_the_engagement_moves_on(world: World) -> None:
    cache = cache_of(world)
    before = cache.positions(world.eid)
    cfo = world.demo.protagonists["cfo"]
    world.flask.test_client().post(
        f"/engagements/{world.eid}/protagonists/{cfo}/consents/withdraw",
        json={"occurred_at": "2026-11-29T00:00:00Z", "scope": "sponsor_reporting", "evidence": "e"},
        headers=world.headers("coach_a"),
    )
    after = cache.positions(world.eid)
    assert after[: len(before)] == before
    assert len(after) == len(before) + 1
    with cache.as_of(world.eid) as replayed:
        assert views(replayed, world.eid) == expected(world, after[-1])


def test_replay_cache_refuses_when_the_position_is_out_of_range(world: World) -> None:
    cache = cache_of(world)
    first = cache.positions(world.eid)[0]
    with pytest.raises(PositionBeyondLogError), cache.as_of(world.eid, 10**12):
        pass
    with pytest.raises(EngagementUnknownError), cache.as_of(world.eid, first - 1):
        pass
    with pytest.raises(EngagementUnknownError), cache.as_of(UUID(int=7)):
        pass
