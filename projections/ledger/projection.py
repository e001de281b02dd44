"""The ledger projection: seal every stored event into the Merkle tree, in log order.

It receives raw notifications (`needs_events = False`): the leaf is hashed from the
stored bytes, never from a decoded event. One page is one transaction (the runner's):
leaf rows, the complete-subtree nodes the page closed, the gaps it saw and the checkpoints
that fell due are written together with the position, or not at all.

Checkpoint policy: one whenever 1,000 leaves were appended since the last, and one at the
end of a page when the last is 60 s old (or this process has run 60 s without one);
`projections.ledger.tick` covers a quiet log between pages (idle loops call it);
`LedgerStore.checkpoint` is on demand.

A failed page leaves nothing behind in this object: the tree's size, frontier and latest
checkpoint are read from the page's own transaction, and the one process-level fact the
ledger caches (that the shared checkpoints table exists, see `store.ensure_checkpoints_table`)
and the 60 s clock are updated only when a transaction commits. So the runner's retry of a
rolled-back page starts from exactly what the database holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from projections.ledger.checkpoint_rows import insert_checkpoints, last_checkpoint
from projections.ledger.checkpoints import Checkpoint, Signer
from projections.ledger.leaves import canonical_id, hash_event
from projections.ledger.merkle import Frontier
from projections.ledger.store import fetch_nodes, tip
from projections.ledger.tables import LedgerTables, define_tables
from projections.protocol import Item
from projections.sql import Versions, insert_all

NAME = "ledger"
EVERY_EVENTS = 1000
EVERY_SECONDS = 60.0

SignerFactory = Callable[[], Signer]


class LedgerProjection:
    """Appends one RFC 6962 leaf per stored event; signs checkpoints as they fall due."""

    name = NAME
    version = 1
    needs_events = False

    def __init__(
        self,
        signer: Signer | SignerFactory | None = None,
        every_events: int = EVERY_EVENTS,
        every_seconds: float = EVERY_SECONDS,
    ) -> None:
        self.tables: Versions[LedgerTables] = Versions(define_tables)
        self.every_events = every_events
        self.every_seconds = every_seconds
        self._signer = signer
        self._since_checkpoint = time.monotonic()

    def define(self, metadata: sa.MetaData, suffix: str) -> None:
        self.tables.define(metadata, suffix)

    @property
    def signer(self) -> Signer | None:
        if self._signer is not None and not isinstance(self._signer, Signer):
            self._signer = self._signer()
        return self._signer

    def apply(self, conn: Connection, page: Sequence[Item]) -> None:
        """Seal one page; everything it starts from is read from the page's transaction.

        The tree's size, frontier and last checkpoint are loaded afresh for every page and
        nothing of the page is kept in memory after it: a failed page (rolled back by the
        runner) leaves no trace here, and the retry starts from what the database holds.
        """
        t = self.tables.applying(conn)
        size, last_id = tip(conn, t)
        frontier = Frontier(size, fetch_nodes(conn, t, Frontier.keys(size), ordered=True))
        previous = last_checkpoint(conn, t)
        signed_size = previous.tree_size if previous else 0
        leaves: list[dict[str, Any]] = []
        gaps: list[dict[str, Any]] = []
        closed: list[tuple[int, int, bytes]] = []
        checkpoints: list[Checkpoint] = []
        for item in page:
            n = item.notification
            if n.id <= last_id:
                continue
            if n.id != last_id + 1:
                gaps.append(
                    {
                        "leaf_index": frontier.size,
                        "first_missing": last_id + 1,
                        "last_missing": n.id - 1,
                    }
                )
            oid = canonical_id(n.originator_id)
            digest = hash_event(n.id, oid, n.originator_version, n.topic, n.state)
            leaves.append(
                {
                    "leaf_index": frontier.size,
                    "notification_id": n.id,
                    "originator_id": oid,
                    "originator_version": n.originator_version,
                    "leaf_hash": digest,
                }
            )
            frontier.push(digest, closed)
            last_id = n.id
            if frontier.size - signed_size >= self.every_events and self._may_sign():
                checkpoints.append(self._sign(conn, frontier))
                signed_size = frontier.size
        if frontier.size > signed_size and self._time_is_due(previous, checkpoints):
            checkpoints.append(self._sign(conn, frontier))
        insert_all(conn, t.leaves, leaves)
        insert_all(conn, t.nodes, [{"level": lv, "idx": i, "hash": h} for lv, i, h in closed])
        insert_all(conn, t.gaps, gaps)
        insert_checkpoints(conn, t, checkpoints)

    def _may_sign(self) -> bool:
        return self._signer is not None

    def _sign(self, conn: Connection, frontier: Frontier) -> Checkpoint:
        signer = self.signer
        assert signer is not None
        sa.event.listen(conn, "commit", self._signed, once=True)
        return signer.sign(frontier.size, frontier.root())

    def _signed(self, _conn: Connection) -> None:
        """The page that signed committed: only then does the 60 s clock restart."""
        self._since_checkpoint = time.monotonic()

    def _time_is_due(self, previous: Checkpoint | None, made: list[Checkpoint]) -> bool:
        if made or not self._may_sign():
            return False
        if time.monotonic() - self._since_checkpoint >= self.every_seconds:
            return True
        if previous is None:
            return False
        age = datetime.now(UTC) - datetime.fromisoformat(previous.signed_at)
        return age.total_seconds() >= self.every_seconds
