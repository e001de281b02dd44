"""Proofs as JSON (hashes in lowercase hex), for the CLI, the HTTP API and auditors.

    inclusion    {"leaf_index", "tree_size", "leaf_hash", "audit_path", "root_hash"}
                 audit_path from the leaf upwards (RFC 6962 §2.1.1)
    consistency  {"first_size", "second_size", "first_root", "second_root", "proof"}
                 (RFC 6962 §2.1.2)

A *bundle* is one of these, optionally with "notification_id" and the "checkpoint" (as
exported) whose size and root it is against; `check_bundle` verifies it offline: the
hashes recompute, and with a public key the checkpoint's signature holds and it names the
same size and root.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from projections.ledger.checkpoints import Checkpoint, verify_checkpoint
from projections.ledger.merkle import verify_consistency, verify_inclusion
from projections.ledger.store import LedgerNotReadyError, LedgerStore

Json = dict[str, Any]


def prove_inclusion(
    store: LedgerStore,
    *,
    index: int | None = None,
    notification_id: int | None = None,
    tree_size: int | None = None,
) -> Json:
    """An inclusion proof for a leaf (by index or event notification id).

    Without `tree_size`, against the latest checkpoint (included in the answer), or the
    current tree when none was signed yet.
    """
    leaf = store.leaf(index=index, notification_id=notification_id)
    checkpoint = store.latest_checkpoint() if tree_size is None else None
    size = tree_size or (checkpoint.tree_size if checkpoint else store.size())
    if checkpoint is not None and leaf.leaf_index >= checkpoint.tree_size:
        checkpoint, size = None, store.size()
    proof: Json = {
        "leaf_index": leaf.leaf_index,
        "tree_size": size,
        "leaf_hash": leaf.leaf_hash.hex(),
        "audit_path": [h.hex() for h in store.inclusion(leaf.leaf_index, size)],
        "root_hash": store.root(size).hex(),
        "notification_id": leaf.notification_id,
    }
    if checkpoint is not None:
        proof["checkpoint"] = checkpoint.as_json()
    return proof


def prove_consistency(store: LedgerStore, first: int, second: int | None = None) -> Json:
    second = store.size() if second is None else second
    return {
        "first_size": first,
        "second_size": second,
        "first_root": store.root(first).hex(),
        "second_root": store.root(second).hex(),
        "proof": [h.hex() for h in store.consistency(first, second)],
    }


def latest_checkpoint(store: LedgerStore) -> Json:
    checkpoint = store.latest_checkpoint()
    if checkpoint is None:
        raise LedgerNotReadyError("no checkpoint has been signed yet")
    return checkpoint.as_json()


def check_bundle(bundle: Json, public_key: Ed25519PublicKey | None = None) -> list[str]:
    """What is wrong with a proof bundle (empty when it holds)."""
    try:
        problems = _check_hashes(bundle)
    except (KeyError, ValueError, TypeError) as error:
        return [f"malformed proof: {type(error).__name__}: {error}"]
    if "checkpoint" in bundle:
        problems += _check_checkpoint(
            bundle, Checkpoint.from_json(bundle["checkpoint"]), public_key
        )
    elif public_key is not None:
        problems.append("the proof carries no checkpoint to check the public key against")
    return problems


def _check_hashes(b: Json) -> list[str]:
    if "audit_path" in b:
        ok = verify_inclusion(
            int(b["leaf_index"]),
            int(b["tree_size"]),
            bytes.fromhex(b["leaf_hash"]),
            [bytes.fromhex(h) for h in b["audit_path"]],
            bytes.fromhex(b["root_hash"]),
        )
        return [] if ok else ["the audit path does not lead from the leaf to the root"]
    ok = verify_consistency(
        int(b["first_size"]),
        int(b["second_size"]),
        bytes.fromhex(b["first_root"]),
        bytes.fromhex(b["second_root"]),
        [bytes.fromhex(h) for h in b["proof"]],
    )
    return [] if ok else ["the consistency proof does not join the two roots"]


def _check_checkpoint(b: Json, c: Checkpoint, key: Ed25519PublicKey | None) -> list[str]:
    problems = []
    size, root = (
        (b["tree_size"], b["root_hash"])
        if "audit_path" in b
        else (b["second_size"], b["second_root"])
    )
    if c.tree_size != int(size) or c.root_hash.hex() != root:
        problems.append("the checkpoint names another tree size or root than the proof")
    if key is not None and not verify_checkpoint(c, key):
        problems.append("the checkpoint's signature does not verify with this public key")
    return problems
