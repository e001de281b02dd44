"""The persistence contract across restarts, snapshots and crashes, run unchanged against
SQLite and PostgreSQL (`app` fixture):

- idempotency survives a restart;
- an engagement with more than 100 events reloads from its snapshot identically;
- a crash in the middle of a command leaves nothing half-written."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from eventsourcing.persistence import PersistenceError

from domain import errors
from domain.ciphers import Place, Sealed
from domain.commands import (
    AssessTrust,
    HoldIndividualSession,
    PauseEngagement,
    RenegotiateCommitment,
    ResumeEngagement,
)
from domain.runs import Receipt
from domain.trustpath import Trustpath
from tests.support.apps import replayed_from_events
from tests.support.builders import ADMIN, COACH_A, EngagementBuilder, recorded
from tests.support.sequences import state_of
from tests.support.store_faults import failing_inserts

pytestmark = pytest.mark.integration


def test_command_resent_after_a_restart_returns_the_first_receipt(
    builder: EngagementBuilder, second_app: Trustpath
) -> None:
    builder.contracted()
    at = builder.at()

    def hold(app: Trustpath) -> Any:
        return app.execute(
            builder.eid,
            COACH_A,
            HoldIndividualSession(
                occurred_at=at,
                protagonist_id=builder.p1,
                duration_minutes=45,
                challenges=["presence"],
                notes="Before the restart.",
                key="session-before-restart",
            ),
        )

    first = hold(builder.app)
    before = recorded(second_app, builder.eid)
    again = hold(second_app)
    assert (again.position, again.version, again.item_id) == (
        first.position,
        first.version,
        first.item_id,
    )
    assert again.replayed
    assert recorded(second_app, builder.eid) == before


def test_engagement_with_more_than_100_events_reloads_from_its_snapshot_identically(
    builder: EngagementBuilder, second_app: Trustpath
) -> None:
    builder.with_commitment()
    at = builder.at()

    def pause(app: Trustpath) -> Receipt:
        return app.execute(
            builder.eid,
            ADMIN,
            PauseEngagement(occurred_at=at, reason="Before the snapshot", key="pause-1"),
        )

    first = pause(builder.app)
    builder.run(ADMIN, ResumeEngagement(occurred_at=builder.at()))
    while builder.engagement().version < 105:
        builder.run(
            COACH_A,
            AssessTrust(
                occurred_at=builder.at(),
                protagonist_id=builder.p1,
                toward_id=builder.p2,
                challenge="presence",
                score=builder.engagement().version % 11,
            ),
        )
    assert second_app.snapshots is not None
    snapshots = list(second_app.snapshots.get(builder.eid))
    assert [s.originator_version for s in snapshots] == [100]
    reloaded = second_app.engagement(builder.eid)
    assert reloaded.version == 105
    assert state_of(reloaded) == state_of(replayed_from_events(second_app, builder.eid))
    assert state_of(reloaded) == state_of(builder.engagement())
    assert pause(second_app) == replace(first, replayed=True)


def test_crash_while_sealing_content_records_nothing(builder: EngagementBuilder) -> None:
    builder.contracted()
    before = recorded(builder.app, builder.eid)

    def broken_seal(plaintext: str, place: Place) -> Sealed:
        raise OSError("the key store disk is gone")

    builder.app.vault.seal = broken_seal  # type: ignore[method-assign]
    with pytest.raises(OSError, match="disk is gone"):
        builder.individual_session(builder.p1, notes="Never stored.")
    assert recorded(builder.app, builder.eid) == before
    del builder.app.vault.seal
    builder.individual_session(builder.p1, notes="Stored now.")
    assert builder.engagement().protagonists[builder.p1]["sessions"] == 1


def test_crash_while_storing_a_two_event_command_leaves_nothing_half_written(
    builder: EngagementBuilder, second_app: Trustpath
) -> None:
    cid = builder.with_commitment()
    before = recorded(builder.app, builder.eid)

    def renegotiate() -> Any:
        return builder.run(
            COACH_A,
            RenegotiateCommitment(
                occurred_at=builder.at(),
                commitment_id=cid,
                owners=[builder.p1],
                to_whom=[builder.p2],
                what="Every other week.",
                due_on=builder.due(20),
                reason="Closing.",
                key="renegotiate",
            ),
        )

    with (
        failing_inserts(builder.app, "CommitmentMade"),
        pytest.raises((PersistenceError, errors.ConcurrentUpdateError)),
    ):
        renegotiate()
    assert recorded(builder.app, builder.eid) == before
    assert recorded(second_app, builder.eid) == before
    assert builder.engagement().commitments[cid]["state"] == "open"
    receipt = renegotiate()
    assert not receipt.replayed
    assert receipt.version == before[1] + 2
