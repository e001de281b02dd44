"""Audit records: every read of confidential content, every refusal, every disclosure.

Each record is its own tiny aggregate (one event, version 1), so recording a read never
contends with the engagement's commands and never grows the engagement's history. The
ledger and the access-log projections follow them through the notification log like any
other event. A record names what was read, never what it said.

A record is made by one of the aggregate's commands, each validating its arguments like
every command of an engagement (InvalidValueError naming the field), then saved with the
application's `save_and_notify`:

    AuditRecord.record_access(...)      ContentAccessed   before confidential content is read
    AuditRecord.record_denial(...)      AccessDenied      a refused read or action
    AuditRecord.record_disclosure(...)  DisclosureMade    a report or export left the system
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.access import ResourceKind
from domain.errors import InvalidValueError
from domain.values import Actor, check_occurred_at, require_text

MAX_PURPOSE = 500
_NOT_TEXT = {"Zl", "Zp"}  # line and paragraph separators; control and format are "C*"


class AuditRecord(Aggregate):
    """One fact of the audit trail about an engagement."""

    class Recorded(Aggregate.Created):
        engagement_id: UUID
        principal_id: str
        role: str
        occurred_at: datetime

    def __init__(
        self, engagement_id: UUID, principal_id: str, role: str, occurred_at: datetime
    ) -> None:
        self.engagement_id = engagement_id
        self.principal_id = principal_id
        self.role = role
        self.occurred_at = occurred_at

    @classmethod
    def record_access(
        cls,
        engagement_id: UUID,
        reader: Actor,
        occurred_at: datetime,
        *,
        protagonist_id: str,
        item: str,
        space: str,
        purpose: str,
        rule: str,
    ) -> AuditRecord:
        """A read of confidential content (ContentAccessed), saved before it is returned."""
        facts = {"protagonist_id": protagonist_id, "item": item, "space": space, "rule": rule}
        facts["purpose"] = require_purpose(purpose)
        return cls._record(ContentAccessed, engagement_id, reader, occurred_at, facts)

    @classmethod
    def record_denial(
        cls,
        engagement_id: UUID,
        reader: Actor,
        occurred_at: datetime,
        *,
        protagonist_id: str,
        item: str,
        reason: str,
        count: int = 1,
        client: str = "",
        window: str = "",
    ) -> AuditRecord:
        """`count` refusals of `item` to `reader` (AccessDenied).

        The texts are recorded as they were asked for, unchecked: a refusal is recorded
        whatever the item it refused was named.
        """
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise InvalidValueError("count must be a whole number of at least 1", field="count")
        facts: dict[str, Any] = {"protagonist_id": protagonist_id, "item": item, "reason": reason}
        facts.update(count=count, client=client, window=window)
        return cls._record(AccessDenied, engagement_id, reader, occurred_at, facts)

    @classmethod
    def record_disclosure(
        cls,
        engagement_id: UUID,
        discloser: Actor,
        occurred_at: datetime,
        *,
        recipient: str,
        basis: str,
        description: str,
        item: str,
    ) -> AuditRecord:
        """A report or export that left the system (DisclosureMade): to whom (`recipient`),
        on what basis, what it was and which item (e.g. the export's manifest digest).

        Every text is required, and printable like any command's (InvalidValueError naming
        the field): reports show them to auditors. `engagement_id` is the engagement it is
        about, or PRACTICE_WIDE for every one.
        """
        facts = {"recipient": recipient, "basis": basis, "description": description, "item": item}
        facts = {name: require_text(value, name) for name, value in facts.items()}
        return cls._record(DisclosureMade, engagement_id, discloser, occurred_at, facts)

    @classmethod
    def _record(
        cls,
        kind: type[AuditRecord.Recorded],
        engagement_id: UUID,
        actor: Actor,
        occurred_at: datetime,
        facts: dict[str, Any],
    ) -> AuditRecord:
        if not isinstance(engagement_id, UUID):
            raise InvalidValueError("engagement_id must be a UUID", field="engagement_id")
        if not isinstance(actor, Actor):
            raise InvalidValueError("the actor must be an Actor", field="actor")
        return cls._create(
            kind,
            engagement_id=engagement_id,
            principal_id=actor.id,
            role=actor.role,
            occurred_at=check_occurred_at(occurred_at),
            **facts,
        )


PRACTICE_WIDE = UUID(int=0)
"""The engagement id of a disclosure that covers every engagement (an export)."""


class ContentAccessed(AuditRecord.Recorded):
    """Written before confidential content is returned; if it cannot be written, nothing is."""

    resource_kind = ResourceKind.ACCESS_LOG

    protagonist_id: str
    item: str
    space: str
    purpose: str
    rule: str


def require_purpose(purpose: str) -> str:
    """The purpose of a read, stripped: printable text of 1 to MAX_PURPOSE characters.

    It is stored in the access record and shown to auditors and to the protagonist whose
    file was read: a NUL, a newline or an escape sequence there could forge or hide lines.
    """
    text = purpose.strip() if isinstance(purpose, str) else ""
    if not text:
        raise InvalidValueError("purpose must not be empty")
    if len(text) > MAX_PURPOSE:
        raise InvalidValueError(f"purpose must be at most {MAX_PURPOSE} characters")
    for ch in text:
        category = unicodedata.category(ch)
        if category[0] == "C" or category in _NOT_TEXT:
            raise InvalidValueError(f"purpose must be printable text (found U+{ord(ch):04X})")
    return text


class AccessDenied(AuditRecord.Recorded):
    """A refused attempt to read or do something; recorded too.

    Repeated refusals of one item to one principal (or one client address, without a
    token) within a minute are coalesced (api.refusals): `count` is how many refusals the
    record stands for, `window` the minute they fell in (UTC, ISO 8601), `client` the
    address of an unauthenticated caller. Version 1 records stood for one refusal each.
    """

    class_version = 2

    resource_kind = ResourceKind.ACCESS_LOG

    protagonist_id: str
    item: str
    reason: str
    count: int
    client: str
    window: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.update(count=1, client="", window="")


class DisclosureMade(AuditRecord.Recorded):
    """A report or export that left the system: to whom, on what basis."""

    resource_kind = ResourceKind.LEDGER

    recipient: str
    basis: str
    description: str
    item: str
