"""Audit records: every read of confidential content, every refusal, every disclosure.

Each record is its own tiny aggregate (one event, version 1), so recording a read never
contends with the engagement's commands and never grows the engagement's history. The
ledger and the access-log projections follow them through the notification log like any
other event. A record names what was read, never what it said.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.access import ResourceKind
from domain.errors import InvalidValueError

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
