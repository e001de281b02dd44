"""The base of every engagement event: who did it, when it happened, which command.

Every event carries the one authenticated `actor`, the client's `occurred_at`, and the
idempotency key and fingerprint of the command that produced it (empty when the client
sent no key), so that re-sending a command can be answered from the stored history, also
after a restart. The store's own timestamp is the library's `timestamp`.

Subclasses implement `evolve`, which only changes state: it runs again on every replay.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Transcoding

from domain.state import EngagementState


class EngagementEvent(Aggregate.Event):
    """Something that happened in an engagement."""

    actor: dict[str, str]
    occurred_at: datetime
    idempotency_key: str
    fingerprint: str

    def apply(self, aggregate: Any) -> None:
        engagement: EngagementState = aggregate
        self.evolve(engagement)
        engagement.last_activity = self.occurred_at
        if self.idempotency_key:
            engagement.handled_commands[self.idempotency_key] = [
                self.fingerprint,
                self.originator_version,
            ]

    def evolve(self, engagement: EngagementState) -> None:
        """Change the engagement's state; nothing else."""


class DateAsISO(Transcoding):
    """How a date in an event is stored: its ISO text."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)
