"""Command schemas load straight into the command dataclasses, whose defaults they document.

A default is declared once, on the command's dataclass (`domain.commands`); the HTTP schema
takes it from there, so the OpenAPI document shows it and a body that leaves the field out
gets exactly that value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from domain.commands import EnrolProtagonist, HoldIndividualSession, HonourCommitment
from tests.support.api_world import World

pytestmark = pytest.mark.api


def properties(client: FlaskClient, schema: str) -> dict[str, Any]:
    doc = client.get("/openapi.json").json
    found: dict[str, Any] = doc["components"]["schemas"][schema]["properties"]
    return found


def test_openapi_documents_the_defaults_declared_on_the_command_dataclasses(
    client: FlaskClient,
) -> None:
    assert properties(client, "HonourIn")["assessed_by"]["default"] == "coach"
    assert HonourCommitment.assessed_by == "coach"
    assert properties(client, "ProtagonistIn")["kind"]["default"] == EnrolProtagonist.kind
    assert properties(client, "IndividualSessionIn")["notes"]["default"] is None
    assert HoldIndividualSession.notes is None


def test_enrolment_without_a_kind_enrols_a_person(world: World, client: FlaskClient) -> None:
    at = datetime.now(UTC).isoformat()
    opening = {"occurred_at": at, "title": "T", "organisation": "O", "sponsor": "s"}
    opened = client.post("/engagements", json=opening, headers=world.headers("admin"))
    assert opened.status_code == 201, opened.json
    eid = opened.json["engagement_id"]
    r = client.post(
        f"/engagements/{eid}/protagonists",
        json={"occurred_at": at, "name": "Third"},
        headers=world.headers("admin"),
    )
    assert r.status_code == 201, r.json
    enrolled = world.app.engagement(UUID(eid)).protagonists[r.json["item_id"]]
    assert enrolled["kind"] == "person"
