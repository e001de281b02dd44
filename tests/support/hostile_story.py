"""One engagement told from opening to erasure in hostile text and drawn time zones, for
the property tests of tests/integration/test_hostile_commands_property.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from domain.commands import (
    AssessTrust,
    AssignCoach,
    BreakCommitment,
    CloseEarly,
    DeclareIntention,
    EnrolProtagonist,
    ExecuteErasure,
    GiveConsent,
    HoldFollowUp,
    HoldIndividualSession,
    HoldRelationshipSession,
    HonourCommitment,
    MakeCommitment,
    OpenEngagement,
    PauseEngagement,
    RecordPresenceSetback,
    RenegotiateCommitment,
    ResumeEngagement,
    ShareIntention,
    SignAgreement,
)
from domain.errors import TrustpathError
from domain.trustpath import Trustpath
from domain.values import Actor
from tests.support.builders import ADMIN


class Story:
    """One engagement told from opening to erasure, every text drawn hostile and every time
    written in a drawn zone; a refused command (a TrustpathError, nothing recorded) is sent
    again with plain words so the story goes on. Most hostile texts are carried, so most
    commands are accepted: the projections see them all."""

    def __init__(self, app: Trustpath, texts: list[str], zones: list[tzinfo]) -> None:
        self.app, self.texts, self.zones = app, iter(texts), zones
        self.clock = datetime.now(UTC) - timedelta(days=30)
        self.ticks = 0
        self.eid: Any = None
        self.accepted = 0

    def at(self) -> datetime:
        self.ticks += 1
        return (self.clock + timedelta(minutes=self.ticks)).astimezone(
            self.zones[self.ticks % len(self.zones)]
        )

    def send(self, command: Any, actor: Actor, /, **args: Any) -> Any:
        """Send `command` with the next hostile text for every "T" argument."""
        text = next(self.texts)
        at = self.at()
        before = self.app.recorder.max_notification_id()
        try:
            receipt = self.app.execute(
                self.eid, actor, command(occurred_at=at, **_filled(args, text))
            )
            self.accepted += 1
            return receipt
        except TrustpathError:
            assert self.app.recorder.max_notification_id() == before, f"{command} recorded"
        return self.app.execute(
            self.eid, actor, command(occurred_at=at, **_filled(args, "Plain words."))
        )

    def tell(self) -> None:
        self.eid = self.send(
            OpenEngagement, ADMIN, title="T", organisation="T", context="T", sponsor="s"
        ).engagement_id
        self.send(
            SignAgreement,
            ADMIN,
            parties=["T"],
            confidentiality="T",
            sponsor_may_be_told=["phase"],  # a vocabulary, not free text (domain.sponsor)
            retention_days=30,
        )
        p1 = self.send(EnrolProtagonist, ADMIN, name="T", kind="person").item_id
        p2 = self.send(EnrolProtagonist, ADMIN, name="T", kind="entity").item_id
        coaches = {p1: Actor("coach-a", "coach"), p2: Actor("coach-b", "coach")}
        for pid, coach in coaches.items():
            self.send(AssignCoach, ADMIN, protagonist_id=pid, coach_id=coach.id, coach_name="T")
            self.send(GiveConsent, coach, protagonist_id=pid, scope="coaching", evidence="T")
            self.send(
                HoldIndividualSession,
                coach,
                protagonist_id=pid,
                duration_minutes=50,
                challenges=["presence"],
                notes="T",
            )
            self.send(DeclareIntention, coach, protagonist_id=pid, text="T")
            self.send(ShareIntention, coach, protagonist_id=pid, shared_text="T")
        self.relationship_space(coaches[p1], p1, p2)
        self.send(PauseEngagement, ADMIN, reason="T")
        self.send(ResumeEngagement, ADMIN)
        self.send(CloseEarly, ADMIN, reason="T")
        self.send(HoldFollowUp, coaches[p1], months_after=3, trust_lasted=True, shared_notes="T")
        self.send(ExecuteErasure, ADMIN, protagonist_id=p1, request_reference="T")

    def relationship_space(self, coach: Actor, p1: str, p2: str) -> None:
        self.send(RecordPresenceSetback, coach, challenge="confrontation", present=[p1], note="T")
        sid = self.send(
            HoldRelationshipSession,
            coach,
            challenge="confrontation",
            present=[p1, p2],
            duration_minutes=90,
            shared_notes="T",
            made_explicit=["T"],
            decisions=["T"],
        ).item_id
        self.send(
            AssessTrust,
            coach,
            protagonist_id=p1,
            toward_id=p2,
            challenge="confrontation",
            score=6,
        )
        terms = {
            "owners": [p1],
            "to_whom": [p2],
            "what": "T",
            "due_on": self.at().date() + timedelta(days=9),
        }
        first = self.send(
            MakeCommitment, coach, session_id=sid, challenge="confrontation", **terms
        ).item_id
        self.send(HonourCommitment, coach, commitment_id=first, evidence="T")
        second = self.send(
            MakeCommitment, coach, session_id=sid, challenge="confrontation", **terms
        ).item_id
        third = self.send(
            RenegotiateCommitment, coach, commitment_id=second, reason="T", **terms
        ).item_id
        self.send(BreakCommitment, coach, commitment_id=third, reason="T")


def _filled(args: dict[str, Any], text: str) -> dict[str, Any]:
    """The arguments with every "T" (alone or in a list) replaced by `text`."""

    def fill(value: Any) -> Any:
        if value == "T":
            return text
        return [fill(v) for v in value] if isinstance(value, list) else value

    return {name: fill(value) for name, value in args.items()}
