"""Who may do what in contracting and consents (domain/README.md, "Who may do what").

- The practice admin opens, signs, enrols and assigns; anyone else is refused.
- Consent is given by the protagonist, or by *their own* coach recording their written
  consent (a 403-kind refusal, `ConsentNotByProtagonistOrOwnCoachError`, for anyone else)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain import errors
from domain.commands import (
    AssignCoach,
    CloseEarly,
    CompleteEngagement,
    EnrolProtagonist,
    ExecuteErasure,
    GiveConsent,
    OpenEngagement,
    PauseEngagement,
    ReassignCoach,
    ResumeEngagement,
    SignAgreement,
    WithdrawConsent,
)
from domain.values import Actor
from tests.support.builders import ADMIN, COACH_A, COACH_B, SPONSOR, EngagementBuilder

pytestmark = pytest.mark.unit


def _admin_commands(b: EngagementBuilder) -> dict[str, Callable[[Actor], object]]:
    app, eid = b.app, b.eid
    return {
        "sign": lambda who: app.execute(
            eid,
            who,
            SignAgreement(
                occurred_at=b.at(),
                parties=["x"],
                confidentiality="c",
                sponsor_may_be_told=[],
                retention_days=30,
            ),
        ),
        "enrol": lambda who: app.execute(
            eid, who, EnrolProtagonist(occurred_at=b.at(), name="N", kind="person")
        ),
        "assign": lambda who: app.execute(
            eid,
            who,
            AssignCoach(
                occurred_at=b.at(), protagonist_id=b.p1, coach_id="coach-z", coach_name="Z"
            ),
        ),
        "reassign": lambda who: app.execute(
            eid,
            who,
            ReassignCoach(
                occurred_at=b.at(),
                protagonist_id=b.p1,
                coach_id="coach-z",
                coach_name="Z",
                reason="r",
            ),
        ),
        "pause": lambda who: app.execute(
            eid, who, PauseEngagement(occurred_at=b.at(), reason="Holidays")
        ),
        "resume": lambda who: app.execute(eid, who, ResumeEngagement(occurred_at=b.at())),
        "complete": lambda who: app.execute(eid, who, CompleteEngagement(occurred_at=b.at())),
        "close_early": lambda who: app.execute(
            eid, who, CloseEarly(occurred_at=b.at(), reason="Budget cut")
        ),
        "erase": lambda who: app.execute(
            eid,
            who,
            ExecuteErasure(occurred_at=b.at(), protagonist_id=b.p1, request_reference="GDPR-1"),
        ),
    }


@pytest.mark.parametrize(
    "command",
    ["sign", "enrol", "assign", "reassign", "pause", "resume", "complete", "close_early", "erase"],
)
@pytest.mark.parametrize("who", [COACH_A, SPONSOR, Actor("p", "protagonist")], ids=str)
def test_admin_command_is_refused_when_the_actor_is_not_the_practice_admin(
    builder: EngagementBuilder, command: str, who: Actor
) -> None:
    builder.enrol()
    builder.refused(errors.ActionNotAllowedError, lambda: _admin_commands(builder)[command](who))


def test_engagement_opening_is_refused_when_the_actor_is_not_the_practice_admin(
    builder: EngagementBuilder,
) -> None:
    before = builder.app.recorder.max_notification_id()
    with pytest.raises(errors.ActionNotAllowedError):
        builder.app.execute(
            None,
            COACH_A,
            OpenEngagement(
                occurred_at=builder.at(), title="T", organisation="O", context="", sponsor="s"
            ),
        )
    assert builder.app.recorder.max_notification_id() == before


def test_consent_is_refused_when_given_by_another_protagonist(builder: EngagementBuilder) -> None:
    builder.contracted()
    builder.refused(
        errors.ConsentNotByProtagonistOrOwnCoachError,
        lambda: builder.run(
            builder.protagonist(builder.p2),
            GiveConsent(occurred_at=builder.at(), protagonist_id=builder.p1, scope="recording"),
        ),
    )


@pytest.mark.parametrize(
    "who",
    [SPONSOR, ADMIN, Actor("coach-elsewhere", "coach"), COACH_B],
    ids=["sponsor", "admin", "coach elsewhere", "another coach of the engagement"],
)
@pytest.mark.parametrize("command", [GiveConsent, WithdrawConsent])
def test_consent_is_refused_when_recorded_by_someone_other_than_the_protagonist_or_their_coach(
    builder: EngagementBuilder, who: Actor, command: type[GiveConsent | WithdrawConsent]
) -> None:
    builder.contracted()
    assert builder.coach(builder.p1) == COACH_A
    builder.refused(
        errors.ConsentNotByProtagonistOrOwnCoachError,
        lambda: builder.run(
            who,
            command(
                occurred_at=builder.at(),
                protagonist_id=builder.p1,
                scope="sponsor_reporting",
                evidence="A letter",
            ),
        ),
    )


def test_consent_recorded_by_a_coach_is_refused_without_written_evidence(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.refused(
        errors.InvalidValueError,
        lambda: builder.run(
            COACH_A,
            GiveConsent(occurred_at=builder.at(), protagonist_id=builder.p1, scope="recording"),
        ),
    )


def test_consent_recorded_by_the_protagonists_own_coach_from_written_consent_is_accepted(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.run(
        COACH_A,
        GiveConsent(
            occurred_at=builder.at(),
            protagonist_id=builder.p1,
            scope="recording",
            evidence="Signed form, 3 March",
        ),
    )
    assert builder.engagement().protagonists[builder.p1]["consents"]["recording"] is True
