"""The persistence contract, run unchanged against SQLite and PostgreSQL (`app` fixture).

- what is saved reloads identically, also in a new application instance (cold cache);
- positions increase and the notification log reads back every event, in order;
- optimistic concurrency: two instances on one store, a stale save is retried once, or
  refused with ConcurrentUpdateError; no update is lost, none is duplicated;
- idempotency survives a restart;
- an engagement with more than 100 events reloads from its snapshot identically;
- a crash in the middle of a command leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, cast
from uuid import UUID

import pytest
from eventsourcing.persistence import PersistenceError

from domain import errors
from domain.application import Receipt
from domain.ciphers import MasterKey, Place, Sealed
from domain.commands import (
    AssessTrust,
    CompleteEngagement,
    GiveConsent,
    HoldIndividualSession,
    PauseEngagement,
    RenegotiateCommitment,
    ResumeEngagement,
)
from domain.engagement import Engagement
from domain.individual_space import Seal
from domain.state import Command
from domain.trustpath import Trustpath
from domain.values import Actor
from tests.conftest import make_app
from tests.unit.builders import ADMIN, COACH_A, EngagementBuilder, recorded
from tests.unit.faults import failing_inserts
from tests.unit.sequences import state_of

pytestmark = pytest.mark.integration


@pytest.fixture
def builder(app: Trustpath) -> EngagementBuilder:
    return EngagementBuilder(app)


@pytest.fixture
def second_app(store_url: str, master_key: MasterKey) -> Iterator[Trustpath]:
    """Another application instance on the same store: another process, or a restart."""
    application = make_app(store_url, master_key)
    yield application
    application.close()


def replayed_from_events(app: Trustpath, engagement_id: UUID) -> Engagement:
    """The engagement rebuilt from every one of its events, without snapshot or cache."""
    aggregate: Any = None
    for event in app.events.get(engagement_id):
        aggregate = cast(Any, event).mutate(aggregate)
    assert isinstance(aggregate, Engagement)
    return aggregate


# -- saving and reloading --------------------------------------------------------------------


def test_engagement_reloads_identically_in_a_new_application(
    builder: EngagementBuilder, second_app: Trustpath
) -> None:
    builder.minimums_met()
    builder.commitment()
    builder.run(ADMIN, CompleteEngagement(occurred_at=builder.at()))
    live = state_of(builder.engagement())
    assert state_of(second_app.engagement(builder.eid)) == live
    assert state_of(replayed_from_events(second_app, builder.eid)) == live
    assert live["ended"] == "completed"


def test_command_of_one_instance_is_seen_by_another_with_a_warm_cache(
    builder: EngagementBuilder, second_app: Trustpath
) -> None:
    builder.contracted()
    assert second_app.engagement(builder.eid).version == builder.engagement().version
    builder.individual_session(builder.p1)
    assert second_app.engagement(builder.eid).individual_sessions == {
        builder.individual_sessions[0]: builder.p1
    }


# -- positions and the notification log --------------------------------------------------------


def test_positions_increase_with_every_command(builder: EngagementBuilder) -> None:
    builder.contracted()
    receipts = [
        builder.run(ADMIN, PauseEngagement(occurred_at=builder.at(), reason="Break")),
        builder.run(ADMIN, ResumeEngagement(occurred_at=builder.at())),
        builder.run(
            builder.protagonist(builder.p1),
            GiveConsent(occurred_at=builder.at(), protagonist_id=builder.p1, scope="recording"),
        ),
    ]
    positions = [r.position for r in receipts]
    assert positions == sorted(set(positions))
    for receipt in receipts:
        (notification,) = builder.app.recorder.select_notifications(receipt.position, 1)
        assert notification.originator_id == builder.eid
        assert notification.originator_version == receipt.version


def test_notification_log_reads_back_every_event_in_order(builder: EngagementBuilder) -> None:
    builder.with_commitment()
    other = EngagementBuilder(builder.app).contracted()
    notifications = builder.app.recorder.select_notifications(1, 1000)
    ids = [n.id for n in notifications]
    assert ids == sorted(set(ids))
    assert ids[-1] == builder.app.recorder.max_notification_id()
    assert len(ids) == builder.engagement().version + other.engagement().version
    for engagement in (builder, other):
        mine = [n for n in notifications if n.originator_id == engagement.eid]
        assert [n.originator_version for n in mine] == list(range(1, len(mine) + 1))
        decoded = [builder.app.mapper.to_domain_event(n) for n in mine]
        assert [e.originator_version for e in decoded] == list(range(1, len(mine) + 1))
        assert type(decoded[0]) is Engagement.Opened


def test_notification_log_pages_read_back_the_same_events(builder: EngagementBuilder) -> None:
    builder.at_gate()
    recorder = builder.app.recorder
    whole = recorder.select_notifications(1, 1000)
    paged = [
        n for start in range(1, len(whole) + 1, 4) for n in recorder.select_notifications(start, 4)
    ]
    assert [(n.id, n.topic, n.state) for n in paged] == [(n.id, n.topic, n.state) for n in whole]


# -- optimistic concurrency ---------------------------------------------------------------------


def raced_consent(builder: EngagementBuilder, meanwhile: Callable[[Engagement], None]) -> Any:
    """p1's consent to recording, with `meanwhile(engagement)` run between its load and save."""

    class RacedConsent(GiveConsent):
        def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
            meanwhile(engagement)
            super().run(engagement, cmd, seal, item_id)

    return RacedConsent(occurred_at=builder.at(), protagonist_id=builder.p1, scope="recording")


