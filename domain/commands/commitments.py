"""Commands of commitments: made in a relationship session; honoured, broken, withdrawn or
renegotiated into a new one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from domain.commands.base import EngagementCommand, NewItem
from domain.engagement import Engagement
from domain.individual_space import Seal
from domain.state import Command


@dataclass(frozen=True, kw_only=True)
class MakeCommitment(EngagementCommand):
    """Make a commitment in a held relationship session (a coach of the engagement)."""

    session_id: str
    owners: list[str]
    to_whom: list[str] = field(default_factory=list)
    what: str
    due_on: date
    challenge: str
    label: ClassVar[str] = "make_commitment"
    new_item: ClassVar[NewItem | None] = NewItem("commitment", "commitment_id")

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.make_commitment(
            cmd,
            commitment_id=item_id,
            session_id=self.session_id,
            owners=self.owners,
            to_whom=self.to_whom,
            what=self.what,
            due_on=self.due_on,
            challenge=self.challenge,
        )


@dataclass(frozen=True, kw_only=True)
class HonourCommitment(EngagementCommand):
    """Record a commitment as honoured, assessed by the coach or by the parties."""

    commitment_id: str
    evidence: str
    assessed_by: str = "coach"
    assessors: list[str] = field(default_factory=list)
    label: ClassVar[str] = "honour_commitment"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.honour_commitment(
            cmd,
            commitment_id=self.commitment_id,
            evidence=self.evidence,
            assessed_by=self.assessed_by,
            assessors=self.assessors,
        )


@dataclass(frozen=True, kw_only=True)
class BreakCommitment(EngagementCommand):
    """Record a commitment as broken (a coach of the engagement)."""

    commitment_id: str
    reason: str
    label: ClassVar[str] = "break_commitment"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.break_commitment(cmd, commitment_id=self.commitment_id, reason=self.reason)


@dataclass(frozen=True, kw_only=True)
class WithdrawCommitment(EngagementCommand):
    """Withdraw a commitment (a coach of the engagement)."""

    commitment_id: str
    reason: str
    label: ClassVar[str] = "withdraw_commitment"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.withdraw_commitment(cmd, commitment_id=self.commitment_id, reason=self.reason)


@dataclass(frozen=True, kw_only=True)
class RenegotiateCommitment(EngagementCommand):
    """Replace an open commitment by new terms; the receipt's item id is the new one."""

    commitment_id: str
    owners: list[str]
    to_whom: list[str] = field(default_factory=list)
    what: str
    due_on: date
    reason: str
    label: ClassVar[str] = "renegotiate_commitment"
    new_item: ClassVar[NewItem | None] = NewItem("commitment", "new_commitment_id")

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.renegotiate_commitment(
            cmd,
            commitment_id=self.commitment_id,
            new_commitment_id=item_id,
            owners=self.owners,
            to_whom=self.to_whom,
            what=self.what,
            due_on=self.due_on,
            reason=self.reason,
        )
