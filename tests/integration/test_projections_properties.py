"""Hypothesis: for random histories, the projections built live (command by command,
in-process) equal a rebuild from scratch, and equal "as of now" (a replay of the
engagement's events through the same projection code)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.commands import BreakCommitment
from domain.trustpath import Trustpath
from projections import helper
from projections import rebuild as rebuild_module
from projections.asof import Moment, as_of
from projections.commitment_ledger import get_ledger
from projections.engine import make_engine
from projections.read_side import ReadSide
from projections.rebuild import rebuild, rebuild_many
from projections.status import get_status
from projections.timeline import get_timeline
from projections.wiring import attach
from tests.support.sequences import SequenceRun
from tests.support.steps import STAGES, Step, steps

pytestmark = pytest.mark.integration

VIEWS = ("status", "commitment_ledger", "timeline")


def views(read_side: ReadSide, eid: UUID) -> tuple[Any, ...]:
    return (
        get_status(read_side, eid),
        get_ledger(read_side, eid),
        get_timeline(read_side, eid),
    )


def differences(left: tuple[Any, ...], right: tuple[Any, ...]) -> list[str]:
    """Which view and which top-level keys differ (for a readable failure)."""
    out = []
    for name, a, b in zip(VIEWS, left, right, strict=True):
        keys = sorted(set(a or {}) | set(b or {}))
        out += [f"{name}.{k}: {a.get(k)!r} != {b.get(k)!r}" for k in keys if a.get(k) != b.get(k)]
    return out


@pytest.fixture
def live(sqlite_app: Trustpath, sqlite_url: str) -> Iterator[ReadSide]:
    engine = make_engine(sqlite_url)
    read_side = attach(sqlite_app, engine)
    yield read_side
    read_side.close()
    engine.dispose()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stage=st.sampled_from(STAGES), sequence=st.lists(steps, min_size=5, max_size=25))
def test_live_projections_equal_a_rebuild_and_as_of_now_for_random_histories(
    sqlite_app: Trustpath, live: ReadSide, stage: str, sequence: list[Step]
) -> None:
    run = SequenceRun.start(sqlite_app, stage)
    for step in sequence:
        run.play(step)
    eid = run.builder.eid
    built_live = views(live, eid)
    assert built_live[0] is not None
    with as_of(sqlite_app, live.engine, eid, Moment()) as replayed:
        again = views(replayed, eid)
        assert again == built_live, differences(again, built_live)
    for name in VIEWS:
        rebuild(live, name)
    assert views(live, eid) == built_live


@pytest.mark.postgres
def test_live_projections_equal_a_rebuild_and_as_of_now_on_postgresql(
    pg_url: str, master_key: Any
) -> None:
    from tests.support.apps import make_app
    from tests.support.builders import EngagementBuilder

    app = make_app(pg_url, master_key)
    engine: sa.Engine = make_engine(pg_url)
    read_side = attach(app, engine)
    try:
        builder = EngagementBuilder(app).at_gate()
        builder.relationship_session()
        commitment = builder.commitment()
        app.execute(
            builder.eid,
            builder.coach(builder.p1),
            BreakCommitment(occurred_at=builder.at(), commitment_id=commitment, reason="Missed."),
        )
        built_live = views(read_side, builder.eid)
        with as_of(app, engine, builder.eid, Moment()) as replayed:
            assert views(replayed, builder.eid) == built_live
        for name in VIEWS:
            rebuild(read_side, name)
        assert views(read_side, builder.eid) == built_live
        assert built_live[1]["engagement"]["broken"] == 1
    finally:
        read_side.close()
        app.close()
        engine.dispose()


class FoldedHere:
    """Stands in for the helper process: it never starts, so its part is folded here."""

    @classmethod
    def start(cls, spec: str) -> FoldedHere:
        return cls()

    def wait(self) -> str:
        return "not started (test)"

    def stop(self) -> None:
        pass


@pytest.fixture
def pg_live(pg_url: str, master_key: Any) -> Iterator[ReadSide]:
    from tests.support.apps import make_app

    app = make_app(pg_url, master_key)
    engine = make_engine(pg_url)
    read_side = attach(app, engine)
    yield read_side
    read_side.close()
    app.close()
    engine.dispose()


@pytest.mark.postgres
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    stages=st.lists(st.sampled_from(STAGES), min_size=2, max_size=4),
    sequence=st.lists(steps, min_size=3, max_size=15),
    page=st.integers(min_value=1, max_value=40),
)
def test_a_rebuild_by_parts_equals_the_live_projections_for_random_histories_on_postgresql(
    pg_live: ReadSide,
    monkeypatch: pytest.MonkeyPatch,
    stages: list[str],
    sequence: list[Step],
    page: int,
) -> None:
    app: Any = pg_live.app
    runs = [SequenceRun.start(app, stage) for stage in stages]
    for step in sequence:
        for run in runs:
            run.play(step)  # engagements interleave in the log, as in production
    built_live = {run.builder.eid: views(pg_live, run.builder.eid) for run in runs}
    monkeypatch.setattr(helper, "MIN_EVENTS", 0)
    monkeypatch.setattr(rebuild_module, "Helper", FoldedHere)  # both parts, one after the other
    rebuild_many(pg_live, VIEWS, page_size=page)
    assert pg_live.part_rows() == []
    for eid, expected in built_live.items():
        assert expected[0] is not None
        again = views(pg_live, eid)
        assert again == expected, differences(again, expected)


def test_as_of_an_earlier_position_shows_the_engagement_as_it_was(
    sqlite_app: Trustpath, live: ReadSide
) -> None:
    from tests.support.builders import EngagementBuilder

    builder = EngagementBuilder(sqlite_app).at_gate()
    at_gate = live.max_position()
    builder.relationship_session()
    with as_of(sqlite_app, live.engine, builder.eid, Moment(position=at_gate)) as then:
        status = get_status(then, builder.eid)
    assert status is not None
    assert (status["phase"], status["gate_open"]) == ("individual", True)
    now = get_status(live, builder.eid)
    assert now is not None
    assert now["phase"] == "relationship"
