"""`trustpath backup` and `trustpath restore` through the real console script, on a SQLite
file and on the throwaway PostgreSQL server; and what an auditor sees after a restore.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from domain.commands import ExecuteErasure
from domain.config import Settings, build_app
from domain.trustpath import Trustpath
from domain.values import Actor
from ops import pgserver
from ops.backup import is_empty, pg_tool
from ops.demo import ADMIN, play
from tests.integration.test_ledger_notes_cli import TRUSTPATH, Deployment, environment

pytestmark = [pytest.mark.integration]


@dataclass
class Stores:
    kind: str
    live: str
    target: str


@pytest.fixture(params=["sqlite", "postgres"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """A live store and an empty one to restore into (a new path, a new database)."""
    if request.param == "sqlite":
        yield Stores(
            "sqlite", f"sqlite:///{tmp_path / 'live.db'}", f"sqlite:///{tmp_path / 'r.db'}"
        )
        return
    server = str(request.getfixturevalue("pg_server_url"))
    live = str(request.getfixturevalue("pg_url"))
    name = f"t_restored_{uuid.uuid4().hex[:12]}"
    target = pgserver.create_database(server, name)
    try:
        yield Stores("postgres", live, target)
    finally:
        pgserver.drop_database(server, name)


@dataclass
class Live:
    deployment: Deployment
    stores: Stores
    engagement_id: uuid.UUID
    erased: str
    kept: str

    def at(self, url: str) -> Deployment:
        return Deployment(
            {**self.deployment.env, "TRUSTPATH_DATABASE_URL": url}, self.deployment.directory
        )

    def app(self, url: str) -> Trustpath:
        return build_app(Settings.from_environ(self.at(url).env))


@pytest.fixture
def live(stores: Stores, tmp_path: Path) -> Live:
    """Keys made by `keys init`; the demo played; one protagonist erased; a checkpoint."""
    made = Deployment(environment(tmp_path, stores.live), tmp_path)
    made.run("keys", "init")
    app = build_app(Settings.from_environ(made.env))
    try:
        run = play(app)
        erased, kept = list(app.engagement(run.engagement_id).protagonists)
        app.execute(
            run.engagement_id,
            ADMIN,
            ExecuteErasure(
                occurred_at=datetime.now(UTC), protagonist_id=erased, request_reference="GDPR-7"
            ),
        )
    finally:
        app.close()
    made.run("ledger", "checkpoint")
    return Live(made, stores, run.engagement_id, erased, kept)


def backup_while_writing(live: Live, to: Path) -> subprocess.CompletedProcess[str]:
    """`trustpath backup` while the demo is played again into the live store (bounded)."""
    d = live.deployment
    with subprocess.Popen(
        [TRUSTPATH, "backup", "--to", str(to)],
        env=d.env,
        cwd=d.directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        app = live.app(live.stores.live)
        try:
            play(app)
        finally:
            app.close()
        out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def event_count(url: str) -> int:
    from projections.ledger.source import count_events

    return count_events(url)


def test_backup_then_restore_verifies_decrypts_and_keeps_the_erasure(
    live: Live, tmp_path: Path
) -> None:
    file = tmp_path / "trustpath.backup"
    done = backup_while_writing(live, file)
    assert done.returncode == 0, done.stderr
    assert f"backup written to {file}" in done.stdout
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    restored = live.at(live.stores.target)
    record = json.loads(restored.run("restore", str(file)).stdout)
    assert record["restored_at_size"] == event_count(live.stores.target) > 0
    assert "ledger verified" in restored.run("ledger", "verify").stdout
    app = live.app(live.stores.target)
    try:
        engagement = app.engagement(live.engagement_id)
        fields = engagement.content_index.items()
        kept = next(f for f, (owner, _v) in fields if owner == live.kept)
        gone = next(f for f, (owner, _v) in fields if owner == live.erased)
        text = app.read_content(engagement.id, Actor(live.kept, "protagonist"), kept, "review")
        assert text.text
        assert not text.erased
        erased = app.read_content(engagement.id, Actor(live.erased, "protagonist"), gone, "review")
        assert erased.erased
    finally:
        app.close()


def tamper(url: str, notification_id: int) -> None:
    """Edit one stored event's payload, as someone with write access to the database could."""
    if url.startswith("sqlite"):
        statement = (
            f"UPDATE stored_events SET state = state || x'20' WHERE rowid = {notification_id}"
        )
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.execute(statement)
        return
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE trustpath_events SET state = state || '\\x20'::bytea "  # type: ignore[arg-type]
            f"WHERE notification_id = {notification_id}"
        )


@dataclass
class AfterLoss:
    """The live system backed up, then going on (more events, a note) and lost; restored."""

    restored: Deployment
    notes: str
    key: str
    backed_up: int
    lost_size: int


