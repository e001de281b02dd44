"""Rules of the engagement's lifecycle (domain/README.md, "Rules" and "Who may do what").

- No session while paused, after termination or after closure.
- Termination can be requested by any party (a protagonist, a coach, the sponsor) and is
  never refused while the engagement has not ended.
- Completion needs the policy's minimums; otherwise the only way out is closing early,
  with a reason.
- A follow-up is held by a coach of the engagement once it has ended.

The rules of time: tests/unit/test_rules_times.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain import errors
from domain.commands import (
    CloseEarly,
    CompleteEngagement,
    HoldFollowUp,
    PauseEngagement,
    RequestTermination,
    ResumeEngagement,
)
from domain.trustpath import Trustpath
from domain.values import Actor, Policy
from tests.support.builders import ADMIN, AUDITOR, COACH_A, SPONSOR, EngagementBuilder

pytestmark = pytest.mark.unit


def _pause(b: EngagementBuilder) -> None:
    b.run(ADMIN, PauseEngagement(occurred_at=b.at(), reason="Summer break"))


def _terminate(b: EngagementBuilder, who: Actor = COACH_A) -> None:
    b.run(who, RequestTermination(occurred_at=b.at(), reason="No longer useful"))


def _close(b: EngagementBuilder) -> None:
    b.run(ADMIN, CloseEarly(occurred_at=b.at(), reason="Sponsor withdrew funding"))


def _complete(b: EngagementBuilder) -> None:
    b.run(ADMIN, CompleteEngagement(occurred_at=b.at()))


def _follow_up(b: EngagementBuilder, months: int = 3, who: Actor = COACH_A) -> object:
    return b.run(
        who,
        HoldFollowUp(
            occurred_at=b.at(),
            months_after=months,
            trust_lasted=True,
            shared_notes="Still talking.",
        ),
    )


SESSIONS: dict[str, Callable[[EngagementBuilder], object]] = {
    "individual": lambda b: b.individual_session(b.p1),
    "relationship": lambda b: b.relationship_session(),
    "intention": lambda b: b.declare(b.p1, "Revised."),
    "commitment": lambda b: b.commitment(),
}


# -- paused, terminated, closed ----------------------------------------------------------------


@pytest.mark.parametrize("session", sorted(SESSIONS))
def test_session_is_refused_while_the_engagement_is_paused(
    builder: EngagementBuilder, session: str
) -> None:
    builder.with_commitment()
    _pause(builder)
    builder.refused(errors.EngagementPausedError, lambda: SESSIONS[session](builder))


def test_sessions_are_held_again_once_the_engagement_is_resumed(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    _pause(builder)
    builder.run(ADMIN, ResumeEngagement(occurred_at=builder.at()))
    builder.relationship_session()
    assert builder.engagement().phase == "relationship"


def test_resume_is_refused_when_the_engagement_is_not_paused(builder: EngagementBuilder) -> None:
    builder.refused(
        errors.EngagementNotPausedError,
        lambda: builder.run(ADMIN, ResumeEngagement(occurred_at=builder.at())),
    )


def test_pause_is_refused_when_the_engagement_is_already_paused(
    builder: EngagementBuilder,
) -> None:
    _pause(builder)
    builder.refused(errors.EngagementPausedError, lambda: _pause(builder))


@pytest.mark.parametrize("end", ["termination", "closure", "completion"])
@pytest.mark.parametrize("session", sorted(SESSIONS))
def test_session_is_refused_after_the_engagement_ended(
    builder: EngagementBuilder, end: str, session: str
) -> None:
    builder.minimums_met()
    builder.commitment()
    {"termination": _terminate, "closure": _close, "completion": _complete}[end](builder)
    builder.refused(errors.EngagementEndedError, lambda: SESSIONS[session](builder))


@pytest.mark.parametrize(
    "who", ["protagonist", COACH_A, SPONSOR], ids=["protagonist", "coach", "sponsor"]
)
def test_termination_request_is_accepted_from_any_party(
    builder: EngagementBuilder, who: Actor | str
) -> None:
    builder.contracted()
    _pause(builder)
    actor = builder.protagonist(builder.p2) if who == "protagonist" else who
    _terminate(builder, actor)  # type: ignore[arg-type]
    assert builder.engagement().phase == "termination_requested"


@pytest.mark.parametrize("who", [ADMIN, AUDITOR, Actor("coach-elsewhere", "coach")], ids=str)
def test_termination_request_is_refused_when_the_actor_is_not_a_party(
    builder: EngagementBuilder, who: Actor
) -> None:
    builder.contracted()
    builder.refused(errors.ActionNotAllowedError, lambda: _terminate(builder, who))


def test_engagement_closes_early_after_termination_was_requested(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    _terminate(builder)
    _close(builder)
    assert builder.engagement().phase == "closed"


# -- completion and early closure --------------------------------------------------------------


def test_completion_is_refused_until_the_minimums_are_met(builder: EngagementBuilder) -> None:
    builder.at_gate()
    for challenge in ("confrontation", "commitment", "responsibility", "recognition"):
        builder.relationship_session(challenge)
    error = builder.refused(errors.MinimumsNotMetError, lambda: _complete(builder))
    assert "6 individual sessions (2 held)" in str(error)


def test_completion_is_refused_until_every_relational_challenge_is_explored(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    for index in range(4):
        builder.individual_session(builder.protagonists[index % 2])
    for challenge in ("confrontation", "commitment", "responsibility"):
        builder.relationship_session(challenge)
    error = builder.refused(errors.MinimumsNotMetError, lambda: _complete(builder))
    assert "recognition" in str(error)


def test_completion_is_recorded_once_the_minimums_are_met(builder: EngagementBuilder) -> None:
    builder.minimums_met()
    _complete(builder)
    engagement = builder.engagement()
    assert engagement.phase == "completed"
    event = builder.last_event()
    assert (event.individual_sessions, event.relationship_sessions) == (6, 4)


def test_completion_counts_sessions_per_protagonist_when_the_policy_says_so(
    sqlite_app: Trustpath,
) -> None:
    builder = EngagementBuilder(sqlite_app, Policy(min_individual_sessions=3, per_protagonist=True))
    builder.at_gate()
    for _ in range(3):
        builder.individual_session(builder.p1)
    for challenge in ("confrontation", "commitment", "responsibility", "recognition"):
        builder.relationship_session(challenge)
    builder.refused(errors.MinimumsNotMetError, lambda: _complete(builder))
    builder.individual_session(builder.p2)
    builder.individual_session(builder.p2)
    _complete(builder)
    assert builder.engagement().phase == "completed"


def test_early_closure_is_the_way_out_before_the_minimums_are_met(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    _close(builder)
    event = builder.last_event()
    assert (event.reason, event.minimums_met) == ("Sponsor withdrew funding", False)
    assert builder.engagement().phase == "closed"


@pytest.mark.parametrize("reason", ["", "  "])
def test_early_closure_is_refused_without_a_reason(builder: EngagementBuilder, reason: str) -> None:
    builder.refused(
        errors.InvalidValueError,
        lambda: builder.run(ADMIN, CloseEarly(occurred_at=builder.at(), reason=reason)),
    )


def test_early_closure_is_refused_after_the_engagement_ended(builder: EngagementBuilder) -> None:
    _close(builder)
    builder.refused(errors.EngagementEndedError, lambda: _close(builder))


def test_completion_is_refused_after_the_engagement_was_closed(
    builder: EngagementBuilder,
) -> None:
    builder.minimums_met()
    _close(builder)
    builder.refused(errors.EngagementEndedError, lambda: _complete(builder))


# -- follow-ups ---------------------------------------------------------------------------------


def test_follow_up_is_refused_before_the_engagement_ended(builder: EngagementBuilder) -> None:
    builder.at_gate()
    builder.refused(errors.FollowUpBeforeEndError, lambda: _follow_up(builder))


def test_follow_up_is_held_by_a_coach_after_completion(builder: EngagementBuilder) -> None:
    builder.minimums_met()
    _complete(builder)
    _follow_up(builder)
    assert builder.engagement().follow_ups == 1


@pytest.mark.parametrize("months", [0, -1, 61])
def test_follow_up_is_refused_when_months_after_is_out_of_range(
    builder: EngagementBuilder, months: int
) -> None:
    builder.contracted()
    _close(builder)
    builder.refused(errors.InvalidValueError, lambda: _follow_up(builder, months))


def test_follow_up_is_refused_when_not_held_by_a_coach_of_the_engagement(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    _close(builder)
    builder.refused(errors.ActionNotAllowedError, lambda: _follow_up(builder, who=SPONSOR))
