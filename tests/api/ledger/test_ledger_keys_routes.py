"""The ledger's keys and pages over HTTP, on SQLite and PostgreSQL: checkpoints paged by tree
size, the public key as PEM and as a verifier key, every key with its validity range after
a rotation, bad input refused with a problem naming it, a database from before notes, and
every ledger operation as the OpenAPI document describes it."""

from __future__ import annotations

import hashlib

import pytest
from flask.testing import FlaskClient

from ops.demo import play
from projections.ledger.checkpoints import Signer
from projections.ledger.store import LedgerStore
from tests.support import spec_verifier as spec
from tests.support.api_world import World
from tests.support.ledger_http import ORIGIN, auditor, latest_note, verifier_key

pytestmark = pytest.mark.api


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

    from tests.support.contract_checks import CHECKS

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
