"""The trustpath application: every command, and the one read path for confidential content.

`Trustpath` is what the CLI, the API and the tests construct (see `ops.config`).
`execute` runs any command of `domain.commands`; `read_content` is the only place that
decrypts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Protocol, overload
from uuid import UUID

from domain import errors
from domain.access import Decision, Parties, Resource, ResourceKind, decide
from domain.application import CommandSide
from domain.audit import AuditRecord, require_purpose
from domain.ciphers import ERASED, Place, Sealed
from domain.commands import EngagementCommand, OpenEngagement
from domain.engagement import Engagement
from domain.individual_space import intention_field, notes_field
from domain.rules.parties import parties_of
from domain.runs import Guard, Receipt
from domain.values import Actor, Space

SEALED_CACHE_SIZE = 4096
"""Sealed values kept per process, by (engagement, version): ciphertext, never plaintext."""


class Refusals(Protocol):
    """Takes a refused read instead of recording it at once (see `Trustpath.refusals`)."""

    def refuse(
        self, eid: UUID, reader: Actor, protagonist_id: str, item: str, why: str
    ) -> None: ...


@dataclass(frozen=True)
class Content:
    """Confidential content as returned to an authorised reader, after the read was recorded."""

    field: str
    protagonist_id: str
    text: str
    erased: bool
    access_position: int


class Trustpath(CommandSide):
    """trustpath's command side and its recorded read path."""

    refusals: Refusals | None = None
    """Where refused reads go; None: one AccessDenied each. The HTTP API coalesces
    repeated refusals through it (api.refusals), so that nobody can grow the log at will."""

    @overload
    def execute(self, engagement_id: None, actor: Actor, command: OpenEngagement) -> Receipt: ...

    @overload
    def execute(
        self,
        engagement_id: UUID,
        actor: Actor,
        command: EngagementCommand,
        expected_version: int | None = None,
        *,
        guard: Guard | None = None,
    ) -> Receipt: ...

    def execute(
        self,
        engagement_id: UUID | None,
        actor: Actor,
        command: OpenEngagement | EngagementCommand,
        expected_version: int | None = None,
        *,
        guard: Guard | None = None,
    ) -> Receipt:
        """Run any command for `actor` and return its receipt.

        `OpenEngagement` takes no engagement id (the opening makes it), every other command
        the id of the engagement it runs on. `expected_version`: refuse unless the engagement
        is at this version (the API's If-Match); `guard(engagement)`: raise unless the caller
        may act on it at all (the API's visibility check), before any replay of the key.
        """
        if isinstance(command, OpenEngagement):
            if engagement_id is not None or expected_version is not None or guard is not None:
                raise TypeError(
                    "OpenEngagement makes its engagement: pass engagement_id=None, "
                    "without an expected version or a guard"
                )
            return self._open(actor, command)
        if engagement_id is None:
            raise TypeError(f"{type(command).__name__} runs on an engagement: pass its id")
        try:
            receipt = self._run(engagement_id, actor, command, expected_version, guard)
        except errors.AlreadyErasedError:
            command.settle(self.vault)
            raise
        command.settle(self.vault)
        return receipt

    # -- the recorded read path -----------------------------------------------------------

    def parties(self, engagement: Engagement) -> Parties:
        return parties_of(engagement.protagonists, engagement.sponsor, engagement.agreement)

    def authorise(
        self,
        eid: UUID,
        reader: Actor,
        resource: Resource,
        item: str,
        engagement: Engagement | None = None,
    ) -> Decision:
        """Decide, and record the refusal if it is one (raises ActionNotAllowedError)."""
        decision = decide(reader, self.parties(engagement or self.engagement(eid)), resource)
        if not decision.allowed:
            if self.refusals is not None:
                self.refusals.refuse(eid, reader, resource.protagonist_id, item, decision.rule)
            else:
                self.record_denial(eid, reader, resource.protagonist_id, item, decision.rule)
            raise errors.ActionNotAllowedError(f"not allowed to read {item}")
        return decision

    def read_content(
        self,
        eid: UUID,
        reader: Actor,
        field: str,
        purpose: str,
        engagement: Engagement | None = None,
    ) -> Content:
        """Authorise, record the access, and only then decrypt one confidential field.

        `engagement`, when the caller has just loaded it (to name the field), saves a load.
        """
        purpose = require_purpose(purpose)
        engagement = engagement or self.engagement(eid)
        try:
            protagonist_id, version = engagement.content_index[field]
        except KeyError:
            raise errors.NotFoundError(f"no confidential content at {field!r}") from None
        resource = Resource(ResourceKind.INDIVIDUAL_CONTENT, protagonist_id)
        decision = self.authorise(eid, reader, resource, field, engagement)
        record = AuditRecord.record_access(
            eid,
            reader,
            self.clock(),
            protagonist_id=protagonist_id,
            item=field,
            space=Space.INDIVIDUAL.value,
            purpose=purpose,
            rule=decision.rule,
        )
        position = self.save_and_notify(record)
        text = self.vault.open(
            self._sealed_at(eid, version, field), Place(str(eid), protagonist_id, field)
        )
        return Content(field, protagonist_id, text, text == ERASED, position)

    def record_denial(
        self,
        eid: UUID,
        reader: Actor,
        protagonist_id: str,
        item: str,
        why: str,
        *,
        count: int = 1,
        client: str = "",
        window: str = "",
    ) -> int:
        """Record `count` refusals of `item` to `reader` (see AccessDenied)."""
        record = AuditRecord.record_denial(
            eid,
            reader,
            self.clock(),
            protagonist_id=protagonist_id,
            item=item,
            reason=why,
            count=count,
            client=client,
            window=window,
        )
        return self.save_and_notify(record)

    def session_notes_field(self, session_id: str) -> str:
        return notes_field(session_id)

    def intention_field(self, eid: UUID, protagonist_id: str, version: int | None = None) -> str:
        current = self.engagement(eid).protagonist(protagonist_id)["intention_version"]
        if not current:
            raise errors.IntentionNotFoundError(f"{protagonist_id!r} has declared no intention")
        return intention_field(protagonist_id, version or current)

    # -- internals ------------------------------------------------------------------------

    @cached_property
    def _sealed_cache(self) -> dict[tuple[UUID, int], Sealed]:
        return {}

    def _sealed_at(self, eid: UUID, version: int, field: str) -> Sealed:
        """The sealed value stored by the engagement's event at `version`.

        Stored events never change, so the sealed value (ciphertext only) is kept in a
        bounded cache; opening it still fetches the protagonist's key from the store on
        every read, so erasure by another process is seen at once.
        """
        cache = self._sealed_cache
        found = cache.get((eid, version))
        if found is not None:
            return found
        (event,) = self.events.get(eid, gt=version - 1, lte=version)
        for name in ("notes", "intention"):
            value = getattr(event, name, None)
            if isinstance(value, Sealed):
                if len(cache) >= SEALED_CACHE_SIZE:
                    cache.clear()
                cache[(eid, version)] = value
                return value
        raise errors.NotFoundError(f"no sealed content at {field!r}")  # pragma: no cover
