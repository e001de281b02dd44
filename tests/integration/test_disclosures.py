"""A disclosure recorded through the audit aggregate's public command, on a real SQLite
store: it reads back from the repository and from the notification log; an export whose
disclosure would be refused writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain.audit import PRACTICE_WIDE, AuditRecord, DisclosureMade
from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from domain.values import Actor
from ops.cli import main
from ops.config import Settings, build_app

pytestmark = pytest.mark.integration

ADMIN = Actor("practice-admin", "admin")


def test_record_disclosure_reads_back_when_saved(sqlite_app: Trustpath) -> None:
    at = datetime.now(UTC)
    record = AuditRecord.record_disclosure(
        PRACTICE_WIDE,
        ADMIN,
        at,
        recipient="board",
        basis="contract",
        description="aggregates export",
        item="manifest sha256 00",
    )
    position = sqlite_app.save_and_notify(record)
    loaded = sqlite_app.repository.get(record.id)
    assert isinstance(loaded, AuditRecord)
    assert (loaded.engagement_id, loaded.principal_id, loaded.occurred_at) == (
        PRACTICE_WIDE,
        ADMIN.id,
        at,
    )
    (notification,) = sqlite_app.recorder.select_notifications(position, 1)
    event = sqlite_app.mapper.to_domain_event(notification)
    assert isinstance(event, DisclosureMade)
    assert (event.recipient, event.basis, event.item) == ("board", "contract", "manifest sha256 00")


@pytest.mark.parametrize(
    ("option", "value"), [("--recipient", ""), ("--basis", "ok\x07"), ("--by", " ")]
)
def test_export_is_refused_before_writing_when_the_disclosure_is_invalid(
    sqlite_url: str, tmp_path: Path, option: str, value: str
) -> None:
    key_file = tmp_path / "master.key"
    key_file.write_text(MasterKey.generate().as_text() + "\n")
    env = {"TRUSTPATH_DATABASE_URL": sqlite_url, "TRUSTPATH_MASTER_KEY_FILE": str(key_file)}
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", "--to", str(out), option, value], env=env)
    assert result.exit_code != 0
    assert result.output.count("\n") == 1, result.output  # one line, no traceback
    assert option.strip("-").replace("by", "actor id") in result.output
    assert not out.exists()  # nothing left the system unrecorded
    app = build_app(Settings(sqlite_url, str(key_file)))
    try:
        assert not app.recorder.max_notification_id()
    finally:
        app.close()
