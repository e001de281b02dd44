"""Rules of the individual space (domain/README.md, "Rules" and "Who may do what").

- An individual session has exactly one protagonist and that protagonist's coach.
- Holding a session, declaring or revising an intention and recording a trust assessment
  are that protagonist's own coach's; sharing an intention is the protagonist's, or their
  coach's on their instruction.
- Malformed values are refused: unknown challenge, score outside 0-10, a duration that is
  not positive, an unknown protagonist, empty text.
"""

from __future__ import annotations

import pytest

from domain import errors
from domain.commands import AssessTrust, DeclareIntention, HoldIndividualSession, ShareIntention
from domain.values import Actor
from tests.support.builders import ADMIN, COACH_A, COACH_B, OUTSIDER_COACH, EngagementBuilder

pytestmark = pytest.mark.unit


def _session(b: EngagementBuilder, who: Actor, pid: str, **changes: object) -> object:
    args: dict[str, object] = {
        "protagonist_id": pid,
        "duration_minutes": 60,
        "challenges": ["presence"],
        "notes": "Talked about March.",
    }
    args.update(changes)
    return b.run(who, HoldIndividualSession(occurred_at=b.at(), **args))  # type: ignore[arg-type]


def _assess(b: EngagementBuilder, who: Actor, **changes: object) -> object:
    args: dict[str, object] = {
        "protagonist_id": b.p1,
        "toward_id": b.p2,
        "challenge": "presence",
        "score": 4,
    }
    args.update(changes)
    return b.run(who, AssessTrust(occurred_at=b.at(), **args))  # type: ignore[arg-type]


# -- one protagonist and their coach -----------------------------------------------------


