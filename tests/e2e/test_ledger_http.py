"""Over real HTTP (gunicorn, two workers, PostgreSQL): the auditor's ledger routes, each
worker signing nothing itself but serving the notes the in-process ticker signed."""

from __future__ import annotations

import time

import pytest

from tests.support import spec_verifier as spec
from tests.support.served import Server

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def first_note(server: Server) -> str:
    """The ticker signs the first checkpoint within seconds of start; ask a bounded number
    of times (no timing is asserted)."""
    for _ in range(240):
        answer = server.call("GET", "/ledger/checkpoints/latest/note", "auditor")
        if answer.status == 200:
            return bytes(answer.body).decode()
        assert answer.status == 404, answer.body
        time.sleep(0.25)
    raise AssertionError("no checkpoint was signed")


def test_auditor_opens_the_latest_note_and_checks_an_inclusion_proof_over_http(
    server: Server,
) -> None:
    note = first_note(server)
    key = server.call("GET", "/ledger/public-key", "auditor", headers={"Accept": "text/plain"})
    assert key.headers["content-type"].startswith("text/plain")
    name, public_key = spec.parse_verifier_key(bytes(key.body).decode())
    _, size, root = spec.open_checkpoint(note, name, public_key)
    proof = server.call(
        "GET", f"/ledger/proofs/inclusion?index={size - 1}&tree_size={size}", "auditor"
    )
    assert proof.status == 200
    path = [bytes.fromhex(h) for h in proof.body["audit_path"]]
    leaf = bytes.fromhex(proof.body["leaf_hash"])
    assert spec.root_from_path(size - 1, size, leaf, path) == root


def test_a_coach_is_refused_the_ledger_over_http(server: Server) -> None:
    answer = server.call("GET", "/ledger/checkpoints/latest", "coach_a")
    assert answer.status == 403
    assert answer.body["type"] == "/problems/ActionNotAllowedError"
