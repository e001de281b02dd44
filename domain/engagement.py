"""The Engagement aggregate: one coaching engagement out of a trust crisis.

Its commands are grouped by part of the method, one module each; every command checks its
rules (raising an error from `domain.errors` named after the rule) and then triggers one
event. Nothing is updated in place: a correction is a new event.

    Engagement
    ├── PartiesCommands            agreement, protagonists, coaches, consents, erasure
    ├── IndividualSpaceCommands    individual sessions, intentions, trust assessments
    ├── RelationshipSpaceCommands  the gate, relationship sessions, presence setbacks
    ├── RenegotiationCommands      commitments: made, honoured, broken, renegotiated, ...
    └── LifecycleCommands          pause, resume, termination, completion, follow-up
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import errors
from domain.access import ResourceKind
from domain.commitments import RenegotiationCommands
from domain.individual_space import IndividualSpaceCommands
from domain.lifecycle import LifecycleCommands
from domain.parties import PartiesCommands
from domain.relationship_space import RelationshipSpaceCommands
from domain.rules.who_may_do import Action, check_may_do
from domain.state import CLOCK_SKEW, Command, initial_state
from domain.values import Policy, require_text


class Engagement(
    PartiesCommands,
    IndividualSpaceCommands,
    RelationshipSpaceCommands,
    RenegotiationCommands,
    LifecycleCommands,
    Aggregate,
):
    """A coaching engagement between two or more protagonists and their coaches."""

    class Opened(Aggregate.Created):
        resource_kind = ResourceKind.ENGAGEMENT_RECORD

        title: str
        organisation: str
        context: str
        sponsor: str
        policy: dict[str, Any]
        actor: dict[str, str]
        occurred_at: datetime
        idempotency_key: str
        fingerprint: str

    def __init__(
        self,
        title: str,
        organisation: str,
        context: str,
        sponsor: str,
        policy: dict[str, Any],
        occurred_at: datetime,
        idempotency_key: str,
        fingerprint: str,
    ) -> None:
        self.__dict__.update(initial_state(title, organisation, sponsor, policy, occurred_at))
        self.handled_commands = {}
        self.content_index = {}
        if idempotency_key:
            self.handled_commands[idempotency_key] = [fingerprint, 1]

    @classmethod
    def open(
        cls,
        cmd: Command,
        *,
        engagement_id: UUID,
        title: str,
        organisation: str,
        context: str,
        sponsor: str,
        policy: Policy,
    ) -> Engagement:
        """Open an engagement (practice admin), with its policy agreed."""
        check_may_do(Action.OPEN, cmd.actor, coach_of={})
        if cmd.occurred_at.tzinfo is None:
            raise errors.InvalidValueError("occurred_at must carry a time zone")
        if cmd.occurred_at > cmd.now + CLOCK_SKEW:
            raise errors.OccurredInFutureError(
                f"occurred_at {cmd.occurred_at.isoformat()} is in the future"
            )
        return cls._create(
            cls.Opened,
            id=engagement_id,
            title=require_text(title, "title"),
            organisation=require_text(organisation, "organisation"),
            context=context.strip(),
            sponsor=require_text(sponsor, "sponsor"),
            policy=policy.as_dict(),
            **cmd.event_fields(),
        )
