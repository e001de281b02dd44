"""Contracting and the parties: agreement, protagonists, coaches, consents, erasure.

Rules enforced here:
- the agreement is signed once, by the practice admin, before any session;
- protagonists (person or entity) are enrolled before the gate; each has exactly one
  individual coach at a time (assign once, then reassign);
- the agreement lists what the sponsor may be told, from `domain.sponsor`'s items;
- consent is given or withdrawn by the protagonist, or by *their own* coach recording the
  protagonist's written consent (nobody else: not another coach of the engagement);
- erasure (crypto-shredding) is executed by the practice admin on the protagonist's request.
"""

from __future__ import annotations

from typing import Any

from domain import errors
from domain.access import ResourceKind
from domain.ciphers import key_id_for
from domain.events import EngagementEvent
from domain.rules.who_may_do import Action
from domain.sponsor import parse_items
from domain.state import Command, EngagementState
from domain.values import ConsentScope, ProtagonistKind, Role, parse_enum, require_text


class AgreementSigned(EngagementEvent):
    resource_kind = ResourceKind.ENGAGEMENT_RECORD

    parties: list[str]
    confidentiality: str
    sponsor_may_be_told: list[str]
    retention_days: int

    def evolve(self, engagement: EngagementState) -> None:
        engagement.agreement = {
            "parties": list(self.parties),
            "sponsor_may_be_told": list(self.sponsor_may_be_told),
            "retention_days": self.retention_days,
        }


class ProtagonistEnrolled(EngagementEvent):
    resource_kind = ResourceKind.ENGAGEMENT_RECORD

    protagonist_id: str
    name: str
    kind: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.protagonists[self.protagonist_id] = {
            "name": self.name,
            "kind": self.kind,
            "coach_id": "",
            "consents": {},
            "sessions": 0,
            "intention_version": 0,
            "intention_shared": False,
            "erased": False,
        }


class CoachAssigned(EngagementEvent):
    resource_kind = ResourceKind.ENGAGEMENT_RECORD

    protagonist_id: str
    coach_id: str
    coach_name: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.protagonists[self.protagonist_id]["coach_id"] = self.coach_id


class CoachReassigned(EngagementEvent):
    resource_kind = ResourceKind.ENGAGEMENT_RECORD

    protagonist_id: str
    coach_id: str
    coach_name: str
    previous_coach_id: str
    reason: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.protagonists[self.protagonist_id]["coach_id"] = self.coach_id


class ConsentGiven(EngagementEvent):
    resource_kind = ResourceKind.ENGAGEMENT_RECORD

    protagonist_id: str
    scope: str
    evidence: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.protagonists[self.protagonist_id]["consents"][self.scope] = True


class ConsentWithdrawn(EngagementEvent):
    resource_kind = ResourceKind.ENGAGEMENT_RECORD

    protagonist_id: str
    scope: str
    evidence: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.protagonists[self.protagonist_id]["consents"][self.scope] = False


class ErasureExecuted(EngagementEvent):
    resource_kind = ResourceKind.ENGAGEMENT_RECORD

    protagonist_id: str
    key_id: str
    request_reference: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.protagonists[self.protagonist_id]["erased"] = True


