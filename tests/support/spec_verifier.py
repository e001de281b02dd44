"""A verifier written from the specifications alone, sharing no code with trustpath.

signed note (c2sp.org/signed-note): text ending in a newline, a blank line, then lines
    "— <key name> <base64(4-byte key ID || signature)>"; the text signed is everything
    before the blank line, its final newline included;
    key ID = SHA-256(key name || 0x0A || 0x01 || Ed25519 public key)[:4]
verifier key (golang.org/x/mod/sumdb/note): <name>+<hex key ID>+<base64(0x01 || key)>
checkpoint (c2sp.org/tlog-checkpoint): origin, decimal size, base64 root, one a line
Merkle tree (RFC 6962 §2.1): leaf SHA-256(0x00 || d), node SHA-256(0x01 || l || r);
    PATH and PROOF read backwards from their recursive definitions
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EM_DASH = "\u2014"


def parse_verifier_key(text: str) -> tuple[str, bytes]:
    """(name, raw 32-byte public key); the stated key ID must match."""
    name, key_id, encoded = text.strip().split("+", 2)
    raw = base64.b64decode(encoded)
    assert raw[0] == 1
    assert len(raw) == 33
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == key_id
    return name, raw[1:]


def open_checkpoint(note: str, name: str, public_key: bytes) -> tuple[str, int, bytes]:
    """(origin, size, root) of a checkpoint note signed by (name, key); raises otherwise."""
    assert note.endswith("\n")
    blank = note.rindex("\n\n", 0, len(note) - 1)
    text, signature_lines = note[: blank + 1], note[blank + 2 :].splitlines()
    wanted = hashlib.sha256(name.encode() + b"\n\x01" + public_key).digest()[:4]
    verified = 0
    for line in signature_lines:
        dash, signer, encoded = line.split(" ")
        assert dash == EM_DASH
        blob = base64.b64decode(encoded)
        if signer == name and blob[:4] == wanted:
            Ed25519PublicKey.from_public_bytes(public_key).verify(blob[4:], text.encode())
            verified += 1
    assert verified, "no signature by the expected key"
    origin, size, root = text.split("\n")[:3]
    return origin, int(size), base64.b64decode(root)


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root_from_path(m: int, n: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 6962 PATH(m, D[n]) is the subtree's PATH then the sibling: undo it from the end."""
    if n == 1:
        assert not path, "path too long"
        return leaf
    assert path, "path too short"
    k = largest_power_of_two_below(n)
    *below, sibling = path
    if m < k:
        return node(root_from_path(m, k, leaf, below), sibling)
    return node(sibling, root_from_path(m - k, n - k, leaf, below))


def roots_from_consistency(
    m: int, n: int, proof: list[bytes], whole: bool, first_root: bytes
) -> tuple[bytes, bytes]:
    """RFC 6962 SUBPROOF(m, D[n], b) undone: (root of the first m leaves, root of all n)."""
    if m == n:
        if whole:
            assert not proof
            return first_root, first_root
        assert len(proof) == 1
        return proof[0], proof[0]
    assert proof, "proof too short"
    k = largest_power_of_two_below(n)
    *below, sibling = proof
    if m <= k:
        old, new = roots_from_consistency(m, k, below, whole, first_root)
        return old, node(new, sibling)
    old, new = roots_from_consistency(m - k, n - k, below, False, first_root)
    return node(sibling, old), node(sibling, new)
