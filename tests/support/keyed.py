"""A command with an idempotency key that the idempotency tests re-send: an individual
session for the builder's first protagonist, held by their coach."""

from __future__ import annotations

from domain.commands import HoldIndividualSession
from domain.runs import Receipt
from tests.support.builders import COACH_A, EngagementBuilder


def keyed_session(b: EngagementBuilder, key: str, notes: str = "Tense start.") -> Receipt:
    return b.app.execute(
        b.eid,
        COACH_A,
        HoldIndividualSession(
            occurred_at=b.at(),
            protagonist_id=b.p1,
            duration_minutes=50,
            challenges=["presence"],
            notes=notes,
            key=key,
        ),
    )
