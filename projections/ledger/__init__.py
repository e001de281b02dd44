"""The audit ledger: an RFC 6962 Merkle log over every stored event.

merkle.py       the tree, proofs and their verification (pure)
leaves.py       the canonical leaf encoding of an event as stored
tables.py       the ledger's tables (leaves, complete-subtree nodes, gaps, checkpoints)
projection.py   the projection that seals events into the tree, and the tree read back
checkpoints.py  Ed25519-signed checkpoints, the key, export
notes.py        checkpoints as C2SP signed notes, verifier keys (the transparency-log standard)
proofs.py       inclusion and consistency proofs as JSON, and their offline check
source.py       reading the events table directly (psycopg COPY, sqlite3)
verify.py       the verifier: recompute everything, name the first bad position
restores.py     signed "restored at size N" records: the restore gap, told from tampering
reports.py      the auditors' reports (confidentiality, who read my file)

The signing key: a production configuration (or any configured TRUSTPATH_LEDGER_KEY_FILE)
loads it when the projection is made, so that a missing key stops the follower or the
server at start-up with one line (`LedgerKeyError` is a `ConfigurationError`), instead of
failing the ledger's pages one after another. The embedded default loads (or generates
under ./var/) the key only when the first checkpoint falls due.

After `trustpath keys rotate-ledger`, a process picks the new key up when restarted with
TRUSTPATH_LEDGER_KEY_FILE pointing at it: a production projection holds the key it loaded
at start (`keyset.py`: the old key stays valid until the new one's first checkpoint).

`tick(engine)` signs a checkpoint of a quiet log when one is due; idle loops call
it (it costs three single-row queries when nothing is due). `start_ticking` runs it every
few seconds on a daemon thread, for a process that has no idle loop of its own (the
in-process read side of `serve`).
"""

from __future__ import annotations

import logging
import os
import threading

from sqlalchemy.engine import Engine

from projections.engine import is_production
from projections.ledger.checkpoints import KEY_ENV, Checkpoint, LedgerKeyError, Signer, load_signer
from projections.ledger.projection import EVERY_EVENTS, EVERY_SECONDS, LedgerProjection
from projections.ledger.ticking import tick as _tick

__all__ = [
    "LedgerKeyError",
    "Ticker",
    "configured_signer",
    "make_projection",
    "start_ticking",
    "tick",
]
TICK_EVERY_S = 10.0

log = logging.getLogger("trustpath.ledger")


def configured_signer(production: bool | None = None) -> Signer:
    """The signing key of this deployment's configuration (TRUSTPATH_LEDGER_KEY_FILE);
    `production` defaults to the environment's (`projections.engine.is_production`)."""
    if production is None:
        production = is_production(os.environ)
    return load_signer(production, say=log.warning)


def make_projection() -> LedgerProjection:
    """The ledger as the catalogue runs it.

    Raises `LedgerKeyError` (one line) in production when the key is missing or unreadable.
    """
    production = is_production(os.environ)
    if production or os.environ.get(KEY_ENV, "").strip():
        return LedgerProjection(signer=configured_signer(production))
    return LedgerProjection(signer=configured_signer)


def tick(engine: Engine, production: bool | None = None) -> Checkpoint | None:
    """Sign a checkpoint if one is due: new leaves since the latest checkpoint, and that
    one is 60 s old or 1,000 leaves behind. None (cheaply) when nothing is due or the ledger
    has no live version yet. The key is loaded only when a checkpoint is signed.
    """
    return _tick(
        engine,
        lambda: configured_signer(production),
        every_seconds=EVERY_SECONDS,
        every_events=EVERY_EVENTS,
    )


class Ticker:
    """A daemon thread calling `tick` every `every_s` seconds until `stop()`."""

    def __init__(self, engine: Engine, production: bool | None, every_s: float) -> None:
        self.engine, self.production, self.every_s = engine, production, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ledger-tick", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                tick(self.engine, self.production)
            except Exception as error:  # a tick must never kill the thread
                log.error("ledger: checkpoint tick failed (%s); retrying", type(error).__name__)

    def start(self) -> Ticker:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop and wait for a tick under way (call before disposing of the engine)."""
        self._stop.set()
        self._thread.join()


def start_ticking(
    engine: Engine, production: bool | None = None, every_s: float = TICK_EVERY_S
) -> Ticker:
    """Call `tick` every `every_s` seconds on a daemon thread until `stop()`.

    A failure is logged and retried at the next tick.
    """
    return Ticker(engine, production, every_s).start()