def test_stale_save_is_retried_once_and_succeeds(
    builder: EngagementBuilder, second_app: Trustpath
) -> None:
    builder.contracted()
    start = builder.engagement().version
    seen: list[int] = []

    def meanwhile(engagement: Engagement) -> None:
        if not seen:  # another instance saves between our load and our save, once
            second_app.execute(
                builder.eid,
                builder.protagonist(builder.p2),
                GiveConsent(occurred_at=builder.at(), protagonist_id=builder.p2, scope="recording"),
            )
        seen.append(engagement.version)

    p1 = Actor(builder.p1, "protagonist")
    receipt = builder.app.execute(builder.eid, p1, raced_consent(builder, meanwhile))
    assert seen == [start, start + 1]
    assert receipt.version == start + 2
    versions = [e.originator_version for e in second_app.events.get(builder.eid)]
    assert versions == list(range(1, start + 3))
    consents = second_app.engagement(builder.eid).protagonists
    assert consents[builder.p1]["consents"]["recording"] is True
    assert consents[builder.p2]["consents"]["recording"] is True


def test_stale_save_twice_is_refused_with_concurrent_update_error(
    builder: EngagementBuilder, second_app: Trustpath
) -> None:
    builder.contracted()
    start = builder.engagement().version

    def meanwhile(engagement: Engagement) -> None:
        second_app.execute(
            builder.eid, ADMIN, PauseEngagement(occurred_at=builder.at(), reason="Meanwhile")
        )
        second_app.execute(builder.eid, ADMIN, ResumeEngagement(occurred_at=builder.at()))

    p1 = Actor(builder.p1, "protagonist")
    with pytest.raises(errors.ConcurrentUpdateError):
        builder.app.execute(builder.eid, p1, raced_consent(builder, meanwhile))
    events = list(second_app.events.get(builder.eid))
    assert [e.originator_version for e in events] == list(range(1, start + 5))
    assert [type(e).__name__ for e in events[start:]] == [
        "EngagementPaused",
        "EngagementResumed",
        "EngagementPaused",
        "EngagementResumed",
    ]
    assert "recording" not in builder.engagement().protagonists[builder.p1]["consents"]


# -- idempotency across a restart ----------------------------------------------------------------


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


# -- snapshots -------------------------------------------------------------------------------------


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


# -- a crash in the middle of a command ------------------------------------------------------------


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
