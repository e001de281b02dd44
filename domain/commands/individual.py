"""Commands of the individual space: sessions, intentions, trust assessments.

Session notes and intentions are confidential: they are sealed under the protagonist's key
before they reach an event, and enter a fingerprint only as a digest under that key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.commands.base import EngagementCommand, NewItem
from domain.engagement import Engagement
from domain.individual_space import Seal
from domain.state import Command


@dataclass(frozen=True, kw_only=True)
class HoldIndividualSession(EngagementCommand):
    """Hold an individual session (the protagonist's coach); notes are sealed."""

    protagonist_id: str
    duration_minutes: int
    challenges: list[str]
    notes: str | None = None
    label: ClassVar[str] = "hold_individual_session"
    new_item: ClassVar[NewItem | None] = NewItem("individual_session", "session_id")
    sealed: ClassVar[tuple[str, ...]] = ("notes",)

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.hold_individual_session(
            cmd,
            seal,
            session_id=item_id,
            protagonist_id=self.protagonist_id,
            duration_minutes=self.duration_minutes,
            challenges=self.challenges,
            notes=self.notes,
        )


@dataclass(frozen=True, kw_only=True)
class DeclareIntention(EngagementCommand):
    """Declare, or revise, a protagonist's intention (their coach); the text is sealed."""

    protagonist_id: str
    text: str
    label: ClassVar[str] = "declare_intention"
    sealed: ClassVar[tuple[str, ...]] = ("text",)

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.declare_intention(cmd, seal, protagonist_id=self.protagonist_id, text=self.text)


@dataclass(frozen=True, kw_only=True)
class ShareIntention(EngagementCommand):
    """Share what of an intention goes to the relationship space (protagonist or coach)."""

    protagonist_id: str
    shared_text: str
    label: ClassVar[str] = "share_intention"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.share_intention(
            cmd, protagonist_id=self.protagonist_id, shared_text=self.shared_text
        )


@dataclass(frozen=True, kw_only=True)
class AssessTrust(EngagementCommand):
    """Record a protagonist's trust toward another, 0-10 (the protagonist's coach)."""

    protagonist_id: str
    toward_id: str
    challenge: str
    score: int
    label: ClassVar[str] = "assess_trust"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.assess_trust(
            cmd,
            protagonist_id=self.protagonist_id,
            toward_id=self.toward_id,
            challenge=self.challenge,
            score=self.score,
        )
