"""The tree read back from the ledger's tables: size, roots, proofs, checkpoints.

Proofs fetch exactly the stored nodes they need in one query per level kind (leaves,
inner nodes), whatever the tree's size, so a proof costs a few milliseconds at a million
leaves. `LedgerStore` resolves the live version's tables from the positions table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from domain.pgrecorder import lock_key
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
    checkpoints_metadata,
    define_tables,
    notes,
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


def with_notes(table: sa.Table) -> sa.Select[Any]:
    """Checkpoint rows with their signed note's origin and signature (NULL before notes)."""
    note = (notes.c.origin, notes.c.signature.label("note_signature"))
    joined = table.join(notes, notes.c.checkpoint_id == table.c.id, isouter=True)
    return sa.select(table, *note).select_from(joined)


def last_checkpoint(conn: Connection, t: LedgerTables) -> Checkpoint | None:
    ensure_checkpoints_table(conn)
    row = conn.execute(
        with_notes(t.checkpoints)
        .order_by(t.checkpoints.c.tree_size.desc(), t.checkpoints.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else _checkpoint(row)


def all_checkpoints(conn: Connection, t: LedgerTables) -> list[Checkpoint]:
    ensure_checkpoints_table(conn)
    rows = conn.execute(with_notes(t.checkpoints).order_by(t.checkpoints.c.id))
    return [_checkpoint(r) for r in rows]


def insert_checkpoints(conn: Connection, t: LedgerTables, made: Sequence[Checkpoint]) -> None:
    """One row per checkpoint, and its note's row under the id the database gave it."""
    if made:
        ensure_checkpoints_table(conn)
    for c in made:
        row = {
            "tree_size": c.tree_size,
            "root_hash": c.root_hash,
            "signed_at": c.signed_at,
            "key_id": c.key_id,
            "signature": c.signature,
        }
        inserted = conn.execute(t.checkpoints.insert().values(row)).inserted_primary_key
        if c.note_signature and inserted is not None:
            conn.execute(
                notes.insert().values(
                    checkpoint_id=inserted[0], origin=c.origin, signature=c.note_signature
                )
            )


_created: set[str] = set()
"""Databases whose checkpoints table is known to exist: known only once a commit made it so."""


def ensure_checkpoints_table(conn: Connection) -> None:
    """Create the shared checkpoints table if this database has none yet.

    The CREATE may run inside a page's transaction (DDL is transactional on PostgreSQL and,
    after the runner's first UPDATE, on SQLite too): if that page fails, the rollback takes
    the table away again. So the process remembers the table only once the transaction that
    saw it commits; a remembered table that is rolled back would fail every later page.
    """
    url = conn.engine.url.render_as_string(hide_password=True)
    if url in _created:
        return
    if conn.dialect.name == "postgresql" and not _has_checkpoints_table(conn):
        # processes starting together on a new database: one creates it, the others wait
        # (until this transaction ends) and then find it
        key = lock_key("trustpath schema: ledger checkpoints")
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    checkpoints_metadata.create_all(conn)
    if not conn.in_transaction():
        _created.add(url)
        return
    pending = {url}

    def committed(_conn: Connection) -> None:
        _created.update(pending)

    def rolled_back(_conn: Connection) -> None:
        pending.clear()

    sa.event.listen(conn, "commit", committed, once=True)
    sa.event.listen(conn, "rollback", rolled_back, once=True)


def _has_checkpoints_table(conn: Connection) -> bool:
    inspector = sa.inspect(conn)
    return all(inspector.has_table(name) for name in checkpoints_metadata.tables)


def _checkpoint(row: sa.Row[Any]) -> Checkpoint:
    m = row._mapping
    return Checkpoint(
        int(m["tree_size"]),
        bytes(m["root_hash"]),
        str(m["signed_at"]),
        str(m["key_id"]),
        bytes(m["signature"]),
        str(m["origin"] or ""),
        bytes(m["note_signature"] or b""),
    )


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
        found = [_checkpoint(r) for r in rows]
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
        return None if row is None else _checkpoint(row)

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


SignerSource = Signer | Callable[[], Signer]


def due(
    conn: Connection,
    every_seconds: float = 60.0,
    every_events: int = 1000,
    now: datetime | None = None,
) -> int | None:
    """The tree size to sign when the sealed tree has leaves no checkpoint signed yet and
    the latest checkpoint is `every_seconds` old or `every_events` behind; else None.

    Three indexed single-row queries (the live version, the tip, the latest checkpoint).
    """
    suffix = conn.execute(
        sa.select(positions.c.suffix).where(positions.c.name == NAME, positions.c.live)
    ).scalar()
    if suffix is None:
        return None
    t = define_tables(sa.MetaData(), str(suffix))
    size = tip(conn, t)[0]
    latest = last_checkpoint(conn, t)
    if size == 0 or (latest is not None and latest.tree_size >= size):
        return None
    if latest is None or size - latest.tree_size >= every_events:
        return size
    age = (now or datetime.now(UTC)) - datetime.fromisoformat(latest.signed_at)
    return size if age.total_seconds() >= every_seconds else None


def tick(
    engine: Engine,
    signer: SignerSource,
    every_seconds: float = 60.0,
    every_events: int = 1000,
    now: datetime | None = None,
) -> Checkpoint | None:
    """Sign a checkpoint of the sealed tree if one is due (see `due`); else None, cheaply.

    For an idle loop (the follower between rounds, the in-process read side when quiet):
    a quiet log's last events get signed within `every_seconds`. `signer` may be a
    factory, called only when a checkpoint is due.
    """
    with engine.begin() as conn:
        if due(conn, every_seconds, every_events, now) is None:
            return None
    return LedgerStore(engine).checkpoint(signer if isinstance(signer, Signer) else signer())


def checkpoint_if_due(store: LedgerStore, signer: Signer, every_seconds: float = 60.0) -> bool:
    """Sign a checkpoint if leaves were sealed since the last one and it is `every_seconds` old."""
    return tick(store.engine, signer, every_seconds) is not None
