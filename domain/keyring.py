"""Master keys across a rotation, and the secret that must outlive them.

    keyring          the current master key (wraps new data keys) and retired ones (only
                     unwrap): TRUSTPATH_MASTER_KEY_FILE and TRUSTPATH_RETIRED_MASTER_KEY_FILES
    key store row    names the master key that wrapped it (`master_key_id`); it is unwrapped
                     with that key, whichever of the keyring's it is
    derivation root  a 32-byte secret wrapped like a data key, in the key store row
                     ROOT_KEY_ID: idempotency fingerprints, ids derived from idempotency
                     keys and export pseudonyms all come from it (`MasterKey.derive`)

Why a derivation root: those secrets used to be derived from the master key's own bytes.
Rotating the master key would then change every fingerprint and derived id, so a retried
command (same idempotency key) would no longer replay and a retried opening would open a
second engagement. The root is the *original* master key's bytes, stored wrapped the first
time a Vault starts on a key store, so a deployment that never rotates derives exactly what
it always did; `trustpath keys rotate-master` rewraps the root row like every data key, so
after a rotation the same root, hence the same fingerprints and ids, comes back out.

A process missing the key that wrapped some row refuses to start (`check_holds`) and, if
the store was rotated while it ran, fails that one read with `MasterKeyError` (one line,
naming the master key id it lacks); it never writes anything under a wrong key.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.ciphers import KeyStore, MasterKey, MasterKeyError

ROOT_KEY_ID = "trustpath-derivation-root"
"""The key store row of the derivation root (data keys are named `dk-<protagonist>`)."""


class Keyring:
    """The master keys a process holds: the current one and the retired ones."""

    def __init__(self, current: MasterKey, retired: Iterable[MasterKey] = ()) -> None:
        self.current = current
        self.retired = [k for k in retired if k.id != current.id]
        self._by_id = {k.id: k for k in [*self.retired, current]}

    @property
    def ids(self) -> set[str]:
        return set(self._by_id)

    def key(self, master_key_id: str) -> MasterKey:
        found = self._by_id.get(master_key_id)
        if found is None:
            raise MasterKeyError(
                f"a data key is wrapped by master key {master_key_id}, which this process "
                "does not hold (rotated? configure it as TRUSTPATH_MASTER_KEY_FILE and restart)"
            )
        return found

    def unwrap(self, wrapped: bytes, master_key_id: str) -> bytes:
        return self.key(master_key_id).unwrap(wrapped)

    def check_holds(self, master_key_ids: set[str]) -> None:
        """Refuse a key store that holds rows wrapped by a master key this ring lacks."""
        foreign = sorted(master_key_ids - self.ids)
        if foreign:
            raise MasterKeyError(
                "the key store holds data keys wrapped by master key "
                f"{', '.join(foreign)}, which this process was not given; check "
                "TRUSTPATH_MASTER_KEY_FILE (and TRUSTPATH_RETIRED_MASTER_KEY_FILES)"
            )


def derivation_root(ring: Keyring, keys: KeyStore) -> MasterKey:
    """The store's derivation root, stored (wrapped by the current key) if it has none."""
    row = keys.get(ROOT_KEY_ID)
    if row is None:
        keys.put_if_absent(
            ROOT_KEY_ID, ring.current.wrap_key(_original(ring, keys)), ring.current.id
        )
        row = keys.get(ROOT_KEY_ID)
        if row is None:
            raise MasterKeyError("the derivation root could not be stored")
    return MasterKey(ring.unwrap(*row))


def _original(ring: Keyring, keys: KeyStore) -> MasterKey:
    # A store written before the root existed derived everything from the one master key
    # that wrapped its data keys: that key's bytes become the root, so nothing changes.
    ids = keys.master_key_ids()
    if len(ids) == 1:
        return ring.key(ids.pop())
    return ring.current
