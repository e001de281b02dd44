"""Signed checkpoints: (tree size, root hash, time) under an Ed25519 key held outside the DB.

    signed message = b"trustpath-ledger-checkpoint/v1\\n" + f"{size}\\n{root hex}\\n{signed_at}\\n"
    signed note    = the same size and root as a C2SP tlog-checkpoint (see `notes.py`),
                     signed by the same key under the log's origin

Every checkpoint carries both signatures: the first is what JSON exports always held, the
note is what standard transparency-log verifiers read. The origin comes from
TRUSTPATH_LOG_ORIGIN (a schema-less URL naming this log, e.g. `trustpath.example/norwind`);
without it, `trustpath.invalid/<key id>`, unique to the key but not a name anyone chose.

The key comes from TRUSTPATH_LEDGER_KEY_FILE (a PEM PKCS#8 Ed25519 private key). The
embedded default generates one at ./var/ledger.key (0600, never over an existing file) and
says so; a production configuration without a key file refuses to start. Checkpoints export
as JSON lines, one per checkpoint, hashes and signature in lowercase hex, the signed note
under "note": the file an auditor keeps elsewhere. `read_checkpoints` reads that file or
signed notes back.
"""

from __future__ import annotations

import dataclasses
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

from domain.adapters.private_files import directory, replace, write_new
from domain.errors import ConfigurationError
from projections.ledger import notes

DEFAULT_KEY_FILE = "var/ledger.key"
KEY_ENV = "TRUSTPATH_LEDGER_KEY_FILE"
ORIGIN_ENV = "TRUSTPATH_LOG_ORIGIN"
DOMAIN_TAG = b"trustpath-ledger-checkpoint/v1\n"


class LedgerKeyError(ConfigurationError):
    """The ledger signing key is missing or unreadable (a start-up error in production)."""


class LogOriginError(ConfigurationError):
    """TRUSTPATH_LOG_ORIGIN is not a note key name (empty, or with spaces or '+')."""


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    root_hash: bytes
    signed_at: str
    key_id: str
    signature: bytes
    origin: str = ""
    note_signature: bytes = b""
    """key ID || Ed25519 signature of the note text, as its signature line carries it."""

    def message(self) -> bytes:
        return signed_message(self.tree_size, self.root_hash, self.signed_at)

    def note_text(self) -> str:
        return notes.checkpoint_text(self.origin, self.tree_size, self.root_hash)

    def note(self) -> str | None:
        """The signed note (C2SP tlog-checkpoint); None for a checkpoint signed before notes."""
        if not self.note_signature:
            return None
        return notes.format_note(self.note_text(), [(self.origin, self.note_signature)])

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "signed_at": self.signed_at,
            "key_id": self.key_id,
            "signature": self.signature.hex(),
        }
        note = self.note()
        if note is not None:
            data["note"] = note
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        made = cls(
            int(data["tree_size"]),
            bytes.fromhex(data["root_hash"]),
            str(data["signed_at"]),
            str(data["key_id"]),
            bytes.fromhex(data["signature"]),
        )
        if not data.get("note"):
            return made
        from_note = cls.from_note(str(data["note"]))
        # the note's own size and root are not trusted apart: its signature is checked
        # over the text rebuilt from this checkpoint's size and root
        return dataclasses.replace(
            made, origin=from_note.origin, note_signature=from_note.note_signature
        )

    @classmethod
    def from_note(cls, signed: str) -> Checkpoint:
        """A checkpoint from its signed note alone (no JSON signature, no time).

        The log's own signature is the one under the origin's name; others (witnesses'
        cosignatures, say) are ignored, as the note format says unknown keys must be.
        """
        note = notes.parse_note(signed)
        origin, size, root = notes.parse_checkpoint(note.text)
        blob = note.signed_by(origin)
        if blob is None:
            raise notes.NoteError(f"the checkpoint carries no signature named {origin!r}")
        if note.text != notes.checkpoint_text(origin, size, root):
            raise notes.NoteError("the checkpoint has extension lines this log never writes")
        return cls(size, root, "", "", b"", origin, blob)


def default_origin(public_key: Ed25519PublicKey) -> str:
    return f"trustpath.invalid/{key_id(public_key)}"


def signed_message(tree_size: int, root_hash: bytes, signed_at: str) -> bytes:
    return DOMAIN_TAG + f"{tree_size}\n{root_hash.hex()}\n{signed_at}\n".encode()


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class Signer:
    """Signs checkpoints with the ledger's private key."""

    def __init__(self, private_key: Ed25519PrivateKey, origin: str = "") -> None:
        self.private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)
        self.origin = origin or default_origin(self.public_key)
        try:
            notes.check_key_name(self.origin)
        except notes.NoteError as error:
            raise LogOriginError(f"{ORIGIN_ENV}: {error}") from None

    def sign(self, tree_size: int, root_hash: bytes, at: datetime | None = None) -> Checkpoint:
        signed_at = (at or datetime.now(UTC)).isoformat(timespec="microseconds")
        signature = self.private_key.sign(signed_message(tree_size, root_hash, signed_at))
        text = notes.checkpoint_text(self.origin, tree_size, root_hash)
        note_signature = notes.sign(text, self.origin, self.private_key)
        return Checkpoint(
            tree_size, root_hash, signed_at, self.key_id, signature, self.origin, note_signature
        )

    def public_pem(self) -> str:
        return public_pem(self.public_key)

    def verifier_key(self) -> str:
        """The public key as a note verifier key, named after the origin."""
        return notes.verifier_key(self.origin, self.public_key)

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
    """An Ed25519 public key from PEM or from a note verifier key (name+id+key)."""
    if "-----BEGIN" not in text:
        try:
            return notes.parse_verifier_key(text).public_key
        except notes.NoteError as error:
            raise LedgerKeyError(f"neither a PEM public key nor a verifier key: {error}") from None
    try:
        key = serialization.load_pem_public_key(text.encode())
    except (ValueError, UnsupportedAlgorithm):
        raise LedgerKeyError("the public key is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise LedgerKeyError("the public key is not an Ed25519 key")
    return key


def verify_checkpoint(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    """Every signature the checkpoint carries holds under this key (and it carries one)."""
    c = checkpoint
    if not c.signature and not c.note_signature:
        return False
    if c.note_signature and not notes.verify(c.note_text(), c.origin, c.note_signature, public_key):
        return False
    if not c.signature:
        return True
    try:
        public_key.verify(c.signature, c.message())
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
    origin = env.get(ORIGIN_ENV, "").strip()
    if path.exists():
        return _read_signer(path, origin)
    if production or configured:
        raise LedgerKeyError(
            f"no ledger key at {path}: set {KEY_ENV} to an existing Ed25519 key file "
            "(a production configuration never generates one)"
        )
    signer = Signer(Ed25519PrivateKey.generate(), origin)
    try:
        write_new(path, signer.private_pem())
    except FileExistsError:  # another process generated it first: theirs is the key
        return _read_signer(path, origin)
    if say is not None:
        say(f"generated a new ledger signing key at {path} (embedded default; keep it safe)")
    return signer


def _read_signer(path: Path, origin: str = "") -> Signer:
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
    return Signer(key, origin)


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


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """Exported checkpoints (JSON lines) or signed notes, one after another, from a file."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return read_jsonl(path)
    try:
        return [Checkpoint.from_note(note) for note in notes.split_notes(text)]
    except notes.NoteError as error:
        raise notes.NoteError(f"{path}: neither JSON lines nor signed notes: {error}") from None
