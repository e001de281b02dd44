"""Commands of the relationship space: sessions and presence setbacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from domain.commands.base import EngagementCommand, NewItem
from domain.engagement import Engagement
from domain.individual_space import Seal
from domain.state import Command


@dataclass(frozen=True, kw_only=True)
class HoldRelationshipSession(EngagementCommand):
    """Hold a relationship session on one challenge (a coach of the engagement)."""

    challenge: str
    present: list[str]
    duration_minutes: int
    shared_notes: str
    made_explicit: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    label: ClassVar[str] = "hold_relationship_session"
    new_item: ClassVar[NewItem | None] = NewItem("relationship_session", "session_id")

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.hold_relationship_session(
            cmd,
            session_id=item_id,
            challenge=self.challenge,
            present=self.present,
            duration_minutes=self.duration_minutes,
            shared_notes=self.shared_notes,
            made_explicit=self.made_explicit,
            decisions=self.decisions,
        )


@dataclass(frozen=True, kw_only=True)
class RecordPresenceSetback(EngagementCommand):
    """Record that a protagonist was absent, instead of a session (a coach)."""

    challenge: str
    present: list[str]
    note: str = ""
    label: ClassVar[str] = "record_presence_setback"

    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        engagement.record_presence_setback(
            cmd, challenge=self.challenge, present=self.present, note=self.note
        )
