"""The ledger's signing keys over time, and which checkpoints each one may have signed.

    trustpath_ledger_keys   key_id, public_key (raw Ed25519), origin, registered_at: every
                            key the ledger has used or will use (`trustpath keys rotate-ledger`
                            registers the configured key and its successor)

A key's validity is read from the checkpoints themselves, so nothing has to be updated
when a signer switches keys:

    valid from    the first checkpoint signed under the key (its size and time)
    retired at    the time of the first checkpoint signed under the next key
    valid until   the last checkpoint it signed before it was retired

A checkpoint is checked under the key it names (its `key_id`; a bare signed note, under
the key whose note key ID its signature carries). One signed by a key after that key was
retired, or by a key outside the set, fails verification: a stolen retired key cannot
sign new checkpoints unnoticed. A note without a time is held to the sizes of its key's
range instead. The set exports as JSON (`ledger public-keys --json`, GET
/ledger/public-keys): what auditors keep beside the exported checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from projections.ledger import notes
from projections.ledger.checkpoint_rows import ensure_checkpoints_table
from projections.ledger.checkpoints import Checkpoint, Signer, key_id, public_pem, verify_checkpoint
from projections.ledger.store import LedgerNotReadyError, LedgerStore
from projections.ledger.tables import keys as keys_table

Problem = tuple[str, str]
"""(finding kind, detail) of a checkpoint its key does not vouch for."""


@dataclass(frozen=True)
class LedgerKey:
    """One signing key and the range of checkpoints it was valid for."""

    public_key: Ed25519PublicKey
    origin: str
    registered_at: str = ""
    first_size: int | None = None
    first_at: str = ""
    last_size: int | None = None
    last_at: str = ""
    retired_at: str = ""

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    @property
    def status(self) -> str:
        if self.retired_at:
            return "retired"
        return "current" if self.first_at else "pending"

    def signs_note(self, c: Checkpoint) -> bool:
        return c.note_signature[:4] == notes.key_id(c.origin, self.public_key)

    def outside(self, c: Checkpoint) -> str | None:
        """Why `c` lies outside this key's validity, or None."""
        if c.signed_at:
            if self.retired_at and c.signed_at >= self.retired_at:
                return f"after the key was retired at {self.retired_at}"
            if self.first_at and c.signed_at < self.first_at:
                return f"before the key's first checkpoint at {self.first_at}"
            return None
        if self.retired_at and self.last_size is not None and c.tree_size > self.last_size:
            return f"beyond the last size it signed before retirement ({self.last_size})"
        return None

    def as_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "status": self.status,
            "origin": self.origin,
            "algorithm": "Ed25519",
            "pem": public_pem(self.public_key),
            "verifier_key": notes.verifier_key(self.origin, self.public_key),
            "registered_at": self.registered_at,
            "valid_from": _point(self.first_size, self.first_at),
            "valid_until": _point(self.last_size, self.last_at) if self.retired_at else None,
            "retired_at": self.retired_at or None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LedgerKey:
        start, until = data.get("valid_from") or {}, data.get("valid_until") or {}
        return cls(
            notes.parse_verifier_key(str(data["verifier_key"])).public_key,
            str(data["origin"]),
            str(data.get("registered_at") or ""),
            start.get("tree_size"),
            str(start.get("signed_at") or ""),
            until.get("tree_size"),
            str(until.get("signed_at") or ""),
            str(data.get("retired_at") or ""),
        )


def _point(size: int | None, at: str) -> dict[str, Any] | None:
    return None if size is None else {"tree_size": size, "signed_at": at}


