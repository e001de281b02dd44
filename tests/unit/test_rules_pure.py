"""The method's rules as pure functions (`domain.rules`): plain values in, plain values out.

No store, no file, no application: each rule is called on literal values, the way the
aggregate, the status projection and the API call it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain import errors
from domain.commitments import (
    SETTLED_AS,
    CommitmentBroken,
    CommitmentHonoured,
    CommitmentRenegotiated,
    CommitmentWithdrawn,
)
from domain.rules.commitment import CommitmentState, tally
from domain.rules.parties import parties_of
from domain.rules.progress import (
    check_gate,
    gate_is_open,
    gate_refusal,
    minimums_missing,
    next_challenge,
    next_step,
    phase_of,
)
from domain.sponsor import DEFAULT_ITEMS, SponsorItem
from domain.state import initial_state
from domain.values import RELATIONAL_CHALLENGES, Phase, Policy

pytestmark = pytest.mark.unit


def protagonist(
    coach: str = "coach-a", sessions: int = 1, intention: int = 1, **consents: bool
) -> dict[str, Any]:
    """A protagonist as the engagement folds it."""
    return {
        "name": "Director",
        "kind": "person",
        "coach_id": coach,
        "consents": consents,
        "sessions": sessions,
        "intention_version": intention,
        "intention_shared": False,
        "erased": False,
    }


READY = {"p1": protagonist("coach-a"), "p2": protagonist("coach-b")}


# -- the phase ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "phase"),
    [
        ({}, Phase.CONTRACTING),
        ({"individual_sessions": ["s1"]}, Phase.INDIVIDUAL),
        ({"individual_sessions": ["s1"], "relationship_sessions": ["r1"]}, Phase.RELATIONSHIP),
        ({"relationship_sessions": ["r1"], "paused": True}, Phase.PAUSED),
        ({"paused": True, "termination_requested": True}, Phase.TERMINATION_REQUESTED),
        ({"termination_requested": True, "ended": "closed"}, Phase.CLOSED),
        ({"paused": True, "ended": "completed"}, Phase.COMPLETED),
    ],
)
def test_phase_is_the_end_then_a_termination_then_a_pause_then_the_space(
    facts: dict[str, Any], phase: Phase
) -> None:
    values: dict[str, Any] = {
        "ended": "",
        "termination_requested": False,
        "paused": False,
        "relationship_sessions": [],
        "individual_sessions": [],
    }
    assert phase_of(**{**values, **facts}) is phase


# -- the gate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("protagonists", "policy", "refusal", "message"),
    [
        ({}, Policy(), errors.NotEnoughProtagonistsError, "at least two protagonists"),
        ({"p1": protagonist()}, Policy(), errors.NotEnoughProtagonistsError, "at least two"),
        (
            {"p1": protagonist(), "p2": protagonist(coach="")},
            Policy(),
            errors.CoachNotAssignedError,
            "'p2' has no coach",
        ),
        (
            {"p1": protagonist(sessions=0), "p2": protagonist()},
            Policy(min_individual_before_gate=0),
            errors.IndividualSessionsMissingError,
            "'p1' has held 0 individual session(s); 1 needed before the gate",
        ),
        (
            {"p1": protagonist(), "p2": protagonist()},
            Policy(min_individual_before_gate=2),
            errors.IndividualSessionsMissingError,
            "'p1' has held 1 individual session(s); 2 needed before the gate",
        ),
        (
            {"p1": protagonist(), "p2": protagonist(intention=0)},
            Policy(),
            errors.IntentionsNotDeclaredError,
            "'p2' has not declared an intention",
        ),
    ],
)
def test_gate_is_refused_naming_the_first_rule_not_met(
    protagonists: dict[str, Any], policy: Policy, refusal: type[Exception], message: str
) -> None:
    found = gate_refusal(protagonists, policy)
    assert type(found) is refusal
    assert message in str(found)
    assert not gate_is_open(protagonists, policy)
    with pytest.raises(refusal):
        check_gate(protagonists, policy)


def test_gate_is_open_when_every_protagonist_has_a_coach_a_session_and_an_intention() -> None:
    assert gate_refusal(READY, Policy()) is None
    assert gate_is_open(READY, Policy())
    check_gate(READY, Policy())


# -- the next challenge and the minimums ----------------------------------------------------


def test_next_challenge_follows_the_policys_order_until_all_were_explored() -> None:
    assert next_challenge(Policy(), []) == RELATIONAL_CHALLENGES[0]
    assert next_challenge(Policy(), ["confrontation"]) == "commitment"
    assert next_challenge(Policy(), list(RELATIONAL_CHALLENGES)) is None
    custom = Policy(relationship_challenges=("recognition", "confrontation"))
    assert next_challenge(custom, ["recognition"]) == "confrontation"


def test_minimums_are_missing_in_total_or_each_and_per_challenge_not_explored() -> None:
    total = Policy(min_individual_sessions=3, relationship_challenges=("confrontation",))
    assert minimums_missing(total, READY, []) == [
        "3 individual sessions (2 held)",
        "a relationship session on confrontation",
    ]
    each = Policy(min_individual_sessions=2, per_protagonist=True)
    sessions = {"p1": protagonist(sessions=5), "p2": protagonist(sessions=1)}
    assert minimums_missing(each, sessions, RELATIONAL_CHALLENGES)[0] == (
        "2 individual sessions each"
    )
    assert minimums_missing(each, {}, RELATIONAL_CHALLENGES) == ["2 individual sessions each"]


def test_minimums_are_met_when_sessions_suffice_and_every_challenge_was_explored() -> None:
    policy = Policy(min_individual_sessions=2)
    assert minimums_missing(policy, READY, list(reversed(RELATIONAL_CHALLENGES))) == []


# -- the next step --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "signed", "protagonists", "explored", "step"),
    [
        (Phase.COMPLETED, True, READY, [], "follow-up (did trust last?)"),
        (Phase.CLOSED, False, {}, [], "follow-up (did trust last?)"),
        (Phase.TERMINATION_REQUESTED, True, READY, [], "close the engagement (termination"),
        (Phase.PAUSED, True, READY, [], "resume the engagement"),
        (Phase.CONTRACTING, False, READY, [], "sign the coaching agreement"),
        (Phase.CONTRACTING, True, {}, [], "open the gate: the gate needs at least two"),
        (Phase.INDIVIDUAL, True, READY, [], "relationship session on confrontation"),
        (Phase.RELATIONSHIP, True, READY, ["confrontation"], "relationship session on commitment"),
        (Phase.RELATIONSHIP, True, READY, RELATIONAL_CHALLENGES, "still needed: 6 individual"),
    ],
)
def test_next_step_names_what_comes_next_in_the_methods_words(
    phase: Phase, signed: bool, protagonists: dict[str, Any], explored: Any, step: str
) -> None:
    found = next_step(
        phase=phase,
        agreement_signed=signed,
        policy=Policy(),
        protagonists=protagonists,
        explored=list(explored),
    )
    assert found.startswith(step)


def test_next_step_is_completion_once_the_minimums_are_met() -> None:
    found = next_step(
        phase=Phase.RELATIONSHIP,
        agreement_signed=True,
        policy=Policy(min_individual_sessions=2),
        protagonists=READY,
        explored=list(RELATIONAL_CHALLENGES),
    )
    assert found == "complete the engagement"


# -- the parties ----------------------------------------------------------------------------


def test_parties_tell_the_sponsor_only_the_default_items_until_everyone_consents() -> None:
    agreement = {"sponsor_may_be_told": ["title"]}
    parties = parties_of(READY, "sponsor-hr", agreement)
    assert parties.coach_of == {"p1": "coach-a", "p2": "coach-b"}
    assert parties.sponsor == "sponsor-hr"
    assert parties.sponsor_items == DEFAULT_ITEMS


def test_parties_tell_the_sponsor_the_agreements_items_once_everyone_consents() -> None:
    consenting = {p: protagonist(sponsor_reporting=True) for p in ("p1", "p2")}
    parties = parties_of(consenting, "sponsor-hr", {"sponsor_may_be_told": ["title"]})
    assert parties.sponsor_items == DEFAULT_ITEMS | {SponsorItem.TITLE}
    assert parties_of(consenting, "sponsor-hr", None).sponsor_items == DEFAULT_ITEMS


# -- commitment states and the initial state ------------------------------------------------


def test_commitment_states_are_the_stored_strings_byte_for_byte() -> None:
    assert [s.value for s in CommitmentState] == [
        "open",
        "honoured",
        "broken",
        "renegotiated",
        "withdrawn",
    ]
    assert json.dumps({"state": CommitmentState.HONOURED}) == '{"state": "honoured"}'
    assert f"commitment_{CommitmentState.BROKEN}" == "commitment_broken"


def test_each_settling_event_leaves_its_commitment_in_its_own_final_state() -> None:
    settled = dict(SETTLED_AS)
    assert settled == {
        CommitmentHonoured: CommitmentState.HONOURED,
        CommitmentBroken: CommitmentState.BROKEN,
        CommitmentWithdrawn: CommitmentState.WITHDRAWN,
        CommitmentRenegotiated: CommitmentState.RENEGOTIATED,
    }
    assert CommitmentState.OPEN not in SETTLED_AS.values()


def test_tally_counts_withdrawn_and_renegotiated_commitments_as_made_only() -> None:
    made = [
        {"owners": ["a"], "to_whom": ["b"], "state": state, "on_time": None}
        for state in (CommitmentState.WITHDRAWN, CommitmentState.RENEGOTIATED, "broken")
    ]
    got = tally(made)
    assert (got["made"], got["honoured"], got["broken"], got["open"]) == (3, 0, 1, 0)
    assert got["honour_rate"] == 0.0


def test_initial_state_is_fresh_for_each_engagement() -> None:
    first = initial_state("T", "O", "sponsor-hr", {}, "2026-01-01T00:00:00+00:00")
    second = initial_state("T", "O", "sponsor-hr", {}, "2026-01-01T00:00:00+00:00")
    first["protagonists"]["p1"] = protagonist()
    first["challenges_explored"].append("confrontation")
    assert second["protagonists"] == {}
    assert second["challenges_explored"] == []
    assert (second["agreement"], second["ended"], second["follow_ups"]) == (None, "", 0)
    assert second["opened_at"] == second["last_activity"]
