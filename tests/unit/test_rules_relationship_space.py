"""Rules of the relationship space (domain/README.md, "Rules" and "Who may do what").

- The gate: the first relationship session needs every protagonist to have held at least
  one individual session and to have a current declared intention.
- A relationship session explores exactly one of the four relational challenges; with the
  default policy it cannot skip ahead (it may repeat the current one).
- A relationship session needs every protagonist present; otherwise only a presence
  setback may be recorded.
- Relationship sessions and presence setbacks are held by a coach of the engagement.
"""

from __future__ import annotations

import pytest

from domain import errors
from domain.commands import HoldRelationshipSession, RecordPresenceSetback
from domain.trustpath import Trustpath
from domain.values import Actor, Policy
from tests.support.builders import COACH_B, OUTSIDER_COACH, EngagementBuilder

pytestmark = pytest.mark.unit


def _hold(b: EngagementBuilder, challenge: str = "confrontation", **changes: object) -> object:
    args: dict[str, object] = {
        "challenge": challenge,
        "present": list(b.protagonists),
        "duration_minutes": 90,
        "shared_notes": "Both spoke.",
    }
    args.update(changes)
    who = args.pop("who", COACH_B)
    return b.run(who, HoldRelationshipSession(occurred_at=b.at(), **args))  # type: ignore[arg-type]


def _setback(b: EngagementBuilder, present: list[str], challenge: str = "confrontation") -> object:
    return b.run(
        COACH_B,
        RecordPresenceSetback(
            occurred_at=b.at(), challenge=challenge, present=present, note="Cancelled."
        ),
    )


# -- the gate --------------------------------------------------------------------------------


def test_relationship_session_is_held_once_the_gate_is_open(builder: EngagementBuilder) -> None:
    builder.at_gate()
    assert builder.engagement().gate_is_open()
    session_id = builder.relationship_session()
    engagement = builder.engagement()
    assert engagement.relationship_sessions == {session_id: "confrontation"}
    assert engagement.phase == "relationship"


