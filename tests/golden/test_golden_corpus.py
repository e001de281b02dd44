"""The golden corpus: one stored event of every type, as stored, must keep loading.

`events_v1.json` (and any later `events_vN.json`) holds, for every event class of the
domain (engagement events, `Engagement.Opened`, the audit records) and for a snapshot, the
stored form exactly as the library's mapper wrote it (topic, state bytes as UTF-8 JSON
text), with the fields the event decoded into when it was written. Events are a stored
contract: a change of an event class must keep these bytes loading (`class_version` +
`upcast_vX_vY`, or `register_topic` when a class moves) into the same fields.

The file was generated once by running the demo and extra commands through a SQLite
application. An old file is never rewritten: when events change (a new class, a new
`class_version`), the generator adds the next file, `events_vN.json`, and every file
keeps being loaded:

    TRUSTPATH_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/golden
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pkgutil
import tempfile
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

import domain
from domain.audit import AuditRecord, DisclosureMade
from domain.ciphers import MasterKey, Sealed
from domain.commands import (
    CloseEarly,
    ExecuteErasure,
    GiveConsent,
    HoldFollowUp,
    PauseEngagement,
    ReassignCoach,
    RequestTermination,
    ResumeEngagement,
    WithdrawCommitment,
    WithdrawConsent,
)
from domain.config import store_env
from domain.engagement import Engagement
from domain.errors import ActionNotAllowedError
from domain.events import EngagementEvent
from domain.trustpath import Trustpath
from domain.values import Actor
from ops.demo import play
from tests.unit.builders import ADMIN, AUDITOR, COACH_A, EngagementBuilder

HERE = Path(__file__).parent
REGENERATE = os.environ.get("TRUSTPATH_REGENERATE_GOLDEN") == "1"

pytestmark = pytest.mark.integration


def domain_event_classes() -> set[type]:
    """Every stored event class of the domain, found by walking the class tree."""
    for module in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"domain.{module.name}")
    found: set[type] = {Engagement.Opened, Snapshot}
    for root in (EngagementEvent, AuditRecord.Recorded):
        pending = list(root.__subclasses__())
        while pending:
            cls = pending.pop()
            found.add(cls)
            pending += cls.__subclasses__()
    return found


def plain(value: Any) -> Any:
    """A JSON value for a decoded field, to compare with the corpus."""
    if isinstance(value, Sealed):
        return value.as_dict()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    return value


def fields_of(event: object) -> dict[str, Any]:
    return {name: plain(value) for name, value in vars(event).items()}


def stored(record: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(record["originator_id"]),
        originator_version=record["originator_version"],
        topic=record["topic"],
        state=record["state"].encode(),
    )


def corpus_files() -> list[Path]:
    return sorted(HERE.glob("events_v*.json"), key=lambda p: int(p.stem.removeprefix("events_v")))


def load_corpus() -> list[dict[str, Any]]:
    """Every record of every corpus file, each tagged with the file it comes from."""
    records: list[dict[str, Any]] = []
    for path in corpus_files():
        for record in json.loads(path.read_text())["events"]:
            records.append({**record, "file": path.name})
    return records


# -- the generator (run once, on purpose) ---------------------------------------------------------


def regenerate_corpus() -> None:
    """Write the next events_vN.json from a demo and extra commands (only on purpose)."""
    with tempfile.TemporaryDirectory() as directory:
        app = Trustpath(
            store_env(f"sqlite:///{directory}/golden.db"), master_key=MasterKey.generate()
        )
        try:
            play(app)
            engagement_id = _play_the_rest(app)
            app.take_snapshot(engagement_id)
            records = [*_first_of_each_topic(app), _snapshot(app, engagement_id)]
        finally:
            app.close()
    document = {
        "format": "trustpath stored events, one of each type, as stored",
        "generated_by": "tests/golden/test_golden_corpus.py::regenerate_corpus",
        "events": records,
    }
    target = HERE / f"events_v{len(corpus_files()) + 1}.json"
    target.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")


def _play_the_rest(app: Trustpath) -> UUID:
    """Commands the demo does not play (every other event type, some with keys)."""
    b = EngagementBuilder(app)
    b.contracted()
    session = b.individual_session(b.p1, notes="Fictional notes for the golden corpus.")
    b.declare(b.p1, "First intention.")
    b.declare(b.p1, "Revised intention.")
    b.run(
        ADMIN,
        ReassignCoach(
            occurred_at=b.at(),
            protagonist_id=b.p2,
            coach_id="coach-c",
            coach_name="C",
            reason="Coach on leave",
            key="golden-reassign",
        ),
    )
    b.coach_of[b.p2] = Actor("coach-c", "coach")
    b.run(
        b.protagonist(b.p1),
        GiveConsent(occurred_at=b.at(), protagonist_id=b.p1, scope="recording"),
    )
    b.run(
        b.protagonist(b.p1),
        WithdrawConsent(occurred_at=b.at(), protagonist_id=b.p1, scope="recording", key="golden-w"),
    )
    b.run(ADMIN, PauseEngagement(occurred_at=b.at(), reason="Summer", key="golden-pause"))
    b.run(ADMIN, ResumeEngagement(occurred_at=b.at()))
    b.individual_session(b.p2)
    b.declare(b.p2)
    b.relationship_session()
    cid = b.commitment()
    b.run(
        COACH_A,
        WithdrawCommitment(occurred_at=b.at(), commitment_id=cid, reason="No longer needed"),
    )
    field = app.session_notes_field(session)
    app.read_content(b.eid, COACH_A, field, "preparing the next session")
    with contextlib.suppress(ActionNotAllowedError):
        app.read_content(b.eid, AUDITOR, field, "audit")
    record = AuditRecord._create(
        DisclosureMade,
        engagement_id=b.eid,
        principal_id=ADMIN.id,
        role=ADMIN.role,
        occurred_at=b.at(),
        recipient="norwind-hr",
        basis="agreement: sponsor may be told the phase",
        description="phase report",
        item="status",
    )
    app.save(record)
    b.run(b.protagonist(b.p2), RequestTermination(occurred_at=b.at(), reason="Moving on"))
    b.run(
        ADMIN,
        CloseEarly(occurred_at=b.at(), reason="Termination requested", key="golden-close"),
    )
    b.run(
        COACH_A,
        HoldFollowUp(occurred_at=b.at(), months_after=3, trust_lasted=True, shared_notes="OK"),
    )
    b.run(
        ADMIN,
        ExecuteErasure(occurred_at=b.at(), protagonist_id=b.p1, request_reference="GDPR-1"),
    )
    return b.eid


def _record(app: Trustpath, kind: str, item: StoredEvent) -> dict[str, Any]:
    return {
        "kind": kind,
        "originator_id": str(item.originator_id),
        "originator_version": item.originator_version,
        "topic": item.topic,
        "state": item.state.decode(),
        "expected": fields_of(app.mapper.to_domain_event(item)),
    }


def _first_of_each_topic(app: Trustpath) -> list[dict[str, Any]]:
    first: dict[str, dict[str, Any]] = {}
    for notification in app.recorder.select_notifications(1, 10_000):
        if notification.topic not in first:
            first[notification.topic] = _record(app, "event", notification)
    return list(first.values())


def _snapshot(app: Trustpath, engagement_id: UUID) -> dict[str, Any]:
    assert app.snapshots is not None
    (item,) = app.snapshots.recorder.select_events(engagement_id, desc=True, limit=1)
    return _record(app, "snapshot", item)


if REGENERATE:  # `TRUSTPATH_REGENERATE_GOLDEN=1 pytest tests/golden`, then review the diff
    regenerate_corpus()
RECORDS = load_corpus()


def _file(record: dict[str, Any]) -> str:
    return str(record["file"])


# -- the contract ------------------------------------------------------------------------------


def test_golden_corpus_covers_every_event_class_of_the_domain() -> None:
    expected = {get_topic(cls) for cls in domain_event_classes()}
    assert expected <= {record["topic"] for record in RECORDS}


@pytest.mark.parametrize(
    "record", RECORDS, ids=[f"{r['file']}:{r['topic'].split(':')[-1]}" for r in RECORDS]
)
def test_golden_stored_event_still_decodes_into_its_class_and_fields(
    sqlite_app: Trustpath, record: dict[str, Any]
) -> None:
    event = sqlite_app.mapper.to_domain_event(stored(record))
    assert get_topic(type(event)) == record["topic"]
    decoded = fields_of(event)
    for name, value in record["expected"].items():
        assert decoded.get(name) == value, f"{record['topic']}: field {name!r} changed"


@pytest.mark.parametrize("record", [r for r in RECORDS if r["kind"] == "snapshot"], ids=_file)
def test_golden_snapshot_still_reconstitutes_the_engagement(
    sqlite_app: Trustpath, record: dict[str, Any]
) -> None:
    snapshot: Any = sqlite_app.mapper.to_domain_event(stored(record))
    engagement = snapshot.mutate(None)
    assert isinstance(engagement, Engagement)
    assert engagement.version == record["originator_version"]
    assert engagement.phase == "closed"
    assert engagement.handled_commands, "the snapshot keeps the idempotency keys"


@pytest.mark.parametrize(
    "opened", [r for r in RECORDS if r["topic"] == get_topic(Engagement.Opened)], ids=_file
)
def test_golden_opening_still_starts_an_engagement(
    sqlite_app: Trustpath, opened: dict[str, Any]
) -> None:
    event: Any = sqlite_app.mapper.to_domain_event(stored(opened))
    engagement = event.mutate(None)
    assert isinstance(engagement, Engagement)
    assert engagement.title == opened["expected"]["title"]
    assert engagement.phase == "contracting"
