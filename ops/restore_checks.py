"""What a backup or a restored copy must pass before it counts, and the restore record.

the ledger   `ledger verify` of the copy against the checkpoints (and restore records)
             it contains, with the configured ledger key
the keys     every data key still held unwraps with the configured master key (the
             content decrypts; no content is opened, so nothing is read unrecorded),
             and an erased protagonist's key is still a tombstone
the record   once both pass, a restore record "restored at size N on DATE" signed with
             the ledger key and stored in the ledger's tables (restores.py)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from domain.adapters.keystore import TABLE as KEYS
from domain.ciphers import MasterKeyError
from ops.backup import BackupError
from ops.config import Settings, load_master_key
from projections.engine import make_engine
from projections.ledger import configured_signer
from projections.ledger.recompute import read_ledger, recompute, roots_at
from projections.ledger.restores import RestoreRecord, insert_restore, read_restores, sign_restore
from projections.ledger.store import LedgerNotReadyError, LedgerStore
from projections.ledger.verify import Report, verify

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Checked:
    report: Report
    keys: int
    erased: int


def check_copy(url: str, progress: Progress | None = None) -> Checked:
    """Verify the ledger of the copy at `url` and that its data keys unwrap; or raise."""
    engine = make_engine(url)
    try:
        try:
            checkpoints = LedgerStore(engine).checkpoints()
        except LedgerNotReadyError:
            checkpoints = []
        report = verify(
            url,
            checkpoints,
            configured_signer().public_key,
            lambda: read_ledger(engine),
            progress=progress,
            restores=read_restores(engine),
        )
        if not report.ok:
            raise BackupError(f"the copy's ledger does not verify: {report.first}")
        keys, erased = _check_keys(engine)
    finally:
        engine.dispose()
    return Checked(report, keys, erased)


def _check_keys(engine: sa.Engine) -> tuple[int, int]:
    """(data keys that unwrap, erased keys); raises if one does not unwrap."""
    if not sa.inspect(engine).has_table(KEYS):
        return 0, 0
    master = load_master_key(Settings.from_environ())
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT key_id, wrapped FROM {KEYS}")).all()
    for key_id, wrapped in rows:
        if wrapped is None:
            continue
        try:
            master.unwrap(bytes(wrapped))
        except MasterKeyError:
            raise BackupError(
                f"data key {key_id} does not unwrap with the configured master key "
                "(TRUSTPATH_MASTER_KEY_FILE): the content would not decrypt"
            ) from None
    erased = sum(1 for _k, wrapped in rows if wrapped is None)
    return len(rows) - erased, erased


def record_restore(url: str) -> RestoreRecord:
    """Sign and store "restored at size N on DATE" for the log the copy holds now."""
    events = recompute(url)
    size = len(events)
    record = sign_restore(configured_signer(), size, roots_at(events, [size])[size])
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            insert_restore(conn, record)
    finally:
        engine.dispose()
    return record
