"""The access log over HTTP, on SQLite and PostgreSQL: an auditor checks every entry against
the signed checkpoint with the project's own verifier; pages walk the log exactly once;
cursors and filters are validated; a protagonist sees only who read their own file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask.testing import FlaskClient

from domain.audit import PRACTICE_WIDE, AuditRecord
from domain.ciphers import MasterKey
from domain.values import Actor
from ops.cli import main
from projections.ledger.audit_log import check_entry
from projections.ledger.checkpoints import Checkpoint, Signer, verify_checkpoint
from projections.ledger.proofs import prove_inclusion
from projections.ledger.reports import confidentiality_report
from projections.ledger.store import LedgerStore
from tests.support.api_world import World
from tests.support.audit_world import PURPOSE, cfo, items, pages, read_notes, sign, world_on
from tests.support.matrix import SECRETS

pytestmark = pytest.mark.api
SIGNER = Signer.generate()


def test_every_entry_of_the_confidentiality_report_verifies_against_the_signed_checkpoint(
    any_world: World,
) -> None:
    world, client = any_world, any_world.flask.test_client()
    assert read_notes(world, client, "coach_a", "coach_b", "cfo", "coo") == [200, 403, 200, 403]
    sign(world, SIGNER)
    path = f"/audit/engagements/{world.eid}/confidentiality?limit=2"
    served = pages(client, world, "auditor", path)
    checkpoint = Checkpoint.from_json(served[0]["checkpoint"])
    assert verify_checkpoint(checkpoint, SIGNER.public_key)
    entries = [e for p in served for e in p["items"]]
    assert [e["kind"] for e in entries] == ["access", "refusal", "access", "refusal"]
    assert all(check_entry(e, checkpoint, SIGNER.public_key) == [] for e in entries)
    assert served[0]["summary"] == {
        "accesses": 2,
        "refusals": 2,
        "erasures": 0,
        "disclosures": 0,
        "outside_matrix": [],
        "matrix_respected": True,
    }
    assert not any(s in str(served) for s in SECRETS)


def test_the_http_report_is_the_cli_report_page_by_page(any_world: World) -> None:
    world, client = any_world, any_world.flask.test_client()
    read_notes(world, client, "coach_a", "coach_b", "cfo")
    sign(world, SIGNER)
    read_side = world.flask.extensions["trustpath.read_side"]
    cli = confidentiality_report(
        world.flask.config["DATABASE_URL"], LedgerStore(read_side.engine), world.eid
    )
    served = items(client, world, "auditor", f"/audit/engagements/{world.eid}/confidentiality")
    in_log_order = sorted(cli["accesses"] + cli["refusals"], key=lambda e: e["notification_id"])
    assert [e["kind"] for e in served] == ["access", "refusal", "access"]
    assert served == in_log_order


def test_a_tampered_access_record_fails_the_auditors_check(sqlite_url: str) -> None:
    with world_on(sqlite_url, MasterKey.generate()) as world:
        client = world.flask.test_client()
        read_notes(world, client, "coach_a")
        sign(world, SIGNER)
        path = f"/audit/engagements/{world.eid}/confidentiality"
        before = items(client, world, "auditor", path)
        checkpoint = Checkpoint.from_json(pages(client, world, "auditor", path)[0]["checkpoint"])
        assert check_entry(before[0], checkpoint, SIGNER.public_key) == []
        tamper_purpose(world, before[0]["notification_id"])
        after = items(client, world, "auditor", path)
        assert after[0]["purpose"] == "nothing to see"
        assert "the stored event is not the leaf" in check_entry(
            after[0], checkpoint, SIGNER.public_key
        )


def tamper_purpose(world: World, notification_id: int) -> None:
    """What someone with write access to the events table could do behind trustpath's back."""
    engine = world.flask.extensions["trustpath.read_side"].engine
    with engine.begin() as conn:
        state = conn.execute(
            sa.text("SELECT state FROM stored_events WHERE rowid = :n"), {"n": notification_id}
        ).scalar_one()
        changed = bytes(state).replace(PURPOSE.encode(), b"nothing to see")
        conn.execute(
            sa.text("UPDATE stored_events SET state = :s WHERE rowid = :n"),
            {"s": changed, "n": notification_id},
        )


def test_a_served_entry_whose_fields_differ_from_its_stored_event_fails_the_check(
    world: World, client: FlaskClient
) -> None:
    read_notes(world, client, "coach_a")
    sign(world, SIGNER)
    page = pages(client, world, "auditor", "/audit/access-log")[0]
    checkpoint = Checkpoint.from_json(page["checkpoint"])
    entry = page["items"][0]
    assert check_entry(entry, checkpoint, SIGNER.public_key) == []
    assert check_entry({**entry, "purpose": "other"}, checkpoint, SIGNER.public_key) == [
        "the entry's fields are not what its stored event says"
    ]


def test_entries_no_checkpoint_covers_yet_are_pending_without_a_proof(any_world: World) -> None:
    world, client = any_world, any_world.flask.test_client()
    read_notes(world, client, "coach_a")
    signed = sign(world, SIGNER)
    read_notes(world, client, "cfo")
    world.flask.extensions["trustpath.read_side"].catch_up()
    found = items(client, world, "auditor", f"/audit/protagonists/{cfo(world)}/reads")
    assert [(e["principal_id"], e["pending"]) for e in found] == [
        ("coach-amelie", False),
        (cfo(world), True),
    ]
    assert found[0]["proof"]["tree_size"] == signed.tree_size
    assert found[1]["proof"] is None


