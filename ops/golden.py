"""Write the next file of the golden corpus: one stored event of every type, as stored.

    .venv/bin/python -m ops.golden write --version N

plays the demo and the commands the demo does not play (every other event type, some with
idempotency keys) through a SQLite application in a temporary directory, and writes
`tests/golden/events_vN.json`: for the first event of each topic and for a snapshot, the
stored form exactly as the library's mapper wrote it and the fields it decoded into. N must
be the next version: an old file is never rewritten (events are a stored contract, and
`tests/golden/` checks that every file keeps loading). Run it when events change (a new
class, a new `class_version`), then review the new file. A development command: the extra
commands are played with the tests' engagement builder, so it runs from a checkout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.audit import AuditRecord
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
from domain.errors import ActionNotAllowedError
from domain.trustpath import Trustpath
from domain.values import Actor
from ops.config import store_env
from ops.demo import play
from tests.support.builders import ADMIN, AUDITOR, COACH_A, EngagementBuilder

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "golden"


class CorpusVersionError(Exception):
    """The corpus grows one version at a time and never rewrites a file."""


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


def corpus_files(directory: Path = CORPUS) -> list[Path]:
    """The corpus files in version order: events_v1.json, events_v2.json, ..."""
    files = directory.glob("events_v*.json")
    return sorted(files, key=lambda p: int(p.stem.removeprefix("events_v")))


def write(version: int, directory: Path = CORPUS) -> Path:
    """Write events_v{version}.json, the next file of the corpus, and return its path."""
    expected = len(corpus_files(directory)) + 1
    target = directory / f"events_v{version}.json"
    if version != expected or target.exists():
        raise CorpusVersionError(f"the next corpus file is events_v{expected}.json")
    with tempfile.TemporaryDirectory() as scratch:
        app = Trustpath(
            store_env(f"sqlite:///{scratch}/golden.db"), master_key=MasterKey.generate()
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
        "generated_by": f"python -m ops.golden write --version {version}",
        "events": records,
    }
    target.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return target


def _play_the_rest(app: Trustpath) -> UUID:
    """Commands the demo does not play (every other event type, some with keys)."""
    b = EngagementBuilder(app)
    b.contracted()
    session = b.individual_session(b.p1, notes="Fictional notes for the golden corpus.")
    b.declare(b.p1, "First intention.")
    b.declare(b.p1, "Revised intention.")
    app.execute(
        b.eid,
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
    app.execute(
        b.eid,
        b.protagonist(b.p1),
        GiveConsent(occurred_at=b.at(), protagonist_id=b.p1, scope="recording"),
    )
    app.execute(
        b.eid,
        b.protagonist(b.p1),
        WithdrawConsent(occurred_at=b.at(), protagonist_id=b.p1, scope="recording", key="golden-w"),
    )
    app.execute(
        b.eid, ADMIN, PauseEngagement(occurred_at=b.at(), reason="Summer", key="golden-pause")
    )
    app.execute(b.eid, ADMIN, ResumeEngagement(occurred_at=b.at()))
    b.individual_session(b.p2)
    b.declare(b.p2)
    b.relationship_session()
    cid = b.commitment()
    app.execute(
        b.eid,
        COACH_A,
        WithdrawCommitment(occurred_at=b.at(), commitment_id=cid, reason="No longer needed"),
    )
    field = app.session_notes_field(session)
    app.read_content(b.eid, COACH_A, field, "preparing the next session")
    with contextlib.suppress(ActionNotAllowedError):
        app.read_content(b.eid, AUDITOR, field, "audit")
    record = AuditRecord.record_disclosure(
        b.eid,
        ADMIN,
        b.at(),
        recipient="norwind-hr",
        basis="agreement: sponsor may be told the phase",
        description="phase report",
        item="status",
    )
    app.save(record)
    app.execute(
        b.eid, b.protagonist(b.p2), RequestTermination(occurred_at=b.at(), reason="Moving on")
    )
    app.execute(
        b.eid,
        ADMIN,
        CloseEarly(occurred_at=b.at(), reason="Termination requested", key="golden-close"),
    )
    app.execute(
        b.eid,
        COACH_A,
        HoldFollowUp(occurred_at=b.at(), months_after=3, trust_lasted=True, shared_notes="OK"),
    )
    app.execute(
        b.eid,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.golden", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    writing = commands.add_parser("write", help="write events_vN.json, the next corpus file")
    writing.add_argument("--version", type=int, required=True, help="N: the next version")
    writing.add_argument("--directory", type=Path, default=CORPUS, help="the corpus folder")
    args = parser.parse_args(argv)
    try:
        target = write(args.version, args.directory)
    except CorpusVersionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {target}: review it, then commit it beside the older files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
