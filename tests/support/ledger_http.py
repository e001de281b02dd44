"""What an auditor's client does with the ledger routes: the headers it sends, the verifier
key and the latest note it fetches (checked as text/plain), hex proofs decoded."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.support import spec_verifier as spec
from tests.support.api_world import World

ORIGIN = "trustpath.example/norwind-test"


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