def test_a_practice_wide_disclosure_is_in_every_engagements_report(
    world: World, client: FlaskClient
) -> None:
    record = AuditRecord.record_disclosure(
        PRACTICE_WIDE,
        Actor("admin-1", "admin"),
        datetime.now(UTC),
        recipient="board",
        basis="contract",
        description="aggregates export",
        item="manifest sha256 00",
    )
    world.app.save_and_notify(record)
    for eid in (world.eid, world.other.engagement_id):
        found = pages(client, world, "auditor", f"/audit/engagements/{eid}/confidentiality")[0]
        assert found["summary"]["disclosures"] == 1
        assert [(e["kind"], e["recipient"]) for e in found["items"]] == [("disclosure", "board")]


def test_an_unknown_engagement_has_no_report(world: World, client: FlaskClient) -> None:
    r = client.get(
        f"/audit/engagements/{UUID(int=7)}/confidentiality", headers=world.headers("auditor")
    )
    assert r.status_code == 404


def test_audit_check_verifies_a_served_page_offline_and_fails_a_tampered_one(
    sqlite_url: str, tmp_path: Path
) -> None:
    with world_on(sqlite_url, MasterKey.generate()) as world:
        client = world.flask.test_client()
        read_notes(world, client, "coach_a", "coach_b")
        sign(world, SIGNER)
        path = f"/audit/engagements/{world.eid}/confidentiality"
        (tmp_path / "ledger.pub").write_text(SIGNER.public_pem())
        (tmp_path / "page.json").write_text(json.dumps(pages(client, world, "auditor", path)[0]))
        tamper_purpose(world, items(client, world, "auditor", path)[0]["notification_id"])
        (tmp_path / "after.json").write_text(json.dumps(pages(client, world, "auditor", path)[0]))
    check = ["audit", "check", "--public-key", str(tmp_path / "ledger.pub")]
    runner = CliRunner()
    good = runner.invoke(main, [*check, str(tmp_path / "page.json")])
    assert good.exit_code == 0, good.output
    assert "2 entries verified" in good.output
    bad = runner.invoke(main, [*check, str(tmp_path / "after.json")])
    assert bad.exit_code == 1
    assert "the stored event is not the leaf" in bad.output


def test_an_erasure_is_in_the_report_and_verifies_like_any_entry(any_world: World) -> None:
    world, client = any_world, any_world.flask.test_client()
    read_notes(world, client, "coach_a")
    erasure = f"/engagements/{world.eid}/protagonists/{cfo(world)}/erasure"
    erased = client.post(
        erasure,
        json={"occurred_at": datetime.now(UTC).isoformat(), "request_reference": "GDPR-17"},
        headers=world.headers("admin"),
    )
    assert erased.status_code == 201
    sign(world, SIGNER)
    page = pages(client, world, "auditor", f"/audit/engagements/{world.eid}/confidentiality")[0]
    checkpoint = Checkpoint.from_json(page["checkpoint"])
    assert [e["kind"] for e in page["items"]] == ["access", "erasure"]
    assert page["items"][1]["request_reference"] == "GDPR-17"
    assert all(check_entry(e, checkpoint, SIGNER.public_key) == [] for e in page["items"])
    own = items(
        client, world, "cfo", f"/engagements/{world.eid}/protagonists/{cfo(world)}/access-log"
    )
    assert [e["principal_id"] for e in own] == ["coach-amelie"]


def test_served_proofs_are_the_ledgers_own_inclusion_proofs(
    world: World, client: FlaskClient
) -> None:
    read_notes(world, client, "coach_a", "coach_b", "cfo", "coo")
    signed = sign(world, SIGNER)
    store = LedgerStore(world.flask.extensions["trustpath.read_side"].engine)
    for entry in items(client, world, "auditor", "/audit/access-log?limit=3"):
        own = prove_inclusion(store, index=entry["proof"]["leaf_index"], tree_size=signed.tree_size)
        assert entry["proof"] == own


def test_every_page_can_be_proved_against_the_first_pages_checkpoint(any_world: World) -> None:
    world, client = any_world, any_world.flask.test_client()
    read_notes(world, client, "coach_a", "coach_b")
    first = sign(world, SIGNER)
    read_notes(world, client, "cfo")
    later = sign(world, SIGNER)
    path = f"/audit/protagonists/{cfo(world)}/reads?limit=1&tree_size={first.tree_size}"
    served = pages(client, world, "auditor", path)
    assert {p["checkpoint"]["tree_size"] for p in served} == {first.tree_size}
    entries = [e for p in served for e in p["items"]]
    assert [e["pending"] for e in entries] == [False, False, True]  # the last came after it
    assert all(check_entry(e, first, SIGNER.public_key) == [] for e in entries[:2])
    latest = pages(client, world, "auditor", path.split("&tree_size")[0])
    assert {p["checkpoint"]["tree_size"] for p in latest} == {later.tree_size}
    unknown = client.get(
        f"{path.split('&tree_size')[0]}&tree_size=99999", headers=world.headers("auditor")
    )
    assert unknown.status_code == 422
    assert "tree_size" in str(unknown.json["errors"])
