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

The keys themselves never leave this module. `MasterKey.derive(label)` hands out a secret
for one purpose, an HMAC of the master key's bytes (never of its id, which the key store
shows in clear); `Vault.digest` hands out an HMAC of a text under a key derived from a
protagonist's data key, which nobody can recompute once erasure destroyed that key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from eventsourcing.persistence import Transcoding

if TYPE_CHECKING:
    from domain.keyring import Keyring

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


class Vault:
    """Seals and opens confidential fields with per-protagonist data keys.

    Data keys are unwrapped with whichever configured master key wrapped them (the row
    names it) and new ones are wrapped with the current key (`domain.keyring`).
    """

    def __init__(self, master_key: MasterKey | Keyring, keys: KeyStore) -> None:
        from domain.keyring import Keyring, derivation_root

        self._ring = master_key if isinstance(master_key, Keyring) else Keyring(master_key)
        self._master = self._ring.current
        self._keys = keys
        self._sealing_keys: dict[str, bytes] = {}
        self._digest_keys: dict[str, bytes] = {}
        self._ring.check_holds(keys.master_key_ids())
        self.derivation_root = derivation_root(self._ring, keys)
        """The long-lived secret that idempotency fingerprints, derived ids and export
        pseudonyms come from: the same across master-key rotations (`domain.keyring`)."""

    def seal(self, plaintext: str, place: Place) -> Sealed:
        key_id = key_id_for(place.protagonist_id)
        nonce = secrets.token_bytes(12)  # os.urandom: the domain imports no os
        padded = pad(plaintext.encode())
        data = AESGCM(self._sealing_key(key_id)).encrypt(nonce, padded, place.associated_data())
        return Sealed(key_id, _b64(nonce), _b64(data), len(padded), PADDED)

    def digest(self, protagonist_id: str, text: str) -> str:
        """An HMAC of `text` under a key derived from the protagonist's data key.

        It lets the command side tell whether two commands carried the same confidential
        text without storing anything a guess could be checked against: nobody without the
        data key can recompute it, and after erasure nobody can at all. The caller makes
        sure the protagonist exists and is not erased (a missing key would be created).
        """
        key_id = key_id_for(protagonist_id)
        key = self._digest_keys.get(key_id)
        if key is None:
            key = hmac.new(self._sealing_key(key_id), b"trustpath/digest", hashlib.sha256).digest()
            self._digest_keys[key_id] = key
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()

    def open(self, sealed: Sealed, place: Place) -> str:
        """Return the plaintext, or ERASED if the protagonist's key was destroyed."""
        row = self._keys.get(sealed.key_id)
        if row is None:
            return ERASED
        key = self._ring.unwrap(*row)
        try:
            plain = AESGCM(key).decrypt(
                base64.b64decode(sealed.nonce),
                base64.b64decode(sealed.ciphertext),
                place.associated_data(),
            )
        except InvalidTag:
            raise CorruptContentError(f"sealed content at {place.field} failed to open") from None
        return (unpad(plain) if sealed.alg == PADDED else plain).decode()

    def destroy(self, protagonist_id: str) -> None:
        """Crypto-shred: the protagonist's data key is gone, in this process and in the store."""
        key_id = key_id_for(protagonist_id)
        self._sealing_keys.pop(key_id, None)
        self._digest_keys.pop(key_id, None)
        self._keys.destroy(key_id)

    def _sealing_key(self, key_id: str) -> bytes:
        # Sealing may use a cached key: the aggregate refuses new content after erasure.
        # Opening never does, so a key destroyed by another process is never used to read.
        key = self._sealing_keys.get(key_id)
        if key is None:
            self._keys.put_if_absent(
                key_id, self._master.wrap(AESGCM.generate_key(bit_length=256)), self._master.id
            )
            row = self._keys.get(key_id)
            if row is None:
                raise MasterKeyError(f"data key {key_id} was destroyed")
            key = self._ring.unwrap(*row)
            self._sealing_keys[key_id] = key
        return key


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


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
