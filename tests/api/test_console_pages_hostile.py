"""Hostile input to the console's engagement pages: an unknown or malformed engagement id,
a position out of range or not a number, a huge search, a purpose of 20,000 characters or
with a NUL, an item that is not one's own: always a clear 4xx in words, never a 500, and
nothing read or recorded."""

from __future__ import annotations

import re
from collections.abc import Callable
from uuid import uuid4

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from api.console.sessions import SESSION_COOKIE
from tests.support.api_world import World
from tests.support.console_world import token_of

pytestmark = pytest.mark.api
Client = Callable[[str], FlaskClient]


@pytest.fixture
def as_who(world: World) -> Client:
    """A test client with a console session of one of the world's principals."""
    store = world.flask.extensions["trustpath.principals"]
    sessions = world.flask.extensions["trustpath.console.sessions"]

    def open_as(who: str) -> FlaskClient:
        client = world.flask.test_client()
        client.set_cookie(SESSION_COOKIE, sessions.open(store.authenticate(world.tokens[who])))
        return client

    return open_as


def access_records(world: World) -> int:
    """ContentAccessed records in the store itself."""
    engine = world.flask.extensions["trustpath.read_side"].engine
    with engine.connect() as conn:
        query = "SELECT count(*) FROM stored_events WHERE topic LIKE :topic"
        found = conn.execute(sa.text(query), {"topic": "%:ContentAccessed"}).scalar()
        return int(found or 0)


@pytest.mark.parametrize(
    "path",
    [
        "/console/engagements/not-a-uuid",
        "/console/engagements/" + "9" * 5000,
        "/console/engagements/{unknown}",
        "/console/engagements/{unknown}/timeline",
        "/console/engagements/{unknown}/notes",
        "/console/engagements/{unknown}/who-read",
        "/console/engagements/%00%ff/timeline",
    ],
)
def test_console_page_is_404_in_words_when_the_engagement_id_is_unknown_or_malformed(
    as_who: Client, path: str
) -> None:
    r = as_who("coach_a").get(path.format(unknown=uuid4()))
    assert r.status_code == 404
    assert "There is no engagement you may see there." in r.get_data(as_text=True)


def test_console_page_is_404_when_a_stranger_asks_for_an_engagement_that_exists(
    world: World, as_who: Client
) -> None:
    for path in ("", "/timeline", "/notes", "/replay.json?step=3"):
        r = as_who("protagonist_other").get(f"/console/engagements/{world.eid}{path}")
        assert r.status_code == 404, path
        assert "Claire" not in r.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("step=abc", 400, "step must be a whole number from 1"),
        ("step=-3", 400, "step must be a whole number from 1"),
        ("step=1e3", 400, "step must be a whole number from 1"),
        ("step=" + "9" * 40, 400, "step must be a whole number from 1"),
        ("step=\u0663", 400, "step must be a whole number from 1"),
        ("position=0", 400, "position must be a whole number from 1"),
        ("position=999999999999", 422, "beyond the log"),
        ("position=1", 422, "had not opened then"),
        ("position=3&step=2", 400, "either step or position"),
    ],
)
def test_replay_json_is_a_4xx_naming_the_parameter_when_the_moment_is_hostile(
    world: World, as_who: Client, query: str, status: int, words: str
) -> None:
    other = world.other.engagement_id  # played second: it had not opened at position 1
    r = as_who("coach_a").get(f"/console/engagements/{other}/replay.json?{query}")
    assert r.status_code == status, r.json
    assert r.mimetype == "application/problem+json"
    assert words in r.json["detail"]
    assert r.headers["Cache-Control"] == "no-store"


def test_replay_json_snaps_a_step_past_the_end_to_the_last_event(
    world: World, as_who: Client
) -> None:
    r = as_who("coach_a").get(f"/console/engagements/{world.eid}/replay.json?step=99999")
    assert r.status_code == 200
    assert r.json["step"] == r.json["steps"]


