"""Commands of contracting and of the parties: agreement, protagonists, coaches, consents,
erasure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from domain.commands.base import EngagementCommand, NewItem
from domain.engagement import Engagement
from domain.individual_space import Seal
from domain.state import Command
from domain.vault import Vault


@dataclass(frozen=True, kw_only=True)
class SignAgreement(EngagementCommand):
    """Sign the coaching agreement (admin)."""

    parties: list[str]
    confidentiality: str
    retention_days: int
    sponsor_may_be_told: list[str] = field(default_factory=list)
    label: ClassVar[str] = "sign_agreement"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.sign_agreement(
            cmd,
            parties=self.parties,
            confidentiality=self.confidentiality,
            sponsor_may_be_told=self.sponsor_may_be_told,
            retention_days=self.retention_days,
        )


@dataclass(frozen=True, kw_only=True)
class EnrolProtagonist(EngagementCommand):
    """Enrol a protagonist (admin); the receipt's item id is theirs."""

    name: str
    kind: str = "person"
    label: ClassVar[str] = "enrol_protagonist"
    new_item: ClassVar[NewItem | None] = NewItem("protagonist", "protagonist_id")

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.enrol_protagonist(cmd, protagonist_id=item_id, name=self.name, kind=self.kind)


@dataclass(frozen=True, kw_only=True)
class AssignCoach(EngagementCommand):
    """Assign a protagonist their coach (admin)."""

    protagonist_id: str
    coach_id: str
    coach_name: str
    label: ClassVar[str] = "assign_coach"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.assign_coach(
            cmd,
            protagonist_id=self.protagonist_id,
            coach_id=self.coach_id,
            coach_name=self.coach_name,
        )


@dataclass(frozen=True, kw_only=True)
class ReassignCoach(EngagementCommand):
    """Give a protagonist another coach (admin)."""

    protagonist_id: str
    coach_id: str
    coach_name: str
    reason: str
    label: ClassVar[str] = "reassign_coach"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.reassign_coach(
            cmd,
            protagonist_id=self.protagonist_id,
            coach_id=self.coach_id,
            coach_name=self.coach_name,
            reason=self.reason,
        )


@dataclass(frozen=True, kw_only=True)
class GiveConsent(EngagementCommand):
    """Record a protagonist's consent (the protagonist, or their coach with evidence)."""

    protagonist_id: str
    scope: str
    evidence: str = ""
    label: ClassVar[str] = "give_consent"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.give_consent(
            cmd, protagonist_id=self.protagonist_id, scope=self.scope, evidence=self.evidence
        )


@dataclass(frozen=True, kw_only=True)
class WithdrawConsent(EngagementCommand):
    """Withdraw a protagonist's consent (the protagonist, or their coach with evidence)."""

    protagonist_id: str
    scope: str
    evidence: str = ""
    label: ClassVar[str] = "withdraw_consent"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.withdraw_consent(
            cmd, protagonist_id=self.protagonist_id, scope=self.scope, evidence=self.evidence
        )


@dataclass(frozen=True, kw_only=True)
class ExecuteErasure(EngagementCommand):
    """Erase a protagonist's confidential content (admin): record it, destroy their key."""

    protagonist_id: str
    request_reference: str
    label: ClassVar[str] = "execute_erasure"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.execute_erasure(
            cmd, protagonist_id=self.protagonist_id, request_reference=self.request_reference
        )

    def settle(self, vault: Vault) -> None:
        """Destroy the key, again if an earlier erasure was recorded but cut short."""
        vault.destroy(self.protagonist_id)
