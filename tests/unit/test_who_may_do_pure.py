"""Who may do what (`domain.rules.who_may_do`) as a pure function, and the aggregate and the
status fold starting from the same state; no store, no file, no application."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain import errors
from domain.engagement import Engagement
from domain.rules.who_may_do import WHO_MAY_DO, Action, Who, check_may_do, may_do_refusal
from domain.state import Command
from domain.values import Actor, Policy
from projections.sql import iso
from projections.status import Folded

pytestmark = pytest.mark.unit

COACH_OF = {"p1": "coach-a", "p2": "coach-b", "p3": ""}  # p3 has no coach yet
SPONSOR = "sponsor-hr"
ADMIN = Actor("admin-1", "admin")
COACH_A, COACH_B = Actor("coach-a", "coach"), Actor("coach-b", "coach")
OUTSIDER_COACH = Actor("coach-x", "coach")
P1, P2 = Actor("p1", "protagonist"), Actor("p2", "protagonist")
THE_SPONSOR, OTHER_SPONSOR = Actor(SPONSOR, "sponsor"), Actor("sponsor-x", "sponsor")
AUDITOR = Actor("auditor-1", "auditor")


def refusal(action: Action, actor: Actor, protagonist_id: str = "") -> errors.TrustpathError | None:
    return may_do_refusal(action, actor, COACH_OF, SPONSOR, protagonist_id)


def refused_with(
    action: Action, actor: Actor, error: type[Exception], protagonist_id: str = ""
) -> str:
    found = refusal(action, actor, protagonist_id)
    assert type(found) is error, found
    with pytest.raises(error):
        check_may_do(action, actor, COACH_OF, SPONSOR, protagonist_id)
    return str(found)


def test_every_action_is_a_command_of_the_aggregate_and_has_its_row_in_the_matrix() -> None:
    assert set(WHO_MAY_DO) == set(Action)
    for action in Action:
        assert callable(getattr(Engagement, action.value)), action


@pytest.mark.parametrize("action", [a for a, who in WHO_MAY_DO.items() if who is Who.ADMIN])
def test_admin_actions_are_refused_to_anyone_but_the_practice_admin(action: Action) -> None:
    assert refusal(action, ADMIN) is None
    for actor in (COACH_A, P1, THE_SPONSOR, AUDITOR):
        message = refused_with(action, actor, errors.ActionNotAllowedError)
        expected = "open an engagement" if action is Action.OPEN else "do this"
        assert message == f"only admin may {expected}"


@pytest.mark.parametrize("action", [a for a, who in WHO_MAY_DO.items() if who is Who.OWN_COACH])
def test_individual_space_actions_are_only_the_protagonists_own_coachs(action: Action) -> None:
    assert refusal(action, COACH_A, "p1") is None
    message = refused_with(action, COACH_B, errors.NotTheProtagonistsCoachError, "p1")
    assert message == "coach 'coach-b' is not the coach of protagonist 'p1'"
    refused_with(action, OUTSIDER_COACH, errors.NotTheProtagonistsCoachError, "p3")
    assert refused_with(action, P1, errors.ActionNotAllowedError, "p1") == (
        "only coach may do this"
    )


def test_an_unknown_protagonist_is_not_found_but_only_after_the_actors_role() -> None:
    action = Action.HOLD_INDIVIDUAL_SESSION
    refused_with(action, COACH_A, errors.ProtagonistNotFoundError, "nobody")
    refused_with(action, ADMIN, errors.ActionNotAllowedError, "nobody")
    for action in (Action.GIVE_CONSENT, Action.SHARE_INTENTION):
        refused_with(action, P1, errors.ProtagonistNotFoundError, "nobody")


@pytest.mark.parametrize("action", [Action.GIVE_CONSENT, Action.WITHDRAW_CONSENT])
def test_consent_is_the_protagonists_or_their_own_coachs_only(action: Action) -> None:
    assert refusal(action, P1, "p1") is None
    assert refusal(action, COACH_A, "p1") is None
    for actor in (COACH_B, P2, THE_SPONSOR, ADMIN):
        message = refused_with(action, actor, errors.ConsentNotByProtagonistOrOwnCoachError, "p1")
        assert message.endswith("may not give or withdraw consent for protagonist 'p1'")
    refused_with(action, OUTSIDER_COACH, errors.ConsentNotByProtagonistOrOwnCoachError, "p3")


def test_sharing_an_intention_is_the_protagonists_or_their_own_coachs_only() -> None:
    action = Action.SHARE_INTENTION
    assert refusal(action, P2, "p2") is None
    assert refusal(action, COACH_B, "p2") is None
    refused_with(action, COACH_A, errors.NotTheProtagonistsCoachError, "p2")
    assert refused_with(action, P1, errors.ActionNotAllowedError, "p2") == (
        "only coach may do this"
    )


@pytest.mark.parametrize(
    "action", [a for a, who in WHO_MAY_DO.items() if who is Who.ENGAGEMENT_COACH]
)
def test_relationship_space_actions_are_any_coach_of_the_engagements(action: Action) -> None:
    assert refusal(action, COACH_A) is None
    assert refusal(action, COACH_B) is None
    message = refused_with(action, OUTSIDER_COACH, errors.ActionNotAllowedError)
    assert message == "only a coach of this engagement may do this"
    assert refused_with(action, P1, errors.ActionNotAllowedError) == "only coach may do this"


def test_a_protagonist_without_a_coach_admits_no_coach_to_the_engagement() -> None:
    alone = {"p1": ""}
    found = may_do_refusal(Action.HOLD_FOLLOW_UP, COACH_A, alone, SPONSOR)
    assert isinstance(found, errors.ActionNotAllowedError)


def test_termination_is_requested_by_any_party_and_by_nobody_else() -> None:
    action = Action.REQUEST_TERMINATION
    for party in (P1, P2, COACH_A, COACH_B, THE_SPONSOR):
        assert refusal(action, party) is None
    for outsider in (OTHER_SPONSOR, OUTSIDER_COACH, Actor("p9", "protagonist"), ADMIN, AUDITOR):
        message = refused_with(action, outsider, errors.ActionNotAllowedError)
        assert message.startswith("termination is requested by a party")


# -- one initial state ----------------------------------------------------------------------


def test_aggregate_and_status_fold_start_from_the_same_state_in_the_same_order() -> None:
    at = datetime(2026, 1, 1, 9, tzinfo=UTC)
    engagement = Engagement.open(
        Command(ADMIN, at, at),
        engagement_id=uuid4(),
        title="Board",
        organisation="Acme",
        context="",
        sponsor=SPONSOR,
        policy=Policy(),
    )
    opened = engagement.collect_events()[0]
    assert isinstance(opened, Engagement.Opened)
    folded = Folded.opened(opened).state()
    aggregate = {
        name: iso(value) if isinstance(value, datetime) else value
        for name, value in vars(engagement).items()
        if not name.startswith("_") and name not in ("handled_commands", "content_index")
    }
    assert list(folded) == [*aggregate, "coach_names", "version"]
    assert folded == {**aggregate, "coach_names": {}, "version": 1}
