"""Signed notes and checkpoints in the C2SP format: what the ledger writes and what it reads."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.ledger import notes
from projections.ledger.checkpoints import (
    Checkpoint,
    Signer,
    verify_checkpoint,
)
from tests.support import spec_verifier as spec

pytestmark = pytest.mark.unit
ORIGIN = "trustpath.example/unit"
ROOT = hashlib.sha256(b"root").digest()


@pytest.fixture
def signer() -> Signer:
    return Signer(Ed25519PrivateKey.generate(), ORIGIN)


def test_checkpoint_note_is_the_three_lines_and_one_signature_line(signer: Signer) -> None:
    note = signer.sign(42, ROOT).note()
    assert note is not None
    text, signature = note.split("\n\n")
    assert text == f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}"
    dash, name, encoded = signature.rstrip("\n").split(" ")
    assert (dash, name) == ("\u2014", ORIGIN)
    assert len(base64.b64decode(encoded)) == 4 + 64
    name, key = spec.parse_verifier_key(signer.verifier_key())
    assert spec.open_checkpoint(note, name, key) == (ORIGIN, 42, ROOT)


def test_note_of_the_same_tree_is_the_same_text_whenever_it_is_signed(signer: Signer) -> None:
    first, again = signer.sign(7, ROOT), signer.sign(7, ROOT)
    assert first.signed_at != again.signed_at
    assert first.note() == again.note()


def test_checkpoint_from_its_note_verifies_and_ignores_other_signers(signer: Signer) -> None:
    note = signer.sign(9, ROOT).note()
    assert note is not None
    witness = Ed25519PrivateKey.generate()
    cosigned = note + notes.format_note("", [("witness.example/w1", b"\x00" * 68)])[1:]
    made = Checkpoint.from_note(cosigned)
    assert (made.origin, made.tree_size, made.root_hash) == (ORIGIN, 9, ROOT)
    assert verify_checkpoint(made, signer.public_key)
    assert not verify_checkpoint(made, witness.public_key())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda n: n.replace("\n9\n", "\n09\n"), "tree size"),
        (lambda n: n.replace("\n\n\u2014", "\n\u2014"), "signature line"),
        (lambda n: n.rstrip("\n"), "newline-terminated"),
        (lambda n: n.replace("\u2014 ", "- "), "signature line"),
        (lambda n: n.replace("\u2014 trustpath.example/unit", "\u2014 other.example/x"), "named"),
        (lambda n: n.replace("=\n\n", "=\nextension\n\n"), "extension lines"),
        (lambda n: n.replace("\n9\n", "\n9\x07\n"), "control characters"),
    ],
)
def test_malformed_notes_are_refused_with_the_rule_they_break(
    signer: Signer, change: object, message: str
) -> None:
    note = signer.sign(9, ROOT).note()
    assert note is not None
    assert callable(change)
    with pytest.raises(notes.NoteError, match=message):
        Checkpoint.from_note(change(note))


def test_a_note_whose_root_or_size_changed_does_not_verify(signer: Signer) -> None:
    note = signer.sign(9, ROOT).note()
    assert note is not None
    forged = note.replace("\n9\n", "\n10\n")
    assert not verify_checkpoint(Checkpoint.from_note(forged), signer.public_key)


def test_verifier_key_round_trips_and_a_wrong_key_id_is_refused(signer: Signer) -> None:
    text = signer.verifier_key()
    parsed = notes.parse_verifier_key(text)
    assert (parsed.name, parsed.public_key.public_bytes_raw()) == (
        ORIGIN,
        signer.public_key.public_bytes_raw(),
    )
    name, key_id, key = text.split("+", 2)
    with pytest.raises(notes.NoteError, match="does not match"):
        notes.parse_verifier_key(f"{name}+{'0' * 8}+{key}")
    with pytest.raises(notes.NoteError):
        notes.parse_verifier_key(f"{name}+{key_id}")


def test_checkpoints_signed_before_notes_still_load_and_verify(signer: Signer) -> None:
    data = signer.sign(3, ROOT).as_json()
    del data["note"]
    old = Checkpoint.from_json(data)
    assert old.note() is None
    assert verify_checkpoint(old, signer.public_key)
