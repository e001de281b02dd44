"""Export for report readers, and the read-side CLI on a real SQLite file.

The export holds no name and no confidential marker (every file is scanned), its manifest
checksums match, its pseudonyms are stable, and each export is recorded as a disclosure.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from domain.audit import DisclosureMade
from domain.ciphers import MasterKey
from domain.commands import AssessTrust
from domain.trustpath import Trustpath
from ops.cli import main
from ops.demo import play
from projections.engine import make_engine
from projections.export import export, record_disclosure
from projections.read_side import ReadSide
from projections.wiring import attach
from tests.support.builders import EngagementBuilder

pytestmark = pytest.mark.integration

MARKER = "CONFIDENTIAL-MARKER-7f3a"


@pytest.fixture
def read_side(sqlite_app: Trustpath, sqlite_url: str) -> Iterator[ReadSide]:
    engine = make_engine(sqlite_url)
    attached = attach(sqlite_app, engine)
    yield attached
    attached.close()
    engine.dispose()


def history(app: Trustpath) -> tuple[list[str], str]:
    """An engagement whose names, notes and intentions carry recognisable text."""
    builder = EngagementBuilder(app)
    builder.sign()
    names = [f"Zelda Quint {MARKER}", f"Yorick Vance {MARKER}"]
    for name, coach in zip(names, ("coach-a", "coach-b"), strict=True):
        pid = builder.enrol(name)
        from domain.values import Actor

        builder.assign(pid, Actor(coach, "coach"))
        builder.consent(pid)
    for pid in builder.protagonists:
        builder.individual_session(pid, notes=f"session notes {MARKER}")
        builder.declare(pid, text=f"intention {MARKER}")
    builder.relationship_session()
    builder.commitment()
    app.execute(
        builder.eid,
        builder.coach(builder.p1),
        AssessTrust(
            occurred_at=builder.at(),
            protagonist_id=builder.p1,
            toward_id=builder.p2,
            challenge="presence",
            score=4,
        ),
    )
    return names, builder.protagonists[0]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_contains_no_name_or_confidential_marker_when_written(
    sqlite_app: Trustpath, read_side: ReadSide, tmp_path: Path, fmt: str
) -> None:
    names, protagonist = history(sqlite_app)
    play(sqlite_app)
    done = export(read_side, tmp_path / "out", fmt, b"k" * 32)
    files = sorted((tmp_path / "out").iterdir())
    assert len(files) == 5
    banned = [MARKER, "Zelda", "Yorick", "Claire", "Omar", "Norwind", protagonist, *names]
    for path in files:
        text = path.read_text()
        assert [b for b in banned if b in text] == [], path.name
    rows = {f["file"]: f["rows"] for f in done.manifest["files"]}
    assert rows[f"engagements.{fmt}"] == 2
    assert rows[f"trust_moves.{fmt}"] >= 1


def test_export_manifest_checksums_match_and_pseudonyms_are_stable(
    sqlite_app: Trustpath, read_side: ReadSide, tmp_path: Path
) -> None:
    history(sqlite_app)
    first = export(read_side, tmp_path / "a", "jsonl", b"k" * 32)
    second = export(read_side, tmp_path / "b", "jsonl", b"k" * 32)
    for f in first.manifest["files"]:
        data = (tmp_path / "a" / f["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"]
        assert data == (tmp_path / "b" / f["file"]).read_bytes()
    assert first.position == second.position == read_side.max_position()


def test_export_is_recorded_as_a_disclosure(
    sqlite_app: Trustpath, read_side: ReadSide, tmp_path: Path
) -> None:
    history(sqlite_app)
    done = export(read_side, tmp_path / "out", "csv", b"k" * 32)
    position = record_disclosure(read_side, done, "practice-admin", "board", "aggregates")
    (notification,) = sqlite_app.recorder.select_notifications(position, 1)
    event = sqlite_app.mapper.to_domain_event(notification)
    assert isinstance(event, DisclosureMade)
    assert (event.recipient, event.basis) == ("board", "aggregates")
    manifest = (tmp_path / "out" / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest).hexdigest() in event.item


# -- the CLI ----------------------------------------------------------------------------


@pytest.fixture
def cli_env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    key_file = tmp_path / "master.key"
    key_file.write_text(MasterKey.generate().as_text() + "\n")
    return {"TRUSTPATH_DATABASE_URL": sqlite_url, "TRUSTPATH_MASTER_KEY_FILE": str(key_file)}


def invoke(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(main, list(args), env=env)


def test_demo_ends_with_the_status_ledger_and_timeline_from_the_projections(
    cli_env: dict[str, str],
) -> None:
    result = invoke(cli_env, "demo")
    assert result.exit_code == 0, result.output
    for title in ("status (from the projection)", "commitment ledger", "trust timeline"):
        assert title in result.output


def test_serve_demo_prints_the_views_from_the_projections_then_one_token_per_role(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ops.cli_api import _demo  # what `make run` (`serve --demo`) does before serving
    from ops.config import Settings

    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)
    _demo(Settings.from_environ())
    out = capsys.readouterr().out
    titles = ("status (from the projection)", "commitment ledger", "trust timeline")
    views = [out.index(title) for title in titles]
    assert views == sorted(views)
    assert out.index("one bearer token per role") > views[-1]
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if "one bearer token per role" in line)
    roles = [line.split()[0] for line in lines[start + 1 : start + 9]]
    assert roles == [
        "admin",
        "coach",
        "coach",
        "protagonist",
        "protagonist",
        "sponsor",
        "auditor",
        "report_reader",
    ]


def test_cli_rebuild_status_timeline_and_export_work_on_the_demo(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    assert invoke(cli_env, "demo").exit_code == 0
    engine = sa.create_engine(cli_env["TRUSTPATH_DATABASE_URL"])
    with engine.connect() as conn:
        table = conn.execute(
            sa.text("SELECT suffix FROM trustpath_projection_positions WHERE name='status'")
        ).scalar_one()
        eid = conn.execute(sa.text(f"SELECT engagement_id FROM trustpath_status_{table}")).scalar()
    engine.dispose()
    rebuilt = invoke(cli_env, "projections", "rebuild", "status")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "status: live version" in rebuilt.output
    status = invoke(cli_env, "projections", "status")
    assert "retired" in status.output
    assert "live" in status.output
    timeline = invoke(cli_env, "timeline", str(eid), "--position", "20")
    assert timeline.exit_code == 0, timeline.output
    assert "trust timeline" in timeline.output
    exported = invoke(cli_env, "export", "--format", "csv", "--to", str(tmp_path / "out"))
    assert exported.exit_code == 0, exported.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["format"] == "csv"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("timeline", "not-an-id"), "no engagement 'not-an-id'"),
        (("timeline", "00000000-0000-0000-0000-000000000009"), "no engagement"),
        (("timeline", "00000000-0000-0000-0000-000000000009", "--as-of", "soon"), "malformed"),
        (("timeline", "00000000-0000-0000-0000-000000000009", "--position", "9999"), "beyond"),
        (("projections", "rebuild", "nope"), "no projection 'nope'"),
    ],
)
def test_cli_fails_with_one_line_when_input_is_bad(
    cli_env: dict[str, str], args: tuple[str, ...], reason: str
) -> None:
    result = invoke(cli_env, *args)
    assert result.exit_code == 1
    assert reason in result.output
    assert len(result.output.strip().splitlines()) == 1