class KeySet:
    """Checks each checkpoint under the key valid for it."""

    def __init__(self, keys: Sequence[LedgerKey], single: bool = False) -> None:
        self.keys = list(keys)
        self._single = single

    @classmethod
    def of(cls, public_key: Ed25519PublicKey) -> KeySet:
        """One key, valid for everything: the check before keys were rotated."""
        return cls([LedgerKey(public_key, "")], single=True)

    def problem(self, c: Checkpoint) -> Problem | None:
        """Why `c` is not vouched for, or None when its key signed it within its range."""
        at = f"checkpoint of size {c.tree_size}{f' ({c.signed_at})' if c.signed_at else ''}"
        if self._single:
            ok = verify_checkpoint(c, self.keys[0].public_key)
            return None if ok else ("signature", f"{at} is not signed by this key")
        key = self._key_for(c)
        if key is None:
            named = c.key_id or (c.note_signature[:4].hex() if c.note_signature else "none")
            return ("signature", f"{at} names key {named}, which is not in the key set")
        if not verify_checkpoint(c, key.public_key):
            return ("signature", f"{at} is not signed by key {key.key_id}")
        why = key.outside(c)
        return None if why is None else ("validity", f"{at} signed by key {key.key_id} {why}")

    def _key_for(self, c: Checkpoint) -> LedgerKey | None:
        for key in self.keys:
            if (c.key_id and key.key_id == c.key_id) or (
                not c.key_id and c.note_signature and key.signs_note(c)
            ):
                return key
        return None


def with_ranges(keys: Iterable[LedgerKey], checkpoints: Sequence[Checkpoint]) -> list[LedgerKey]:
    """The keys with their validity read from the checkpoints (see the module docstring)."""
    by_key: dict[str, list[Checkpoint]] = {}
    for c in checkpoints:
        by_key.setdefault(c.key_id, []).append(c)
    firsts = {k: min(c.signed_at for c in cs) for k, cs in by_key.items()}
    used = sorted((k for k in keys if k.key_id in firsts), key=lambda k: firsts[k.key_id])
    pending = [k for k in keys if k.key_id not in firsts]
    ranged = []
    for i, key in enumerate(used):
        retired = firsts[used[i + 1].key_id] if i + 1 < len(used) else ""
        mine = by_key[key.key_id]
        valid = [c for c in mine if not retired or c.signed_at < retired] or mine[:1]
        first = min(valid, key=lambda c: c.signed_at)
        last = max(valid, key=lambda c: (c.tree_size, c.signed_at))
        ranged.append(
            replace(
                key,
                first_size=first.tree_size,
                first_at=first.signed_at,
                last_size=last.tree_size,
                last_at=last.signed_at,
                retired_at=retired,
            )
        )
    return ranged + pending


def stored_keys(conn: Connection) -> list[LedgerKey]:
    """The registered keys, without ranges."""
    rows = conn.execute(sa.select(keys_table).order_by(keys_table.c.registered_at))
    return [
        LedgerKey(
            Ed25519PublicKey.from_public_bytes(bytes(r.public_key)),
            str(r.origin),
            str(r.registered_at),
        )
        for r in rows
    ]


def register(conn: Connection, signer: Signer) -> bool:
    """Record `signer`'s public key in the set (once); whether it was new."""
    found = conn.execute(
        sa.select(keys_table.c.key_id).where(keys_table.c.key_id == signer.key_id)
    ).first()
    if found is not None:
        return False
    conn.execute(
        keys_table.insert().values(
            key_id=signer.key_id,
            public_key=notes.raw_public_key(signer.public_key),
            origin=signer.origin,
            registered_at=datetime.now(UTC).isoformat(timespec="microseconds"),
        )
    )
    return True


def load_key_set(engine: sa.Engine) -> list[LedgerKey]:
    """The registered keys with their ranges, from this database's checkpoints."""
    with engine.begin() as conn:
        ensure_checkpoints_table(conn)
        keys = stored_keys(conn)
    try:
        signed = LedgerStore(engine).checkpoints() if keys else []
    except LedgerNotReadyError:  # no live ledger yet: nothing signed, every key pending
        signed = []
    return with_ranges(keys, signed)


def key_set_or(engine: sa.Engine, configured: Callable[[], Signer]) -> list[LedgerKey]:
    """The registered key set; before any key was registered, the configured key alone
    (loaded only then: reading a registered set needs no private key)."""
    found = load_key_set(engine)
    if found:
        return found
    signer = configured()
    try:
        signed = LedgerStore(engine).checkpoints()
    except LedgerNotReadyError:
        signed = []
    return with_ranges([LedgerKey(signer.public_key, signer.origin)], signed)


def register_keys(engine: sa.Engine, *signers: Signer) -> None:
    """Record these signers' public keys in the set, in this order, in one transaction."""
    with engine.begin() as conn:
        ensure_checkpoints_table(conn)
        for signer in signers:
            register(conn, signer)
