"""A rebuild by parts on PostgreSQL (projections/parts.py): the parts cut the log by
aggregate without losing or repeating an event, each part is applied exactly once even
with runners racing, a fault in a part changes nothing of it, and a version gets its
position row only once every part reached the stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from projections.engine import make_engine
from projections.errors import ProjectionFailedError
from projections.parts import Part, select_part
from projections.positions import parts, positions
from projections.protocol import Target
from projections.read_side import ReadSide
from projections.rebuild import merge, rebuild_many, start_build
from projections.runner import Runner
from projections.wiring import attach
from tests.support.apps import make_app
from tests.support.counting import Counting, play

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
HALVES = (Part(0, 2), Part(1, 2))


@pytest.fixture
def pg_app(pg_url: str, master_key: MasterKey) -> Iterator[Trustpath]:
    made = make_app(pg_url, master_key)
    builders = [play(made) for _ in range(4)]
    while len({b.eid.bytes[15] % 2 for b in builders}) < 2:  # ids are random: both halves
        builders.append(play(made))
    yield made
    made.close()


@pytest.fixture
def counting() -> Counting:
    return Counting()


@pytest.fixture
def read_side(pg_app: Trustpath, pg_url: str, counting: Counting) -> Iterator[ReadSide]:
    engine = make_engine(pg_url)
    attached = attach(pg_app, engine, [counting], in_process=False, rebuild_outdated=False)
    yield attached
    attached.close()
    engine.dispose()


def all_ids(app: Trustpath) -> list[int]:
    return [n.id for n in app.recorder.select_notifications(0, 10**6, inclusive_of_start=False)]


def part_ids(app: Trustpath, part: Part, page: int = 5) -> list[Any]:
    found, start, stop = [], 0, app.recorder.max_notification_id() or 0
    while notifications := select_part(app.recorder, start, page, stop, part):
        found.extend(notifications)
        start = notifications[-1].id
    return found


def part_rows(read_side: ReadSide, target: Target) -> dict[int, int]:
    return {
        int(r.part): int(r.position) for r in read_side.part_rows() if r.suffix == target.suffix
    }


def position_row(read_side: ReadSide, target: Target) -> Any:
    return next((r for r in read_side.rows() if r.suffix == target.suffix), None)


def test_the_parts_cut_the_log_by_aggregate_without_losing_or_repeating_an_event(
    pg_app: Trustpath,
) -> None:
    halves = [part_ids(pg_app, part) for part in HALVES]
    ids = [[n.id for n in half] for half in halves]
    assert all(half for half in ids)  # both halves have events of this log
    assert sorted(ids[0] + ids[1]) == all_ids(pg_app)
    assert ids[0] == sorted(ids[0])  # each in log order
    assert ids[1] == sorted(ids[1])
    owners = [{n.originator_id for n in half} for half in halves]
    assert not owners[0] & owners[1]  # an aggregate's events all fall in one part


def test_runners_racing_over_both_parts_apply_every_event_exactly_once(
    pg_app: Trustpath, pg_url: str, read_side: ReadSide, counting: Counting
) -> None:
    target = start_build(read_side, counting, count=2)
    end = read_side.max_position()
    assert position_row(read_side, target) is None  # no runner may apply whole pages to it
    engines = [make_engine(pg_url) for _ in range(4)]
    barrier, errors = threading.Barrier(4), []

    def run(engine: sa.Engine, part: Part) -> None:
        barrier.wait()
        try:
            Runner(pg_app, engine, page_size=3).catch_up(
                [Target(counting, target.suffix, part)], stop=end
            )
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=(engine, HALVES[i % 2]))
        for i, engine in enumerate(engines)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for engine in engines:
            engine.dispose()
    assert errors == []
    assert part_rows(read_side, target) == {0: end, 1: end}
    merge(read_side, read_side.runner, [target], 2, end)
    assert part_rows(read_side, target) == {}
    assert int(position_row(read_side, target).position) == end
    with read_side.engine.connect() as conn:
        table = counting.tables.of(target.suffix)
        applied = [r.position for r in conn.execute(sa.select(table.c.position))]
    assert sorted(applied) == all_ids(pg_app)  # every event once: a repeat would be a key error


def test_a_fault_in_a_part_changes_nothing_of_it_and_the_merge_waits_for_every_part(
    pg_app: Trustpath, read_side: ReadSide, counting: Counting
) -> None:
    target = start_build(read_side, counting, count=2)
    end = read_side.max_position()
    runner = Runner(pg_app, read_side.engine, page_size=4)
    second = part_ids(pg_app, HALVES[1])
    counting.fail_at = second[6].id  # mid-page: the second page of part 2 holds it
    with pytest.raises(ProjectionFailedError, match="nothing applied"):
        runner.catch_up([Target(counting, target.suffix, HALVES[1])], stop=end)
    assert part_rows(read_side, target) == {0: 0, 1: second[3].id}  # its first page only
    counting.fail_at = 0
    with pytest.raises(ProjectionFailedError, match="part 1/2 did not reach"):
        merge(read_side, runner, [target], 2, end)  # folds part 2 here, but part 1 is behind
    assert part_rows(read_side, target) == {0: 0, 1: end}
    assert position_row(read_side, target) is None
    runner.catch_up([Target(counting, target.suffix, HALVES[0])], stop=end)
    merge(read_side, runner, [target], 2, end)
    assert int(position_row(read_side, target).position) == end
    with read_side.engine.connect() as conn:
        table = counting.tables.of(target.suffix)
        assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == len(
            all_ids(pg_app)
        )


def test_projections_status_shows_each_part_of_a_build_and_a_later_rebuild_drops_it(
    read_side: ReadSide, counting: Counting
) -> None:
    target = start_build(read_side, counting, count=2)  # then abandoned: its process died
    rows = [r for r in read_side.lag() if r[2] == target.suffix]
    assert [r[3] for r in rows] == ["building part 1/2", "building part 2/2"]
    assert {r[5] for r in rows} == {read_side.max_position()}  # the whole log still to do
    (built,) = rebuild_many(read_side, ["counting"])
    assert part_rows(read_side, target) == {}
    tables = sa.inspect(read_side.engine).get_table_names()
    assert f"test_counting_{target.suffix}" not in tables
    assert f"test_counting_{built.suffix}" in tables
    with read_side.engine.connect() as conn:
        live = conn.execute(sa.select(positions).where(positions.c.live)).one()
        assert (live.suffix, int(live.position)) == (built.suffix, read_side.max_position())
        assert conn.execute(sa.select(sa.func.count()).select_from(parts)).scalar() == 0
