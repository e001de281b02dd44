"""What makes a rebuild fast must not change what it builds: folds kept in memory between
pages, targets applied side by side on PostgreSQL, the paused garbage collector."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from domain.trustpath import Trustpath
from projections import helper
from projections import rebuild as rebuild_module
from projections.commitment_ledger import get_ledger
from projections.engine import make_engine, memory_engine
from projections.pages import collector_paused
from projections.read_side import ReadSide
from projections.rebuild import rebuild_many
from projections.sql import PageCache
from projections.status import get_status
from projections.timeline import get_timeline
from projections.wiring import attach
from tests.support.builders import EngagementBuilder

pytestmark = pytest.mark.integration
VIEWS = ["status", "commitment_ledger", "timeline"]


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


def played(app: Trustpath, count: int = 3) -> list[EngagementBuilder]:
    builders = []
    for _ in range(count):
        builder = EngagementBuilder(app).at_gate()
        builder.relationship_session()
        builder.commitment()
        builders.append(builder)
    return builders


def views(read_side: ReadSide, builders: list[EngagementBuilder]) -> list[Any]:
    return [
        (get_status(read_side, b.eid), get_ledger(read_side, b.eid), get_timeline(read_side, b.eid))
        for b in builders
    ]


def test_rebuild_in_small_pages_equals_the_live_views_when_folds_stay_in_memory(
    app: Trustpath, read_side: ReadSide
) -> None:
    builders = played(app)
    live = views(read_side, builders)
    rebuild_many(read_side, VIEWS, page_size=3)
    assert views(read_side, builders) == live


def test_live_catch_up_reads_state_back_when_another_runner_moved_the_position(
    app: Trustpath, engine: sa.Engine, read_side: ReadSide
) -> None:
    builder = EngagementBuilder(app).at_gate()
    other = attach(app, engine, in_process=False)  # a second runner, its own memory
    try:
        builder.relationship_session()
        other.catch_up()  # moves the positions: this read side's kept folds are stale now
        builder.commitment()
        read_side.catch_up()
        status = get_status(read_side, builder.eid)
        assert status is not None
        assert status["version"] == app.engagement(builder.eid).version
        assert status["commitments_open"] == 1
        assert status["relationship_sessions"] == 1
    finally:
        other.close()


def test_collector_paused_restores_the_collector_when_a_rebuild_fails() -> None:
    seen: list[bool] = []

    def failing_rebuild() -> None:
        with collector_paused():
            seen.append(gc.isenabled())
            raise RuntimeError("a failing page")

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        failing_rebuild()
    assert seen == [False]
    assert gc.isenabled()


def test_kept_folds_are_handed_out_only_to_the_page_that_starts_where_they_were_kept() -> None:
    engine = memory_engine()
    try:
        with engine.connect() as conn:
            conn.info["suffix"], conn.info["from"] = "v1_abc", 0
            cache: PageCache[int] = PageCache(limit=2)
            cache.keep(conn, 10, {"a": 1, "b": 2, "c": 3}, touched=["c"])
            conn.info["from"] = 5  # another runner moved the position meanwhile
            assert cache.take(conn) == {}
            cache.keep(conn, 10, {"a": 1, "b": 2}, touched=["b"])
            conn.info["from"] = 10
            assert cache.take(conn) == {"a": 1, "b": 2}
            assert cache.take(conn) == {}  # handed out once: a failed page leaves nothing
            cache.keep(conn, 20, {"a": 1, "b": 2, "c": 3}, touched=["c"])
            conn.info["from"] = 20
            assert cache.take(conn) == {"c": 3}  # past the limit: only what the page touched
    finally:
        engine.dispose()


@pytest.fixture
def pg_app(pg_url: str, master_key: Any) -> Iterator[Trustpath]:
    from tests.support.apps import make_app

    made = make_app(pg_url, master_key)
    yield made
    made.close()


@pytest.fixture
def pg_read_side(pg_app: Trustpath, pg_url: str) -> Iterator[ReadSide]:
    engine = make_engine(pg_url)
    attached = attach(pg_app, engine)
    yield attached
    attached.close()
    engine.dispose()


def live_positions(read_side: ReadSide) -> dict[str, int]:
    return {r.name: int(r.position) for r in read_side.rows() if r.live and r.name in VIEWS}


def both_halves(app: Trustpath) -> list[EngagementBuilder]:
    """Engagements until both parts of a rebuild by halves have some (ids are random)."""
    builders = played(app, 2)
    while len({b.eid.bytes[15] % 2 for b in builders}) < 2:
        builders += played(app, 1)
    return builders


@pytest.mark.postgres
def test_rebuild_by_parts_with_a_helper_process_equals_the_live_views_on_postgresql(
    pg_app: Trustpath, pg_read_side: ReadSide, monkeypatch: pytest.MonkeyPatch
) -> None:
    builders = both_halves(pg_app)
    live = views(pg_read_side, builders)
    monkeypatch.setattr(helper, "MIN_EVENTS", 0)  # a helper even for this short log
    specs: list[dict[str, Any]] = []
    answers: list[str | None] = []
    start, wait = helper.Helper.start, helper.Helper.wait
    monkeypatch.setattr(
        helper.Helper, "start", lambda spec: specs.append(json.loads(spec)) or start(spec)
    )
    monkeypatch.setattr(
        helper.Helper, "wait", lambda self: answers.append(wait(self)) or answers[-1]
    )
    end = pg_read_side.max_position()
    rebuild_many(pg_read_side, VIEWS, page_size=3)
    assert answers == [None]  # the helper folded its part itself, and said so
    (spec,) = specs
    shared = [path.rpartition(":")[2] for path, _ in spec["targets"]]
    assert shared == ["StatusProjection", "CommitmentLedgerProjection", "TimelineProjection"]
    assert (spec["part"], spec["stop"]) == ([1, 2], end)
    assert views(pg_read_side, builders) == live
    assert live_positions(pg_read_side) == dict.fromkeys(VIEWS, end)
    assert pg_read_side.part_rows() == []


@pytest.mark.postgres
def test_rebuild_folds_the_helpers_part_here_when_the_helper_process_fails_on_postgresql(
    pg_app: Trustpath,
    pg_read_side: ReadSide,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    builders = both_halves(pg_app)
    live = views(pg_read_side, builders)
    monkeypatch.setattr(helper, "MIN_EVENTS", 0)
    spec_for = rebuild_module.spec_for
    answers: list[str | None] = []
    wait = helper.Helper.wait
    monkeypatch.setattr(
        helper.Helper, "wait", lambda self: answers.append(wait(self)) or answers[-1]
    )

    def broken(*args: Any) -> str:
        return json.dumps({**json.loads(spec_for(*args)), "app": "no.such.module:App"})

    monkeypatch.setattr(rebuild_module, "spec_for", broken)
    with caplog.at_level(logging.WARNING, logger="trustpath.projections"):
        rebuild_many(pg_read_side, VIEWS, page_size=3)
    assert answers == ["helper failed: ModuleNotFoundError"]
    assert "part 2/2: helper failed: ModuleNotFoundError; folding it here" in caplog.text
    assert views(pg_read_side, builders) == live
    end = pg_read_side.max_position()
    assert live_positions(pg_read_side) == dict.fromkeys(VIEWS, end)


@pytest.mark.postgres
def test_rebuild_builds_projections_a_helper_cannot_remake_here_whole_on_postgresql(
    pg_read_side: ReadSide,
) -> None:
    projections = list(pg_read_side.projections.values())
    assert len(projections) > 3  # the audit ledger (its signer) is built here, whole
    shared = helper.by_parts(pg_read_side, projections, 10**9)
    assert {p.name for p in shared} == set(VIEWS)
    assert helper.by_parts(pg_read_side, projections, helper.MIN_EVENTS - 1) == []