class PartiesCommands(EngagementState):
    """Commands of contracting and of the parties."""

    def sign_agreement(
        self,
        cmd: Command,
        *,
        parties: list[str],
        confidentiality: str,
        sponsor_may_be_told: list[str],
        retention_days: int,
    ) -> None:
        self.require_may(cmd, Action.SIGN_AGREEMENT)
        self.require_open()
        if self.agreement is not None:
            raise errors.AgreementAlreadySignedError("the agreement is already signed")
        if retention_days <= 0:
            raise errors.InvalidValueError("retention_days must be positive")
        self.trigger(
            AgreementSigned,
            cmd,
            parties=[require_text(p, "party") for p in parties] or _no_parties(),
            confidentiality=require_text(confidentiality, "confidentiality"),
            sponsor_may_be_told=parse_items(sponsor_may_be_told),
            retention_days=retention_days,
        )

    def enrol_protagonist(self, cmd: Command, *, protagonist_id: str, name: str, kind: str) -> None:
        self.require_may(cmd, Action.ENROL_PROTAGONIST)
        self.require_open()
        if self.relationship_sessions:
            raise errors.EnrolmentAfterGateError("the relationship space has already started")
        if protagonist_id in self.protagonists:
            raise errors.ProtagonistAlreadyEnrolledError(f"{protagonist_id!r} is enrolled")
        self.require_new_id(protagonist_id, self.protagonists, "protagonist")
        self.trigger(
            ProtagonistEnrolled,
            cmd,
            protagonist_id=protagonist_id,
            name=require_text(name, "name"),
            kind=parse_enum(ProtagonistKind, kind, "protagonist kind").value,
        )

    def assign_coach(
        self, cmd: Command, *, protagonist_id: str, coach_id: str, coach_name: str
    ) -> None:
        self.require_may(cmd, Action.ASSIGN_COACH)
        self.require_open()
        if self.protagonist(protagonist_id)["coach_id"]:
            raise errors.CoachAlreadyAssignedError(f"{protagonist_id!r} already has a coach")
        self.trigger(
            CoachAssigned,
            cmd,
            protagonist_id=protagonist_id,
            coach_id=require_text(coach_id, "coach id"),
            coach_name=require_text(coach_name, "coach name"),
        )

    def reassign_coach(
        self, cmd: Command, *, protagonist_id: str, coach_id: str, coach_name: str, reason: str
    ) -> None:
        self.require_may(cmd, Action.REASSIGN_COACH)
        self.require_open()
        previous = self.protagonist(protagonist_id)["coach_id"]
        if not previous:
            raise errors.CoachNotAssignedError(f"{protagonist_id!r} has no coach to replace")
        if previous == coach_id:
            raise errors.InvalidValueError(f"{coach_id!r} is already this protagonist's coach")
        self.trigger(
            CoachReassigned,
            cmd,
            protagonist_id=protagonist_id,
            coach_id=require_text(coach_id, "coach id"),
            coach_name=require_text(coach_name, "coach name"),
            previous_coach_id=previous,
            reason=require_text(reason, "reason"),
        )

    def give_consent(self, cmd: Command, *, protagonist_id: str, scope: str, evidence: str) -> None:
        self._check_consent(cmd, Action.GIVE_CONSENT, protagonist_id, evidence)
        self.trigger(ConsentGiven, cmd, **self._consent(protagonist_id, scope, evidence))

    def withdraw_consent(
        self, cmd: Command, *, protagonist_id: str, scope: str, evidence: str
    ) -> None:
        self._check_consent(cmd, Action.WITHDRAW_CONSENT, protagonist_id, evidence)
        self.trigger(ConsentWithdrawn, cmd, **self._consent(protagonist_id, scope, evidence))

    def execute_erasure(self, cmd: Command, *, protagonist_id: str, request_reference: str) -> str:
        """Record the erasure; the caller destroys the key. Returns the key id to destroy."""
        self.require_may(cmd, Action.EXECUTE_ERASURE)
        if self.protagonist(protagonist_id)["erased"]:
            raise errors.AlreadyErasedError(f"{protagonist_id!r} was already erased")
        key_id = key_id_for(protagonist_id)
        self.trigger(
            ErasureExecuted,
            cmd,
            protagonist_id=protagonist_id,
            key_id=key_id,
            request_reference=require_text(request_reference, "request reference"),
        )
        return key_id

    def _check_consent(
        self, cmd: Command, action: Action, protagonist_id: str, evidence: str
    ) -> None:
        self.require_may(cmd, action, protagonist_id)
        if cmd.actor.role == Role.COACH:  # recording the protagonist's written consent
            require_text(evidence, "written consent evidence (required when a coach records it)")

    def _consent(self, protagonist_id: str, scope: str, evidence: str) -> dict[str, Any]:
        return {
            "protagonist_id": protagonist_id,
            "scope": parse_enum(ConsentScope, scope, "consent scope").value,
            "evidence": evidence.strip(),
        }


def _no_parties() -> list[str]:
    raise errors.InvalidValueError("the agreement names its parties")
