"""The catch-up runner on real SQLite and PostgreSQL: in-process, read-your-writes, faults,
exactly-once under racing runners, the LISTEN/NOTIFY follower, rebuild and its switch."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from projections.catalogue import all_projections
from projections.commitment_ledger import get_ledger
from projections.engine import make_engine
from projections.errors import PositionBeyondLogError, ProjectionFailedError, ReadSideTimeoutError
from projections.follow import follow
from projections.read_side import ReadSide
from projections.rebuild import rebuild, rebuild_many
from projections.status import StatusProjection, get_status, list_engagements
from projections.timeline import get_timeline
from projections.wiring import attach
from tests.support.apps import make_app
from tests.support.builders import EngagementBuilder
from tests.support.counting import Counting, play

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    made = make_engine(store_url)
    yield made
    made.dispose()


@pytest.fixture
def read_side(app: Trustpath, engine: sa.Engine) -> Iterator[ReadSide]:
    attached = attach(app, engine)
    yield attached
    attached.close()


def test_command_returns_only_once_projections_reflect_it_when_in_process(
    app: Trustpath, read_side: ReadSide
) -> None:
    builder = play(app)
    status = get_status(read_side, builder.eid)
    assert status is not None
    assert (status["phase"], status["relationship_sessions"]) == ("relationship", 1)
    assert status["commitments_open"] == 1
    assert read_side.reached() == read_side.max_position()


def test_wait_for_fails_clearly_when_the_projections_are_behind(
    app: Trustpath, engine: sa.Engine
) -> None:
    read_side = attach(app, engine, in_process=False)
    position = EngagementBuilder(app).contracted().app.recorder.max_notification_id()
    with pytest.raises(ReadSideTimeoutError, match=f"not {position}"):
        read_side.wait_for(position, timeout=0.05)
    read_side.catch_up()
    assert read_side.wait_for(position, timeout=0.05) == position


def test_wait_for_refuses_a_position_beyond_the_log(read_side: ReadSide) -> None:
    with pytest.raises(PositionBeyondLogError, match="beyond the end of the log"):
        read_side.wait_for(read_side.max_position() + 10)


def test_a_failing_page_applies_nothing_and_is_retried_when_the_fault_is_gone(
    app: Trustpath, engine: sa.Engine
) -> None:
    EngagementBuilder(app).contracted()
    counting = Counting(fail_at=5)
    read_side = attach(app, engine, [counting, StatusProjection()], in_process=False)
    # the rebuild at attach stopped on the fault: nothing of the page, no live version
    assert read_side.outdated() == ["counting"]
    building = [r for r in read_side.rows() if r.name == "counting"]
    assert [int(r.position) for r in building] == [0]
    table = counting.tables.of(building[0].suffix)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0
    counting.fail_at = 0
    rebuild(read_side, "counting")
    assert counting.count(read_side) == read_side.max_position()


def test_a_poison_event_stops_the_projection_and_is_never_skipped(
    app: Trustpath, read_side: ReadSide, monkeypatch: pytest.MonkeyPatch
) -> None:
    builder = EngagementBuilder(app).contracted()
    before = read_side.reached()
    decode = app.mapper.to_domain_event

    def poisoned(notification: Any) -> Any:
        if getattr(notification, "id", None) == before + 1:
            raise ValueError("undecodable")
        return decode(notification)

    monkeypatch.setattr(app.mapper, "to_domain_event", poisoned)
    builder.individual_session(builder.p1)  # the command succeeds; its projection fails
    assert read_side.reached() == before
    with pytest.raises(ProjectionFailedError, match=f"position {before + 1}"):
        read_side.catch_up()
    monkeypatch.setattr(app.mapper, "to_domain_event", decode)
    read_side.catch_up()
    status = get_status(read_side, builder.eid)
    assert status is not None
    assert status["individual_sessions"] == 1


@pytest.mark.postgres
def test_two_racing_runners_apply_every_event_exactly_once_on_postgresql(
    pg_url: str, master_key: MasterKey
) -> None:
    app = make_app(pg_url, master_key)
    engines = [make_engine(pg_url), make_engine(pg_url)]
    try:
        for _ in range(3):
            play(app)
        counting = [Counting(), Counting()]
        sides = [
            attach(app, e, [c, *all_projections()[:3]], in_process=False, rebuild_outdated=False)
            for e, c in zip(engines, counting, strict=True)
        ]
        for name in sides[0].outdated():
            _empty_live_version(sides[0], name)
        for side in sides:
            side.runner.page_size = 7
        _race(lambda side: side.catch_up(), sides)
        total = sides[0].max_position()
        assert counting[0].count(sides[0]) == total
        assert counting[1].count(sides[1]) == total
        assert sides[0].reached() == sides[1].reached() == total
        assert len(list_engagements(sides[0])) == 3
    finally:
        app.close()
        for e in engines:
            e.dispose()


def _empty_live_version(read_side: ReadSide, name: str) -> None:
    """A live version at position 0, so that both runners start from the very beginning."""
    from projections.positions import insert_position
    from projections.protocol import Target

    target = Target(read_side.projection(name), "race")
    read_side.metadata(target).create_all(read_side.engine)
    with read_side.engine.begin() as conn:
        insert_position(conn, target, live=True)


def _race(work: Any, sides: list[ReadSide]) -> None:
    barrier = threading.Barrier(len(sides))
    errors: list[BaseException] = []

    def run(side: ReadSide) -> None:
        barrier.wait()
        try:
            work(side)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(s,)) for s in sides]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.postgres
def test_follower_is_woken_by_notify_on_postgresql(pg_url: str, master_key: MasterKey) -> None:
    app = make_app(pg_url, master_key)
    engine = make_engine(pg_url)
    read_side = attach(app, engine, in_process=False)
    stop = threading.Event()
    follower = threading.Thread(target=follow, args=(read_side, stop), kwargs={"poll_s": 60})
    follower.start()
    try:
        builder = play(app)
        # a 60 s poll would not make it: only the NOTIFY wakes the follower in time
        read_side.wait_for(app.recorder.max_notification_id(), timeout=30)
        assert get_ledger(read_side, builder.eid)["engagement"]["made"] == 1
    finally:
        stop.set()
        with engine.begin() as conn:  # one more NOTIFY, so the follower sees `stop` at once
            conn.execute(sa.text(f'NOTIFY "{app.recorder.channel_name}"'))
        follower.join()
        app.close()
        engine.dispose()


def test_readers_always_get_a_complete_view_throughout_a_rebuild(
    app: Trustpath, read_side: ReadSide
) -> None:
    builders = [play(app) for _ in range(3)]
    expected = [(get_status(read_side, b.eid), get_timeline(read_side, b.eid)) for b in builders]
    read_side.runner.page_size = 5  # the final catch-up before the switch, page by page too
    done = threading.Event()
    seen: list[bool] = []

    def reader() -> None:
        while not done.is_set():
            now = [(get_status(read_side, b.eid), get_timeline(read_side, b.eid)) for b in builders]
            seen.append(now == expected)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for name in ("status", "timeline"):
            rebuild_many(read_side, [name], page_size=5)
    finally:
        done.set()
        thread.join()
    assert seen
    assert all(seen)
    assert [
        (get_status(read_side, b.eid), get_timeline(read_side, b.eid)) for b in builders
    ] == expected


def test_a_changed_code_version_is_rebuilt_beside_the_old_one_when_attached(
    app: Trustpath, engine: sa.Engine, read_side: ReadSide
) -> None:
    builder = play(app)
    before = get_status(read_side, builder.eid)
    newer = StatusProjection()
    newer.version = 2
    upgraded = attach(app, engine, [newer], in_process=False)
    rows = {(r.version, r.live, r.retired) for r in upgraded.rows() if r.name == "status"}
    assert rows == {(1, False, True), (2, True, False)}
    assert get_status(upgraded, builder.eid) == before
