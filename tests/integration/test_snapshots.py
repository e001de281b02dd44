"""Snapshots are taken from the engagement just saved, not reloaded: the same state.

Every 100th event the application stores a snapshot. When the saved engagement stands at
that version its state is snapshotted as it is in memory; when the 100th event is the first
of a command's two (a renegotiation), the engagement is reloaded at that version. Either way
the snapshot must hold exactly the state the events up to it rebuild.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

import pytest

from domain.commands import AssessTrust, RenegotiateCommitment
from domain.engagement import Engagement
from domain.trustpath import Trustpath
from tests.support.builders import COACH_A, EngagementBuilder

pytestmark = pytest.mark.integration


@pytest.fixture
def builder(app: Trustpath) -> EngagementBuilder:
    return EngagementBuilder(app)


def grow_to(builder: EngagementBuilder, version: int) -> None:
    while builder.engagement().version < version:
        assess = AssessTrust(
            occurred_at=builder.at(),
            protagonist_id=builder.p1,
            toward_id=builder.p2,
            challenge="presence",
            score=builder.engagement().version % 11,
        )
        builder.run(COACH_A, assess)


def replayed_state(app: Trustpath, engagement_id: UUID, version: int) -> dict[str, Any]:
    """The state the events up to `version` rebuild, as a snapshot would hold it."""
    aggregate: Any = None
    for event in app.events.get(engagement_id, lte=version):
        aggregate = cast(Any, event).mutate(aggregate)
    return dict(cast(Any, Engagement.Snapshot.take(aggregate)).state)


def stored_snapshot(app: Trustpath, engagement_id: UUID) -> tuple[int, dict[str, Any]]:
    assert app.snapshots is not None
    (snapshot,) = app.snapshots.get(engagement_id)
    return snapshot.originator_version, dict(cast(Any, snapshot).state)


def test_snapshot_of_a_saved_engagement_holds_the_state_its_events_rebuild(
    builder: EngagementBuilder,
) -> None:
    builder.with_commitment()
    grow_to(builder, 101)
    version, state = stored_snapshot(builder.app, builder.eid)
    assert version == 100
    assert state == replayed_state(builder.app, builder.eid, 100)


def test_snapshot_at_the_first_event_of_a_renegotiation_holds_the_state_at_that_event(
    builder: EngagementBuilder,
) -> None:
    commitment_id = builder.with_commitment()
    grow_to(builder, 99)
    renegotiate = RenegotiateCommitment(
        occurred_at=builder.at(),
        commitment_id=commitment_id,
        owners=[builder.p1],
        what="Share the draft two weeks ahead.",
        due_on=builder.due(),
        reason="Too tight.",
    )
    builder.run(COACH_A, renegotiate)
    assert builder.engagement().version == 101
    version, state = stored_snapshot(builder.app, builder.eid)
    assert version == 100
    assert state == replayed_state(builder.app, builder.eid, 100)
    assert state != replayed_state(builder.app, builder.eid, 101)
