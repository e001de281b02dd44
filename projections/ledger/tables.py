"""The ledger's tables, beside the events in the same database.

    trustpath_ledger_leaves_<suffix>   leaf_index, notification_id, originator_id,
                                      originator_version, leaf_hash
    trustpath_ledger_nodes_<suffix>    level >= 1, idx, hash: every complete subtree, stored
                                      as soon as its last leaf is appended
    trustpath_ledger_gaps_<suffix>     leaf_index, first_missing, last_missing: notification
                                      ids the log skipped (a rolled-back PostgreSQL insert)
    trustpath_ledger_checkpoints      tree_size, root_hash, signed_at, key_id, signature:
                                      shared by every built version (the tree is the same),
                                      so it lives in its own metadata: a rebuild that drops
                                      a retired version's tables never drops checkpoints
    trustpath_ledger_notes            checkpoint_id, origin, signature (key ID || Ed25519):
                                      the checkpoint's C2SP signed note, beside it (a table
                                      of its own, so that databases whose checkpoints predate
                                      notes need no migration: their checkpoints have none)
    trustpath_ledger_keys             key_id, public_key, origin, registered_at: the signing
                                      keys over time (`keyset.py`; validity is read from the
                                      checkpoints each signed)
    trustpath_ledger_restores         tree_size, root_hash, restored_at, origin, key_id,
                                      signature: "this log was restored from a backup at
                                      size N on this date", signed at restore time

The leaf rows carry the event's key only as a hint for the verifier's diagnosis; what is
trusted is the hash, and the hashes are trusted because the signed roots cover them.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

CHECKPOINTS = "trustpath_ledger_checkpoints"
NOTES = "trustpath_ledger_notes"
KEYS = "trustpath_ledger_keys"


@dataclass(frozen=True)
class LedgerTables:
    leaves: sa.Table
    nodes: sa.Table
    gaps: sa.Table
    checkpoints: sa.Table


def define_tables(metadata: sa.MetaData, suffix: str) -> LedgerTables:
    """Declare (or find) the ledger's tables for one built version."""
    name = f"trustpath_ledger_leaves_{suffix}"
    if name in metadata.tables:
        return _found(metadata, suffix)
    sa.Table(
        name,
        metadata,
        sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("notification_id", sa.BigInteger, nullable=False, unique=True),
        sa.Column("originator_id", sa.String(64), nullable=False),
        sa.Column("originator_version", sa.BigInteger, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    )
    sa.Table(
        f"trustpath_ledger_nodes_{suffix}",
        metadata,
        sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    sa.Table(
        f"trustpath_ledger_gaps_{suffix}",
        metadata,
        sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("first_missing", sa.BigInteger, nullable=False),
        sa.Column("last_missing", sa.BigInteger, nullable=False),
    )
    return _found(metadata, suffix)


def _found(metadata: sa.MetaData, suffix: str) -> LedgerTables:
    t = metadata.tables
    return LedgerTables(
        t[f"trustpath_ledger_leaves_{suffix}"],
        t[f"trustpath_ledger_nodes_{suffix}"],
        t[f"trustpath_ledger_gaps_{suffix}"],
        checkpoints,
    )


checkpoints_metadata = sa.MetaData()
checkpoints = sa.Table(
    CHECKPOINTS,
    checkpoints_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tree_size", sa.BigInteger, nullable=False, index=True),
    sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("signed_at", sa.String(40), nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("signature", sa.LargeBinary(64), nullable=False),
)
keys = sa.Table(
    KEYS,
    checkpoints_metadata,
    sa.Column("key_id", sa.String(64), primary_key=True),
    sa.Column("public_key", sa.LargeBinary(32), nullable=False),
    sa.Column("origin", sa.String(255), nullable=False),
    sa.Column("registered_at", sa.String(40), nullable=False),
)
notes = sa.Table(
    NOTES,
    checkpoints_metadata,
    sa.Column("checkpoint_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("origin", sa.String(255), nullable=False),
    sa.Column("signature", sa.LargeBinary(68), nullable=False),
)
restores = sa.Table(
    "trustpath_ledger_restores",
    checkpoints_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tree_size", sa.BigInteger, nullable=False),
    sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("restored_at", sa.String(40), nullable=False),
    sa.Column("origin", sa.String(255), nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("signature", sa.LargeBinary(64), nullable=False),
)
"""Signed "restored at size N" records (see restores.py): one row per restore."""
