"""Principals over HTTP, for the admin: the token is shown once, stored hashed, never
listed; a revocation refuses the token's next request, in this worker or another."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from api.principals import PrincipalStore, hash_token, principals
from tests.support.api_world import World
from tests.support.flows import fresh_engagement, post

pytestmark = pytest.mark.api


def add(client: FlaskClient, world: World, **fields: Any) -> Any:
    return client.post("/principals", json=fields, headers=world.headers("admin"))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_added_principal_gets_a_token_shown_once_and_stored_only_hashed(
    world: World, client: FlaskClient
) -> None:
    r = add(client, world, role="auditor", name="External auditor")
    assert r.status_code == 201
    assert r.headers["Cache-Control"] == "no-store"
    token = r.json["token"]
    assert client.get("/audit/access-log", headers=bearer(token)).status_code == 200
    listed = client.get("/principals?limit=200", headers=world.headers("admin"))
    assert token not in listed.get_data(as_text=True)
    assert hash_token(token) not in listed.get_data(as_text=True)
    assert all("token" not in p for p in listed.json["items"])
    assert r.json["id"] in {p["id"] for p in listed.json["items"]}
    store = world.flask.extensions["trustpath.principals"]
    with store.engine.connect() as conn:
        stored = [str(v) for row in conn.execute(sa.select(principals)) for v in row]
    assert token not in stored


def test_enrolling_a_protagonist_and_giving_them_access_is_one_flow(
    world: World, client: FlaskClient
) -> None:
    eid = fresh_engagement(client, world).eid
    e = f"/engagements/{eid}"
    pid = post(client, world, "admin", f"{e}/protagonists", name="Ines")["item_id"]
    post(client, world, "admin", f"{e}/protagonists/{pid}/coach", coach_id="c-z", coach_name="Z")
    added = add(
        client, world, role="protagonist", name="Ines", protagonist_id=pid, engagement_id=str(eid)
    )
    assert added.status_code == 201, added.json
    assert added.json["acts_as"] == pid
    ines = bearer(added.json["token"])
    assert client.get(e, headers=ines).status_code == 200
    assert client.get(f"{e}/protagonists/{pid}/access-log", headers=ines).status_code == 200
    assert client.get(f"/engagements/{world.eid}", headers=ines).status_code == 403


def test_revoked_token_is_refused_at_its_next_request_in_every_worker(
    world: World, client: FlaskClient
) -> None:
    token = add(client, world, role="auditor", name="Temp").json["token"]
    other_worker = PrincipalStore(world.flask.extensions["trustpath.principals"].engine)
    assert other_worker.authenticate(token) is not None
    listed = client.get("/principals?limit=200", headers=world.headers("admin")).json["items"]
    pid = next(p["id"] for p in listed if p["name"] == "Temp")
    revoked = client.post(f"/principals/{pid}/revoke", headers=world.headers("admin"))
    assert revoked.status_code == 200
    assert revoked.json["revoked_at"] is not None
    assert client.get("/audit/access-log", headers=bearer(token)).status_code == 401
    assert other_worker.authenticate(token) is None
    again = client.post(f"/principals/{pid}/revoke", headers=world.headers("admin"))
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"name": "x"}, "role"),
        ({"role": "king", "name": "x"}, "role"),
        ({"role": "auditor"}, "name"),
        ({"role": "auditor", "name": "   "}, "name"),
        ({"role": "auditor", "name": "x" * 201}, "name"),
        ({"role": "protagonist", "name": "x"}, "protagonist_id"),
        ({"role": "coach", "name": "x", "coach_id": " "}, "coach_id"),
        ({"role": "admin", "name": "x", "protagonist_id": "p"}, "protagonist_id"),
        ({"role": "coach", "name": "x", "coach_id": "c", "sponsor_id": "s"}, "sponsor_id"),
        (
            {
                "role": "auditor",
                "name": "x",
                "engagement_id": "00000000-0000-0000-0000-000000000001",
            },
            "engagement_id",
        ),
        (
            {"role": "sponsor", "name": "x", "sponsor_id": "s", "engagement_id": "nope"},
            "engagement_id",
        ),
        (
            {
                "role": "sponsor",
                "name": "x",
                "sponsor_id": "s",
                "engagement_id": "00000000-0000-0000-0000-000000000001",
            },
            "engagement_id",
        ),
        ({"role": "auditor", "name": "x", "token": "mine"}, "token"),
    ],
)
def test_principal_is_refused_with_422_naming_the_field(
    world: World, client: FlaskClient, fields: dict[str, Any], named: str
) -> None:
    r = add(client, world, **fields)
    assert r.status_code == 422, r.json
    assert named in str(r.json["errors"])


def test_a_subject_must_be_a_party_of_the_engagement_named(
    world: World, client: FlaskClient
) -> None:
    eid = str(world.eid)
    outsider = world.other.protagonists["cfo"]
    checks = [
        ({"role": "protagonist", "protagonist_id": outsider}, 422),
        ({"role": "protagonist", "protagonist_id": world.demo.protagonists["cfo"]}, 201),
        ({"role": "coach", "coach_id": "coach-zoe"}, 422),
        ({"role": "coach", "coach_id": "coach-amelie"}, 201),
        ({"role": "sponsor", "sponsor_id": "someone-else"}, 422),
        ({"role": "sponsor", "sponsor_id": "norwind-hr"}, 201),
    ]
    got = [add(client, world, name="n", engagement_id=eid, **f).status_code for f, _ in checks]
    assert got == [code for _, code in checks]


def test_principals_list_is_paged_with_a_cursor(world: World, client: FlaskClient) -> None:
    seen, cursor = [], None
    for _ in range(20):
        query = f"?limit=4&cursor={cursor}" if cursor else "?limit=4"
        page = client.get(f"/principals{query}", headers=world.headers("admin")).json
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    store = world.flask.extensions["trustpath.principals"]
    assert seen == [p.id for p in store.list()]
    assert len(seen) == len(world.tokens)
