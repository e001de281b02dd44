"""Every error is application/problem+json from one mapping, with the right status."""

from __future__ import annotations

import base64

import pytest
from flask.testing import FlaskClient

from api.auth import TokenBucket
from api.problems import PROBLEM_JSON, from_domain
from domain import errors
from tests.support.api_world import World, body

pytestmark = pytest.mark.api


def all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *all_subclasses(sub)]
    return found


@pytest.mark.parametrize("error", all_subclasses(errors.TrustpathError), ids=lambda c: c.__name__)
def test_every_domain_error_maps_to_one_client_problem(error: type) -> None:
    problem = from_domain(error("something"))
    assert 400 <= problem.status < 500
    assert problem.type == f"/problems/{error.__name__}"
    assert problem.title == error("x").title


def test_broken_rule_is_409_named_after_the_rule(world: World, client: FlaskClient) -> None:
    r = client.post(f"/engagements/{world.eid}/resume", json=body(), headers=world.headers("admin"))
    assert r.status_code == 409
    assert r.content_type == PROBLEM_JSON
    assert r.json["type"] == "/problems/EngagementEndedError"
    assert r.json["title"] == errors.EngagementEndedError.__doc__


def test_malformed_json_is_400(world: World, client: FlaskClient) -> None:
    r = client.post(
        "/engagements",
        data="{nope",
        content_type="application/json",
        headers=world.headers("admin"),
    )
    assert (r.status_code, r.content_type) == (400, PROBLEM_JSON)


