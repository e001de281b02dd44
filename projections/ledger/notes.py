"""Checkpoints in the transparency-log standard: C2SP `tlog-checkpoint` signed notes.

    <origin>\\n                   the log's name (TRUSTPATH_LOG_ORIGIN)
    <tree size, decimal>\\n
    <root hash, base64>\\n        no extension lines (the standard advises against them)
    \\n
    — <origin> <base64(key ID || Ed25519 signature of the three lines above)>\\n

    key ID        = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]
    verifier key  = <key name>+<key ID, 8 hex digits>+<base64(0x01 || public key)>

The key name is the origin, as the standard recommends, so Go's `golang.org/x/mod/sumdb/note`
(given the verifier key) opens a checkpoint, and any tlog tooling that parses checkpoint
bodies reads its size and root. This module is the format only: which key signs what lives
in `checkpoints.py`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "
MAX_SIGNATURES = 100
_ROOT_LINE = re.compile(r"^[A-Za-z0-9+/]{43}=$")
_SIZE_LINE = re.compile(r"^(0|[1-9][0-9]{0,18})$")


class NoteError(ValueError):
    """The text is not a well-formed signed note, checkpoint or verifier key."""


@dataclass(frozen=True)
class Note:
    """A signed note: its text (ending in a newline) and its (key name, signature) lines."""

    text: str
    signatures: tuple[tuple[str, bytes], ...]

    def signed_by(self, name: str) -> bytes | None:
        """The first signature (key ID || signature) under this key name, if any."""
        return next((blob for n, blob in self.signatures if n == name), None)


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


def check_key_name(name: str) -> str:
    """A key name (and so an origin): non-empty, no Unicode spaces, no '+', no controls."""
    if not name or "+" in name or any(c.isspace() or ord(c) < 0x20 for c in name):
        raise NoteError(f"{name!r} is not a note key name: non-empty, no spaces, no '+'")
    return name


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key ID of an Ed25519 key under a name."""
    material = name.encode() + b"\n" + ED25519 + raw_public_key(public_key)
    return hashlib.sha256(material).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """`<name>+<hex key ID>+<base64(0x01 || key)>`, the note packages' verifier key."""
    encoded = base64.b64encode(ED25519 + raw_public_key(public_key)).decode()
    return f"{check_key_name(name)}+{key_id(name, public_key).hex()}+{encoded}"


def parse_verifier_key(text: str) -> VerifierKey:
    name, _, rest = text.strip().partition("+")
    hex_id, _, encoded = rest.partition("+")
    try:
        raw = base64.b64decode(encoded, validate=True)
        stated = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError):
        raise NoteError("a verifier key is <name>+<8 hex digits>+<base64 key>") from None
    if len(hex_id) != 8 or len(raw) != 33 or raw[:1] != ED25519:
        raise NoteError("a verifier key is <name>+<8 hex digits>+<base64(0x01 || 32 bytes)>")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(check_key_name(name), public_key) != stated:
        raise NoteError("the verifier key's ID does not match its name and key")
    return VerifierKey(name, stated, public_key)


def checkpoint_text(origin: str, tree_size: int, root_hash: bytes) -> str:
    """The note text of a checkpoint: origin, size and base64 root, each line ending in \\n."""
    root = base64.b64encode(root_hash).decode()
    return f"{check_key_name(origin)}\n{tree_size}\n{root}\n"


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    """(origin, tree size, root hash) of a checkpoint's note text; extension lines ignored."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or "" in lines[:-1]:
        raise NoteError("a checkpoint is at least three non-empty lines: origin, size, root")
    origin, size, root = lines[:3]
    if not _SIZE_LINE.match(size):
        raise NoteError(f"the tree size line {size[:30]!r} is not a decimal number")
    if not _ROOT_LINE.match(root):
        raise NoteError("the root hash line is not the base64 of 32 bytes")
    return origin, int(size), base64.b64decode(root)


def sign(text: str, name: str, private_key: Ed25519PrivateKey) -> bytes:
    """key ID || Ed25519 signature of the note text: what a signature line carries."""
    return key_id(name, private_key.public_key()) + private_key.sign(text.encode())


def verify(text: str, name: str, blob: bytes, public_key: Ed25519PublicKey) -> bool:
    """Whether `blob` (from a signature line under `name`) is this key's signature of `text`."""
    if len(blob) != 68 or blob[:4] != key_id(name, public_key):
        return False
    try:
        public_key.verify(blob[4:], text.encode())
    except InvalidSignature:
        return False
    return True


def format_note(text: str, signatures: list[tuple[str, bytes]]) -> str:
    lines = [
        f"{SIGNATURE_PREFIX}{name} {base64.b64encode(blob).decode()}\n" for name, blob in signatures
    ]
    return text + "\n" + "".join(lines)


def parse_note(signed: str) -> Note:
    """Split a signed note into its text and signature lines (signatures not checked)."""
    if any(ord(c) < 0x20 and c != "\n" for c in signed) or not signed.endswith("\n"):
        raise NoteError("a signed note is newline-terminated text without control characters")
    text, sep, block = signed[:-1].rpartition("\n\n")
    if not sep or not text:
        raise NoteError("a signed note has a text, a blank line, then signature lines")
    signatures = [_signature_line(line) for line in block.split("\n")]
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError(f"more than {MAX_SIGNATURES} signatures")
    return Note(text + "\n", tuple(signatures))


def _signature_line(line: str) -> tuple[str, bytes]:
    name, _, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
    if not line.startswith(SIGNATURE_PREFIX) or not encoded or " " in encoded:
        raise NoteError(f"malformed signature line {line[:40]!r} (want '— <name> <base64>')")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise NoteError("a signature line's signature is not base64") from None
    if len(blob) < 5:
        raise NoteError("a signature is 4 bytes of key ID and the signature")
    return check_key_name(name), blob


def split_notes(text: str) -> list[str]:
    """Signed notes written one after another in a file, each back on its own."""
    notes: list[str] = []
    current: list[str] = []
    in_signatures = False
    for line in text.splitlines(keepends=True):
        if in_signatures and not line.startswith(SIGNATURE_PREFIX):
            notes.append("".join(current))
            current, in_signatures = [], False
        current.append(line)
        in_signatures = in_signatures or (
            line.startswith(SIGNATURE_PREFIX) and _after_blank(current)
        )
    if current:
        notes.append("".join(current))
    return [n for n in notes if n.strip()]


def _after_blank(lines: list[str]) -> bool:
    return len(lines) >= 2 and lines[-2] in ("\n", "\r\n")
