"""Rules of contracting and of the parties (domain/README.md, "Rules" and "Who may do what").

- An engagement has at least two protagonists before its gate; each protagonist has
  exactly one individual coach at a time.
- No session before the agreement is signed and the protagonist's consent to coaching
  is given.

Who may give consent and who may contract: tests/unit/test_rules_contracting_who_may.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import errors
from domain.commands import EnrolProtagonist, ReassignCoach, WithdrawConsent
from domain.state import Command
from domain.values import Actor
from tests.support.builders import ADMIN, COACH_A, COACH_B, EngagementBuilder

pytestmark = pytest.mark.unit


# -- two protagonists before the gate ---------------------------------------------------


def test_relationship_session_is_refused_when_fewer_than_two_protagonists_are_enrolled(
    builder: EngagementBuilder,
) -> None:
    builder.sign()
    alone = builder.prepare(COACH_A)
    builder.individual_session(alone)
    builder.declare(alone)
    builder.refused(errors.NotEnoughProtagonistsError, builder.relationship_session)


def test_enrolment_is_refused_after_the_first_relationship_session(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate().relationship_session()
    builder.refused(errors.EnrolmentAfterGateError, lambda: builder.enrol("Latecomer"))


def test_enrolment_is_refused_when_the_protagonist_is_already_enrolled(
    builder: EngagementBuilder,
) -> None:
    # The application derives new ids, so only the aggregate can be asked twice.
    builder.contracted()
    engagement = builder.engagement()
    cmd = Command(ADMIN, builder.at(), datetime.now(UTC))
    with pytest.raises(errors.ProtagonistAlreadyEnrolledError):
        engagement.enrol_protagonist(cmd, protagonist_id=builder.p1, name="Again", kind="person")
    assert not engagement.collect_events()


def test_protagonist_may_be_an_entity(builder: EngagementBuilder) -> None:
    receipt = builder.run(
        ADMIN,
        EnrolProtagonist(occurred_at=builder.at(), name="Executive committee", kind="entity"),
    )
    assert builder.engagement().protagonists[receipt.item_id]["kind"] == "entity"


# -- one coach at a time ----------------------------------------------------------------


def test_coach_assignment_is_refused_when_the_protagonist_already_has_a_coach(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.refused(errors.CoachAlreadyAssignedError, lambda: builder.assign(builder.p1, COACH_B))


def test_coach_reassignment_is_refused_when_no_coach_was_assigned(
    builder: EngagementBuilder,
) -> None:
    pid = builder.enrol()
    builder.refused(
        errors.CoachNotAssignedError,
        lambda: builder.run(
            ADMIN,
            ReassignCoach(
                occurred_at=builder.at(),
                protagonist_id=pid,
                coach_id=COACH_B.id,
                coach_name="B",
                reason="Conflict of interest",
            ),
        ),
    )


def test_coach_reassignment_leaves_the_protagonist_exactly_one_coach(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    newcomer = Actor("coach-c", "coach")
    builder.run(
        ADMIN,
        ReassignCoach(
            occurred_at=builder.at(),
            protagonist_id=builder.p1,
            coach_id=newcomer.id,
            coach_name="C",
            reason="Conflict of interest",
        ),
    )
    builder.coach_of[builder.p1] = COACH_A
    builder.refused(
        errors.NotTheProtagonistsCoachError, lambda: builder.individual_session(builder.p1)
    )
    builder.coach_of[builder.p1] = newcomer
    builder.individual_session(builder.p1)
    assert builder.engagement().protagonists[builder.p1]["coach_id"] == newcomer.id


def test_coach_reassignment_is_refused_when_the_coach_is_the_same(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.refused(
        errors.InvalidValueError,
        lambda: builder.run(
            ADMIN,
            ReassignCoach(
                occurred_at=builder.at(),
                protagonist_id=builder.p1,
                coach_id=COACH_A.id,
                coach_name="A",
                reason="Same",
            ),
        ),
    )


def test_relationship_session_is_refused_when_a_protagonist_has_no_coach(
    builder: EngagementBuilder,
) -> None:
    builder.sign()
    first = builder.prepare(COACH_A)
    builder.individual_session(first)
    builder.declare(first)
    builder.consent(builder.enrol("Without a coach"))
    builder.refused(errors.CoachNotAssignedError, builder.relationship_session)


# -- agreement and consent before any session -------------------------------------------


def test_individual_session_is_refused_before_the_agreement_is_signed(
    builder: EngagementBuilder,
) -> None:
    pid = builder.prepare(COACH_A)
    builder.refused(errors.AgreementNotSignedError, lambda: builder.individual_session(pid))


def test_agreement_is_refused_when_it_is_already_signed(builder: EngagementBuilder) -> None:
    builder.sign()
    builder.refused(errors.AgreementAlreadySignedError, builder.sign)


def test_individual_session_is_refused_before_the_protagonist_consents_to_coaching(
    builder: EngagementBuilder,
) -> None:
    builder.sign()
    pid = builder.prepare(COACH_A, consent=False)
    builder.consent(pid, scope="sponsor_reporting")
    builder.refused(errors.ConsentNotGivenError, lambda: builder.individual_session(pid))


def test_individual_session_is_refused_after_coaching_consent_is_withdrawn(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.individual_session(builder.p1)
    builder.run(
        builder.protagonist(builder.p1),
        WithdrawConsent(occurred_at=builder.at(), protagonist_id=builder.p1, scope="coaching"),
    )
    builder.refused(errors.ConsentNotGivenError, lambda: builder.individual_session(builder.p1))


def test_relationship_session_is_refused_when_a_protagonist_withdrew_coaching_consent(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    builder.run(
        COACH_B,
        WithdrawConsent(
            occurred_at=builder.at(),
            protagonist_id=builder.p2,
            scope="coaching",
            evidence="Signed letter of withdrawal",
        ),
    )
    builder.refused(errors.ConsentNotGivenError, builder.relationship_session)