def test_individual_session_is_held_by_the_protagonists_own_coach(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    session_id = builder.individual_session(builder.p1, notes="First meeting.")
    engagement = builder.engagement()
    assert engagement.individual_sessions == {session_id: builder.p1}
    assert engagement.protagonists[builder.p1]["sessions"] == 1


def test_individual_session_is_refused_when_held_by_another_protagonists_coach(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.refused(
        errors.NotTheProtagonistsCoachError, lambda: _session(builder, COACH_B, builder.p1)
    )


@pytest.mark.parametrize("who", [ADMIN, Actor("p", "protagonist"), OUTSIDER_COACH], ids=str)
def test_individual_session_is_refused_when_held_by_anyone_but_a_coach_of_the_protagonist(
    builder: EngagementBuilder, who: Actor
) -> None:
    builder.contracted()
    expected = (
        errors.NotTheProtagonistsCoachError if who.role == "coach" else errors.ActionNotAllowedError
    )
    builder.refused(expected, lambda: _session(builder, who, builder.p1))


def test_individual_session_is_refused_when_the_protagonist_is_unknown(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.refused(errors.ProtagonistNotFoundError, lambda: _session(builder, COACH_A, "nobody"))


# -- malformed values ----------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [-30, 0, 8 * 60 + 1])
def test_individual_session_is_refused_when_the_duration_is_not_a_positive_working_day(
    builder: EngagementBuilder, minutes: int
) -> None:
    builder.contracted()
    builder.refused(
        errors.InvalidValueError,
        lambda: _session(builder, COACH_A, builder.p1, duration_minutes=minutes),
    )


@pytest.mark.parametrize("challenges", [["trust"], [], ["presence", "PRESENCE"]], ids=str)
def test_individual_session_is_refused_when_a_challenge_is_unknown(
    builder: EngagementBuilder, challenges: list[str]
) -> None:
    builder.contracted()
    builder.refused(
        errors.InvalidValueError,
        lambda: _session(builder, COACH_A, builder.p1, challenges=challenges),
    )


@pytest.mark.parametrize("notes", ["", "   "])
def test_individual_session_is_refused_when_the_notes_are_empty(
    builder: EngagementBuilder, notes: str
) -> None:
    builder.contracted()
    builder.refused(
        errors.InvalidValueError, lambda: _session(builder, COACH_A, builder.p1, notes=notes)
    )


def test_individual_session_error_never_quotes_the_confidential_notes(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    secret = "I am thinking of resigning"
    error = builder.refused(
        errors.InvalidValueError,
        lambda: _session(builder, COACH_A, builder.p1, notes=secret, duration_minutes=-1),
    )
    assert secret not in str(error)


# -- intentions ----------------------------------------------------------------------------


def test_intention_is_declared_then_revised_by_the_protagonists_coach(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.declare(builder.p1, "First draft.")
    builder.declare(builder.p1, "Clearer now.")
    assert builder.engagement().protagonists[builder.p1]["intention_version"] == 2
    topics = [type(e).__name__ for e in builder.events()][-2:]
    assert topics == ["IntentionDeclared", "IntentionRevised"]


def test_intention_is_refused_when_declared_by_another_protagonists_coach(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.refused(
        errors.NotTheProtagonistsCoachError,
        lambda: builder.run(
            COACH_B,
            DeclareIntention(occurred_at=builder.at(), protagonist_id=builder.p1, text="Mine"),
        ),
    )


@pytest.mark.parametrize("text", ["", "  \n "])
def test_intention_is_refused_when_its_text_is_empty(builder: EngagementBuilder, text: str) -> None:
    builder.contracted()
    builder.refused(errors.InvalidValueError, lambda: builder.declare(builder.p1, text))


def test_intention_is_refused_before_the_protagonist_consents_to_coaching(
    builder: EngagementBuilder,
) -> None:
    builder.sign()
    pid = builder.prepare(COACH_A, consent=False)
    builder.refused(errors.ConsentNotGivenError, lambda: builder.declare(pid))


def test_intention_sharing_is_refused_when_no_intention_was_declared(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.refused(
        errors.IntentionNotSharedError,
        lambda: builder.run(
            builder.protagonist(builder.p1),
            ShareIntention(
                occurred_at=builder.at(), protagonist_id=builder.p1, shared_text="To work together."
            ),
        ),
    )


@pytest.mark.parametrize("by", ["protagonist", "own coach"])
def test_intention_is_shared_by_the_protagonist_or_their_coach(
    builder: EngagementBuilder, by: str
) -> None:
    builder.contracted()
    builder.declare(builder.p1)
    who = builder.protagonist(builder.p1) if by == "protagonist" else COACH_A
    builder.run(
        who,
        ShareIntention(
            occurred_at=builder.at(), protagonist_id=builder.p1, shared_text="Work together."
        ),
    )
    assert builder.engagement().protagonists[builder.p1]["intention_shared"] is True


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("other protagonist", errors.ActionNotAllowedError),
        ("other coach", errors.NotTheProtagonistsCoachError),
    ],
)
def test_intention_sharing_is_refused_for_anyone_but_the_protagonist_or_their_coach(
    builder: EngagementBuilder, who: str, error: type[errors.TrustpathError]
) -> None:
    builder.contracted()
    builder.declare(builder.p1)
    actor = builder.protagonist(builder.p2) if who == "other protagonist" else COACH_B
    builder.refused(
        error,
        lambda: builder.run(
            actor,
            ShareIntention(
                occurred_at=builder.at(), protagonist_id=builder.p1, shared_text="Hers."
            ),
        ),
    )


# -- trust assessments ---------------------------------------------------------------------


def test_trust_assessment_is_recorded_by_the_protagonists_coach(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    _assess(builder, COACH_A, score=0)
    event = builder.last_event()
    assert (event.protagonist_id, event.toward_id, event.score) == (builder.p1, builder.p2, 0)


def test_trust_assessment_is_refused_when_recorded_by_another_coach(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.refused(errors.NotTheProtagonistsCoachError, lambda: _assess(builder, COACH_B))


@pytest.mark.parametrize("score", [-1, 11, 100, True, 5.5])
def test_trust_assessment_is_refused_when_the_score_is_outside_0_to_10(
    builder: EngagementBuilder, score: object
) -> None:
    builder.contracted()
    builder.refused(errors.InvalidValueError, lambda: _assess(builder, COACH_A, score=score))


def test_trust_assessment_is_refused_when_the_challenge_is_unknown(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.refused(
        errors.InvalidValueError, lambda: _assess(builder, COACH_A, challenge="loyalty")
    )


def test_trust_assessment_is_refused_when_it_is_toward_oneself(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.refused(
        errors.InvalidValueError, lambda: _assess(builder, COACH_A, toward_id=builder.p1)
    )


def test_trust_assessment_is_refused_when_toward_an_unknown_protagonist(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.refused(
        errors.ProtagonistNotFoundError, lambda: _assess(builder, COACH_A, toward_id="ghost")
    )