@pytest.mark.parametrize("step", ["abc", "0", "9" * 30])
def test_timeline_page_says_so_in_words_when_the_step_is_not_a_number(
    world: World, as_who: Client, step: str
) -> None:
    r = as_who("cfo").get(f"/console/engagements/{world.eid}/timeline?step={step}")
    assert r.status_code == 400
    assert "The step must be a whole number from 1." in r.get_data(as_text=True)


@pytest.mark.parametrize("q", ["x" * 100_000, "a\x00b"])
def test_engagements_search_is_refused_in_words_when_the_query_is_hostile(
    as_who: Client, q: str
) -> None:
    r = as_who("coach_a").get("/console/engagements", query_string={"q": q})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "Search for at most 200 printable characters." in page
    assert 'aria-invalid="true"' in page
    assert "x" * 1000 not in page


@pytest.mark.parametrize(
    ("purpose", "words"),
    [
        ("", "Say why you read this."),
        ("   ", "Say why you read this."),
        ("p" * 20_000, "at most 500 characters"),
        ("because\x00", "printable text"),
    ],
)
def test_notes_read_is_refused_next_to_the_field_when_the_purpose_is_hostile(
    world: World, as_who: Client, purpose: str, words: str
) -> None:
    client = as_who("coach_a")
    page = client.get(f"/console/engagements/{world.eid}/notes")
    item = re.search(r'name="item" value="([^"]+)"', page.get_data(as_text=True))
    assert item is not None
    before = access_records(world)
    r = client.post(
        f"/console/engagements/{world.eid}/notes",
        data={"csrf_token": token_of(page), "item": item.group(1), "purpose": purpose},
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert words in html
    assert 'aria-invalid="true"' in html
    assert "p" * 600 not in html
    assert access_records(world) == before


def test_notes_read_is_refused_and_reads_nothing_when_the_item_is_the_other_file(
    world: World, as_who: Client
) -> None:
    theirs = as_who("coach_b").get(f"/console/engagements/{world.eid}/notes")
    item = re.search(r'name="item" value="([^"]+)"', theirs.get_data(as_text=True))
    assert item is not None
    client = as_who("coach_a")
    page = client.get(f"/console/engagements/{world.eid}/notes")
    before = access_records(world)
    r = client.post(
        f"/console/engagements/{world.eid}/notes",
        data={"csrf_token": token_of(page), "item": item.group(1), "purpose": "curious"},
    )
    assert r.status_code == 404
    assert "That is no item you may read here." in r.get_data(as_text=True)
    assert access_records(world) == before


def test_notes_read_is_refused_when_the_csrf_token_is_missing(world: World, as_who: Client) -> None:
    client = as_who("coach_a")
    page = client.get(f"/console/engagements/{world.eid}/notes")
    item = re.search(r'name="item" value="([^"]+)"', page.get_data(as_text=True))
    assert item is not None
    before = access_records(world)
    r = client.post(
        f"/console/engagements/{world.eid}/notes",
        data={"item": item.group(1), "purpose": "preparing"},
    )
    assert r.status_code in (400, 403)
    assert access_records(world) == before


def test_notes_read_records_exactly_one_access_when_the_purpose_is_given(
    world: World, as_who: Client
) -> None:
    client = as_who("cfo")
    page = client.get(f"/console/engagements/{world.eid}/notes")
    item = re.search(r'name="item" value="([^"]+)"', page.get_data(as_text=True))
    assert item is not None
    before = access_records(world)
    r = client.post(
        f"/console/engagements/{world.eid}/notes",
        data={"csrf_token": token_of(page), "item": item.group(1), "purpose": "my own file"},
    )
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    assert access_records(world) == before + 1
    position = re.search(r"at position (\d+),", r.get_data(as_text=True))
    assert position is not None
    assert int(position.group(1)) == world.app.recorder.max_notification_id()
