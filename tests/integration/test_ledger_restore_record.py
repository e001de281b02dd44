"""The verifier's rules for a signed restore record, on a real SQLite file: the checkpoints a
lost system signed beyond the restore point are the restore gap, and nothing else is excused.

The world: a sealed, checkpointed log (size A), then more events and a checkpoint of size B
(the auditor exports both), then every event after A gone, as after a restore from a backup
taken at A.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ops.demo import play
from projections.ledger.checkpoints import Checkpoint, Signer, read_jsonl
from projections.ledger.recompute import read_ledger
from projections.ledger.restores import RestoreRecord, sign_restore
from projections.ledger.verify import Report, verify
from tests.support.ledger_world import World, sealed_world

pytestmark = [pytest.mark.integration]


@dataclass
class Restored:
    world: World
    backed_up: int
    lost: Checkpoint
    record: RestoreRecord

    def verify(
        self,
        records: list[RestoreRecord],
        notes_only: bool = False,
        own: bool = True,
        drop: int = -1,
    ) -> Report:
        held = [c for c in read_jsonl(self.world.checkpoints_file) if c.tree_size != drop]
        if notes_only:
            held = [Checkpoint.from_note(str(c.note())) for c in held]
        ledger = (lambda: read_ledger(self.world.store.engine)) if own else None
        return verify(self.world.url, held, self.world.signer.public_key, ledger, restores=records)

    def edit(self, statement: str) -> None:
        with sqlite3.connect(self.world.url.removeprefix("sqlite:///")) as db:
            db.execute(statement)


@pytest.fixture
def restored(sqlite_url: str, tmp_path: Path) -> Iterator[Restored]:
    with sealed_world(sqlite_url, tmp_path) as world:
        backed_up = world.store.size()
        play(world.app)
        world.checkpoint_and_export()
        lost = read_jsonl(world.checkpoints_file)[-1]
        assert lost.tree_size > backed_up
        root = world.store.root(backed_up)
        done = Restored(world, backed_up, lost, sign_restore(world.signer, backed_up, root))
        done.edit(f"DELETE FROM stored_events WHERE rowid > {backed_up}")
        yield done


def test_verify_reports_truncation_when_there_is_no_restore_record(restored: Restored) -> None:
    report = restored.verify([])
    assert report.first is not None
    assert report.first.kind == "truncated"


def test_verify_sets_the_lost_checkpoints_apart_as_the_restore_gap(restored: Restored) -> None:
    report = restored.verify([restored.record])
    assert report.ok, report.findings
    assert [c.tree_size for c, _r in report.beyond_restore] == [restored.lost.tree_size]
    assert report.restore_gap is not None
    assert f"restored at size {restored.backed_up} on " in report.restore_gap


def test_verify_excuses_nothing_when_the_record_is_signed_by_another_key(
    restored: Restored,
) -> None:
    r = restored.record
    forged = sign_restore(Signer.generate(), r.tree_size, r.root_hash)
    report = restored.verify([forged])
    assert [f.kind for f in report.findings] == ["truncated", "signature"]
    assert report.beyond_restore == []


def test_verify_reports_truncation_when_the_checkpoint_was_signed_after_the_restore(
    restored: Restored,
) -> None:
    r = restored.record
    early = sign_restore(
        restored.world.signer, r.tree_size, r.root_hash, datetime(2000, 1, 1, tzinfo=UTC)
    )
    report = restored.verify([early])
    assert report.first is not None
    assert report.first.kind == "truncated"


def test_verify_reports_a_changed_event_within_the_restored_prefix(restored: Restored) -> None:
    restored.edit("UPDATE stored_events SET state = state || x'20' WHERE rowid = 5")
    report = restored.verify([restored.record])
    assert report.first is not None
    assert (report.first.kind, report.first.position) == ("changed", 4)


def test_verify_reports_a_changed_event_the_record_alone_covers(restored: Restored) -> None:
    last = restored.backed_up
    restored.edit(f"UPDATE stored_events SET state = state || x'20' WHERE rowid = {last}")
    assert restored.verify([], drop=last).first is not None  # the lost one's truncation
    report = restored.verify([restored.record], drop=last)
    assert not report.ok
    assert report.first is not None
    assert report.first.kind == "changed"


def test_verify_excuses_a_timeless_note_beyond_the_restore_only_if_not_this_branchs(
    restored: Restored,
) -> None:
    mine = restored.verify([restored.record], notes_only=True, own=True)
    assert mine.first is not None
    assert mine.first.kind == "truncated"  # the ledger's own leaves reach its root
    lost = restored.verify([restored.record], notes_only=True, own=False)
    assert lost.ok, lost.findings
    assert [c.tree_size for c, _r in lost.beyond_restore] == [restored.lost.tree_size]
