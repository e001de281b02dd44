"""The ledger on a real store: sealing, proofs, reports, erasure, the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain.commands import ExecuteErasure
from domain.values import Actor
from ops.cli import main
from projections.ledger.merkle import MemoryTree, root, verify_consistency, verify_inclusion
from projections.ledger.proofs import check_bundle, prove_consistency, prove_inclusion
from projections.ledger.recompute import recompute
from projections.ledger.reports import confidentiality_report, who_read
from projections.ledger.source import stored_events
from tests.support.ledger_world import World, sealed_world

pytestmark = [pytest.mark.integration]


@pytest.fixture
def world(store_url: str, tmp_path: Path) -> Iterator[World]:
    with sealed_world(store_url, tmp_path) as w:
        w.read_everything()
        w.checkpoint_and_export()
        yield w


def test_ledger_root_equals_the_tree_recomputed_from_the_events(world: World) -> None:
    leaves = recompute(world.url)
    size = world.store.size()
    tree = MemoryTree([leaves.hash(i) for i in range(len(leaves))])
    assert size == len(leaves) == sum(1 for _ in stored_events(world.url))
    assert world.store.root(size) == root(tree, size)
    latest = world.store.latest_checkpoint()
    assert latest is not None
    assert (latest.tree_size, latest.root_hash) == (size, root(tree, size))


def test_verifier_bulk_read_hashes_every_event_as_the_leaf_encoding_does(world: World) -> None:
    from projections.ledger.leaves import hash_event

    leaves = recompute(world.url)
    rows = list(stored_events(world.url))
    assert list(leaves.ids) == [row[0] for row in rows]
    assert [leaves.hash(i) for i in range(len(leaves))] == [hash_event(*row) for row in rows]


def test_every_stored_inclusion_proof_verifies_against_the_checkpoint(world: World) -> None:
    latest = world.store.latest_checkpoint()
    assert latest is not None
    for index in range(latest.tree_size):
        proof = prove_inclusion(world.store, index=index)
        assert proof["root_hash"] == latest.root_hash.hex()
        assert verify_inclusion(
            index,
            proof["tree_size"],
            bytes.fromhex(proof["leaf_hash"]),
            [bytes.fromhex(h) for h in proof["audit_path"]],
            latest.root_hash,
        )
        assert check_bundle(proof, world.signer.public_key) == []


def test_consistency_proofs_join_every_earlier_checkpoint_to_the_latest(world: World) -> None:
    checkpoints = world.store.checkpoints()
    latest = checkpoints[-1]
    for earlier in checkpoints[:-1]:
        proof = prove_consistency(world.store, earlier.tree_size, latest.tree_size)
        assert proof["first_root"] == earlier.root_hash.hex()
        assert verify_consistency(
            earlier.tree_size,
            latest.tree_size,
            earlier.root_hash,
            latest.root_hash,
            [bytes.fromhex(h) for h in proof["proof"]],
        )


def test_confidentiality_report_lists_accesses_refusals_with_proofs_and_no_content(
    world: World,
) -> None:
    report = confidentiality_report(world.url, world.store, world.engagement_id)
    assert len(report["accesses"]) == 8
    assert len(report["refusals"]) == 4
    assert report["matrix_respected"] is True
    assert {a["role"] for a in report["accesses"]} == {"protagonist", "coach"}
    assert all(a["rule"].startswith("individual_content: allows") for a in report["accesses"])
    assert all(check_bundle(e["proof"]) == [] for e in report["accesses"] + report["refusals"])
    assert not {"text", "notes", "intention"} & set().union(*report["accesses"])


def test_who_read_lists_every_read_of_one_protagonist_file(world: World) -> None:
    owner = world.protagonists[0]
    report = who_read(world.url, world.store, owner)
    assert report["reads"]
    assert all(r["protagonist_id"] == owner for r in report["reads"])
    assert {r["principal_id"] for r in report["reads"]} >= {owner}


def test_erasure_keeps_verification_and_the_reports_keep_the_accesses(world: World) -> None:
    owner = world.protagonists[0]
    before = who_read(world.url, world.store, owner)["reads"]
    world.app.execute(
        world.engagement_id,
        Actor("admin-1", "admin"),
        ExecuteErasure(
            occurred_at=world.app.clock(), protagonist_id=owner, request_reference="GDPR-17"
        ),
    )
    world.checkpoint_and_export()
    assert world.verify().ok
    report = confidentiality_report(world.url, world.store, world.engagement_id)
    assert [e["protagonist_id"] for e in report["erasures"]] == [owner]
    assert len(who_read(world.url, world.store, owner)["reads"]) == len(before)


def test_cli_prove_and_verify_proof_round_trip_offline(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTPATH_DATABASE_URL", world.url)
    runner = CliRunner()
    proved = runner.invoke(main, ["ledger", "prove", "--event", "3", "--json"])
    assert proved.exit_code == 0, proved.output
    bundle = json.loads(proved.output)
    assert set(bundle) >= {"leaf_index", "tree_size", "leaf_hash", "audit_path", "root_hash"}
    (tmp_path / "proof.json").write_text(proved.output)
    (tmp_path / "ledger.pub").write_text(world.signer.public_pem())
    args = ["ledger", "verify-proof", str(tmp_path / "proof.json")]
    checked = runner.invoke(main, [*args, "--public-key", str(tmp_path / "ledger.pub")])
    assert checked.exit_code == 0, checked.output
    bundle["leaf_hash"] = "00" * 32
    (tmp_path / "proof.json").write_text(json.dumps(bundle))
    assert runner.invoke(main, args).exit_code == 1


def test_cli_verify_exits_non_zero_naming_the_position_when_an_event_is_missing(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    with sealed_world(sqlite_url, tmp_path) as w:
        (tmp_path / "ledger.pub").write_text(w.signer.public_pem())
        monkeypatch.setenv("TRUSTPATH_DATABASE_URL", sqlite_url)
        args = ["ledger", "verify", "--checkpoints", str(w.checkpoints_file)]
        args += ["--public-key", str(tmp_path / "ledger.pub")]
        assert CliRunner().invoke(main, args).exit_code == 0
        db = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
        with db:
            db.execute("DELETE FROM stored_events WHERE rowid = 3")
        db.close()
        failed = CliRunner().invoke(main, args)
    assert failed.exit_code == 1
    assert "missing: position 2" in failed.output


def test_checkpoint_if_due_signs_new_leaves_only_when_the_last_checkpoint_is_old(
    world: World,
) -> None:
    from projections.ledger.ticking import checkpoint_if_due

    assert not checkpoint_if_due(world.store, world.signer)
    world.read_everything()
    world.seal()
    assert not checkpoint_if_due(world.store, world.signer, every_seconds=3600)
    assert checkpoint_if_due(world.store, world.signer, every_seconds=0)
    latest = world.store.latest_checkpoint()
    assert latest is not None
    assert latest.tree_size == world.store.size()
