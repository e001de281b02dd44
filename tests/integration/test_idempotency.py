"""Idempotency on both stores: re-sending the same command (same key) changes nothing.

domain/README.md: "Re-sending the same command (same idempotency key) changes nothing and returns
the first result." The same key with a different command is refused. Keys belong to one
engagement. The Hypothesis property of tests/integration/test_command_sequences.py also runs here,
smaller, on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import errors
from domain.ciphers import MasterKey
from domain.commands import (
    GiveConsent,
    HoldRelationshipSession,
    OpenEngagement,
    PauseEngagement,
    RenegotiateCommitment,
)
from domain.runs import Receipt
from domain.trustpath import Trustpath
from domain.values import Actor
from tests.support.apps import make_app
from tests.support.builders import ADMIN, COACH_A, OUTSIDER_COACH, EngagementBuilder, recorded
from tests.support.keyed import keyed_session
from tests.support.sequence_checks import check_command_sequence
from tests.support.steps import STAGES, Step, steps

pytestmark = pytest.mark.integration


def test_command_resent_with_the_same_key_changes_nothing_and_returns_the_first_receipt(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    first = keyed_session(builder, "session-1")
    before = recorded(builder.app, builder.eid)
    again = keyed_session(builder, "session-1")
    assert again == replace(first, replayed=True)
    assert recorded(builder.app, builder.eid) == before
    assert builder.engagement().protagonists[builder.p1]["sessions"] == 1


def test_command_resent_after_later_commands_still_returns_the_first_receipt(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    first = keyed_session(builder, "early")
    builder.individual_session(builder.p2)
    builder.declare(builder.p1)
    again = keyed_session(builder, "early")
    assert (again.position, again.version, again.replayed) == (first.position, first.version, True)


def test_key_reused_for_a_different_command_is_refused(builder: EngagementBuilder) -> None:
    builder.contracted()
    keyed_session(builder, "reused")
    builder.refused(
        errors.IdempotencyKeyReusedError,
        lambda: builder.run(
            ADMIN, PauseEngagement(occurred_at=builder.at(), reason="x", key="reused")
        ),
    )


def test_key_reused_for_the_same_command_with_other_arguments_is_refused(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    keyed_session(builder, "reused", notes="First version.")
    builder.refused(
        errors.IdempotencyKeyReusedError, lambda: keyed_session(builder, "reused", notes="Other.")
    )


def test_renegotiation_resent_returns_the_receipt_of_both_its_events(
    builder: EngagementBuilder,
) -> None:
    cid = builder.with_commitment()

    def renegotiate() -> Receipt:
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
                key="renegotiate-1",
            ),
        )

    first = renegotiate()
    before = recorded(builder.app, builder.eid)
    again = renegotiate()
    assert (again.position, again.version, again.item_id) == (
        first.position,
        first.version,
        first.item_id,
    )
    assert recorded(builder.app, builder.eid) == before


def test_opening_resent_with_the_same_key_returns_the_same_engagement(app: Trustpath) -> None:
    def open_it(title: str = "Board") -> Receipt:
        return app.execute(
            None,
            ADMIN,
            OpenEngagement(
                occurred_at=datetime.now(UTC) - timedelta(hours=1),
                title=title,
                organisation="Acme",
                context="",
                sponsor="hr",
                key="open-1",
            ),
        )

    first = open_it()
    position = app.recorder.max_notification_id()
    again = open_it()
    assert again.engagement_id == first.engagement_id
    assert (again.position, again.replayed) == (first.position, True)
    assert app.recorder.max_notification_id() == position
    with pytest.raises(errors.IdempotencyKeyReusedError):
        open_it("Another title")
    assert app.recorder.max_notification_id() == position


def test_the_same_key_in_another_engagement_is_another_command(app: Trustpath) -> None:
    one, two = EngagementBuilder(app).contracted(), EngagementBuilder(app).contracted()
    first, second = keyed_session(one, "shared-key"), keyed_session(two, "shared-key")
    assert not second.replayed
    assert second.position > first.position


def test_refused_command_is_accepted_with_its_key_once_the_rule_allows_it(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()

    def hold() -> Receipt:
        return builder.run(
            COACH_A,
            HoldRelationshipSession(
                occurred_at=builder.at(),
                challenge="confrontation",
                present=list(builder.protagonists),
                duration_minutes=60,
                shared_notes="Face to face.",
                key="first-meeting",
            ),
        )

    builder.refused(errors.IndividualSessionsMissingError, hold)
    for pid in builder.protagonists:
        builder.individual_session(pid)
        builder.declare(pid)
    assert not hold().replayed
    assert hold().replayed


# -- the Hypothesis property, on PostgreSQL ------------------------------------------------


@pytest.fixture
def pg_app(pg_url: str, master_key: MasterKey) -> Iterator[Trustpath]:
    application = make_app(pg_url, master_key)
    yield application
    application.close()


@pytest.mark.postgres
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stage=st.sampled_from(STAGES), sequence=st.lists(steps, min_size=5, max_size=15))
def test_command_sequences_on_postgresql_are_accepted_or_refused_and_replay_changes_nothing(
    pg_app: Trustpath, pg_url: str, master_key: MasterKey, stage: str, sequence: list[Step]
) -> None:
    check_command_sequence(pg_app, pg_url, master_key, stage, sequence)


def test_key_reused_by_another_actor_is_refused(builder: EngagementBuilder) -> None:
    builder.contracted()

    def consent(who: Actor) -> Receipt:
        return builder.run(
            who,
            GiveConsent(
                occurred_at=builder.at(),
                protagonist_id=builder.p1,
                scope="recording",
                evidence="Signed form",
                key="consent-1",
            ),
        )

    consent(COACH_A)
    builder.refused(errors.IdempotencyKeyReusedError, lambda: consent(OUTSIDER_COACH))


# -- keys after erasure, and ids nobody can compute from a key --------------------------------
