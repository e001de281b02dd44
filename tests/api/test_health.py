"""Readiness for load balancers: a read side that lags keeps the server in rotation
(degraded, with the lag); a store that cannot be reached takes it out (503, Retry-After)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api import create_app
from tests.support.api_world import TEST_CONFIG, World, body

pytestmark = pytest.mark.api


def test_ready_is_200_degraded_with_the_lag_when_the_projections_are_behind(
    world: World,
) -> None:
    world.flask.extensions["trustpath.read_side"].detach()  # a follower that stopped
    client = world.flask.test_client()
    for n in range(3):
        answer = client.post(
            "/engagements",
            json=body(title=f"t{n}", organisation="o", sponsor="s"),
            headers=world.headers("admin"),
        )
        assert answer.status_code == 201
    world.flask.config["PROJECTION_LAG_LIMIT"] = 2
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json["status"] == "degraded"
    assert ready.json["lag"] == 3
    assert ready.json["position"] - ready.json["projections_reached"] == 3


def test_ready_is_503_not_ready_with_retry_after_when_the_store_cannot_be_read(
    world: World, client: FlaskClient, sqlite_url: str
) -> None:
    assert client.get("/health/ready").json["status"] == "ready"
    Path(sqlite_url.removeprefix("sqlite:///")).unlink()  # the store is gone
    world.app.recorder.datastore.close()  # type: ignore[attr-defined]
    gone = create_app(world.app, config=TEST_CONFIG, read_side=None).test_client()
    ready = gone.get("/health/ready")
    assert ready.status_code == 503
    assert ready.headers["Content-Type"] == "application/problem+json"
    assert ready.json["type"] == "/problems/NotReady"
    assert int(ready.headers["Retry-After"]) > 0
    assert gone.get("/health/live").status_code == 200
