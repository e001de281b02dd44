"""Commands of the engagement's lifecycle: open, pause, resume, end, follow up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from domain.commands.base import EngagementCommand
from domain.engagement import Engagement
from domain.individual_space import Seal
from domain.state import Command
from domain.values import Policy


@dataclass(frozen=True, kw_only=True)
class OpenEngagement:
    """Open an engagement (practice admin), with its policy agreed.

    Not an `EngagementCommand`: there is no engagement yet. Its id is derived from the
    idempotency key (or random), so `Trustpath.execute` takes no engagement id for it.
    """

    occurred_at: datetime
    key: str = ""
    title: str
    organisation: str
    sponsor: str
    context: str = ""
    policy: Policy = field(default_factory=Policy)

    label: ClassVar[str] = "open_engagement"

    def arguments(self) -> dict[str, Any]:
        """The arguments as fingerprinted (a stored contract, see `domain.fingerprints`)."""
        return {
            "title": self.title,
            "organisation": self.organisation,
            "context": self.context,
            "sponsor": self.sponsor,
            "policy": self.policy.as_dict(),
        }

    def open(self, cmd: Command, engagement_id: UUID) -> Engagement:
        return Engagement.open(
            cmd,
            engagement_id=engagement_id,
            title=self.title,
            organisation=self.organisation,
            context=self.context,
            sponsor=self.sponsor,
            policy=self.policy,
        )


@dataclass(frozen=True, kw_only=True)
class PauseEngagement(EngagementCommand):
    """Pause the engagement (admin)."""

    reason: str
    label: ClassVar[str] = "pause"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.pause(cmd, reason=self.reason)


@dataclass(frozen=True, kw_only=True)
class ResumeEngagement(EngagementCommand):
    """Resume a paused engagement (admin)."""

    label: ClassVar[str] = "resume"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.resume(cmd)


@dataclass(frozen=True, kw_only=True)
class RequestTermination(EngagementCommand):
    """Ask to end the engagement (any party)."""

    reason: str = ""
    label: ClassVar[str] = "request_termination"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.request_termination(cmd, reason=self.reason)


@dataclass(frozen=True, kw_only=True)
class CompleteEngagement(EngagementCommand):
    """Complete the engagement, its minimums met (admin)."""

    label: ClassVar[str] = "complete"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.complete(cmd)


@dataclass(frozen=True, kw_only=True)
class CloseEarly(EngagementCommand):
    """Close the engagement before its end (admin)."""

    reason: str
    label: ClassVar[str] = "close_early"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.close_early(cmd, reason=self.reason)


@dataclass(frozen=True, kw_only=True)
class HoldFollowUp(EngagementCommand):
    """Hold a follow-up months after the end: did trust last? (a coach)"""

    months_after: int
    trust_lasted: bool
    shared_notes: str
    label: ClassVar[str] = "hold_follow_up"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.hold_follow_up(
            cmd,
            months_after=self.months_after,
            trust_lasted=self.trust_lasted,
            shared_notes=self.shared_notes,
        )