def test_relationship_session_is_refused_when_a_protagonist_has_held_no_individual_session(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.individual_session(builder.p1)
    builder.declare(builder.p1)
    builder.declare(builder.p2)
    builder.refused(errors.IndividualSessionsMissingError, builder.relationship_session)


def test_relationship_session_is_refused_when_an_intention_is_missing(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.individual_session(builder.p1)
    builder.individual_session(builder.p2)
    builder.declare(builder.p1)
    builder.refused(errors.IntentionsNotDeclaredError, builder.relationship_session)


def test_relationship_session_is_refused_until_the_policys_sessions_before_the_gate_are_held(
    sqlite_app: Trustpath,
) -> None:
    builder = EngagementBuilder(sqlite_app, Policy(min_individual_before_gate=2))
    builder.at_gate()
    builder.refused(errors.IndividualSessionsMissingError, builder.relationship_session)
    builder.individual_session(builder.p1)
    builder.individual_session(builder.p2)
    builder.relationship_session()
    assert len(builder.engagement().relationship_sessions) == 1


# -- one relational challenge, in order --------------------------------------------------------


@pytest.mark.parametrize("challenge", ["presence", "trust", ""])
def test_relationship_session_is_refused_when_its_challenge_is_not_relational(
    builder: EngagementBuilder, challenge: str
) -> None:
    builder.at_gate()
    builder.refused(errors.ChallengeNotRelationalError, lambda: _hold(builder, challenge))


@pytest.mark.parametrize("challenge", ["commitment", "responsibility", "recognition"])
def test_relationship_session_is_refused_when_it_skips_ahead_of_the_default_order(
    builder: EngagementBuilder, challenge: str
) -> None:
    builder.at_gate()
    builder.refused(errors.ChallengeOutOfOrderError, lambda: _hold(builder, challenge))


def test_relationship_session_is_refused_when_it_goes_back_to_an_earlier_challenge(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    builder.relationship_session("confrontation")
    builder.relationship_session("commitment")
    builder.refused(errors.ChallengeOutOfOrderError, lambda: _hold(builder, "confrontation"))


def test_relationship_session_may_repeat_the_current_challenge(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    builder.relationship_session("confrontation")
    builder.relationship_session("confrontation")
    engagement = builder.engagement()
    assert len(engagement.relationship_sessions) == 2
    assert engagement.challenges_explored == ["confrontation"]
    assert engagement.next_challenge() == "commitment"


def test_relationship_sessions_follow_the_default_order_to_the_end(
    builder: EngagementBuilder,
) -> None:
    builder.minimums_met()
    engagement = builder.engagement()
    assert engagement.challenges_explored == [
        "confrontation",
        "commitment",
        "responsibility",
        "recognition",
    ]
    assert engagement.next_challenge() is None


def test_relationship_session_may_skip_ahead_when_the_policy_is_not_strict(
    sqlite_app: Trustpath,
) -> None:
    builder = EngagementBuilder(sqlite_app, Policy(strict_order=False))
    builder.at_gate()
    builder.relationship_session("recognition")
    builder.relationship_session("confrontation")
    assert builder.engagement().challenges_explored == ["recognition", "confrontation"]


# -- every protagonist present -------------------------------------------------------------


def test_relationship_session_is_refused_when_a_protagonist_is_absent(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    builder.refused(errors.ProtagonistAbsentError, lambda: _hold(builder, present=[builder.p1]))


def test_presence_setback_is_recorded_when_a_protagonist_is_absent(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    _setback(builder, [builder.p1])
    engagement = builder.engagement()
    assert engagement.presence_setbacks == 1
    assert engagement.relationship_sessions == {}
    event = builder.last_event()
    assert event.absent == [builder.p2]


def test_presence_setback_is_refused_when_everyone_is_present(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    builder.refused(errors.NobodyAbsentError, lambda: _setback(builder, list(builder.protagonists)))


def test_presence_setback_is_refused_before_the_gate(builder: EngagementBuilder) -> None:
    builder.contracted()
    builder.refused(errors.IndividualSessionsMissingError, lambda: _setback(builder, [builder.p1]))


def test_relationship_session_is_refused_when_a_present_protagonist_is_unknown(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    present = [*builder.protagonists, "stranger"]
    builder.refused(errors.ProtagonistNotFoundError, lambda: _hold(builder, present=present))


@pytest.mark.parametrize("minutes", [-5, 0])
def test_relationship_session_is_refused_when_the_duration_is_not_positive(
    builder: EngagementBuilder, minutes: int
) -> None:
    builder.at_gate()
    builder.refused(errors.InvalidValueError, lambda: _hold(builder, duration_minutes=minutes))


def test_relationship_session_is_refused_when_its_shared_notes_are_empty(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    builder.refused(errors.InvalidValueError, lambda: _hold(builder, shared_notes=" "))


# -- who may hold it -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", [OUTSIDER_COACH, Actor("p", "protagonist"), Actor("practice-admin", "admin")], ids=str
)
def test_relationship_session_is_refused_when_not_held_by_a_coach_of_the_engagement(
    builder: EngagementBuilder, who: Actor
) -> None:
    builder.at_gate()
    builder.refused(errors.ActionNotAllowedError, lambda: _hold(builder, who=who))


@pytest.mark.parametrize("who", [OUTSIDER_COACH, Actor("p", "protagonist")], ids=str)
def test_presence_setback_is_refused_when_not_recorded_by_a_coach_of_the_engagement(
    builder: EngagementBuilder, who: Actor
) -> None:
    builder.at_gate()
    builder.refused(
        errors.ActionNotAllowedError,
        lambda: builder.run(
            who,
            RecordPresenceSetback(
                occurred_at=builder.at(), challenge="confrontation", present=[builder.p1]
            ),
        ),
    )
