"""How far an engagement has come: its phase, the gate, the next challenge, the minimums.

Each rule reads plain values (the protagonists as the engagement folds them, the policy,
the challenges explored) and answers with a value; the aggregate checks them before its
commands, the status projection shows them.

    the gate        at least two protagonists, each with a coach, the policy's individual
                    sessions before the gate (at least one) and a declared intention
    next challenge  the policy's next relationship challenge not yet explored
    minimums        the policy's individual sessions (in total or each) and a relationship
                    session on each of its challenges, before completion
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from domain import errors
from domain.values import Phase, Policy

Protagonists = Mapping[str, Mapping[str, Any]]
"""The protagonists as the engagement folds them: id -> name, coach_id, sessions, ..."""


def phase_of(
    *,
    ended: str,
    termination_requested: bool,
    paused: bool,
    relationship_sessions: Collection[str],
    individual_sessions: Collection[str],
) -> Phase:
    """Where an engagement stands: its end, a termination, a pause, then its space."""
    if ended:
        return Phase(ended)
    if termination_requested:
        return Phase.TERMINATION_REQUESTED
    if paused:
        return Phase.PAUSED
    if relationship_sessions:
        return Phase.RELATIONSHIP
    if individual_sessions:
        return Phase.INDIVIDUAL
    return Phase.CONTRACTING


def gate_refusal(protagonists: Protagonists, policy: Policy) -> errors.RuleBrokenError | None:
    """The first gate rule not met, or None when the gate is open."""
    if len(protagonists) < 2:
        return errors.NotEnoughProtagonistsError("the gate needs at least two protagonists")
    needed = max(policy.min_individual_before_gate, 1)
    for protagonist_id, p in protagonists.items():
        if not p["coach_id"]:
            return errors.CoachNotAssignedError(f"{protagonist_id!r} has no coach")
        if p["sessions"] < needed:
            return errors.IndividualSessionsMissingError(
                f"{protagonist_id!r} has held {p['sessions']} individual session(s); "
                f"{needed} needed before the gate"
            )
        if not p["intention_version"]:
            return errors.IntentionsNotDeclaredError(
                f"{protagonist_id!r} has not declared an intention"
            )
    return None


def check_gate(protagonists: Protagonists, policy: Policy) -> None:
    """Raise the first gate rule that is not met."""
    refusal = gate_refusal(protagonists, policy)
    if refusal is not None:
        raise refusal


def gate_is_open(protagonists: Protagonists, policy: Policy) -> bool:
    """Whether the relationship space may start (or go on)."""
    return gate_refusal(protagonists, policy) is None


def next_challenge(policy: Policy, explored: Sequence[str]) -> str | None:
    """The challenge due next under the policy, or None when all were explored."""
    order = policy.relationship_challenges
    done = len(explored)
    return order[done] if done < len(order) else None


def minimums_missing(
    policy: Policy, protagonists: Protagonists, explored: Collection[str]
) -> list[str]:
    """What the policy still requires before completion (empty when met)."""
    missing = []
    sessions = [p["sessions"] for p in protagonists.values()]
    if policy.per_protagonist:
        if not sessions or min(sessions) < policy.min_individual_sessions:
            missing.append(f"{policy.min_individual_sessions} individual sessions each")
    elif sum(sessions) < policy.min_individual_sessions:
        missing.append(
            f"{policy.min_individual_sessions} individual sessions ({sum(sessions)} held)"
        )
    for challenge in policy.relationship_challenges:
        if challenge not in explored:
            missing.append(f"a relationship session on {challenge}")
    return missing


def next_step(
    *,
    phase: Phase,
    agreement_signed: bool,
    policy: Policy,
    protagonists: Protagonists,
    explored: Sequence[str],
) -> str:
    """What comes next, in the method's words."""
    if phase in (Phase.COMPLETED, Phase.CLOSED):
        return "follow-up (did trust last?)"
    if phase is Phase.TERMINATION_REQUESTED:
        return "close the engagement (termination requested)"
    if phase is Phase.PAUSED:
        return "resume the engagement"
    if not agreement_signed:
        return "sign the coaching agreement"
    refusal = gate_refusal(protagonists, policy)
    if refusal is not None:
        return f"open the gate: {refusal}"
    challenge = next_challenge(policy, explored)
    if challenge is not None:
        return f"relationship session on {challenge}"
    missing = minimums_missing(policy, protagonists, explored)
    return "still needed: " + "; ".join(missing) if missing else "complete the engagement"
