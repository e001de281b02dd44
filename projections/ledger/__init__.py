"""The audit ledger: an RFC 6962 Merkle log over every stored event.

merkle.py       the tree, proofs and their verification (pure)
leaves.py       the canonical leaf encoding of an event as stored
tables.py       the ledger's tables (leaves, complete-subtree nodes, gaps, checkpoints)
projection.py   the projection that seals events into the tree, and the tree read back
checkpoints.py  Ed25519-signed checkpoints, the key, export
proofs.py       inclusion and consistency proofs as JSON, and their offline check
source.py       reading the events table directly (psycopg COPY, sqlite3)
verify.py       the verifier: recompute everything, name the first bad position
reports.py      the auditors' reports (confidentiality, who read my file)
"""

from __future__ import annotations

import logging

from projections.ledger.checkpoints import Signer, load_signer
from projections.ledger.projection import LedgerProjection

log = logging.getLogger("trustpath.ledger")


def configured_signer() -> Signer:
    """The signing key of this deployment's configuration (TRUSTPATH_LEDGER_KEY_FILE)."""
    from domain.config import Settings

    return load_signer(Settings.from_environ().production, say=log.warning)


def make_projection() -> LedgerProjection:
    """The ledger as the catalogue runs it; the key is loaded when a checkpoint falls due."""
    return LedgerProjection(signer=configured_signer)
