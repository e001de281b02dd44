"""The ledger's key file and checkpoint files on disk: the log origin a key file is loaded
with, and checkpoints written to and read back from JSON lines and note files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.ledger.checkpoints import (
    LogOriginError,
    Signer,
    load_signer,
    read_checkpoints,
    verify_checkpoint,
    write_jsonl,
)

pytestmark = pytest.mark.integration
ORIGIN = "trustpath.example/unit"
ROOT = hashlib.sha256(b"root").digest()


@pytest.fixture
def signer() -> Signer:
    return Signer(Ed25519PrivateKey.generate(), ORIGIN)


@pytest.mark.parametrize("origin", ["with space", "a+b", "tab\there", "new\nline"])
def test_log_origin_is_refused_when_it_is_not_a_note_key_name(origin: str, tmp_path: Path) -> None:
    key = tmp_path / "ledger.key"
    key.write_bytes(Signer.generate().private_pem())
    environ = {"TRUSTPATH_LEDGER_KEY_FILE": str(key), "TRUSTPATH_LOG_ORIGIN": origin}
    with pytest.raises(LogOriginError, match="TRUSTPATH_LOG_ORIGIN"):
        load_signer(production=True, environ=environ)


def test_default_origin_names_the_key(tmp_path: Path) -> None:
    key = tmp_path / "ledger.key"
    key.write_bytes(Signer.generate().private_pem())
    loaded = load_signer(production=True, environ={"TRUSTPATH_LEDGER_KEY_FILE": str(key)})
    assert loaded.origin == f"trustpath.invalid/{loaded.key_id}"


def test_json_export_carries_the_note_and_a_note_edited_inside_it_fails(
    signer: Signer, tmp_path: Path
) -> None:
    made = signer.sign(3, ROOT)
    write_jsonl([made], tmp_path / "c.jsonl")
    (back,) = read_checkpoints(tmp_path / "c.jsonl")
    assert back == made
    assert verify_checkpoint(back, signer.public_key)
    data = made.as_json()
    data["note"] = data["note"].replace(ORIGIN, "trustpath.example/other")
    (tmp_path / "c.jsonl").write_text(json.dumps(data) + "\n")
    (edited,) = read_checkpoints(tmp_path / "c.jsonl")
    assert not verify_checkpoint(edited, signer.public_key)


def test_a_file_of_notes_back_to_back_reads_as_every_checkpoint(
    signer: Signer, tmp_path: Path
) -> None:
    texts = [signer.sign(size, ROOT).note() or "" for size in (1, 2, 3)]
    (tmp_path / "all.note").write_text("".join(texts), encoding="utf-8")
    assert [c.tree_size for c in read_checkpoints(tmp_path / "all.note")] == [1, 2, 3]
