"""Restore records: "this log was restored from a backup at size N on this date", signed.

    signed message = b"trustpath-ledger-restore/v1\\n"
                     + f"{origin}\\n{size}\\n{root hex}\\n{restored_at}\\n"

A restore brings back the log as it was when the backup was taken: N events. Checkpoints
the lost system signed after the backup (of sizes beyond N) can never match the restored
log again, and the restored log goes on growing from N along another branch. Without a
record of the restore, the verifier can only call that truncation or tampering.

`trustpath restore` signs one record with the ledger key once the restored copy verified,
and stores it in the ledger's tables. The verifier then treats it as a checkpoint at N
(the restored prefix must match it, and every checkpoint up to N, exactly as before) and
reports a checkpoint that does not match the restored log as *beyond the restore* only when

    its size is beyond N,
    it was signed before the restore (its signed time says so; a bare signed note carries
    no time, so it counts as signed before unless the ledger's own sealed leaves match it,
    which marks it as this branch's),
    and the record's signature holds under the ledger key.

Anything else that does not match is reported as it always was: a restore record cannot
hide an edited event within the restored prefix, nor after it once a checkpoint signed
after the restore covers it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from projections.ledger.checkpoints import Checkpoint, Signer
from projections.ledger.tables import checkpoints_metadata, restores

DOMAIN_TAG = b"trustpath-ledger-restore/v1\n"


@dataclass(frozen=True)
class RestoreRecord:
    tree_size: int
    root_hash: bytes
    restored_at: str
    origin: str
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        body = f"{self.origin}\n{self.tree_size}\n{self.root_hash.hex()}\n{self.restored_at}\n"
        return DOMAIN_TAG + body.encode()

    def as_checkpoint(self) -> Checkpoint:
        """The record as what it also is: a signed root at size N (checked like one)."""
        return Checkpoint(self.tree_size, self.root_hash, self.restored_at, self.key_id, b"")

    def as_json(self) -> dict[str, Any]:
        return {
            "restored_at_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "restored_at": self.restored_at,
            "origin": self.origin,
            "key_id": self.key_id,
            "signature": self.signature.hex(),
        }

    def describe(self) -> str:
        return f"restored at size {self.tree_size} on {self.restored_at}"


def sign_restore(
    signer: Signer, tree_size: int, root_hash: bytes, now: datetime | None = None
) -> RestoreRecord:
    at = (now or datetime.now(UTC)).isoformat(timespec="microseconds")
    unsigned = RestoreRecord(tree_size, root_hash, at, signer.origin, signer.key_id, b"")
    signature = signer.private_key.sign(unsigned.message())
    return RestoreRecord(tree_size, root_hash, at, signer.origin, signer.key_id, signature)


def verify_restore(record: RestoreRecord, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(record.signature, record.message())
    except InvalidSignature:
        return False
    return True


def insert_restore(conn: sa.Connection, record: RestoreRecord) -> None:
    checkpoints_metadata.create_all(conn)
    conn.execute(
        restores.insert().values(
            tree_size=record.tree_size,
            root_hash=record.root_hash,
            restored_at=record.restored_at,
            origin=record.origin,
            key_id=record.key_id,
            signature=record.signature,
        )
    )


def read_restores(engine: sa.Engine) -> list[RestoreRecord]:
    """Every restore record of this database, oldest first (none when it has no table)."""
    if not sa.inspect(engine).has_table(restores.name):
        return []
    c = restores.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(restores).order_by(c.id)).all()
    return [
        RestoreRecord(
            int(r.tree_size),
            bytes(r.root_hash),
            str(r.restored_at),
            str(r.origin),
            str(r.key_id),
            bytes(r.signature),
        )
        for r in rows
    ]


OwnRoot = Callable[[int], bytes | None]
"""The root the ledger's own sealed leaves reach at a size (None beyond them)."""


def set_apart(
    signed: Sequence[Checkpoint],
    records: Sequence[RestoreRecord],
    key: Ed25519PublicKey,
    roots: dict[int, bytes],
    own_root: OwnRoot,
) -> tuple[list[Checkpoint], list[tuple[Checkpoint, RestoreRecord]], list[str]]:
    """(the checkpoints to check, with each good record's root at N; those beyond a
    restore, with it; a line for each record not signed by `key`)."""
    good = [r for r in records if verify_restore(r, key)]
    unsigned = [
        f"the record '{r.describe()}' is not signed by this key" for r in records if r not in good
    ]
    kept, beyond = beyond_restore(signed, good, roots, own_root)
    return kept + [r.as_checkpoint() for r in good], beyond, unsigned


def beyond_restore(
    signed: Sequence[Checkpoint],
    records: Sequence[RestoreRecord],
    roots: dict[int, bytes],
    own_root: OwnRoot,
) -> tuple[list[Checkpoint], list[tuple[Checkpoint, RestoreRecord]]]:
    """Split signed checkpoints into those to check and those beyond a declared restore."""
    kept: list[Checkpoint] = []
    beyond: list[tuple[Checkpoint, RestoreRecord]] = []
    for c in signed:
        record = None if roots.get(c.tree_size) == c.root_hash else _before(c, records, own_root)
        if record is None:
            kept.append(c)
        else:
            beyond.append((c, record))
    return kept, beyond


def _before(
    c: Checkpoint, records: Sequence[RestoreRecord], own_root: OwnRoot
) -> RestoreRecord | None:
    """The restore `c` lies beyond, if it was signed before one at a smaller size."""
    for record in records:
        if c.tree_size <= record.tree_size:
            continue
        if c.signed_at and _instant(c.signed_at) < _instant(record.restored_at):
            return record
        if not c.signed_at and own_root(c.tree_size) != c.root_hash:
            return record
    return None


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def gap_message(beyond: Sequence[tuple[Checkpoint, RestoreRecord]]) -> str | None:
    """One line saying which checkpoints lie beyond which restore; None without any."""
    if not beyond:
        return None
    record = max((r for _c, r in beyond), key=lambda r: r.restored_at)
    sizes = sorted({c.tree_size for c, _r in beyond})
    span = f"{sizes[0]}" if len(sizes) == 1 else f"{sizes[0]}..{sizes[-1]}"
    return (
        f"restore gap: {record.describe()}; {len(beyond)} checkpoint(s) of size {span} "
        f"signed before the restore are beyond the restored log (its events after "
        f"{record.tree_size} were lost with the old system, not altered in this one)"
    )