def test_request_without_token_is_401_with_a_challenge(world: World, client: FlaskClient) -> None:
    r = client.get(f"/engagements/{world.eid}")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401(world: World, client: FlaskClient) -> None:
    store = world.flask.extensions["trustpath.principals"]
    principal, token = store.add("auditor", "leaving")
    assert (
        client.get("/engagements", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    store.revoke(principal.id)
    assert (
        client.get("/engagements", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )


def test_action_outside_the_roles_powers_is_403(world: World, client: FlaskClient) -> None:
    r = client.post(
        f"/engagements/{world.eid}/pause", json=body(reason="x"), headers=world.headers("coach_a")
    )
    assert r.status_code == 403
    assert r.json["type"] == "/problems/ActionNotAllowedError"


def test_unknown_engagement_is_404(world: World, client: FlaskClient) -> None:
    r = client.get(
        "/engagements/00000000-0000-0000-0000-000000000000", headers=world.headers("admin")
    )
    assert (r.status_code, r.json["type"]) == (404, "/problems/EngagementNotFoundError")


def test_unknown_route_is_404_problem(world: World, client: FlaskClient) -> None:
    r = client.get("/nowhere", headers=world.headers("admin"))
    assert (r.status_code, r.content_type) == (404, PROBLEM_JSON)


def test_wrong_method_is_405_with_allow(world: World, client: FlaskClient) -> None:
    r = client.delete(f"/engagements/{world.eid}/pause", headers=world.headers("admin"))
    assert r.status_code == 405
    assert "POST" in r.headers["Allow"]


def test_stale_if_match_is_412(world: World, client: FlaskClient) -> None:
    r = client.post(
        f"/engagements/{world.eid}/terminate",
        json=body(reason="x"),
        headers=world.headers("sponsor", **{"If-Match": '"3"'}),
    )
    assert (r.status_code, r.json["type"]) == (412, "/problems/VersionMismatchError")


def test_oversized_body_is_413(world: World, client: FlaskClient) -> None:
    huge = body(title="x" * 70_000, organisation="o", sponsor="s")
    r = client.post("/engagements", json=huge, headers=world.headers("admin"))
    assert (r.status_code, r.content_type) == (413, PROBLEM_JSON)


def test_non_json_body_is_415(world: World, client: FlaskClient) -> None:
    r = client.post(
        "/engagements", data="title=x", content_type="text/plain", headers=world.headers("admin")
    )
    assert (r.status_code, r.content_type) == (415, PROBLEM_JSON)


def test_field_errors_are_422_per_field(world: World, client: FlaskClient) -> None:
    r = client.post("/engagements", json={"title": 3}, headers=world.headers("admin"))
    assert r.status_code == 422
    assert set(r.json["errors"]["json"]) >= {"title", "occurred_at", "organisation", "sponsor"}


def test_domain_invalid_value_is_422(world: World, client: FlaskClient) -> None:
    r = client.post(
        "/engagements",
        json={
            "occurred_at": "2999-01-01T00:00:00+00:00",
            "title": "t",
            "organisation": "o",
            "sponsor": "s",
        },
        headers=world.headers("admin"),
    )
    assert (r.status_code, r.json["type"]) == (422, "/problems/OccurredInFutureError")


def test_too_many_requests_is_429(world: World) -> None:
    world.flask.extensions["trustpath.bucket"] = TokenBucket(rate=0.001, burst=2)
    client = world.flask.test_client()
    codes = [
        client.get("/engagements", headers=world.headers("auditor")).status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]


def test_unexpected_failure_is_500_without_internals(world: World) -> None:
    def explode() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    world.flask.add_url_rule("/explode", "explode", explode)
    r = world.flask.test_client().get("/explode", headers=world.headers("admin"))
    assert (r.status_code, r.content_type) == (500, PROBLEM_JSON)
    assert "secret" not in r.get_data(as_text=True)


# -- hostile inputs that once gave a 500 -------------------------------------------------


def test_json_nested_thousands_of_levels_deep_is_400(world: World, client: FlaskClient) -> None:
    deep = '{"title": ' + "[" * 5000 + "]" * 5000 + "}"
    r = client.post(
        "/engagements", data=deep, content_type="application/json", headers=world.headers("admin")
    )
    assert (r.status_code, r.content_type) == (400, PROBLEM_JSON)
    assert "deep" in r.json["detail"]


def test_lone_surrogate_in_a_text_field_is_422_naming_the_field(
    world: World, client: FlaskClient
) -> None:
    raw = '{"occurred_at": "%s", "title": "Board \\ud800", "organisation": "o", "sponsor": "s"}'
    r = client.post(
        "/engagements",
        data=raw % body()["occurred_at"],
        content_type="application/json",
        headers=world.headers("admin"),
    )
    assert (r.status_code, r.json["type"]) == (422, "/problems/MalformedTextError")
    assert list(r.json["errors"]["json"]) == ["title"]


def test_nul_in_a_commitment_text_is_422_naming_the_field(
    world: World, client: FlaskClient
) -> None:
    cid = world.demo.commitments["confrontation"]
    r = client.post(
        f"/engagements/{world.eid}/commitments/{cid}/break",
        json=body(reason="Missed\x00"),
        headers=world.headers("coach_a"),
    )
    assert (r.status_code, r.json["type"]) == (422, "/problems/MalformedTextError")
    assert list(r.json["errors"]["json"]) == ["reason"]


def test_occurred_at_in_year_one_at_plus_14_hours_is_422(world: World, client: FlaskClient) -> None:
    r = client.post(
        "/engagements",
        json={
            **body(title="t", organisation="o", sponsor="s"),
            "occurred_at": "0001-01-01T00:00:00+14:00",
        },
        headers=world.headers("admin"),
    )
    assert (r.status_code, r.json["type"]) == (422, "/problems/OccurredOutOfRangeError")
    assert list(r.json["errors"]["json"]) == ["occurred_at"]


@pytest.mark.parametrize("tag", ['"²"', "²", '"' + "9" * 5000 + '"', '"-1"', '"1e3"', "W/"])
def test_if_match_that_is_no_version_is_412(world: World, client: FlaskClient, tag: str) -> None:
    r = client.post(
        f"/engagements/{world.eid}/terminate",
        json=body(reason="x"),
        headers=world.headers("sponsor", **{"If-Match": tag}),
    )
    assert (r.status_code, r.content_type) == (412, PROBLEM_JSON)
    assert "If-Match" in r.json["detail"]


@pytest.mark.parametrize(
    "value", ["1" + "0" * 30, str(2**63), "-1", "true", "1.5", "[1]", '"\\ud800"', "1e999"]
)
def test_history_cursor_that_is_no_position_is_422(
    world: World, client: FlaskClient, value: str
) -> None:
    cursor = base64.urlsafe_b64encode(value.encode()).decode()
    r = client.get(
        f"/engagements/{world.eid}/history",
        query_string={"cursor": cursor},
        headers=world.headers("admin"),
    )
    assert (r.status_code, r.content_type) == (422, PROBLEM_JSON)
    assert list(r.json["errors"]["query"]) == ["cursor"]


@pytest.mark.parametrize(
    "value", ['["\\u0000", "x"]', '["\\ud800", "x"]', '["a", 1]', "[1, 2]", '"x"', "!!!"]
)
def test_engagement_list_cursor_that_is_no_key_is_422(
    world: World, client: FlaskClient, value: str
) -> None:
    cursor = base64.urlsafe_b64encode(value.encode()).decode()
    r = client.get("/engagements", query_string={"cursor": cursor}, headers=world.headers("admin"))
    assert (r.status_code, r.content_type) == (422, PROBLEM_JSON)
