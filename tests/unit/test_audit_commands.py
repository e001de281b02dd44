"""The audit aggregate's public commands: a disclosure is validated like any command.

Each command builds the record without saving it (the application saves it), so these
tests need no store; `tests/integration/test_disclosures.py` reads one back from a store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.audit import PRACTICE_WIDE, AccessDenied, AuditRecord, DisclosureMade
from domain.errors import InvalidValueError, MalformedTextError
from domain.values import Actor

pytestmark = pytest.mark.unit

ADMIN = Actor("practice-admin", "admin")
AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
TERMS = {
    "recipient": "norwind-hr",
    "basis": "agreement: sponsor may be told the phase",
    "description": "phase report",
    "item": "status",
}


def disclose(**changes: Any) -> AuditRecord:
    args: dict[str, Any] = {"engagement_id": PRACTICE_WIDE, "at": AT, **TERMS, **changes}
    eid, at = args.pop("engagement_id"), args.pop("at")
    return AuditRecord.record_disclosure(eid, ADMIN, at, **args)


def test_record_disclosure_carries_who_to_whom_and_on_what_basis() -> None:
    eid = uuid4()
    record = disclose(engagement_id=eid)
    (event,) = record.collect_events()
    assert isinstance(event, DisclosureMade)
    assert (event.engagement_id, event.principal_id, event.role) == (eid, ADMIN.id, "admin")
    assert event.occurred_at == AT
    found = {name: getattr(event, name) for name in TERMS}
    assert found == TERMS


@pytest.mark.parametrize("field", sorted(TERMS))
def test_record_disclosure_is_refused_when_a_text_is_empty(field: str) -> None:
    with pytest.raises(InvalidValueError, match=f"{field} must not be empty"):
        disclose(**{field: "  "})


@pytest.mark.parametrize("field", sorted(TERMS))
def test_record_disclosure_is_refused_when_a_text_holds_a_control_character(field: str) -> None:
    with pytest.raises(MalformedTextError) as refused:
        disclose(**{field: "board\x1b[2J"})
    assert refused.value.field == field
    assert "board" not in str(refused.value)  # the message never repeats the text


def test_record_disclosure_is_refused_when_the_time_has_no_time_zone() -> None:
    with pytest.raises(InvalidValueError, match="time zone") as refused:
        disclose(at=datetime(2026, 9, 1, 12, 0))
    assert refused.value.field == "occurred_at"


def test_record_disclosure_is_refused_when_the_engagement_id_is_not_a_uuid() -> None:
    with pytest.raises(InvalidValueError) as refused:
        disclose(engagement_id=str(uuid4()))
    assert refused.value.field == "engagement_id"


def test_record_disclosure_strips_the_texts_it_records() -> None:
    (event,) = disclose(recipient="  board ").collect_events()
    assert isinstance(event, DisclosureMade)
    assert event.recipient == "board"


def test_record_denial_is_refused_when_it_stands_for_no_refusal() -> None:
    with pytest.raises(InvalidValueError) as refused:
        AuditRecord.record_denial(
            UUID(int=1), ADMIN, AT, protagonist_id="p", item="notes", reason="r", count=0
        )
    assert refused.value.field == "count"


def test_record_denial_records_the_refusal_whatever_the_item_is_named() -> None:
    record = AuditRecord.record_denial(
        UUID(int=1), ADMIN, AT, protagonist_id="p", item="no\x00tes", reason="r", count=3
    )
    (event,) = record.collect_events()
    assert isinstance(event, AccessDenied)
    assert (event.item, event.count) == ("no\x00tes", 3)
