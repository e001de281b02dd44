"""The trustpath application: every command, and the one read path for confidential content.

`Trustpath` is what the CLI, the API and the tests construct (see `ops.config`).
Commands of the lifecycle and parties are in `domain.commands`; those of the two spaces
and of commitments are here, with `read_content`, the only place that decrypts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Protocol
from uuid import UUID

from domain import errors
from domain.access import Decision, Parties, Resource, ResourceKind, decide
from domain.application import Receipt, json_safe
from domain.audit import AuditRecord, require_purpose
from domain.ciphers import ERASED, Place, Sealed
from domain.commands import Commands
from domain.engagement import Engagement
from domain.individual_space import intention_field, notes_field
from domain.rules.parties import parties_of
from domain.values import Actor, Space, check_texts

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


class Trustpath(Commands):
    """trustpath's command side and its recorded read path."""

    refusals: Refusals | None = None
    """Where refused reads go; None: one AccessDenied each. The HTTP API coalesces
    repeated refusals through it (api.refusals), so that nobody can grow the log at will."""

    # -- individual space -----------------------------------------------------------------

    def hold_individual_session(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        protagonist_id: str,
        duration_minutes: int,
        challenges: list[str],
        notes: str | None = None,
        key: str = "",
    ) -> Receipt:
        sid = self.item_id(eid, key, "individual_session")
        return self._sealed_do(
            "hold_individual_session",
            "notes",
            eid,
            actor,
            at,
            key,
            sid,
            session_id=sid,
            protagonist_id=protagonist_id,
            duration_minutes=duration_minutes,
            challenges=challenges,
            notes=notes,
        )

    def declare_intention(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        protagonist_id: str,
        text: str,
        key: str = "",
    ) -> Receipt:
        return self._sealed_do(
            "declare_intention",
            "text",
            eid,
            actor,
            at,
            key,
            protagonist_id=protagonist_id,
            text=text,
        )

    def share_intention(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        protagonist_id: str,
        shared_text: str,
        key: str = "",
    ) -> Receipt:
        return self._do(
            "share_intention",
            eid,
            actor,
            at,
            key,
            protagonist_id=protagonist_id,
            shared_text=shared_text,
        )

    def assess_trust(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        protagonist_id: str,
        toward_id: str,
        challenge: str,
        score: int,
        key: str = "",
    ) -> Receipt:
        return self._do(
            "assess_trust",
            eid,
            actor,
            at,
            key,
            protagonist_id=protagonist_id,
            toward_id=toward_id,
            challenge=challenge,
            score=score,
        )

    # -- relationship space ---------------------------------------------------------------

    def hold_relationship_session(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        challenge: str,
        present: list[str],
        duration_minutes: int,
        shared_notes: str,
        made_explicit: list[str] | None = None,
        decisions: list[str] | None = None,
        key: str = "",
    ) -> Receipt:
        sid = self.item_id(eid, key, "relationship_session")
        return self._do(
            "hold_relationship_session",
            eid,
            actor,
            at,
            key,
            sid,
            session_id=sid,
            challenge=challenge,
            present=present,
            duration_minutes=duration_minutes,
            shared_notes=shared_notes,
            made_explicit=made_explicit or [],
            decisions=decisions or [],
        )

    def record_presence_setback(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        challenge: str,
        present: list[str],
        note: str = "",
        key: str = "",
    ) -> Receipt:
        return self._do(
            "record_presence_setback",
            eid,
            actor,
            at,
            key,
            challenge=challenge,
            present=present,
            note=note,
        )

    # -- commitments ----------------------------------------------------------------------

    def make_commitment(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        session_id: str,
        owners: list[str],
        to_whom: list[str],
        what: str,
        due_on: date,
        challenge: str,
        key: str = "",
    ) -> Receipt:
        cid = self.item_id(eid, key, "commitment")
        return self._do(
            "make_commitment",
            eid,
            actor,
            at,
            key,
            cid,
            commitment_id=cid,
            session_id=session_id,
            owners=owners,
            to_whom=to_whom,
            what=what,
            due_on=due_on,
            challenge=challenge,
        )

    def honour_commitment(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        commitment_id: str,
        evidence: str,
        assessed_by: str = "coach",
        assessors: list[str] | None = None,
        key: str = "",
    ) -> Receipt:
        return self._do(
            "honour_commitment",
            eid,
            actor,
            at,
            key,
            commitment_id=commitment_id,
            evidence=evidence,
            assessed_by=assessed_by,
            assessors=assessors or [],
        )

    def break_commitment(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        commitment_id: str,
        reason: str,
        key: str = "",
    ) -> Receipt:
        return self._do(
            "break_commitment", eid, actor, at, key, commitment_id=commitment_id, reason=reason
        )

    def withdraw_commitment(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        commitment_id: str,
        reason: str,
        key: str = "",
    ) -> Receipt:
        return self._do(
            "withdraw_commitment", eid, actor, at, key, commitment_id=commitment_id, reason=reason
        )

    def renegotiate_commitment(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        commitment_id: str,
        owners: list[str],
        to_whom: list[str],
        what: str,
        due_on: date,
        reason: str,
        key: str = "",
    ) -> Receipt:
        cid = self.item_id(eid, key, "commitment")
        return self._do(
            "renegotiate_commitment",
            eid,
            actor,
            at,
            key,
            cid,
            commitment_id=commitment_id,
            new_commitment_id=cid,
            owners=owners,
            to_whom=to_whom,
            what=what,
            due_on=due_on,
            reason=reason,
        )

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

    def _sealed_do(
        self,
        cmd_name: str,
        sealed_arg: str,
        eid: UUID,
        actor: Actor,
        at: datetime,
        key: str,
        item_id: str = "",
        **args: object,
    ) -> Receipt:
        """A command whose `sealed_arg` is sealed under the key of its `protagonist_id`."""
        check_texts(args)
        seal = self.sealer(eid)

        def run(engagement: Engagement, cmd: object) -> object:
            return getattr(engagement, cmd_name)(cmd, seal, **args)

        fingerprint_args = {k: json_safe(v) for k, v in args.items()}
        sealed = {sealed_arg: str(args["protagonist_id"])}
        return self.command(cmd_name, eid, actor, at, key, fingerprint_args, run, item_id, sealed)

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
