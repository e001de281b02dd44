"""The relationship space: the gate, relationship sessions, presence setbacks.

Rules enforced here:
- the gate (`domain.rules.progress`): at least two protagonists, each with a coach, the
  policy's individual sessions before the gate (default one) and a declared intention;
- a relationship session explores exactly one of the policy's relational challenges and,
  under a strict order (the default), cannot skip ahead; it may repeat the current one;
- every protagonist must be present; otherwise only a presence setback is recorded;
- held by a coach of the engagement, never while paused, after termination or closure.
"""

from __future__ import annotations

from domain import errors
from domain.access import ResourceKind
from domain.events import EngagementEvent
from domain.rules import progress as rules
from domain.rules.who_may_do import Action
from domain.state import Command, EngagementState
from domain.values import require_text


class RelationshipSessionHeld(EngagementEvent):
    resource_kind = ResourceKind.RELATIONSHIP_SPACE
    dated_fact = True

    session_id: str
    challenge: str
    attendees: list[str]
    coaches: list[str]
    duration_minutes: int
    shared_notes: str
    made_explicit: list[str]
    decisions: list[str]

    def evolve(self, engagement: EngagementState) -> None:
        engagement.relationship_sessions[self.session_id] = self.challenge
        if self.challenge not in engagement.challenges_explored:
            engagement.challenges_explored.append(self.challenge)


class PresenceSetbackRecorded(EngagementEvent):
    resource_kind = ResourceKind.RELATIONSHIP_SPACE

    challenge: str
    absent: list[str]
    note: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.presence_setbacks += 1


class RelationshipSpaceCommands(EngagementState):
    """Commands of the relationship space."""

    def next_challenge(self) -> str | None:
        """The challenge due next under the policy, or None when all were explored."""
        return rules.next_challenge(self.the_policy(), self.challenges_explored)

    def check_gate(self) -> None:
        """Raise the first gate rule that is not met."""
        rules.check_gate(self.protagonists, self.the_policy())

    def gate_is_open(self) -> bool:
        return rules.gate_is_open(self.protagonists, self.the_policy())

    def hold_relationship_session(
        self,
        cmd: Command,
        *,
        session_id: str,
        challenge: str,
        present: list[str],
        duration_minutes: int,
        shared_notes: str,
        made_explicit: list[str],
        decisions: list[str],
    ) -> None:
        self._check_relationship(cmd, Action.HOLD_RELATIONSHIP_SESSION, challenge)
        self.require_new_id(session_id, self.relationship_sessions, "session")
        absent = self._absent(present)
        if absent:
            raise errors.ProtagonistAbsentError(
                f"absent: {', '.join(absent)}; record a presence setback instead"
            )
        if not 0 < duration_minutes <= 8 * 60:
            raise errors.InvalidValueError("duration_minutes must be between 1 and 480")
        self.trigger(
            RelationshipSessionHeld,
            cmd,
            session_id=session_id,
            challenge=challenge,
            attendees=sorted(self.protagonists),
            coaches=sorted(self.coach_ids()),
            duration_minutes=duration_minutes,
            shared_notes=require_text(shared_notes, "shared notes"),
            made_explicit=[require_text(x, "made explicit") for x in made_explicit],
            decisions=[require_text(x, "decision") for x in decisions],
        )

    def record_presence_setback(
        self, cmd: Command, *, challenge: str, present: list[str], note: str
    ) -> None:
        self._check_relationship(cmd, Action.RECORD_PRESENCE_SETBACK, challenge)
        absent = self._absent(present)
        if not absent:
            raise errors.NobodyAbsentError("everyone is present: hold the session instead")
        self.trigger(
            PresenceSetbackRecorded, cmd, challenge=challenge, absent=absent, note=note.strip()
        )

    def _check_relationship(self, cmd: Command, action: Action, challenge: str) -> None:
        self.require_may(cmd, action)
        self.require_session_allowed(sorted(self.protagonists))
        self.check_gate()
        self._check_challenge(challenge)

    def _check_challenge(self, challenge: str) -> None:
        policy = self.the_policy()
        if challenge not in policy.relationship_challenges:
            allowed = ", ".join(policy.relationship_challenges)
            raise errors.ChallengeNotRelationalError(
                f"{challenge!r} is not a relationship challenge of this engagement ({allowed})"
            )
        if not policy.strict_order:
            return
        current = self.challenges_explored[-1] if self.challenges_explored else None
        if challenge not in (current, self.next_challenge()):
            raise errors.ChallengeOutOfOrderError(
                f"{challenge!r} is out of order; due: {self.next_challenge()!r}"
                + (f" (or repeat {current!r})" if current else "")
            )

    def _absent(self, present: list[str]) -> list[str]:
        for protagonist_id in present:
            self.protagonist(protagonist_id)
        return sorted(set(self.protagonists) - set(present))
