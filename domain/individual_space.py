"""The individual space: sessions with one's own coach, intentions, trust assessments.

Its content (session notes, intentions) is confidential: the commands receive a `Seal`
function and only ever put `Sealed` values into events. Rules enforced here:
- no session before the agreement is signed and the protagonist consented to coaching,
  none while paused, after termination or after closure;
- an individual session has exactly one protagonist and that protagonist's coach;
- intentions are declared, then revised, by the protagonist's own coach; sharing one
  (choosing what of it to bring to the relationship space) is done by the protagonist or
  by their coach on their instruction;
- a trust assessment is recorded by the protagonist's own coach, score 0-10.
"""

from __future__ import annotations

from collections.abc import Callable

from domain import errors
from domain.access import ResourceKind
from domain.ciphers import Sealed
from domain.events import EngagementEvent
from domain.rules.who_may_do import Action
from domain.state import Command, EngagementState
from domain.values import Challenge, parse_enum, require_text

Seal = Callable[[str, str, str], Sealed]
"""seal(protagonist_id, field, plaintext) -> Sealed: encrypts under that protagonist's key."""

MAX_SESSION_MINUTES = 8 * 60


def notes_field(session_id: str) -> str:
    return f"individual_session/{session_id}/notes"


def intention_field(protagonist_id: str, version: int) -> str:
    return f"intention/{protagonist_id}/{version}"


class IndividualSessionHeld(EngagementEvent):
    resource_kind = ResourceKind.INDIVIDUAL_CONTENT
    dated_fact = True

    session_id: str
    protagonist_id: str
    coach_id: str
    duration_minutes: int
    challenges: list[str]
    notes: Sealed | None

    def evolve(self, engagement: EngagementState) -> None:
        engagement.individual_sessions[self.session_id] = self.protagonist_id
        engagement.protagonists[self.protagonist_id]["sessions"] += 1
        if self.notes is not None:
            engagement.content_index[notes_field(self.session_id)] = [
                self.protagonist_id,
                self.originator_version,
            ]


class IntentionDeclared(EngagementEvent):
    resource_kind = ResourceKind.INDIVIDUAL_CONTENT

    protagonist_id: str
    intention_version: int
    intention: Sealed

    def evolve(self, engagement: EngagementState) -> None:
        engagement.protagonists[self.protagonist_id]["intention_version"] = self.intention_version
        field = intention_field(self.protagonist_id, self.intention_version)
        engagement.content_index[field] = [self.protagonist_id, self.originator_version]


class IntentionRevised(IntentionDeclared):
    resource_kind = ResourceKind.INDIVIDUAL_CONTENT


class IntentionShared(EngagementEvent):
    resource_kind = ResourceKind.RELATIONSHIP_SPACE

    protagonist_id: str
    intention_version: int
    shared_text: str

    def evolve(self, engagement: EngagementState) -> None:
        engagement.protagonists[self.protagonist_id]["intention_shared"] = True


class TrustAssessed(EngagementEvent):
    resource_kind = ResourceKind.TRUST_ASSESSMENTS

    protagonist_id: str
    toward_id: str
    challenge: str
    score: int


class IndividualSpaceCommands(EngagementState):
    """Commands of the individual space."""

    def hold_individual_session(
        self,
        cmd: Command,
        seal: Seal,
        *,
        session_id: str,
        protagonist_id: str,
        duration_minutes: int,
        challenges: list[str],
        notes: str | None,
    ) -> None:
        self.require_may(cmd, Action.HOLD_INDIVIDUAL_SESSION, protagonist_id)
        self.require_session_allowed([protagonist_id])
        self.require_new_id(session_id, self.individual_sessions, "session")
        if not 0 < duration_minutes <= MAX_SESSION_MINUTES:
            raise errors.InvalidValueError(
                f"duration_minutes must be between 1 and {MAX_SESSION_MINUTES}"
            )
        explored = _challenges(challenges)
        sealed = None
        if notes is not None:
            self.require_content_allowed(protagonist_id)
            sealed = seal(protagonist_id, notes_field(session_id), require_text(notes, "notes"))
        self.trigger(
            IndividualSessionHeld,
            cmd,
            session_id=session_id,
            protagonist_id=protagonist_id,
            coach_id=cmd.actor.id,
            duration_minutes=duration_minutes,
            challenges=explored,
            notes=sealed,
        )

    def declare_intention(
        self, cmd: Command, seal: Seal, *, protagonist_id: str, text: str
    ) -> None:
        self._check_intention(cmd, protagonist_id)
        version = self.protagonists[protagonist_id]["intention_version"]
        event = IntentionRevised if version else IntentionDeclared
        self.trigger(
            event,
            cmd,
            protagonist_id=protagonist_id,
            intention_version=version + 1,
            intention=seal(
                protagonist_id,
                intention_field(protagonist_id, version + 1),
                require_text(text, "intention"),
            ),
        )

    def share_intention(self, cmd: Command, *, protagonist_id: str, shared_text: str) -> None:
        self.require_may(cmd, Action.SHARE_INTENTION, protagonist_id)
        version = self.protagonists[protagonist_id]["intention_version"]
        self.require_running()
        if not version:
            raise errors.IntentionNotSharedError(f"{protagonist_id!r} has declared no intention")
        self.trigger(
            IntentionShared,
            cmd,
            protagonist_id=protagonist_id,
            intention_version=version,
            shared_text=require_text(shared_text, "shared text"),
        )

    def assess_trust(
        self, cmd: Command, *, protagonist_id: str, toward_id: str, challenge: str, score: int
    ) -> None:
        self.require_may(cmd, Action.ASSESS_TRUST, protagonist_id)
        self.require_session_allowed([protagonist_id])
        self.protagonist(toward_id)
        if toward_id == protagonist_id:
            raise errors.InvalidValueError("a trust assessment is toward another protagonist")
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
            raise errors.InvalidValueError(f"score must be an integer from 0 to 10, not {score!r}")
        self.trigger(
            TrustAssessed,
            cmd,
            protagonist_id=protagonist_id,
            toward_id=toward_id,
            challenge=parse_enum(Challenge, challenge, "challenge").value,
            score=score,
        )

    def _check_intention(self, cmd: Command, protagonist_id: str) -> None:
        self.require_may(cmd, Action.DECLARE_INTENTION, protagonist_id)
        self.require_session_allowed([protagonist_id])
        self.require_content_allowed(protagonist_id)


def _challenges(challenges: list[str]) -> list[str]:
    if not challenges:
        raise errors.InvalidValueError("an individual session explores at least one challenge")
    return [parse_enum(Challenge, c, "challenge").value for c in dict.fromkeys(challenges)]
