"""The tree read back from the ledger's tables: size, leaves, roots, proofs, checkpoints.

Proofs fetch exactly the stored nodes they need in one query per level kind (leaves,
inner nodes), whatever the tree's size, so a proof costs a few milliseconds at a million
leaves. `LedgerStore` resolves the live version's tables from the positions table.
Checkpoint rows are read and written by projections/ledger/checkpoint_rows.py; signing
them as they fall due is projections/ledger/ticking.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from projections.ledger.checkpoint_rows import (
    all_checkpoints,
    checkpoint_from_row,
    ensure_checkpoints_table,
    insert_checkpoints,
    last_checkpoint,
    with_notes,
)
from projections.ledger.checkpoints import Checkpoint, Signer
from projections.ledger.merkle import (
    NodeKey,
    NodeSource,
    ProofError,
    consistency_proof,
    inclusion_path,
    needed_nodes,
    root,
)
from projections.ledger.tables import (
    LedgerTables,
    define_tables,
)
from projections.ledger.tables import checkpoints as checkpoints_table
from projections.positions import positions

NAME = "ledger"
T = TypeVar("T")


class LedgerNotReadyError(LookupError):
    """The ledger has no live version yet, or the asked leaf is not sealed yet."""


@dataclass(frozen=True)
class Leaf:
    leaf_index: int
    notification_id: int
    originator_id: str
    originator_version: int
    leaf_hash: bytes


class DictSource:
    """A `NodeSource` over fetched nodes."""

    def __init__(self, nodes: dict[NodeKey, bytes]) -> None:
        self.nodes = nodes

    def node(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]


def tip(conn: Connection, t: LedgerTables) -> tuple[int, int]:
    """(tree size, last sealed notification id)."""
    row = conn.execute(
        sa.select(t.leaves.c.leaf_index, t.leaves.c.notification_id)
        .order_by(t.leaves.c.leaf_index.desc())
        .limit(1)
    ).first()
    return (0, 0) if row is None else (int(row[0]) + 1, int(row[1]))


def fetch_nodes(
    conn: Connection, t: LedgerTables, keys: Sequence[NodeKey], ordered: bool = False
) -> list[bytes]:
    found = fetch_node_map(conn, t, keys)
    return [found[k] for k in keys] if ordered else list(found.values())


def fetch_node_map(
    conn: Connection, t: LedgerTables, keys: Iterable[NodeKey]
) -> dict[NodeKey, bytes]:
    keys = list(keys)
    found: dict[NodeKey, bytes] = {}
    leaves = [i for level, i in keys if level == 0]
    if leaves:
        rows = conn.execute(
            sa.select(t.leaves.c.leaf_index, t.leaves.c.leaf_hash).where(
                t.leaves.c.leaf_index.in_(leaves)
            )
        )
        found.update({(0, int(r[0])): bytes(r[1]) for r in rows})
    inner = [(level, i) for level, i in keys if level > 0]
    if inner:
        rows = conn.execute(
            sa.select(t.nodes.c.level, t.nodes.c.idx, t.nodes.c.hash).where(
                sa.tuple_(t.nodes.c.level, t.nodes.c.idx).in_(inner)
            )
        )
        found.update({(int(r[0]), int(r[1])): bytes(r[2]) for r in rows})
    missing = [k for k in keys if k not in found]
    if missing:
        raise LedgerNotReadyError(
            f"the ledger misses {len(missing)} stored node(s), e.g. {missing[0]}"
        )
    return found


class LedgerStore:
    """The live ledger of one database, for proofs, checkpoints and reports."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def tables(self, conn: Connection) -> LedgerTables:
        suffix = conn.execute(
            sa.select(positions.c.suffix).where(positions.c.name == NAME, positions.c.live)
        ).scalar()
        if suffix is None:
            raise LedgerNotReadyError("the ledger has no live version yet (run the projections)")
        return define_tables(sa.MetaData(), str(suffix))

    def size(self) -> int:
        with self.engine.connect() as conn:
            return tip(conn, self.tables(conn))[0]

    def leaf(self, *, index: int | None = None, notification_id: int | None = None) -> Leaf:
        with self.engine.connect() as conn:
            t = self.tables(conn)
            c = t.leaves.c
            where = (
                c.leaf_index == index if index is not None else c.notification_id == notification_id
            )
            row = conn.execute(sa.select(t.leaves).where(where)).first()
        if row is None:
            what = f"leaf {index}" if index is not None else f"event {notification_id}"
            raise LedgerNotReadyError(f"{what} is not in the ledger (yet)")
        m = row._mapping
        return Leaf(
            int(m["leaf_index"]),
            int(m["notification_id"]),
            str(m["originator_id"]),
            int(m["originator_version"]),
            bytes(m["leaf_hash"]),
        )

    def leaves_by_notification(self, ids: Sequence[int]) -> dict[int, int]:
        """notification id → leaf index, for the sealed ones."""
        with self.engine.connect() as conn:
            t = self.tables(conn)
            rows = conn.execute(
                sa.select(t.leaves.c.notification_id, t.leaves.c.leaf_index).where(
                    t.leaves.c.notification_id.in_(list(ids))
                )
            )
            return {int(r[0]): int(r[1]) for r in rows}

    def root(self, size: int) -> bytes:
        return self._compute(lambda s: root(s, size), size)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return self._compute(lambda s: inclusion_path(s, index, size), size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        return self._compute(lambda s: consistency_proof(s, first, second), second)

    def _compute(self, compute: Callable[[NodeSource], T], size: int) -> T:
        with self.engine.connect() as conn:
            t = self.tables(conn)
            have = tip(conn, t)[0]
            if size > have:
                raise ProofError(f"the ledger holds {have} leaves, not {size}")
            nodes = fetch_node_map(conn, t, needed_nodes(compute))
        return compute(DictSource(nodes))

    def checkpoints(self) -> list[Checkpoint]:
        with self.engine.connect() as conn:
            return all_checkpoints(conn, self.tables(conn))

    def checkpoint_page(
        self, after: int, limit: int, min_size: int = 0, max_size: int | None = None
    ) -> tuple[list[Checkpoint], int | None]:
        """Checkpoints signed after row `after` with a tree size in [min_size, max_size], in
        signing order; and the row to continue after, when there may be more."""
        c = checkpoints_table.c
        query = with_notes(checkpoints_table).where(c.id > after, c.tree_size >= min_size)
        if max_size is not None:
            query = query.where(c.tree_size <= max_size)
        with self.engine.connect() as conn:
            self.tables(conn)
            ensure_checkpoints_table(conn)
            rows = conn.execute(query.order_by(c.id).limit(limit)).all()
        found = [checkpoint_from_row(r) for r in rows]
        return found, (int(rows[-1].id) if len(rows) == limit else None)

    def signed_checkpoint(self, tree_size: int) -> Checkpoint | None:
        """The latest checkpoint signed of a tree of exactly `tree_size` leaves, if any."""
        with self.engine.connect() as conn:
            t = self.tables(conn)
            ensure_checkpoints_table(conn)
            c = t.checkpoints.c
            row = conn.execute(
                with_notes(t.checkpoints)
                .where(c.tree_size == tree_size)
                .order_by(c.id.desc())
                .limit(1)
            ).first()
        return None if row is None else checkpoint_from_row(row)

    def latest_checkpoint(self) -> Checkpoint | None:
        with self.engine.connect() as conn:
            return last_checkpoint(conn, self.tables(conn))

    def checkpoint(self, signer: Signer) -> Checkpoint:
        """Sign the current tree (on demand); the latest one again if nothing changed."""
        with self.engine.begin() as conn:
            t = self.tables(conn)
            size = tip(conn, t)[0]
            latest = last_checkpoint(conn, t)
            if latest is not None and _already_signed(latest, size, signer):
                return latest
            nodes = fetch_node_map(conn, t, needed_nodes(lambda s: root(s, size)))
            made = signer.sign(size, root(DictSource(nodes), size))
            insert_checkpoints(conn, t, [made])
            return made


def _already_signed(latest: Checkpoint, size: int, signer: Signer) -> bool:
    """Whether the latest checkpoint already is what `signer` would sign at `size`."""
    return (
        latest.tree_size == size
        and latest.key_id == signer.key_id
        and latest.origin == signer.origin
        and bool(latest.note_signature)
    )
