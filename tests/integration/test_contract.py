"""The persistence contract, run unchanged against SQLite and PostgreSQL (`app` fixture).

- what is saved reloads identically, also in a new application instance (cold cache);
- positions increase and the notification log reads back every event, in order;
- optimistic concurrency: two instances on one store, a stale save is retried once, or
  refused with ConcurrentUpdateError; no update is lost, none is duplicated;

Restarts, snapshots and crashes: tests/integration/test_contract_restarts.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain import errors
from domain.commands import CompleteEngagement, GiveConsent, PauseEngagement, ResumeEngagement
from domain.engagement import Engagement
from domain.individual_space import Seal
from domain.state import Command
from domain.trustpath import Trustpath
from domain.values import Actor
from tests.support.apps import replayed_from_events
from tests.support.builders import ADMIN, EngagementBuilder
from tests.support.sequences import state_of

pytestmark = pytest.mark.integration


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
