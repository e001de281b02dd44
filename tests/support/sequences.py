"""Random sequences of commands for the Hypothesis properties (SQLite and PostgreSQL).

A `Step` (tests/support/steps.py) picks a command (its dataclass) and every argument from a
small pool of valid and invalid values (the right actor or a wrong one, an enrolled
protagonist or an unknown one, a good time or one in the future or before the opening, text
or blank text, scores and durations in and out of range). `SequenceRun` sends the steps
through the real application, each with its own idempotency key, and checks the first law
on the way: a command is either accepted or refused with a `TrustpathError`, and a refusal
records nothing. The other laws (reloading, re-sending) are checked by the tests on what
the run kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

from domain.commands import (
    AssessTrust,
    AssignCoach,
    BreakCommitment,
    CloseEarly,
    CompleteEngagement,
    DeclareIntention,
    EngagementCommand,
    EnrolProtagonist,
    ExecuteErasure,
    GiveConsent,
    HoldFollowUp,
    HoldIndividualSession,
    HoldRelationshipSession,
    HonourCommitment,
    MakeCommitment,
    PauseEngagement,
    ReassignCoach,
    RecordPresenceSetback,
    RenegotiateCommitment,
    RequestTermination,
    ResumeEngagement,
    ShareIntention,
    SignAgreement,
    WithdrawCommitment,
    WithdrawConsent,
)
from domain.errors import TrustpathError
from domain.runs import Receipt
from domain.trustpath import Trustpath
from domain.values import Actor
from tests.support.builders import ADMIN, AUDITOR, SPONSOR, EngagementBuilder, recorded
from tests.support.steps import COACH_IDS, SCOPES, Step


@dataclass
class Accepted:
    """An accepted command, kept so that it can be sent again with its key."""

    send: Callable[[], Receipt]
    receipt: Receipt


@dataclass
class SequenceRun:
    """Sends steps to one engagement and remembers what was accepted."""

    builder: EngagementBuilder
    accepted: list[Accepted] = field(default_factory=list)
    commitments: list[str] = field(default_factory=list)
    refusals: int = 0

    @classmethod
    def start(cls, app: Trustpath, stage: str) -> SequenceRun:
        builder = EngagementBuilder(app)
        run = cls(builder)
        if stage == "contracted":
            builder.contracted()
        elif stage == "at_gate":
            builder.at_gate()
        elif stage == "with_commitment":
            run.commitments.append(builder.with_commitment())
        return run

    @property
    def app(self) -> Trustpath:
        return self.builder.app

    def play(self, step: Step) -> None:
        """Send one step: accepted, or refused with a TrustpathError and nothing recorded."""
        send = self.command(step)
        before = recorded(self.app, self.builder.eid)
        try:
            receipt = send()
        except TrustpathError:
            assert recorded(self.app, self.builder.eid) == before, f"{step} recorded something"
            self.refusals += 1
            return
        self.accepted.append(Accepted(send, receipt))
        self._remember(step.command, receipt)

    def command(self, step: Step) -> Callable[[], Receipt]:
        b = self.builder
        target = self._pid(step.target)
        other = self._pid(step.target + 1 if step.other < 3 else 3)
        step = replace(step, challenge=self._challenge(step.challenge))
        args = _ARGUMENTS[step.command](self, step, target, other)
        actor = self._actor(step, target)
        at = self._when(step.when)
        command = step.command(occurred_at=at, key=f"{step.command.label}-{uuid4().hex}", **args)
        return lambda: self.app.execute(b.eid, actor, command)

    # -- resolution of the step's choices ----------------------------------------------

    def _pid(self, index: int) -> str:
        """Index 3 is an unknown protagonist; the others wrap around those enrolled."""
        protagonists = self.builder.protagonists
        if index == 3 or not protagonists:
            return "unknown-protagonist"
        return protagonists[index % len(protagonists)]

    def _challenge(self, challenge: str) -> str:
        if challenge != "due":
            return challenge
        engagement = self.builder.engagement()
        return engagement.next_challenge() or engagement.challenges_explored[-1]

    def _actor(self, step: Step, target: str) -> Actor:
        if step.actor != "right":
            fixed = {"admin": ADMIN, "sponsor": SPONSOR, "auditor": AUDITOR}
            if step.actor == "p1":
                return Actor(self._pid(0), "protagonist")
            return fixed.get(step.actor, Actor(step.actor, "coach"))
        if step.command in _ADMIN_COMMANDS:
            return ADMIN
        if step.command in (GiveConsent, WithdrawConsent, ShareIntention):
            return Actor(target, "protagonist")
        if step.command == RequestTermination:
            return SPONSOR
        engagement = self.builder.engagement()
        coach = engagement.protagonists.get(target, {}).get("coach_id") or "coach-a"
        if step.command in _OWN_COACH_COMMANDS:
            return Actor(coach, "coach")
        return Actor(sorted(engagement.coach_ids() or {"coach-a"})[0], "coach")

    def _when(self, when: str) -> datetime:
        """`ok`, `future`, `before`; `zone:<hours>` is a good time in another zone;
        `at:<ISO 8601>` is exactly that time (the hostile properties draw any)."""
        if when == "future":
            return datetime.now(UTC) + timedelta(days=1)
        if when == "before":
            return self.builder.opened_at - timedelta(days=1)
        if when.startswith("zone:"):
            zone = timezone(timedelta(hours=float(when.removeprefix("zone:"))))
            return self.builder.at().astimezone(zone)
        if when.startswith("at:"):
            return datetime.fromisoformat(when.removeprefix("at:"))
        return self.builder.at()

    def _remember(self, command: type[EngagementCommand], receipt: Receipt) -> None:
        b = self.builder
        if command is EnrolProtagonist:
            b.protagonists.append(receipt.item_id)
        elif command is HoldRelationshipSession:
            b.relationship_sessions.append(receipt.item_id)
        elif command is HoldIndividualSession:
            b.individual_sessions.append(receipt.item_id)
        elif command in (MakeCommitment, RenegotiateCommitment):
            self.commitments.append(receipt.item_id)

    def session_ref(self, ref: int) -> str:
        b = self.builder
        pool = [*b.relationship_sessions[-2:], *b.individual_sessions[:1], "unknown-session"]
        return pool[ref % len(pool)]

    def commitment_ref(self, ref: int) -> str:
        pool = [*self.commitments[-3:], "unknown-commitment"]
        return pool[ref % len(pool)]


_ADMIN_COMMANDS = {
    SignAgreement,
    EnrolProtagonist,
    AssignCoach,
    ReassignCoach,
    PauseEngagement,
    ResumeEngagement,
    CompleteEngagement,
    CloseEarly,
    ExecuteErasure,
}
_OWN_COACH_COMMANDS = {HoldIndividualSession, DeclareIntention, AssessTrust}

Args = Callable[[SequenceRun, Step, str, str], dict[str, Any]]


def _present(run: SequenceRun, step: Step) -> list[str]:
    everyone = list(run.builder.protagonists)
    return everyone if step.ref else everyone[:1]


def _terms(run: SequenceRun, step: Step, target: str, other: str) -> dict[str, Any]:
    return {
        "owners": [target] if step.ref != 3 else [target, other],
        "to_whom": [other],
        "what": step.text,
        "due_on": (run.builder._at + timedelta(days=step.number)).date(),
    }


_ARGUMENTS: dict[type[EngagementCommand], Args] = {
    SignAgreement: lambda r, s, t, o: {
        "parties": ["everyone"],
        "confidentiality": s.text,
        "sponsor_may_be_told": ["phase"],
        "retention_days": s.number,
    },
    EnrolProtagonist: lambda r, s, t, o: {
        "name": s.text,
        "kind": ("person", "entity", "robot")[s.ref % 3],
    },
    AssignCoach: lambda r, s, t, o: {
        "protagonist_id": t,
        "coach_id": COACH_IDS[s.ref % 3],
        "coach_name": "Coach",
    },
    ReassignCoach: lambda r, s, t, o: {
        "protagonist_id": t,
        "coach_id": COACH_IDS[s.ref % 3],
        "coach_name": "Coach",
        "reason": s.text,
    },
    GiveConsent: lambda r, s, t, o: {"protagonist_id": t, "scope": SCOPES[s.ref]},
    WithdrawConsent: lambda r, s, t, o: {"protagonist_id": t, "scope": SCOPES[s.ref]},
    HoldIndividualSession: lambda r, s, t, o: {
        "protagonist_id": t,
        "duration_minutes": s.number,
        "challenges": [s.challenge],
        "notes": s.text if s.ref else None,
    },
    DeclareIntention: lambda r, s, t, o: {"protagonist_id": t, "text": s.text},
    ShareIntention: lambda r, s, t, o: {"protagonist_id": t, "shared_text": s.text},
    AssessTrust: lambda r, s, t, o: {
        "protagonist_id": t,
        "toward_id": o,
        "challenge": s.challenge,
        "score": s.number,
    },
    HoldRelationshipSession: lambda r, s, t, o: {
        "challenge": s.challenge,
        "present": _present(r, s),
        "duration_minutes": s.number,
        "shared_notes": s.text,
    },
    RecordPresenceSetback: lambda r, s, t, o: {
        "challenge": s.challenge,
        "present": _present(r, s),
        "note": s.text,
    },
    MakeCommitment: lambda r, s, t, o: {
        "session_id": r.session_ref(s.ref),
        "challenge": s.challenge,
        **_terms(r, s, t, o),
    },
    HonourCommitment: lambda r, s, t, o: {
        "commitment_id": r.commitment_ref(s.ref),
        "evidence": s.text,
        "assessed_by": ("coach", "parties")[s.other % 2],
        "assessors": [t],
    },
    BreakCommitment: lambda r, s, t, o: {
        "commitment_id": r.commitment_ref(s.ref),
        "reason": s.text,
    },
    WithdrawCommitment: lambda r, s, t, o: {
        "commitment_id": r.commitment_ref(s.ref),
        "reason": s.text,
    },
    RenegotiateCommitment: lambda r, s, t, o: {
        "commitment_id": r.commitment_ref(s.ref),
        "reason": s.text,
        **_terms(r, s, t, o),
    },
    PauseEngagement: lambda r, s, t, o: {"reason": s.text},
    ResumeEngagement: lambda r, s, t, o: {},
    RequestTermination: lambda r, s, t, o: {"reason": s.text},
    CompleteEngagement: lambda r, s, t, o: {},
    CloseEarly: lambda r, s, t, o: {"reason": s.text},
    HoldFollowUp: lambda r, s, t, o: {
        "months_after": s.number,
        "trust_lasted": bool(s.ref % 2),
        "shared_notes": s.text,
    },
    ExecuteErasure: lambda r, s, t, o: {"protagonist_id": t, "request_reference": s.text},
}


def state_of(aggregate: object) -> dict[str, Any]:
    """An aggregate's state, without the events it has not saved yet."""
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}
