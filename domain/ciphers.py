"""Confidential content: sealed inside events with a data key per protagonist.

    plaintext ──AES-256-GCM(data key, AD = engagement|protagonist|field)──▶ Sealed
    data key  ──AES key wrap (RFC 3394) under the master key──▶ key store row
    erasure   ──destroys the key store row──▶ Sealed content reads back as ERASED

A `Sealed` value records the key id, the nonce, the ciphertext and a length. The plaintext
is padded inside the encryption to a multiple of BUCKET (64) bytes (ISO/IEC 7816-4: one 0x80
byte, then zeros), so neither the ciphertext nor the stored length tells more than the
bucket: `len` is the padded size, an upper bound. Values sealed before padding existed
(`alg` "A256GCM", `len` the exact length) still open; their `bucket` is computed the same
way, so the read side shows only buckets. The associated data binds a ciphertext to the
place it was written for, so a ciphertext moved to another field or protagonist does not
open. Decryption is only done by `Vault.open`, which the read path calls after the access
has been authorised and recorded.

The keys themselves never leave this module and `domain/vault.py` (the `Vault`, which
holds the data keys and the keyring). `MasterKey.derive(label)` hands out a secret
for one purpose, an HMAC of the master key's bytes (never of its id, which the key store
shows in clear); `Vault.digest` hands out an HMAC of a text under a key derived from a
protagonist's data key, which nobody can recompute once erasure destroyed that key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Final, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from eventsourcing.persistence import Transcoding

ALGORITHM: Final = "A256GCM"
"""Sealed before padding: the plaintext as is, `len` its exact length (old events only)."""
PADDED: Final = "A256GCM-PAD64"
"""Sealed with the plaintext padded to a multiple of BUCKET bytes; `len` is that size."""
BUCKET: Final = 64
TAG_BYTES: Final = 16
ERASED: Final = "[erased]"
"""What erased content reads back as: an explicit marker, never ciphertext or an error."""


class MasterKeyError(Exception):
    """The master key is missing, malformed, or does not match the key store."""


class CorruptContentError(Exception):
    """A ciphertext failed authentication: it was altered or moved to another place."""


@dataclass(frozen=True)
class Sealed:
    """An encrypted field as stored inside an event."""

    key_id: str
    nonce: str
    ciphertext: str
    length: int
    alg: str = PADDED

    @property
    def bucket(self) -> int:
        """The padded size: all that may be shown of the plaintext's length."""
        if self.alg == PADDED:
            return self.length
        return padded_size(len(base64.b64decode(self.ciphertext)) - TAG_BYTES)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kid": self.key_id,
            "nonce": self.nonce,
            "ct": self.ciphertext,
            "len": self.length,
            "alg": self.alg,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sealed:
        return cls(data["kid"], data["nonce"], data["ct"], int(data["len"]), data["alg"])


class SealedAsDict(Transcoding):
    """Stores a Sealed value as a small JSON object."""

    type = Sealed
    name = "sealed"

    def encode(self, obj: Sealed) -> dict[str, Any]:
        return obj.as_dict()

    def decode(self, data: dict[str, Any]) -> Sealed:
        return Sealed.from_dict(data)


@dataclass(frozen=True)
class Place:
    """Where a sealed field lives; it becomes the associated data."""

    engagement_id: str
    protagonist_id: str
    field: str

    def associated_data(self) -> bytes:
        return f"trustpath/v1|{self.engagement_id}|{self.protagonist_id}|{self.field}".encode()


class KeyStore(Protocol):
    """A table of data keys wrapped by the master key."""

    def put_if_absent(self, key_id: str, wrapped: bytes, master_key_id: str) -> None: ...

    def get(self, key_id: str) -> tuple[bytes, str] | None: ...

    def destroy(self, key_id: str) -> None: ...

    def master_key_ids(self) -> set[str]: ...


class MasterKey:
    """The key-encryption key, loaded from configuration, never stored in the database."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise MasterKeyError("the master key must be 32 bytes (base64 in its file)")
        self._key = key
        self.id = hashlib.sha256(b"trustpath-master-key-id|" + key).hexdigest()[:16]

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(AESGCM.generate_key(bit_length=256))

    @classmethod
    def from_text(cls, text: str) -> MasterKey:
        try:
            return cls(base64.b64decode(text.strip(), validate=True))
        except ValueError:
            raise MasterKeyError("the master key file must hold 32 bytes in base64") from None

    def as_text(self) -> str:
        return base64.b64encode(self._key).decode()

    def derive(self, label: str) -> bytes:
        """A 32-byte secret for one purpose, from the key's bytes: unknowable without them."""
        return hmac.new(self._key, f"trustpath/derive|{label}".encode(), hashlib.sha256).digest()

    def wrap(self, data_key: bytes) -> bytes:
        return aes_key_wrap(self._key, data_key)

    def wrap_key(self, other: MasterKey) -> bytes:
        """`other`'s bytes wrapped under this key (the derivation root, `domain.keyring`)."""
        return self.wrap(other._key)

    def unwrap(self, wrapped: bytes) -> bytes:
        try:
            return aes_key_unwrap(self._key, wrapped)
        except InvalidUnwrap:
            raise MasterKeyError("a data key does not unwrap: wrong master key") from None


def key_id_for(protagonist_id: str) -> str:
    """The data key id of a protagonist: one key per protagonist, for their whole history."""
    return f"dk-{protagonist_id}"


def padded_size(length: int) -> int:
    """The size of `length` bytes once padded: the next multiple of BUCKET above it."""
    return (length // BUCKET + 1) * BUCKET


def pad(data: bytes) -> bytes:
    """ISO/IEC 7816-4 padding to padded_size: 0x80, then zeros (always at least one byte)."""
    return data + b"\x80" + bytes(padded_size(len(data)) - len(data) - 1)


def unpad(data: bytes) -> bytes:
    """The data `pad` was given: strip the zeros, then the one 0x80 before them."""
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise CorruptContentError("sealed content has no valid padding")
    return stripped[:-1]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
