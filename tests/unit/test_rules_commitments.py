"""Rules of commitments (domain/README.md, "Rules" and "Who may do what").

- Commitments come from a held relationship session.
- Their lifecycle is made -> honoured | broken | withdrawn (final), or renegotiated into a
  new commitment (the old one is final, superseded).
- Honouring is assessed by a coach or by the parties together, never by the owner alone.
- Making, honouring, breaking, renegotiating and withdrawing are a coach's of the
  engagement.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from domain import errors
from domain.commands import (
    BreakCommitment,
    HonourCommitment,
    MakeCommitment,
    RenegotiateCommitment,
    WithdrawCommitment,
)
from domain.values import Actor
from tests.support.builders import COACH_A, COACH_B, OUTSIDER_COACH, EngagementBuilder

pytestmark = pytest.mark.unit

Settle = Callable[..., object]


def _honour(b: EngagementBuilder, cid: str, who: Actor = COACH_B) -> object:
    return b.run(
        who, HonourCommitment(occurred_at=b.at(), commitment_id=cid, evidence="Draft sent.")
    )


def _break(b: EngagementBuilder, cid: str, who: Actor = COACH_B) -> object:
    return b.run(who, BreakCommitment(occurred_at=b.at(), commitment_id=cid, reason="Not sent."))


def _withdraw(b: EngagementBuilder, cid: str, who: Actor = COACH_B) -> object:
    return b.run(who, WithdrawCommitment(occurred_at=b.at(), commitment_id=cid, reason="Moot."))


def _renegotiate(b: EngagementBuilder, cid: str, who: Actor = COACH_B) -> object:
    return b.run(
        who,
        RenegotiateCommitment(
            occurred_at=b.at(),
            commitment_id=cid,
            owners=[b.p1],
            to_whom=[b.p2],
            what="Share the draft three days ahead.",
            due_on=b.due(30),
            reason="Closing weeks.",
        ),
    )


SETTLE: dict[str, Settle] = {
    "honoured": _honour,
    "broken": _break,
    "withdrawn": _withdraw,
    "renegotiated": _renegotiate,
}


def _make(b: EngagementBuilder, **changes: object) -> object:
    args: dict[str, object] = {
        "session_id": b.relationship_sessions[-1] if b.relationship_sessions else "none",
        "owners": [b.p1],
        "to_whom": [b.p2],
        "what": "Call weekly.",
        "due_on": b.due(),
        "challenge": "commitment",
    }
    args.update(changes)
    who = args.pop("who", COACH_A)
    return b.run(who, MakeCommitment(occurred_at=b.at(), **args))  # type: ignore[arg-type]


# -- made in a held relationship session ---------------------------------------------------


def test_commitment_is_made_in_a_held_relationship_session(builder: EngagementBuilder) -> None:
    cid = builder.with_commitment()
    commitment = builder.engagement().commitments[cid]
    assert commitment["state"] == "open"
    assert commitment["session_id"] == builder.relationship_sessions[0]


def test_commitment_is_refused_when_its_session_is_an_individual_session(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    builder.relationship_session()
    individual = builder.individual_sessions[0]
    builder.refused(
        errors.SessionNotRelationshipError, lambda: _make(builder, session_id=individual)
    )


def test_commitment_is_refused_before_any_relationship_session_is_held(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    builder.refused(errors.SessionNotRelationshipError, lambda: _make(builder))


@pytest.mark.parametrize("owners", [[], ["p1", "p1"]], ids=["no owner", "repeated owner"])
def test_commitment_is_refused_when_its_owners_are_not_distinct_protagonists(
    builder: EngagementBuilder, owners: list[str]
) -> None:
    builder.at_gate()
    builder.relationship_session()
    named = [builder.p1 if o == "p1" else o for o in owners]
    builder.refused(errors.CommitmentOwnersInvalidError, lambda: _make(builder, owners=named))


def test_commitment_is_refused_when_an_owner_is_unknown(builder: EngagementBuilder) -> None:
    builder.at_gate()
    builder.relationship_session()
    builder.refused(errors.ProtagonistNotFoundError, lambda: _make(builder, owners=["ghost"]))


def test_group_commitment_has_several_owners(builder: EngagementBuilder) -> None:
    builder.at_gate()
    builder.relationship_session()
    builder.commitment(owners=[builder.p1, builder.p2])
    event = builder.last_event()
    assert (event.kind, event.owners) == ("group", [builder.p1, builder.p2])


@pytest.mark.parametrize("what", ["", "   "])
def test_commitment_is_refused_when_what_is_empty(builder: EngagementBuilder, what: str) -> None:
    builder.at_gate()
    builder.relationship_session()
    builder.refused(errors.InvalidValueError, lambda: _make(builder, what=what))


def test_commitment_is_refused_when_it_is_due_before_it_is_made(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    builder.relationship_session()
    yesterday = builder.due(0) - timedelta(days=1)
    builder.refused(errors.InvalidValueError, lambda: _make(builder, due_on=yesterday))


@pytest.mark.parametrize("who", [OUTSIDER_COACH, Actor("p", "protagonist")], ids=str)
def test_commitment_is_refused_when_not_made_by_a_coach_of_the_engagement(
    builder: EngagementBuilder, who: Actor
) -> None:
    builder.at_gate()
    builder.relationship_session()
    builder.refused(errors.ActionNotAllowedError, lambda: _make(builder, who=who))


# -- lifecycle -------------------------------------------------------------------------------


@pytest.mark.parametrize("final", ["honoured", "broken", "withdrawn", "renegotiated"])
def test_commitment_reaches_its_final_state(builder: EngagementBuilder, final: str) -> None:
    cid = builder.with_commitment()
    SETTLE[final](builder, cid)
    assert builder.engagement().commitments[cid]["state"] == final


@pytest.mark.parametrize("final", ["honoured", "broken", "withdrawn", "renegotiated"])
@pytest.mark.parametrize("then", ["honoured", "broken", "withdrawn", "renegotiated"])
def test_commitment_change_is_refused_once_it_is_final(
    builder: EngagementBuilder, final: str, then: str
) -> None:
    cid = builder.with_commitment()
    SETTLE[final](builder, cid)
    builder.refused(errors.CommitmentSettledError, lambda: SETTLE[then](builder, cid))


def test_commitment_renegotiation_supersedes_it_with_a_new_commitment(
    builder: EngagementBuilder,
) -> None:
    cid = builder.with_commitment()
    before = builder.engagement().version
    receipt = _renegotiate(builder, cid)
    commitments = builder.engagement().commitments
    new = commitments[receipt.item_id]  # type: ignore[attr-defined]
    assert commitments[cid]["state"] == "renegotiated"
    assert (new["state"], new["session_id"]) == ("open", builder.relationship_sessions[0])
    made = builder.events(before)
    assert [type(e).__name__ for e in made] == ["CommitmentRenegotiated", "CommitmentMade"]
    assert made[1].supersedes == cid


@pytest.mark.parametrize("command", ["honoured", "broken", "withdrawn", "renegotiated"])
def test_commitment_change_is_refused_when_the_commitment_is_unknown(
    builder: EngagementBuilder, command: str
) -> None:
    builder.with_commitment()
    builder.refused(errors.CommitmentNotFoundError, lambda: SETTLE[command](builder, "nope"))


@pytest.mark.parametrize("command", ["honoured", "broken", "withdrawn", "renegotiated"])
def test_commitment_change_is_refused_when_not_made_by_a_coach_of_the_engagement(
    builder: EngagementBuilder, command: str
) -> None:
    cid = builder.with_commitment()
    owner = builder.protagonist(builder.p1)
    builder.refused(errors.ActionNotAllowedError, lambda: SETTLE[command](builder, cid, owner))


# -- honouring: never the owner alone ---------------------------------------------------------


def _honour_by_parties(b: EngagementBuilder, cid: str, assessors: list[str]) -> object:
    return b.run(
        COACH_A,
        HonourCommitment(
            occurred_at=b.at(),
            commitment_id=cid,
            evidence="They both said so.",
            assessed_by="parties",
            assessors=assessors,
        ),
    )


def test_commitment_honour_is_refused_when_assessed_by_the_owner_alone(
    builder: EngagementBuilder,
) -> None:
    cid = builder.with_commitment()
    builder.refused(
        errors.OwnerAssessedAloneError, lambda: _honour_by_parties(builder, cid, [builder.p1])
    )


def test_group_commitment_honour_is_refused_when_assessed_by_its_owners_alone(
    builder: EngagementBuilder,
) -> None:
    builder.at_gate()
    builder.relationship_session()
    both = [builder.p1, builder.p2]
    cid = builder.commitment(owners=both)
    builder.refused(errors.OwnerAssessedAloneError, lambda: _honour_by_parties(builder, cid, both))


def test_commitment_honour_is_accepted_when_the_parties_assess_it_together(
    builder: EngagementBuilder,
) -> None:
    cid = builder.with_commitment()
    _honour_by_parties(builder, cid, [builder.p1, builder.p2])
    event = builder.last_event()
    assert (event.assessed_by, event.assessors) == ("parties", sorted([builder.p1, builder.p2]))


def test_commitment_honour_assessed_by_a_coach_names_the_coach(
    builder: EngagementBuilder,
) -> None:
    cid = builder.with_commitment()
    _honour(builder, cid, COACH_B)
    event = builder.last_event()
    assert (event.assessed_by, event.assessors, event.on_time) == ("coach", [COACH_B.id], True)


def test_commitment_honour_is_refused_when_the_assessor_kind_is_unknown(
    builder: EngagementBuilder,
) -> None:
    cid = builder.with_commitment()
    builder.refused(
        errors.InvalidValueError,
        lambda: builder.run(
            COACH_A,
            HonourCommitment(
                occurred_at=builder.at(), commitment_id=cid, evidence="e", assessed_by="owner"
            ),
        ),
    )
