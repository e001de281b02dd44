"""The golden corpus: one stored event of every type, as stored, must keep loading.

`events_v1.json` (and any later `events_vN.json`) holds, for every event class of the
domain (engagement events, `Engagement.Opened`, the audit records) and for a snapshot, the
stored form exactly as the library's mapper wrote it (topic, state bytes as UTF-8 JSON
text), with the fields the event decoded into when it was written. Events are a stored
contract: a change of an event class must keep these bytes loading (`class_version` +
`upcast_vX_vY`, or `register_topic` when a class moves) into the same fields.

These tests only read the corpus. The files are written on purpose, one version at a time,
by `python -m ops.golden write --version N` (ops/golden.py: the demo and extra commands
through a SQLite application); an old file is never rewritten, and every file keeps being
loaded.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

import domain
from domain.audit import AuditRecord
from domain.engagement import Engagement
from domain.events import EngagementEvent
from domain.trustpath import Trustpath
from ops.golden import corpus_files, fields_of

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


def stored(record: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(record["originator_id"]),
        originator_version=record["originator_version"],
        topic=record["topic"],
        state=record["state"].encode(),
    )


def load_corpus() -> list[dict[str, Any]]:
    """Every record of every corpus file, each tagged with the file it comes from."""
    records: list[dict[str, Any]] = []
    for path in corpus_files():
        for record in json.loads(path.read_text())["events"]:
            records.append({**record, "file": path.name})
    return records


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