@pytest.fixture
def after_loss(live: Live, tmp_path: Path) -> AfterLoss:
    d = live.deployment
    before = d.run("ledger", "checkpoint", "--note").stdout
    file = tmp_path / "trustpath.backup"
    d.run("backup", "--to", str(file))
    backed_up = event_count(live.stores.live)
    app = live.app(live.stores.live)
    try:
        play(app)
    finally:
        app.close()
    lost = d.run("ledger", "checkpoint", "--note").stdout  # the auditor keeps it
    notes = d.file("notes.txt", before + lost)
    key = d.file("verifier.key", d.run("ledger", "public-key", "--note").stdout)
    restored = live.at(live.stores.target)
    restored.run("restore", str(file))
    return AfterLoss(restored, notes, key, backed_up, int(lost.splitlines()[1]))


def test_verify_reports_the_restore_gap_not_tampering_when_checkpoints_were_signed_after_the_backup(
    after_loss: AfterLoss,
) -> None:
    a = after_loss
    done = a.restored.run("ledger", "verify", "--checkpoints", a.notes, "--public-key", a.key)
    assert "ledger verified" in done.stdout
    gap = " ".join(done.stdout.split())
    assert f"restore gap: restored at size {a.backed_up} on " in gap
    assert f"1 checkpoint(s) of size {a.lost_size} signed before the restore" in gap
    assert "beyond the restored log" in gap


def test_verify_still_reports_tampering_when_the_restored_prefix_was_edited(
    after_loss: AfterLoss, stores: Stores
) -> None:
    a = after_loss
    tamper(stores.target, 5)
    done = a.restored.run(
        "ledger", "verify", "--checkpoints", a.notes, "--public-key", a.key, ok=False
    )
    assert done.returncode == 1
    assert "ledger verification FAILED" in done.stderr
    assert "changed" in done.stderr


def test_verify_still_reports_tampering_after_the_restore_point_once_a_checkpoint_covers_it(
    after_loss: AfterLoss, live: Live, stores: Stores
) -> None:
    a = after_loss
    app = live.app(stores.target)
    try:
        play(app)
    finally:
        app.close()
    a.restored.run("ledger", "checkpoint")
    assert a.backed_up + 5 < event_count(stores.target)
    tamper(stores.target, a.backed_up + 5)
    done = a.restored.run(
        "ledger", "verify", "--checkpoints", a.notes, "--public-key", a.key, ok=False
    )
    assert done.returncode == 1
    assert "changed" in done.stderr


def test_restore_refuses_with_one_line_when_the_store_is_not_empty(
    live: Live, tmp_path: Path
) -> None:
    file = tmp_path / "trustpath.backup"
    live.deployment.run("backup", "--to", str(file))
    before = event_count(live.stores.live)
    refused = live.deployment.run("restore", str(file), ok=False)
    assert refused.returncode == 1
    assert refused.stderr.strip().count("\n") == 0
    assert "not empty" in refused.stderr
    assert event_count(live.stores.live) == before


def test_restore_fails_with_one_line_and_leaves_the_target_empty_when_the_backup_is_truncated(
    live: Live, tmp_path: Path
) -> None:
    file = tmp_path / "trustpath.backup"
    live.deployment.run("backup", "--to", str(file))
    whole = file.read_bytes()
    file.write_bytes(whole[: len(whole) * 2 // 3])
    restored = live.at(live.stores.target)
    failed = restored.run("restore", str(file), ok=False)
    assert failed.returncode == 1
    assert failed.stderr.strip().count("\n") == 0, failed.stderr
    assert is_empty(live.stores.target)
    assert sorted(p.name for p in tmp_path.iterdir() if ".part" in p.name) == []


def test_backup_replaces_a_symlink_at_the_destination_instead_of_following_it(
    live: Live, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not yours\n")
    link = tmp_path / "trustpath.backup"
    link.symlink_to(elsewhere)
    live.deployment.run("backup", "--to", str(link))
    assert elsewhere.read_text() == "not yours\n"
    assert not link.is_symlink()
    assert stat.S_IMODE(link.stat().st_mode) == 0o600


def restore_natively(file: Path, stores: Stores) -> None:
    """Restore without trustpath: a file copy for SQLite, PostgreSQL's own pg_restore."""
    if stores.kind == "sqlite":
        shutil.copyfile(file, stores.target.removeprefix("sqlite:///"))
        return
    subprocess.run(
        [pg_tool("pg_restore"), "--no-owner", f"--dbname={stores.target}", str(file)],
        check=True,
        capture_output=True,
    )


def test_restore_record_only_checks_a_natively_restored_store_and_signs_the_gap(
    live: Live, tmp_path: Path
) -> None:
    d = live.deployment
    before = d.run("ledger", "checkpoint", "--note").stdout
    file = tmp_path / "trustpath.backup"
    d.run("backup", "--to", str(file))
    app = live.app(live.stores.live)
    try:
        play(app)
    finally:
        app.close()
    notes = d.file("notes.txt", before + d.run("ledger", "checkpoint", "--note").stdout)
    key = d.file("verifier.key", d.run("ledger", "public-key", "--note").stdout)
    restored = live.at(live.stores.target)
    refused = restored.run("restore", "--record-only", ok=False)
    assert "the configured store is empty" in refused.stderr
    restore_natively(file, live.stores)
    record = json.loads(restored.run("restore", "--record-only").stdout)
    done = restored.run("ledger", "verify", "--checkpoints", notes, "--public-key", key)
    assert f"restore gap: restored at size {record['restored_at_size']} on " in done.stdout
