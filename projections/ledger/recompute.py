"""The leaves a verifier compares: recomputed from the events table, and read back from the
live ledger; the root of the recomputed leaves at any size.

    events table ──recompute──▶ Leaves (32-byte hashes and their notification ids)
    ledger leaves ──read_ledger──▶ Leaves, and where the ledger sealed a given event
    Leaves ──roots_at──▶ the root at each checkpoint size (every level built once)

The verifier (verify.py) trusts the ledger's leaves only once the signed roots vouch for
them.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from projections.ledger.leaves import hash_event
from projections.ledger.merkle import NODE_PREFIX, root
from projections.ledger.source import is_postgres, pg_leaf_hashes, stored_events
from projections.ledger.store import LedgerNotReadyError, LedgerStore

Progress = Callable[[int], None]
Locate = Callable[[str, int], int | None]
"""Where the ledger sealed the event (originator id, version), if it did."""


@dataclass
class Leaves:
    """Leaf hashes (32 bytes each, concatenated) and their notification ids."""

    hashes: bytearray = field(default_factory=bytearray)
    ids: array[int] = field(default_factory=lambda: array("q"))

    def __len__(self) -> int:
        return len(self.ids)

    def hash(self, i: int) -> bytes:
        return bytes(self.hashes[32 * i : 32 * i + 32])


def recompute(url: str, progress: Progress | None = None, every: int = 50_000) -> Leaves:
    """Every leaf hash, from the events table."""
    if is_postgres(url):
        return _recompute_pg(url, progress, every)
    leaves = Leaves()
    add_hash, add_id = leaves.hashes.extend, leaves.ids.append
    for count, (nid, oid, version, topic, state) in enumerate(stored_events(url), 1):
        add_hash(hash_event(nid, oid, version, topic, state))
        add_id(nid)
        if progress is not None and count % every == 0:
            progress(count)
    return leaves


def _recompute_pg(url: str, progress: Progress | None, every: int) -> Leaves:
    hashes, ids = pg_leaf_hashes(url, progress=progress, every=every)
    return Leaves(hashes, ids)


class _Levels:
    """A `NodeSource` over leaf hashes: every complete level, built a level at a time."""

    def __init__(self, leaves: Leaves) -> None:
        data, n, sha256 = leaves.hashes, len(leaves), hashlib.sha256
        self.leaves = data
        self.levels: list[list[bytes]] = [[]]
        if n > 1:
            self.levels.append(
                [
                    sha256(NODE_PREFIX + data[i : i + 64]).digest()
                    for i in range(0, 64 * (n // 2), 64)
                ]
            )
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [
                    sha256(NODE_PREFIX + below[i] + below[i + 1]).digest()
                    for i in range(0, len(below) - 1, 2)
                ]
            )

    def node(self, level: int, index: int) -> bytes:
        if level == 0:
            return bytes(self.leaves[32 * index : 32 * index + 32])
        return self.levels[level][index]


def roots_at(leaves: Leaves, sizes: Sequence[int]) -> dict[int, bytes]:
    """The root at each of `sizes` that the leaves reach."""
    tree = _Levels(leaves)
    return {s: root(tree, s) for s in set(sizes) if s <= len(leaves)}


def read_ledger(engine: sa.Engine) -> tuple[Leaves, Locate] | None:
    """The live ledger's own leaves, and where it sealed a given event; None without one."""
    store = LedgerStore(engine)
    try:
        with engine.connect() as conn:
            t = store.tables(conn)
            c = t.leaves.c
            leaves = Leaves()
            rows = conn.execute(sa.select(c.notification_id, c.leaf_hash).order_by(c.leaf_index))
            for nid, digest in rows:
                leaves.ids.append(int(nid))
                leaves.hashes.extend(digest)
    except (LedgerNotReadyError, sa.exc.DBAPIError):
        return None

    def locate(oid: str, version: int) -> int | None:
        with engine.connect() as conn:
            found = conn.execute(
                sa.select(c.leaf_index).where(
                    c.originator_id == oid, c.originator_version == version
                )
            ).scalar()
        return None if found is None else int(found)

    return leaves, locate
