"""Builds engagements up to a stage of the method, so that rule tests stay short.

    EngagementBuilder(app)            opened, nothing else
      .contracted()                   agreement, two protagonists, their coaches, consents
      .at_gate()                      + one individual session and an intention each
      .minimums_met()                 + six individual sessions, four relationship sessions

Every command goes through the real `Trustpath` application; times walk forward one
minute per command from thirty days ago, so every `occurred_at` is valid unless a test
says otherwise. `refused(...)` asserts the exact error class and that nothing was
recorded: neither the notification log nor the engagement's version moved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import pytest

from domain.commands import (
    AssignCoach,
    DeclareIntention,
    EngagementCommand,
    EnrolProtagonist,
    GiveConsent,
    HoldIndividualSession,
    HoldRelationshipSession,
    MakeCommitment,
    OpenEngagement,
    SignAgreement,
)
from domain.engagement import Engagement
from domain.errors import TrustpathError
from domain.runs import Receipt
from domain.trustpath import Trustpath
from domain.values import RELATIONAL_CHALLENGES, Actor, Policy

ADMIN = Actor("practice-admin", "admin")
COACH_A = Actor("coach-a", "coach")
COACH_B = Actor("coach-b", "coach")
OUTSIDER_COACH = Actor("coach-elsewhere", "coach")
SPONSOR = Actor("sponsor-hr", "sponsor")
AUDITOR = Actor("auditor-1", "auditor")

E = TypeVar("E", bound=TrustpathError)


class EngagementBuilder:
    """An engagement of `app`, taken through the method's stages by real commands."""

    def __init__(self, app: Trustpath, policy: Policy | None = None) -> None:
        self.app = app
        self.opened_at = datetime.now(UTC) - timedelta(days=30)
        self._at = self.opened_at
        self.eid: UUID = app.execute(
            None,
            ADMIN,
            OpenEngagement(
                occurred_at=self.opened_at,
                title="Board: sales and product",
                organisation="Acme",
                context="Two directors stopped talking.",
                sponsor=SPONSOR.id,
                policy=policy or Policy(),
            ),
        ).engagement_id
        self.protagonists: list[str] = []
        self.coach_of: dict[str, Actor] = {}
        self.relationship_sessions: list[str] = []
        self.individual_sessions: list[str] = []

    # -- time and actors ----------------------------------------------------------------

    def at(self) -> datetime:
        """The next moment of the engagement's history."""
        self._at += timedelta(minutes=1)
        return self._at

    def due(self, days: int = 14) -> date:
        return (self._at + timedelta(days=days)).date()

    @property
    def p1(self) -> str:
        return self.protagonists[0]

    @property
    def p2(self) -> str:
        return self.protagonists[1]

    def coach(self, protagonist_id: str) -> Actor:
        return self.coach_of[protagonist_id]

    def protagonist(self, protagonist_id: str) -> Actor:
        return Actor(protagonist_id, "protagonist")

    def run(self, actor: Actor, command: EngagementCommand) -> Receipt:
        """Run `command` for `actor` on this engagement."""
        return self.app.execute(self.eid, actor, command)

    def engagement(self) -> Engagement:
        return self.app.engagement(self.eid)

    def events(self, after: int = 0) -> list[Any]:
        """The engagement's stored events after version `after`, decoded."""
        return list(self.app.events.get(self.eid, gt=after))

    def last_event(self) -> Any:
        return self.events()[-1]

    # -- contracting ----------------------------------------------------------------------

    def sign(self) -> EngagementBuilder:
        self.run(
            ADMIN,
            SignAgreement(
                occurred_at=self.at(),
                parties=["both directors", COACH_A.id, COACH_B.id, SPONSOR.id],
                confidentiality="Individual sessions stay with each coach.",
                sponsor_may_be_told=["phase"],
                retention_days=365,
            ),
        )
        return self

    def enrol(self, name: str = "Director") -> str:
        receipt = self.run(ADMIN, EnrolProtagonist(occurred_at=self.at(), name=name, kind="person"))
        self.protagonists.append(receipt.item_id)
        return receipt.item_id

    def assign(self, protagonist_id: str, coach: Actor) -> None:
        self.run(
            ADMIN,
            AssignCoach(
                occurred_at=self.at(),
                protagonist_id=protagonist_id,
                coach_id=coach.id,
                coach_name=coach.id.title(),
            ),
        )
        self.coach_of[protagonist_id] = coach

    def consent(self, protagonist_id: str, scope: str = "coaching") -> None:
        self.run(
            self.protagonist(protagonist_id),
            GiveConsent(occurred_at=self.at(), protagonist_id=protagonist_id, scope=scope),
        )

    def prepare(self, coach: Actor, *, consent: bool = True) -> str:
        """Enrol one protagonist, assign their coach and (by default) their consent."""
        protagonist_id = self.enrol(f"Director {len(self.protagonists) + 1}")
        self.assign(protagonist_id, coach)
        if consent:
            self.consent(protagonist_id)
        return protagonist_id

    def contracted(self) -> EngagementBuilder:
        self.sign()
        self.prepare(COACH_A)
        self.prepare(COACH_B)
        return self

    # -- the individual space -------------------------------------------------------------

    def individual_session(self, protagonist_id: str, notes: str | None = None) -> str:
        receipt = self.run(
            self.coach(protagonist_id),
            HoldIndividualSession(
                occurred_at=self.at(),
                protagonist_id=protagonist_id,
                duration_minutes=60,
                challenges=["presence"],
                notes=notes,
            ),
        )
        self.individual_sessions.append(receipt.item_id)
        return receipt.item_id

    def declare(self, protagonist_id: str, text: str = "To work together again.") -> None:
        self.run(
            self.coach(protagonist_id),
            DeclareIntention(occurred_at=self.at(), protagonist_id=protagonist_id, text=text),
        )

    def at_gate(self) -> EngagementBuilder:
        self.contracted()
        for protagonist_id in self.protagonists:
            self.individual_session(protagonist_id)
            self.declare(protagonist_id)
        return self

    # -- the relationship space -----------------------------------------------------------

    def relationship_session(self, challenge: str = "confrontation") -> str:
        receipt = self.run(
            COACH_A,
            HoldRelationshipSession(
                occurred_at=self.at(),
                challenge=challenge,
                present=list(self.protagonists),
                duration_minutes=90,
                shared_notes=f"We explored {challenge}.",
            ),
        )
        self.relationship_sessions.append(receipt.item_id)
        return receipt.item_id

    def commitment(self, owners: list[str] | None = None, session_id: str = "") -> str:
        session_id = session_id or self.relationship_sessions[-1]
        return self.run(
            COACH_A,
            MakeCommitment(
                occurred_at=self.at(),
                session_id=session_id,
                owners=owners or [self.p1],
                to_whom=[self.p2],
                what="Share the draft a week ahead.",
                due_on=self.due(),
                challenge="commitment",
            ),
        ).item_id

    def with_commitment(self) -> str:
        """At the gate, one relationship session held, one open commitment of p1 to p2."""
        self.at_gate()
        self.relationship_session()
        return self.commitment()

    def minimums_met(self) -> EngagementBuilder:
        self.at_gate()
        for index in range(4):
            self.individual_session(self.protagonists[index % 2])
        for challenge in RELATIONAL_CHALLENGES:
            self.relationship_session(challenge)
        return self

    # -- assertions -----------------------------------------------------------------------

    def refused(self, error: type[E], command: Callable[[], object]) -> E:
        """Run `command`, expect exactly `error`, and check that nothing was recorded."""
        return refused(self.app, self.eid, error, command)


def recorded(app: Trustpath, engagement_id: UUID) -> tuple[int, int]:
    """Where the notification log and the engagement stand."""
    return app.recorder.max_notification_id() or 0, app.engagement(engagement_id).version


def refused(
    app: Trustpath, engagement_id: UUID, error: type[E], command: Callable[[], object]
) -> E:
    """Run `command`, expect exactly `error`, and check that nothing was recorded."""
    before = recorded(app, engagement_id)
    with pytest.raises(error) as info:
        command()
    assert type(info.value) is error, f"expected {error.__name__}, got {info.value!r}"
    assert recorded(app, engagement_id) == before, "a refused command recorded something"
    return info.value
