"""Signed checkpoints: (tree size, root hash, time) under an Ed25519 key held outside the DB.

    signed message = b"trustpath-ledger-checkpoint/v1\\n" + f"{size}\\n{root hex}\\n{signed_at}\\n"

The key comes from TRUSTPATH_LEDGER_KEY_FILE (a PEM PKCS#8 Ed25519 private key). The
embedded default generates one at ./var/ledger.key (0600, never over an existing file) and
says so; a production configuration without a key file refuses to start. Checkpoints export
as JSON lines, one per checkpoint, hashes and signature in lowercase hex: the file an
auditor keeps elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.config import ConfigurationError
from domain.private_files import directory, replace, write_new

DEFAULT_KEY_FILE = "var/ledger.key"
KEY_ENV = "TRUSTPATH_LEDGER_KEY_FILE"
DOMAIN_TAG = b"trustpath-ledger-checkpoint/v1\n"


class LedgerKeyError(ConfigurationError):
    """The ledger signing key is missing or unreadable (a start-up error in production)."""


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    root_hash: bytes
    signed_at: str
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        return signed_message(self.tree_size, self.root_hash, self.signed_at)

    def as_json(self) -> dict[str, Any]:
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "signed_at": self.signed_at,
            "key_id": self.key_id,
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        return cls(
            int(data["tree_size"]),
            bytes.fromhex(data["root_hash"]),
            str(data["signed_at"]),
            str(data["key_id"]),
            bytes.fromhex(data["signature"]),
        )


def signed_message(tree_size: int, root_hash: bytes, signed_at: str) -> bytes:
    return DOMAIN_TAG + f"{tree_size}\n{root_hash.hex()}\n{signed_at}\n".encode()


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class Signer:
    """Signs checkpoints with the ledger's private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    def sign(self, tree_size: int, root_hash: bytes, at: datetime | None = None) -> Checkpoint:
        signed_at = (at or datetime.now(UTC)).isoformat(timespec="microseconds")
        signature = self.private_key.sign(signed_message(tree_size, root_hash, signed_at))
        return Checkpoint(tree_size, root_hash, signed_at, self.key_id, signature)

    def public_pem(self) -> str:
        return public_pem(self.public_key)

    def private_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (what TRUSTPATH_LEDGER_KEY_FILE holds)."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(text: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(text.encode())
    except (ValueError, UnsupportedAlgorithm):
        raise LedgerKeyError("the public key is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise LedgerKeyError("the public key is not an Ed25519 key")
    return key


def verify_checkpoint(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(checkpoint.signature, checkpoint.message())
    except InvalidSignature:
        return False
    return True


def load_signer(
    production: bool,
    environ: dict[str, str] | None = None,
    say: Callable[[str], None] | None = None,
) -> Signer:
    """The ledger key from TRUSTPATH_LEDGER_KEY_FILE; generated only for the embedded default."""
    env = os.environ if environ is None else environ
    configured = env.get(KEY_ENV, "").strip()
    path = Path(configured or DEFAULT_KEY_FILE)
    if path.exists():
        return _read_signer(path)
    if production or configured:
        raise LedgerKeyError(
            f"no ledger key at {path}: set {KEY_ENV} to an existing Ed25519 key file "
            "(a production configuration never generates one)"
        )
    signer = Signer.generate()
    try:
        write_new(path, signer.private_pem())
    except FileExistsError:  # another process generated it first: theirs is the key
        return _read_signer(path)
    if say is not None:
        say(f"generated a new ledger signing key at {path} (embedded default; keep it safe)")
    return signer


def _read_signer(path: Path) -> Signer:
    try:
        pem = path.read_bytes()
    except OSError as error:  # e.g. a dangling link: never followed to write, nor read
        raise LedgerKeyError(f"{path}: {error.strerror or error}") from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # cryptography's own message runs to three lines and a URL: the rule is enough
        raise LedgerKeyError(f"{path}: not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise LedgerKeyError(f"{path}: not an Ed25519 private key")
    return Signer(key)


def write_jsonl(checkpoints: Iterable[Checkpoint], path: Path) -> int:
    """Write the checkpoints to `path` as a new 0600 file (a link there is replaced)."""
    lines = [json.dumps(c.as_json(), sort_keys=True) for c in checkpoints]
    with directory(path.parent, create=False) as dir_fd:
        replace(dir_fd, path.name, "".join(line + "\n" for line in lines).encode())
    return len(lines)


def read_jsonl(path: Path) -> list[Checkpoint]:
    """The checkpoints of an exported file; ValueError naming the first line that is not one."""
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(Checkpoint.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{path}: line {number} is not a checkpoint") from None
    return found
