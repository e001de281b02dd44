"""The vault: seals and opens confidential fields with per-protagonist data keys.

The ciphers, the sealed values and the padding are `domain/ciphers.py`; the master keys
across a rotation and the derivation root are `domain/keyring.py`. The vault puts them
together: a data key per protagonist, wrapped under the current master key in the key store,
unwrapped with whichever master key wrapped it, destroyed on erasure (crypto-shredding).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.ciphers import (
    ERASED,
    PADDED,
    CorruptContentError,
    KeyStore,
    MasterKey,
    MasterKeyError,
    Place,
    Sealed,
    b64,
    key_id_for,
    pad,
    unpad,
)
from domain.keyring import Keyring, derivation_root


class Vault:
    """Seals and opens confidential fields with per-protagonist data keys.

    Data keys are unwrapped with whichever configured master key wrapped them (the row
    names it) and new ones are wrapped with the current key (`domain.keyring`).
    """

    def __init__(self, master_key: MasterKey | Keyring, keys: KeyStore) -> None:
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
        return Sealed(key_id, b64(nonce), b64(data), len(padded), PADDED)

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
