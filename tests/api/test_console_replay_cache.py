"""The console's cheap replay gives exactly what `projections.asof` gives, at every position,
on SQLite and PostgreSQL, while checkpoints are thinned and extended by new events."""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from api.console import replay_cache
from api.console.replay_cache import ReplayCache
from domain.commands import AssessTrust
from domain.values import Actor
from projections.asof import EngagementUnknownError, Moment, as_of, engagement_notifications
from projections.commitment_ledger import get_ledger
from projections.errors import PositionBeyondLogError
from projections.status import get_status
from projections.timeline import get_timeline
from tests.support.api_world import World
from tests.support.flows import fresh_engagement

pytestmark = pytest.mark.api
TODAY = date(2026, 11, 29)


def views(read_side: Any, eid: UUID) -> tuple[Any, ...]:
    return get_status(read_side, eid), get_ledger(read_side, eid, TODAY)


def expected_of(world: World, eid: UUID, position: int) -> tuple[Any, ...]:
    engine = world.flask.extensions["trustpath.read_side"].engine
    with as_of(world.app, engine, eid, Moment(position=position)) as replayed:
        return (*views(replayed, eid), get_timeline(replayed, eid))


def expected(world: World, position: int) -> tuple[Any, ...]:
    return expected_of(world, world.eid, position)


def cached(cache: ReplayCache, eid: UUID, position: int | None) -> tuple[Any, ...]:
    with cache.as_of(eid, position) as replayed:
        return (*views(replayed, eid), cache.timeline(eid, position))


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
        assert cached(cache, world.eid, position) == expected(world, position), position


def test_replay_cache_extends_when_the_engagement_moves_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay_cache, "FIRST_EVERY", 4)
    monkeypatch.setattr(replay_cache, "MAX_CHECKPOINTS", 2)  # thinned as it grows
    fresh = fresh_engagement(world.flask.test_client(), world)
    cache = cache_of(world)
    seen: list[int] = []
    for score in range(7):
        world.app.execute(
            fresh.eid,
            Actor("coach-amelie", "coach"),
            AssessTrust(
                occurred_at=datetime.now(UTC),
                protagonist_id=fresh.cfo,
                toward_id=fresh.coo,
                challenge=("presence", "confrontation")[score % 2],
                score=score,
            ),
        )
        now = cache.positions(fresh.eid)
        assert now[: len(seen)] == seen
        assert len(now) == len(seen) + 1 or not seen
        seen = now
        for position in (None, now[-2], now[len(now) // 2]):
            asked = now[-1] if position is None else position
            assert cached(cache, fresh.eid, position) == expected_of(world, fresh.eid, asked)
    replay = cache.extended(fresh.eid, seen[-1])
    assert len(replay.checkpoints) <= 3
    assert replay.every >= 8


def test_replay_cache_refuses_when_the_position_is_out_of_range(world: World) -> None:
    cache = cache_of(world)
    first = cache.positions(world.eid)[0]
    with pytest.raises(PositionBeyondLogError), cache.as_of(world.eid, 10**12):
        pass
    with pytest.raises(EngagementUnknownError), cache.as_of(world.eid, first - 1):
        pass
    with pytest.raises(EngagementUnknownError), cache.as_of(UUID(int=7)):
        pass


def test_replay_rows_upto_keeps_the_rows_of_events_at_or_before_p_when_dated_in_any_order() -> None:
    def row(at: str, position: int) -> dict[str, Any]:
        return {"occurred_at": at, "position": position}

    in_order, out_of_order = replay_cache.Rows(), replay_cache.Rows()
    in_order.add([row("2026-01-02", 2), row("2026-01-01", 1)])
    in_order.add([row("2026-01-03", 5)])
    out_of_order.add([row("2026-01-02", 2), row("2026-01-03", 3)])
    out_of_order.add([row("2026-01-01", 7)])  # stored later, dated earlier
    for rows in (in_order, out_of_order):
        for last in range(9):
            every = [v for v in rows.values if v["position"] <= last]
            assert rows.upto(last) == every
    assert [v["position"] for v in in_order.upto(2)] == [1, 2]
    assert [v["position"] for v in out_of_order.upto(3)] == [2, 3]


def test_replay_cache_freezes_long_lived_objects_when_a_build_is_large(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = world.flask.extensions["trustpath.read_side"].engine
    stored = len(engagement_notifications(world.app, engine, world.eid))
    gc.unfreeze()
    try:
        monkeypatch.setattr(replay_cache, "SETTLE_AFTER", stored + 1)  # one event short
        assert cache_of(world).extended(world.eid, 10**9).positions
        assert gc.get_freeze_count() == 0
        monkeypatch.setattr(replay_cache, "SETTLE_AFTER", stored)
        assert cache_of(world).extended(world.eid, 10**9).positions
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the other tests' objects stay collectable
