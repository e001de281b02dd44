"""Commitments: made in a held relationship session, then honoured, broken, renegotiated
or withdrawn.

    made ──▶ honoured | broken | withdrawn          (final)
      └────▶ renegotiated ──▶ a new commitment made (the old one is final, superseded)

Rules enforced here:
- a commitment comes from a held relationship session of this engagement;
- an individual commitment has exactly one owner, a group commitment several; owners and
  the protagonists it is made to are protagonists of the engagement;
- honouring is assessed by a coach or by the parties together, never by the owner alone;
- all commitment commands are a coach's; "overdue" is never stored (the read side derives it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain import errors
from domain.access import ResourceKind
from domain.events import EngagementEvent
from domain.rules.commitment import CommitmentState
from domain.rules.who_may_do import Action
from domain.state import Command, EngagementState
from domain.values import Assessor, Challenge, parse_enum, require_text


class CommitmentMade(EngagementEvent):
    resource_kind = ResourceKind.RELATIONSHIP_SPACE

    commitment_id: str
    session_id: str
    kind: str
    owners: list[str]
    to_whom: list[str]
    what: str
    due_on: date
    challenge: str
    supersedes: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.commitments[self.commitment_id] = {
            "state": CommitmentState.OPEN,
            "owners": list(self.owners),
            "due_on": self.due_on.isoformat(),
            "session_id": self.session_id,
            "challenge": self.challenge,
        }


class CommitmentHonoured(EngagementEvent):
    resource_kind = ResourceKind.RELATIONSHIP_SPACE
    settles_as = CommitmentState.HONOURED

    commitment_id: str
    evidence: str
    assessed_by: str
    assessors: list[str]
    on_time: bool

    def evolve(self, engagement: EngagementState) -> None:
        engagement.commitments[self.commitment_id]["state"] = self.settles_as


class CommitmentBroken(EngagementEvent):
    resource_kind = ResourceKind.RELATIONSHIP_SPACE
    settles_as = CommitmentState.BROKEN

    commitment_id: str
    reason: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.commitments[self.commitment_id]["state"] = self.settles_as


class CommitmentWithdrawn(EngagementEvent):
    resource_kind = ResourceKind.RELATIONSHIP_SPACE
    settles_as = CommitmentState.WITHDRAWN

    commitment_id: str
    reason: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.commitments[self.commitment_id]["state"] = self.settles_as


class CommitmentRenegotiated(EngagementEvent):
    """The old commitment is superseded; the new terms follow as a CommitmentMade."""

    resource_kind = ResourceKind.RELATIONSHIP_SPACE
    settles_as = CommitmentState.RENEGOTIATED

    commitment_id: str
    new_commitment_id: str
    reason: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.commitments[self.commitment_id]["state"] = self.settles_as


SETTLED_AS: dict[type[EngagementEvent], CommitmentState] = {
    event: event.settles_as
    for event in (CommitmentHonoured, CommitmentBroken, CommitmentWithdrawn, CommitmentRenegotiated)
}
"""The events that settle an open commitment for good, and the state each leaves it in."""


class CommitmentCommands(EngagementState):
    """Commands of the commitment lifecycle."""

    def make_commitment(
        self,
        cmd: Command,
        *,
        commitment_id: str,
        session_id: str,
        owners: list[str],
        to_whom: list[str],
        what: str,
        due_on: date,
        challenge: str,
        supersedes: str = "",
    ) -> None:
        self.require_may(cmd, Action.MAKE_COMMITMENT)
        self.require_running()
        if session_id not in self.relationship_sessions:
            raise errors.SessionNotRelationshipError(
                f"{session_id!r} is not a held relationship session of this engagement"
            )
        self.require_new_id(commitment_id, self.commitments, "commitment")
        self.trigger(
            CommitmentMade,
            cmd,
            commitment_id=commitment_id,
            session_id=session_id,
            **self._terms(owners, to_whom, what, due_on, cmd),
            challenge=parse_enum(Challenge, challenge, "challenge").value,
            supersedes=supersedes,
        )

    def honour_commitment(
        self,
        cmd: Command,
        *,
        commitment_id: str,
        evidence: str,
        assessed_by: str,
        assessors: list[str],
    ) -> None:
        commitment = self._open_commitment(cmd, Action.HONOUR_COMMITMENT, commitment_id)
        by = parse_enum(Assessor, assessed_by, "assessor")
        if by is Assessor.PARTIES:
            for protagonist_id in assessors:
                self.protagonist(protagonist_id)
            if not set(assessors) - set(commitment["owners"]):
                raise errors.OwnerAssessedAloneError(
                    "the parties' assessment must include someone besides the owner(s)"
                )
        self.trigger(
            CommitmentHonoured,
            cmd,
            commitment_id=commitment_id,
            evidence=require_text(evidence, "evidence"),
            assessed_by=by.value,
            assessors=sorted(set(assessors)) if by is Assessor.PARTIES else [cmd.actor.id],
            on_time=cmd.occurred_at.date() <= date.fromisoformat(commitment["due_on"]),
        )

    def break_commitment(self, cmd: Command, *, commitment_id: str, reason: str) -> None:
        self._open_commitment(cmd, Action.BREAK_COMMITMENT, commitment_id)
        self.trigger(
            CommitmentBroken,
            cmd,
            commitment_id=commitment_id,
            reason=require_text(reason, "reason"),
        )

    def withdraw_commitment(self, cmd: Command, *, commitment_id: str, reason: str) -> None:
        self._open_commitment(cmd, Action.WITHDRAW_COMMITMENT, commitment_id)
        self.trigger(
            CommitmentWithdrawn,
            cmd,
            commitment_id=commitment_id,
            reason=require_text(reason, "reason"),
        )

    def _open_commitment(self, cmd: Command, action: Action, commitment_id: str) -> dict[str, Any]:
        self.require_may(cmd, action)
        self.require_open()
        try:
            commitment = self.commitments[commitment_id]
        except KeyError:
            raise errors.CommitmentNotFoundError(f"no commitment {commitment_id!r}") from None
        if commitment["state"] != CommitmentState.OPEN:
            raise errors.CommitmentSettledError(
                f"commitment {commitment_id!r} is already {commitment['state']}"
            )
        return commitment

    def _terms(
        self, owners: list[str], to_whom: list[str], what: str, due_on: date, cmd: Command
    ) -> dict[str, Any]:
        if not owners or len(set(owners)) != len(owners):
            raise errors.CommitmentOwnersInvalidError("a commitment has distinct owner(s)")
        for protagonist_id in [*owners, *to_whom]:
            self.protagonist(protagonist_id)
        if not isinstance(due_on, date) or due_on < cmd.occurred_at.date():
            raise errors.InvalidValueError("due_on must be a date, not before the commitment")
        return {
            "kind": "individual" if len(owners) == 1 else "group",
            "owners": list(owners),
            "to_whom": sorted(set(to_whom)),
            "what": require_text(what, "what"),
            "due_on": due_on,
        }


class RenegotiationCommands(CommitmentCommands):
    """Renegotiation: one command, two events, both in one atomic save."""

    def renegotiate_commitment(
        self,
        cmd: Command,
        *,
        commitment_id: str,
        new_commitment_id: str,
        owners: list[str],
        to_whom: list[str],
        what: str,
        due_on: date,
        reason: str,
    ) -> None:
        old = self._open_commitment(cmd, Action.RENEGOTIATE_COMMITMENT, commitment_id)
        self.require_new_id(new_commitment_id, self.commitments, "commitment")
        terms = self._terms(owners, to_whom, what, due_on, cmd)
        self.trigger(
            CommitmentRenegotiated,
            cmd,
            commitment_id=commitment_id,
            new_commitment_id=new_commitment_id,
            reason=require_text(reason, "reason"),
        )
        self.trigger(
            CommitmentMade,
            cmd,
            commitment_id=new_commitment_id,
            session_id=old["session_id"],
            **terms,
            challenge=old["challenge"],
            supersedes=commitment_id,
        )
