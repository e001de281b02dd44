"""The OpenAPI contract: /openapi.json is OpenAPI 3.1, /docs works offline, and schemathesis
finds no 5xx and no response that does not match the document (bounded: few examples)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings

from tests.support.api_world import World
from tests.support.contract_checks import CHECKS

pytestmark = pytest.mark.api
EXAMPLES = 20


def test_openapi_document_is_3_1_with_every_resource(client: FlaskClient) -> None:
    doc = client.get("/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    paths = set(doc["paths"])
    for expected in (
        "/engagements",
        "/engagements/{eid}",
        "/engagements/{eid}/individual-sessions/{sid}/notes",
        "/engagements/{eid}/protagonists/{pid}/intention",
        "/engagements/{eid}/commitments/{cid}/renegotiate",
        "/engagements/{eid}/timeline",
        "/engagements/{eid}/history",
        "/health/ready",
    ):
        assert expected in paths
    problem = doc["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(problem) == ["application/problem+json"]


def test_docs_page_and_its_assets_are_served_locally(client: FlaskClient) -> None:
    page = client.get("/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/openapi.json" in html
    assert "cdn" not in html
    assert "unpkg" not in html
    with client.get("/docs/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200
        assert len(bundle.data) > 100_000


def real_ids(world: World) -> dict[str, str]:
    world.app.engagement(world.eid)
    return {
        "eid": str(world.eid),
        "pid": world.demo.protagonists["cfo"],
        "sid": world.session_with_notes(),
        "cid": world.demo.commitments["confrontation"],
        "principal_id": next(
            p.id
            for p in world.flask.extensions["trustpath.principals"].list()
            if p.name == "report_reader"
        ),
    }


def test_every_operation_matches_the_document(world: World) -> None:
    """Generated requests against every operation (a few each): no 5xx, no drift."""
    api = schemathesis.openapi.from_wsgi("/openapi.json", world.flask)
    headers = world.headers("admin")
    failures: list[str] = []
    statuses: list[int] = []
    for result in api.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
            database=None,
        )
        def exercise(case: Any) -> None:
            if len(statuses) % 3:  # two cases in three aim at things that exist
                known = real_ids(world)
                for name in case.path_parameters or {}:
                    case.path_parameters[name] = known[name]
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses.append(response.status_code)

        try:
            exercise()
        except Exception as error:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {error}")
    assert failures == [], "\n\n".join(failures)
    assert len(statuses) >= len(list(api.get_all_operations())) * 2
    assert {200, 201, 403, 404, 409, 422} <= set(statuses)
