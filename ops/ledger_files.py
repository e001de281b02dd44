"""What auditors hand the ledger's commands: public keys and checkpoints, from files.

A public key file holds a PEM key or a note verifier key (`<origin>+<key ID>+<base64 key>`);
a checkpoints file holds exported JSON lines or signed notes, one after another.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from projections.ledger.checkpoints import Checkpoint, load_public_key, read_checkpoints


def read_public_key(path: Path) -> Ed25519PublicKey:
    """A PEM public key or a note verifier key, from a file."""
    return load_public_key(path.read_text(encoding="utf-8"))


def check_origins(checkpoints: list[Checkpoint], key_file: Path) -> None:
    """A verifier key names the log it verifies: a note under another name is not its own."""
    text = key_file.read_text(encoding="utf-8")
    if "-----BEGIN" in text:
        return
    name = text.strip().split("+", 1)[0]
    for c in checkpoints:
        if c.note_signature and c.origin != name:
            raise ValueError(
                f"the checkpoint of size {c.tree_size} is from log {c.origin!r}, "
                f"the verifier key is for {name!r}"
            )


def last_checkpoint(path: Path) -> Checkpoint:
    """The last checkpoint of a file of JSON lines or signed notes."""
    found = read_checkpoints(path)
    if not found:
        raise ValueError(f"{path} holds no checkpoint")
    return found[-1]
