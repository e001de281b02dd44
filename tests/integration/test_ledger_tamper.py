"""Tampering with stored events, directly in the database, is detected and located.

The world is sealed and its checkpoints exported first; then a superuser edits the events
table behind the application's back; the verifier must fail and name the first bad
position and what is wrong there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from projections.ledger.checkpoints import Signer, read_jsonl, write_jsonl
from tests.support.ledger_world import World, sealed_world

pytestmark = [pytest.mark.integration]

SEQ = "trustpath_events_notification_id_seq"
BURNED = 61  # a notification id consumed by a rolled-back insert: a gap in the log

TAMPERS: dict[str, tuple[list[str], str, int]] = {
    "edited_payload": (
        ["UPDATE trustpath_events SET state = state || '\\x20'::bytea WHERE notification_id = 10"],
        "changed",
        9,
    ),
    "edited_metadata": (
        [
            "UPDATE trustpath_events SET originator_version = originator_version + 1000 "
            "WHERE notification_id = 12"
        ],
        "changed",
        11,
    ),
    "deleted_row": (["DELETE FROM trustpath_events WHERE notification_id = 15"], "missing", 14),
    "swapped_rows": (
        [
            "UPDATE trustpath_events SET notification_id = -1 WHERE notification_id = 20",
            "UPDATE trustpath_events SET notification_id = 20 WHERE notification_id = 21",
            "UPDATE trustpath_events SET notification_id = 21 WHERE notification_id = -1",
        ],
        "reordered",
        19,
    ),
    "inserted_row": (
        [
            "INSERT INTO trustpath_events "
            "(originator_id, originator_version, topic, state, notification_id) "
            f"SELECT gen_random_uuid(), 1, topic, state, {BURNED} FROM trustpath_events "
            "WHERE notification_id = 5"
        ],
        "inserted",
        60,
    ),
    "truncated_tail": (
        ["DELETE FROM trustpath_events WHERE notification_id > 50"],
        "truncated",
        50,
    ),
    "row_rewritten_after_rollback": (
        [
            "DELETE FROM trustpath_events WHERE notification_id > 40",
            f"SELECT setval('{SEQ}', 40)",
            "INSERT INTO trustpath_events (originator_id, originator_version, topic, state) "
            "SELECT gen_random_uuid(), 1, topic, state FROM trustpath_events "
            "WHERE notification_id = 5",
        ],
        "changed",
        40,
    ),
}


@pytest.fixture
def pg_world(pg_url: str, tmp_path: Path) -> Iterator[World]:
    with sealed_world(pg_url, tmp_path) as world:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"SELECT nextval('{SEQ}')")
        world.read_everything()
        world.checkpoint_and_export()
        yield world


def as_superuser(url: str, statements: list[str]) -> None:
    with psycopg.connect(url) as conn, conn.transaction():
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def test_verify_passes_and_counts_the_gap_when_nothing_was_touched(pg_world: World) -> None:
    report = pg_world.verify()
    assert report.ok, report.findings
    assert report.gaps == 1
    assert report.signed_size == report.events


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_verify_names_the_first_bad_position_when_a_superuser_tampers(
    pg_world: World, tamper: str
) -> None:
    statements, kind, position = TAMPERS[tamper]
    as_superuser(pg_world.url, statements)
    report = pg_world.verify()
    assert not report.ok
    assert report.first is not None
    assert (report.first.kind, report.first.position) == (kind, position), str(report.first)


def test_verify_still_fails_when_the_ledger_tables_are_forged_too(pg_world: World) -> None:
    as_superuser(pg_world.url, TAMPERS["edited_payload"][0])
    with pg_world.store.engine.connect() as conn:
        leaves = pg_world.store.tables(conn).leaves.name
    as_superuser(
        pg_world.url, [f"UPDATE {leaves} SET leaf_hash = sha256(leaf_hash) WHERE leaf_index = 9"]
    )
    report = pg_world.verify()
    assert report.first is not None
    assert report.first.kind == "changed"
    assert report.first.position is not None
    assert report.first.position <= 9


def test_verify_rejects_a_checkpoint_signed_by_another_key(pg_world: World) -> None:
    latest = pg_world.store.latest_checkpoint()
    assert latest is not None
    forged = Signer.generate().sign(latest.tree_size, latest.root_hash)
    write_jsonl([*read_jsonl(pg_world.checkpoints_file), forged], pg_world.checkpoints_file)
    report = pg_world.verify()
    assert [f.kind for f in report.findings] == ["signature"]


SQLITE_TAMPERS = {
    "edited_payload": (
        "UPDATE stored_events SET state = state || x'20' WHERE rowid = 10",
        "changed",
        9,
    ),
    "deleted_row": ("DELETE FROM stored_events WHERE rowid = 15", "missing", 14),
    "truncated_tail": ("DELETE FROM stored_events WHERE rowid > 50", "truncated", 50),
}


@pytest.mark.parametrize("tamper", list(SQLITE_TAMPERS))
def test_verify_names_the_first_bad_position_when_the_sqlite_file_is_edited(
    sqlite_url: str, tmp_path: Path, tamper: str
) -> None:
    statement, kind, position = SQLITE_TAMPERS[tamper]
    with sealed_world(sqlite_url, tmp_path) as world:
        assert world.verify().ok
        db = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
        with db:
            db.execute(statement)
        db.close()
        report = world.verify()
    assert report.first is not None
    assert (report.first.kind, report.first.position) == (kind, position), str(report.first)
