"""The ledger over HTTP, on SQLite and PostgreSQL: auditors only; notes and proofs that a
verifier written from the specifications (tests/api/spec_verifier.py) accepts.

Columns: ad=admin au=auditor rr=report_reader sp=sponsor so=sponsor_other ca=coach_a
         cb=coach_b co=coach_other P=cfo Q=coo po=protagonist_other, an=anonymous
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from flask.testing import FlaskClient

from api import create_app
from domain.ciphers import MasterKey
from domain.config import store_env
from domain.trustpath import Trustpath
from domain.values import Actor
from ops.demo import play
from projections.engine import make_engine
from projections.ledger.checkpoints import Signer
from projections.ledger.store import LedgerStore
from projections.wiring import attach
from tests.api import spec_verifier as spec
from tests.api.conftest import TEST_CONFIG, World, add_principals
from tests.api.test_matrix import SECRETS, WHO

pytestmark = pytest.mark.api
ORIGIN = "trustpath.example/norwind-test"

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


@pytest.fixture
def signer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Signer:
    """The deployment's ledger key, configured as an operator would."""
    made = Signer.generate()
    (tmp_path / "ledger.key").write_bytes(made.private_pem())
    monkeypatch.setenv("TRUSTPATH_LEDGER_KEY_FILE", str(tmp_path / "ledger.key"))
    monkeypatch.setenv("TRUSTPATH_LOG_ORIGIN", ORIGIN)
    return Signer(made.private_key, ORIGIN)


@pytest.fixture
def world(store_url: str, master_key: MasterKey, signer: Signer) -> Iterator[World]:
    """The demo played twice, a checkpoint after each (so two sizes to join), on both stores."""
    app = Trustpath(store_env(store_url), master_key=master_key)
    engine = make_engine(store_url)
    read_side = attach(app, engine)
    ledger = LedgerStore(engine)
    demo = play(app)
    ledger.checkpoint(signer)
    other = play(app)
    cfo = demo.protagonists["cfo"]
    field = next(
        f
        for f, (owner, _) in app.engagement(demo.engagement_id).content_index.items()
        if owner == cfo
    )
    app.read_content(demo.engagement_id, Actor(cfo, "protagonist"), field, "review")
    read_side.catch_up()
    ledger.checkpoint(signer)
    flask_app = create_app(app, config=TEST_CONFIG, read_side=read_side)
    store = flask_app.extensions["trustpath.principals"]
    yield World(app, flask_app, demo, other, add_principals(store, demo, other))
    read_side.close()
    store.close()
    engine.dispose()
    app.close()


def auditor(world: World, **extra: str) -> dict[str, str]:
    return world.headers("auditor", **extra)


def verifier_key(client: FlaskClient, world: World) -> tuple[str, bytes]:
    answer = client.get("/ledger/public-key/note", headers=auditor(world))
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    return spec.parse_verifier_key(answer.get_data(as_text=True))


def latest_note(client: FlaskClient, world: World) -> str:
    answer = client.get("/ledger/checkpoints/latest/note", headers=auditor(world))
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    return answer.get_data(as_text=True)


def hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


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


def test_checkpoints_page_by_tree_size_with_a_cursor(world: World, client: FlaskClient) -> None:
    everything = client.get("/ledger/checkpoints", headers=auditor(world)).get_json()
    sizes = [c["tree_size"] for c in everything["items"]]
    assert len(sizes) == 2
    assert everything["next_cursor"] is None
    first = client.get("/ledger/checkpoints?limit=1", headers=auditor(world)).get_json()
    assert [c["tree_size"] for c in first["items"]] == sizes[:1]
    cursor = first["next_cursor"]
    rest = client.get(f"/ledger/checkpoints?limit=1&cursor={cursor}", headers=auditor(world))
    assert [c["tree_size"] for c in rest.get_json()["items"]] == sizes[1:]
    ranged = client.get(f"/ledger/checkpoints?from_size={sizes[0] + 1}", headers=auditor(world))
    assert [c["tree_size"] for c in ranged.get_json()["items"]] == sizes[1:]
    below = client.get(f"/ledger/checkpoints?to_size={sizes[1] - 1}", headers=auditor(world))
    assert [c["tree_size"] for c in below.get_json()["items"]] == sizes[:1]


def test_consistency_proof_from_and_to_the_empty_tree_is_empty(
    world: World, client: FlaskClient
) -> None:
    answer = client.get("/ledger/proofs/consistency?first=0&second=0", headers=auditor(world))
    proof = answer.get_json()
    assert (proof["first_size"], proof["second_size"], proof["proof"]) == (0, 0, [])
    assert proof["first_root"] == proof["second_root"] == hashlib.sha256(b"").hexdigest()


