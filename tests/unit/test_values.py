"""Malformed values refused before any command runs: the actor and the policy."""

from __future__ import annotations

import pytest

from domain import errors
from domain.values import Actor, Policy

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("actor_id", "role"), [("", "coach"), ("  ", "admin"), ("x", "king")])
def test_actor_is_refused_when_its_id_is_empty_or_its_role_unknown(
    actor_id: str, role: str
) -> None:
    with pytest.raises(errors.InvalidValueError):
        Actor(actor_id, role)


@pytest.mark.parametrize(
    "changes",
    [
        {"min_individual_sessions": -1},
        {"min_individual_before_gate": -2},
        {"relationship_challenges": ()},
        {"relationship_challenges": ("presence",)},
        {"relationship_challenges": ("confrontation", "trust")},
    ],
    ids=str,
)
def test_policy_is_refused_when_its_minimums_or_challenges_are_malformed(
    changes: dict[str, object],
) -> None:
    with pytest.raises(errors.InvalidValueError):
        Policy(**changes)  # type: ignore[arg-type]


def test_policy_round_trips_through_its_stored_form() -> None:
    policy = Policy(min_individual_sessions=8, per_protagonist=True, strict_order=False)
    assert Policy.from_dict(policy.as_dict()) == policy


def test_unknown_value_error_names_what_is_allowed() -> None:
    with pytest.raises(errors.InvalidValueError, match="allowed: admin, coach"):
        Actor("x", "king")
