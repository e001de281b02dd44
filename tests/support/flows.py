"""Driving a fresh engagement over HTTP up to where sessions may be held."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from flask.testing import FlaskClient

from tests.support.api_world import World, body


@dataclass
class Fresh:
    eid: UUID
    cfo: str
    coo: str


def post(client: FlaskClient, world: World, who: str, path: str, **fields: Any) -> Any:
    r = client.post(path, json=body(**fields), headers=world.headers(who))
    assert r.status_code in (200, 201), (path, r.status_code, r.json)
    return r.json


def fresh_engagement(client: FlaskClient, world: World) -> Fresh:
    """Opened, agreement signed, two protagonists with coaches A and B, consents given."""
    eid = UUID(
        post(
            client,
            world,
            "admin",
            "/engagements",
            title="Board",
            organisation="Acme",
            sponsor="acme",
        )["engagement_id"]
    )
    e = f"/engagements/{eid}"
    post(
        client,
        world,
        "admin",
        f"{e}/agreement",
        parties=["all"],
        confidentiality="kept",
        retention_days=365,
    )
    ids = []
    for name, coach in (("Ann", "coach-amelie"), ("Bob", "coach-bruno")):
        pid = post(client, world, "admin", f"{e}/protagonists", name=name)["item_id"]
        post(
            client,
            world,
            "admin",
            f"{e}/protagonists/{pid}/coach",
            coach_id=coach,
            coach_name=coach,
        )
        coach_token = "coach_a" if coach == "coach-amelie" else "coach_b"
        post(
            client,
            world,
            coach_token,
            f"{e}/protagonists/{pid}/consents",
            scope="coaching",
            evidence="signed form",
        )
        ids.append(pid)
    return Fresh(eid, *ids)
