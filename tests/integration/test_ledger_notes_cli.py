"""The key files and the signed notes through the real `trustpath` console script, on SQLite
and PostgreSQL; notes checked by the verifier written from the specs
(tests/support/spec_verifier.py).
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.ciphers import MasterKey
from ops.config import Settings, build_app
from ops.demo import play
from projections.ledger.checkpoints import load_signer
from tests.support import spec_verifier as spec
from tests.support.cli_deployment import ORIGIN, Deployment, environment

pytestmark = [pytest.mark.integration]


@pytest.fixture
def deployment(store_url: str, tmp_path: Path) -> Iterator[Deployment]:
    """Keys made by `keys init`, the demo played with them, nothing checkpointed yet."""
    made = Deployment(environment(tmp_path, store_url), tmp_path)
    made.run("keys", "init")
    app = build_app(Settings.from_environ(made.env))
    try:
        play(app)
    finally:
        app.close()
    return made


def test_keys_init_writes_0600_files_the_configuration_loads_and_prints_the_public_keys(
    tmp_path: Path,
) -> None:
    made = Deployment(environment(tmp_path, f"sqlite:///{tmp_path / 'db'}"), tmp_path)
    printed = made.run("keys", "init").stdout
    master, ledger = tmp_path / "keys" / "master.key", tmp_path / "keys" / "ledger.key"
    assert stat.S_IMODE(master.stat().st_mode) == stat.S_IMODE(ledger.stat().st_mode) == 0o600
    assert len(MasterKey.from_text(master.read_text()).as_text()) == 44
    signer = load_signer(production=True, environ=made.env)
    pem, verifier = printed.split("-----END PUBLIC KEY-----\n")
    assert pem + "-----END PUBLIC KEY-----\n" == signer.public_pem()
    name, _key = spec.parse_verifier_key(verifier)
    assert (name, signer.origin) == (ORIGIN, ORIGIN)
    assert verifier.strip() == signer.verifier_key()


def test_keys_init_refuses_an_existing_file_and_writes_nothing(tmp_path: Path) -> None:
    made = Deployment(environment(tmp_path, f"sqlite:///{tmp_path / 'db'}"), tmp_path)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "ledger.key").write_text("the operator's own key\n")
    refused = made.run("keys", "init", ok=False)
    assert refused.returncode == 1
    assert "ledger.key already exists" in refused.stderr
    assert (tmp_path / "keys" / "ledger.key").read_text() == "the operator's own key\n"
    assert not (tmp_path / "keys" / "master.key").exists()


def test_keys_init_refuses_to_follow_a_symlink_even_a_dangling_one(tmp_path: Path) -> None:
    made = Deployment(environment(tmp_path, f"sqlite:///{tmp_path / 'db'}"), tmp_path)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "master.key").symlink_to(tmp_path / "elsewhere.key")
    refused = made.run("keys", "init", ok=False)
    assert refused.returncode == 1
    assert "symlink" in refused.stderr
    assert not (tmp_path / "elsewhere.key").exists()
    assert not (tmp_path / "keys" / "ledger.key").exists()


def test_checkpoint_note_opens_with_the_spec_verifier_and_matches_the_json(
    deployment: Deployment,
) -> None:
    note = deployment.run("ledger", "checkpoint", "--note").stdout
    name, key = spec.parse_verifier_key(deployment.run("ledger", "public-key", "--note").stdout)
    origin, size, root = spec.open_checkpoint(note, name, key)
    as_json = json.loads(deployment.run("ledger", "checkpoint").stdout)
    assert (origin, size, root.hex()) == (ORIGIN, as_json["tree_size"], as_json["root_hash"])
    assert as_json["note"] == note


def test_ledger_verify_accepts_a_note_file_and_a_verifier_key(deployment: Deployment) -> None:
    note = deployment.file(
        "checkpoint.note", deployment.run("ledger", "checkpoint", "--note").stdout
    )
    verifier = deployment.run("ledger", "public-key", "--note").stdout
    key = deployment.file("ledger.vkey", verifier)
    verified = deployment.run("ledger", "verify", "--checkpoints", note, "--public-key", key)
    assert "ledger verified" in verified.stdout
    assert "1 checkpoints" in verified.stdout
    text = Path(note).read_text(encoding="utf-8").split("\n")
    text[1] = str(int(text[1]) - 1)
    forged = deployment.file("forged.note", "\n".join(text))
    failed = deployment.run(
        "ledger", "verify", "--checkpoints", forged, "--public-key", key, ok=False
    )
    assert failed.returncode == 1
    assert "not signed by this key" in failed.stderr


def test_ledger_verify_refuses_a_note_of_another_log_than_the_verifier_key_names(
    deployment: Deployment,
) -> None:
    note = deployment.file(
        "checkpoint.note", deployment.run("ledger", "checkpoint", "--note").stdout
    )
    verifier = deployment.run("ledger", "public-key", "--note").stdout
    renamed = dict(deployment.env, TRUSTPATH_LOG_ORIGIN="trustpath.example/another-log")
    other = Deployment(renamed, deployment.directory).run("ledger", "public-key", "--note").stdout
    assert other.split("+")[2] == verifier.split("+")[2]  # the same key, another log's name
    key = deployment.file("other.vkey", other)
    failed = deployment.run(
        "ledger", "verify", "--checkpoints", note, "--public-key", key, ok=False
    )
    assert failed.returncode == 1
    assert "the verifier key is for 'trustpath.example/another-log'" in failed.stderr


def test_verify_proof_checks_a_proof_against_a_note(deployment: Deployment) -> None:
    note = deployment.file(
        "checkpoint.note", deployment.run("ledger", "checkpoint", "--note").stdout
    )
    key = deployment.file("ledger.vkey", deployment.run("ledger", "public-key", "--note").stdout)
    proof = json.loads(deployment.run("ledger", "prove", "--event", "5", "--json").stdout)
    proof.pop("checkpoint")
    path = deployment.file("proof.json", json.dumps(proof))
    args = ["ledger", "verify-proof", path, "--checkpoint", note, "--public-key", key]
    checked = deployment.run(*args)
    assert "proof verified" in checked.stdout
    assert "checkpoint's signature" in checked.stdout
    proof["audit_path"][0] = "00" * 32
    deployment.file("proof.json", json.dumps(proof))
    failed = deployment.run(*args, ok=False)
    assert failed.returncode == 1
    assert "does not lead from the leaf to the root" in failed.stderr


def test_verify_proof_fails_when_the_note_is_of_another_size_than_the_proof(
    deployment: Deployment,
) -> None:
    note = deployment.file("early.note", deployment.run("ledger", "checkpoint", "--note").stdout)
    key = deployment.file("ledger.vkey", deployment.run("ledger", "public-key", "--note").stdout)
    app = build_app(Settings.from_environ(deployment.env))
    try:
        play(app)
    finally:
        app.close()
    deployment.run("ledger", "checkpoint")
    path = deployment.file(
        "proof.json", deployment.run("ledger", "prove", "--event", "5", "--json").stdout
    )
    args = ["ledger", "verify-proof", path, "--checkpoint", note, "--public-key", key]
    failed = deployment.run(*args, ok=False)
    assert failed.returncode == 1
    assert "another tree size or root" in failed.stderr
