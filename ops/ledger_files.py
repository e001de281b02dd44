"""What auditors hand the ledger's commands: public keys and checkpoints, from files.

A public key file holds a PEM key or a note verifier key (`<origin>+<key ID>+<base64 key>`);
a key set file holds what `trustpath ledger public-keys --json` printed (every key, with
its validity range); a checkpoints file holds exported JSON lines or signed notes, one
after another.
"""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from projections.ledger.checkpoints import Checkpoint, load_public_key, read_checkpoints
from projections.ledger.keyset import KeySet, LedgerKey


def read_public_key(path: Path) -> Ed25519PublicKey:
    """A PEM public key or a note verifier key, from a file."""
    return load_public_key(path.read_text(encoding="utf-8"))


def read_keys(path: Path) -> Ed25519PublicKey | KeySet:
    """A key set (JSON) or one public key (PEM or note verifier key), from a file."""
    text = path.read_text(encoding="utf-8").strip()
    if not text.startswith(("[", "{")):
        return load_public_key(text)
    data = json.loads(text)
    found = data.get("keys", []) if isinstance(data, dict) else data
    if not found:
        raise ValueError(f"{path} holds no key")
    try:
        return KeySet([LedgerKey.from_json(k) for k in found])
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"{path}: not a key set ({type(error).__name__}: {error})") from None


def check_origins(checkpoints: list[Checkpoint], key_file: Path) -> None:
    """A verifier key names the log it verifies: a note under another name is not its own."""
    text = key_file.read_text(encoding="utf-8")
    if "-----BEGIN" in text or text.lstrip().startswith(("[", "{")):
        return  # a key set names each key's origin itself
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
