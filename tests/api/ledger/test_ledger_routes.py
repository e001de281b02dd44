"""The ledger over HTTP, on SQLite and PostgreSQL: auditors only; notes and proofs that a
verifier written from the specifications (tests/support/spec_verifier.py) accepts.

Columns: ad=admin au=auditor rr=report_reader sp=sponsor so=sponsor_other ca=coach_a
         cb=coach_b co=coach_other P=cfo Q=coo po=protagonist_other, an=anonymous
"""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidSignature
from flask.testing import FlaskClient

from tests.support import spec_verifier as spec
from tests.support.api_world import World
from tests.support.ledger_http import ORIGIN, auditor, hexes, latest_note, verifier_key
from tests.support.matrix import SECRETS, WHO

pytestmark = pytest.mark.api
# route                  ad   au   rr   sp   so   ca   cb   co   P    Q    po   an
MATRIX = """
latest                   403  200  403  403  403  403  403  403  403  403  403  401
latest_text              403  200  403  403  403  403  403  403  403  403  403  401
latest_note              403  200  403  403  403  403  403  403  403  403  403  401
checkpoints              403  200  403  403  403  403  403  403  403  403  403  401
inclusion                403  200  403  403  403  403  403  403  403  403  403  401
inclusion_by_index       403  200  403  403  403  403  403  403  403  403  403  401
consistency              403  200  403  403  403  403  403  403  403  403  403  401
public_key               403  200  403  403  403  403  403  403  403  403  403  401
public_key_text          403  200  403  403  403  403  403  403  403  403  403  401
public_key_note          403  200  403  403  403  403  403  403  403  403  403  401
public_keys              403  200  403  403  403  403  403  403  403  403  403  401
"""
ROUTES = {
    "latest": ("/ledger/checkpoints/latest", {}),
    "latest_text": ("/ledger/checkpoints/latest", {"Accept": "text/plain"}),
    "latest_note": ("/ledger/checkpoints/latest/note", {}),
    "checkpoints": ("/ledger/checkpoints?from_size=1", {}),
    "inclusion": ("/ledger/proofs/inclusion?event=3", {}),
    "inclusion_by_index": ("/ledger/proofs/inclusion?index=0", {}),
    "consistency": ("/ledger/proofs/consistency?first=5", {}),
    "public_key": ("/ledger/public-key", {}),
    "public_key_text": ("/ledger/public-key", {"Accept": "text/plain"}),
    "public_key_note": ("/ledger/public-key/note", {}),
    "public_keys": ("/ledger/public-keys", {}),
}


def test_ledger_routes_answer_auditors_only_cell_by_cell(world: World, client: FlaskClient) -> None:
    wrong = []
    for line in MATRIX.strip().splitlines():
        route, *codes = line.split()
        path, extra = ROUTES[route]
        for who, code in zip([*WHO, "anonymous"], codes, strict=True):
            headers = dict(extra) if who == "anonymous" else world.headers(who, **extra)
            answer = client.get(path, headers=headers)
            text = answer.get_data(as_text=True)
            if answer.status_code != int(code) or any(s in text for s in SECRETS):
                wrong.append((route, who, code, answer.status_code))
    assert wrong == [], "\n".join(map(str, wrong))


def test_latest_note_opens_with_a_verifier_written_from_the_spec(
    world: World, client: FlaskClient
) -> None:
    name, key = verifier_key(client, world)
    note = latest_note(client, world)
    origin, size, root = spec.open_checkpoint(note, name, key)
    as_json = client.get("/ledger/checkpoints/latest", headers=auditor(world)).get_json()
    negotiated = client.get(
        "/ledger/checkpoints/latest", headers=auditor(world, Accept="text/plain")
    )
    assert (origin, name) == (ORIGIN, ORIGIN)
    assert (size, root.hex()) == (as_json["tree_size"], as_json["root_hash"])
    assert as_json["note"] == note == negotiated.get_data(as_text=True)
    assert negotiated.mimetype == "text/plain"


def test_every_inclusion_proof_over_http_verifies_against_the_notes_root(
    world: World, client: FlaskClient
) -> None:
    name, key = verifier_key(client, world)
    _, size, root = spec.open_checkpoint(latest_note(client, world), name, key)
    for index in range(size):
        query = f"index={index}" if index % 2 else f"event={index + 1}"
        answer = client.get(f"/ledger/proofs/inclusion?{query}", headers=auditor(world))
        proof = answer.get_json()
        assert (proof["leaf_index"], proof["tree_size"]) == (index, size), query
        leaf, path = bytes.fromhex(proof["leaf_hash"]), hexes(proof["audit_path"])
        assert spec.root_from_path(index, size, leaf, path) == root, query


def test_consistency_proof_over_http_joins_the_two_notes(world: World, client: FlaskClient) -> None:
    name, key = verifier_key(client, world)
    page = client.get("/ledger/checkpoints", headers=auditor(world)).get_json()
    first, second = (spec.open_checkpoint(c["note"], name, key) for c in page["items"])
    answer = client.get(f"/ledger/proofs/consistency?first={first[1]}", headers=auditor(world))
    proof = answer.get_json()
    assert (proof["first_size"], proof["second_size"]) == (first[1], second[1])
    assert first[1] < second[1]
    joined = spec.roots_from_consistency(first[1], second[1], hexes(proof["proof"]), True, first[2])
    assert joined == (first[2], second[2])


def test_a_tampered_proof_or_note_fails_the_spec_verifier(
    world: World, client: FlaskClient
) -> None:
    name, key = verifier_key(client, world)
    note = latest_note(client, world)
    _, size, root = spec.open_checkpoint(note, name, key)
    proof = client.get("/ledger/proofs/inclusion?event=7", headers=auditor(world)).get_json()
    leaf, path = bytes.fromhex(proof["leaf_hash"]), hexes(proof["audit_path"])
    assert spec.root_from_path(6, size, leaf, path) == root
    path[0] = bytes([path[0][0] ^ 1]) + path[0][1:]
    assert spec.root_from_path(6, size, leaf, path) != root
    lines = note.split("\n")
    lines[2] = base64.b64encode(bytes(32)).decode()
    with pytest.raises(InvalidSignature):
        spec.open_checkpoint("\n".join(lines), name, key)
    lines = note.split("\n")
    lines[1] = str(size + 1)
    with pytest.raises(InvalidSignature):
        spec.open_checkpoint("\n".join(lines), name, key)
