"""The purpose of a recorded read is printable text of bounded length: it is stored in the
access record and shown to auditors and to the protagonist whose file was read."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from domain.errors import InvalidValueError
from tests.support.api_world import World, audit, notes_url

pytestmark = pytest.mark.api


def test_read_with_a_nul_purpose_parameter_is_422_naming_it_and_records_nothing(
    world: World, client: FlaskClient
) -> None:
    r = client.get(notes_url(world) + "?purpose=%00", headers=world.headers("coach_a"))
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    assert "purpose" in r.json["errors"]["query"]
    assert "ambushed" not in r.get_data(as_text=True)
    assert audit(world.app, "ContentAccessed") == []


@pytest.mark.parametrize(
    "purpose",
    ["checking%0Aforged line", "esc%1B[2Jape", "zero%E2%80%8Bwidth", "x" * 501],
)
def test_read_with_a_purpose_that_is_not_printable_text_is_422(
    world: World, client: FlaskClient, purpose: str
) -> None:
    r = client.get(notes_url(world) + f"?purpose={purpose}", headers=world.headers("coach_a"))
    assert r.status_code == 422
    assert "purpose" in r.json["errors"]["query"]
    assert audit(world.app, "ContentAccessed") == []


def test_read_with_a_control_character_in_the_purpose_header_is_422_naming_it(
    world: World, client: FlaskClient
) -> None:
    headers = world.headers("coach_a", **{"X-Purpose": "preparing\x07 the session"})
    r = client.get(notes_url(world), headers=headers)
    assert r.status_code == 422
    assert "X-Purpose" in r.json["errors"]["headers"]


def test_read_with_a_printable_purpose_in_any_script_is_recorded_as_sent(
    world: World, client: FlaskClient
) -> None:
    purpose = "préparer la séance — 準備"
    r = client.get(
        notes_url(world), headers=world.headers("coach_a"), query_string={"purpose": purpose}
    )
    assert r.status_code == 200
    assert [a.purpose for a in audit(world.app, "ContentAccessed")] == [purpose]


def test_access_record_refuses_a_purpose_that_is_not_printable_text() -> None:
    from domain.audit import require_purpose

    with pytest.raises(InvalidValueError, match="printable"):
        require_purpose("re-reading\x00")
    assert require_purpose("  re-reading  ") == "re-reading"