def test_public_key_answers_pem_and_the_same_key_as_a_verifier_key(
    world: World, client: FlaskClient, signer: Signer
) -> None:
    from cryptography.hazmat.primitives import serialization

    data = client.get("/ledger/public-key", headers=auditor(world)).get_json()
    name, raw = spec.parse_verifier_key(data["verifier_key"])
    pem = serialization.load_pem_public_key(data["pem"].encode())
    assert pem.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == raw
    assert (name, data["origin"], data["key_id"]) == (ORIGIN, ORIGIN, signer.key_id)
    text = client.get("/ledger/public-key", headers=auditor(world, Accept="text/plain"))
    assert text.get_data(as_text=True) == data["verifier_key"] + "\n"


def test_public_keys_list_every_key_with_its_validity_range_after_a_rotation(
    world: World, client: FlaskClient, signer: Signer
) -> None:
    from projections.ledger.keyset import register_keys

    before = client.get("/ledger/public-keys", headers=auditor(world)).get_json()["keys"]
    assert [(k["key_id"], k["status"]) for k in before] == [(signer.key_id, "current")]
    successor = Signer(Signer.generate().private_key, ORIGIN)
    engine = world.flask.extensions["trustpath.read_side"].engine
    register_keys(engine, signer, successor)
    play(world.app)
    world.flask.extensions["trustpath.read_side"].catch_up()
    LedgerStore(engine).checkpoint(successor)
    keys = client.get("/ledger/public-keys", headers=auditor(world)).get_json()["keys"]
    old, new = keys
    assert (old["key_id"], old["status"], new["key_id"], new["status"]) == (
        signer.key_id,
        "retired",
        successor.key_id,
        "current",
    )
    assert old["valid_until"]["tree_size"] < new["valid_from"]["tree_size"]
    assert old["retired_at"] == new["valid_from"]["signed_at"]
    assert new["valid_until"] is None


@pytest.mark.parametrize(
    ("query", "status", "names"),
    [
        ("proofs/inclusion", 422, "event"),
        ("proofs/inclusion?event=3&index=2", 422, "event"),
        ("proofs/inclusion?event=0", 422, "event"),
        ("proofs/inclusion?event=99999", 404, "event 99999"),
        ("proofs/inclusion?index=2&tree_size=99999", 422, "99999"),
        ("proofs/consistency", 422, "first"),
        ("proofs/consistency?first=9&second=3", 422, "from size 9 to size 3"),
        ("checkpoints?cursor=%%%", 422, "cursor"),
        ("checkpoints?limit=0", 422, "limit"),
        ("proofs/inclusion?event=99999999999999999999999", 422, "event"),
        ("proofs/inclusion?index=99999999999999999999", 422, "index"),
        ("checkpoints?from_size=99999999999999999999999", 422, "from_size"),
        ("checkpoints?to_size=99999999999999999999999", 422, "to_size"),
        ("checkpoints?cursor=OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", 422, "cursor"),
    ],
)
def test_ledger_routes_refuse_bad_input_with_a_problem_naming_it(
    world: World, client: FlaskClient, query: str, status: int, names: str
) -> None:
    answer = client.get(f"/ledger/{query}", headers=auditor(world))
    assert answer.status_code == status
    assert answer.mimetype == "application/problem+json"
    assert names in answer.get_data(as_text=True)


def test_a_database_from_before_notes_serves_json_and_signs_a_note_on_the_next_checkpoint(
    world: World, client: FlaskClient, signer: Signer
) -> None:
    """As a new process finds a database whose checkpoints predate notes (no notes table)."""
    import sqlalchemy as sa

    from projections.ledger import checkpoint_rows

    engine = world.flask.extensions["trustpath.read_side"].engine
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE trustpath_ledger_notes"))
    checkpoint_rows._created.clear()
    old = client.get("/ledger/checkpoints/latest", headers=auditor(world))
    assert old.status_code == 200
    assert "note" not in old.get_json()
    refused = client.get("/ledger/checkpoints/latest/note", headers=auditor(world))
    assert refused.status_code == 404
    assert "before signed notes" in refused.get_json()["detail"]
    LedgerStore(engine).checkpoint(signer)
    name, key = verifier_key(client, world)
    _, size, _ = spec.open_checkpoint(latest_note(client, world), name, key)
    assert size == old.get_json()["tree_size"]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_every_ledger_operation_matches_the_document_for_an_auditor(world: World) -> None:
    """Generated requests (a few each) as the auditor: no 5xx, no drift from /openapi.json."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    from tests.api.test_contract import CHECKS

    api = schemathesis.openapi.from_wsgi("/openapi.json", world.flask)
    failures: list[str] = []
    statuses: list[int] = []
    for result in api.include(path_regex="^/ledger").get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
            database=None,
        )
        def exercise(case: object) -> None:
            response = case.call_and_validate(headers=auditor(world), checks=CHECKS)  # type: ignore[attr-defined]
            statuses.append(response.status_code)

        try:
            exercise()
        except Exception as error:  # every operation's failure, then all of them
            failures.append(f"{operation.label}: {error}")
    assert failures == [], "\n\n".join(failures)
    assert {200, 422} <= set(statuses)
