"""The engagement's lifecycle after it opens: pause, resume, termination, the end, follow-ups.

Rules enforced here:
- pause, resume, complete and close early are the practice admin's;
- termination can be requested by any party (a protagonist, a coach, the sponsor) and is
  never refused while the engagement is open;
- completion needs the policy's minimums; otherwise the only way out is closing early,
  with a reason;
- a follow-up (months later: did trust last?) is held by a coach once the engagement ended.
"""

from __future__ import annotations

from domain import errors
from domain.access import ResourceKind
from domain.events import EngagementEvent
from domain.rules import progress as rules
from domain.rules.who_may_do import Action
from domain.state import Command, EngagementState
from domain.values import require_text


class EngagementPaused(EngagementEvent):
    resource_kind = ResourceKind.ENGAGEMENT_RECORD

    reason: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.paused = True


class EngagementResumed(EngagementEvent):
    resource_kind = ResourceKind.ENGAGEMENT_RECORD

    def evolve(self, engagement: EngagementState) -> None:
        engagement.paused = False


class TerminationRequested(EngagementEvent):
    resource_kind = ResourceKind.ENGAGEMENT_RECORD

    requested_by_role: str
    reason: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.termination_requested = True


class EngagementCompleted(EngagementEvent):
    resource_kind = ResourceKind.ENGAGEMENT_RECORD

    individual_sessions: int
    relationship_sessions: int
    challenges_explored: list[str]

    def evolve(self, engagement: EngagementState) -> None:
        engagement.ended = "completed"


class EngagementClosedEarly(EngagementEvent):
    resource_kind = ResourceKind.ENGAGEMENT_RECORD

    reason: str
    minimums_met: bool

    def evolve(self, engagement: EngagementState) -> None:
        engagement.ended = "closed"


class FollowUpHeld(EngagementEvent):
    resource_kind = ResourceKind.RELATIONSHIP_SPACE

    months_after: int
    trust_lasted: bool
    shared_notes: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.follow_ups += 1


class LifecycleCommands(EngagementState):
    """Commands that move the engagement through its lifecycle."""

    def minimums_missing(self) -> list[str]:
        """What the policy still requires before completion (empty when met)."""
        return rules.minimums_missing(
            self.the_policy(), self.protagonists, self.challenges_explored
        )

    def pause(self, cmd: Command, *, reason: str) -> None:
        self.require_may(cmd, Action.PAUSE)
        self.require_running()
        self.trigger(EngagementPaused, cmd, reason=require_text(reason, "reason"))

    def resume(self, cmd: Command) -> None:
        self.require_may(cmd, Action.RESUME)
        self.require_open()
        if not self.paused:
            raise errors.EngagementNotPausedError("the engagement is not paused")
        self.trigger(EngagementResumed, cmd)

    def request_termination(self, cmd: Command, *, reason: str) -> None:
        self.require_may(cmd, Action.REQUEST_TERMINATION)
        if self.ended:
            raise errors.EngagementEndedError(f"the engagement is already {self.ended}")
        self.trigger(
            TerminationRequested, cmd, requested_by_role=cmd.actor.role, reason=reason.strip()
        )

    def complete(self, cmd: Command) -> None:
        self.require_may(cmd, Action.COMPLETE)
        self.require_open()
        missing = self.minimums_missing()
        if missing:
            raise errors.MinimumsNotMetError("missing: " + "; ".join(missing))
        self.trigger(
            EngagementCompleted,
            cmd,
            individual_sessions=len(self.individual_sessions),
            relationship_sessions=len(self.relationship_sessions),
            challenges_explored=list(self.challenges_explored),
        )

    def close_early(self, cmd: Command, *, reason: str) -> None:
        self.require_may(cmd, Action.CLOSE_EARLY)
        if self.ended:
            raise errors.EngagementEndedError(f"the engagement is already {self.ended}")
        self.trigger(
            EngagementClosedEarly,
            cmd,
            reason=require_text(reason, "reason"),
            minimums_met=not self.minimums_missing(),
        )

    def hold_follow_up(
        self, cmd: Command, *, months_after: int, trust_lasted: bool, shared_notes: str
    ) -> None:
        self.require_may(cmd, Action.HOLD_FOLLOW_UP)
        if not self.ended:
            raise errors.FollowUpBeforeEndError("the engagement has not ended yet")
        if not 0 < months_after <= 60:
            raise errors.InvalidValueError("months_after must be between 1 and 60")
        self.trigger(
            FollowUpHeld,
            cmd,
            months_after=months_after,
            trust_lasted=bool(trust_lasted),
            shared_notes=require_text(shared_notes, "shared notes"),
        )
