"""Recorded reads: every read of confidential content appends exactly one access record
before the content is returned; no record, no content; every refusal is recorded too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.auth import TokenBucket
from domain.ciphers import MasterKey
from domain.commands import ExecuteErasure
from domain.trustpath import Trustpath
from domain.values import Actor
from tests.support.api_world import PURPOSE, World, audit, body, notes_url

pytestmark = pytest.mark.api
ADMIN = Actor("practice-admin", "admin")


def test_notes_read_by_own_coach_returns_text_after_one_access_record(
    world: World, client: FlaskClient
) -> None:
    before = len(audit(world.app, "ContentAccessed"))
    r = client.get(notes_url(world), headers=world.headers("coach_a", **PURPOSE))
    assert r.status_code == 200
    assert r.json["text"] == "Feels ambushed in committee; fears losing face."
    assert r.headers["Cache-Control"] == "no-store"
    records = audit(world.app, "ContentAccessed")
    assert len(records) == before + 1
    record = records[-1]
    assert (record.principal_id, record.role, record.purpose) == (
        "coach-amelie",
        "coach",
        "preparing the next session",
    )
    assert record.item == r.json["field"]
    assert r.json["access_position"] > 0


def test_intention_read_by_its_protagonist_is_recorded_once(
    world: World, client: FlaskClient
) -> None:
    cfo = world.demo.protagonists["cfo"]
    r = client.get(
        f"/engagements/{world.eid}/protagonists/{cfo}/intention?purpose=re-reading",
        headers=world.headers("cfo"),
    )
    assert r.status_code == 200
    assert r.json["text"] == "I want to work with Omar without fearing ambushes."
    records = audit(world.app, "ContentAccessed")
    assert [(x.principal_id, x.purpose) for x in records] == [(cfo, "re-reading")]


def test_notes_read_is_refused_and_recorded_for_the_other_coach(
    world: World, client: FlaskClient
) -> None:
    r = client.get(notes_url(world), headers=world.headers("coach_b", **PURPOSE))
    assert r.status_code == 403
    assert "ambushed" not in r.get_data(as_text=True)
    denied = audit(world.app, "AccessDenied")
    assert [(d.principal_id, d.item) for d in denied] == [
        ("coach-bruno", f"individual_session/{world.session_with_notes()}/notes")
    ]
    assert audit(world.app, "ContentAccessed") == []


def test_notes_read_without_token_is_401_and_recorded(world: World, client: FlaskClient) -> None:
    r = client.get(notes_url(world), headers=PURPOSE)
    assert r.status_code == 401
    denied = audit(world.app, "AccessDenied")
    assert [(d.principal_id, d.reason) for d in denied] == [("anonymous", "unauthenticated")]


def test_read_without_purpose_is_422_and_returns_nothing(world: World, client: FlaskClient) -> None:
    r = client.get(notes_url(world), headers=world.headers("coach_a"))
    assert r.status_code == 422
    assert "X-Purpose" in r.json["errors"]["headers"]
    assert audit(world.app, "ContentAccessed") == []


def test_read_is_503_without_content_when_the_access_record_cannot_be_written(
    world: World, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_save(*aggregates: Any) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(world.app, "save_and_notify", failing_save)
    r = client.get(notes_url(world), headers=world.headers("coach_a", **PURPOSE))
    assert r.status_code == 503
    assert r.json["type"] == "/problems/AccessNotRecorded"
    assert "ambushed" not in r.get_data(as_text=True)
    monkeypatch.undo()
    assert audit(world.app, "ContentAccessed") == []


def test_erased_content_reads_as_the_erased_marker(world: World, client: FlaskClient) -> None:
    cfo = world.demo.protagonists["cfo"]
    world.app.execute(
        world.eid,
        ADMIN,
        ExecuteErasure(
            occurred_at=datetime.now(UTC), protagonist_id=cfo, request_reference="GDPR-1"
        ),
    )
    r = client.get(notes_url(world), headers=world.headers("coach_a", **PURPOSE))
    assert r.status_code == 200
    assert r.json["erased"] is True
    assert "ambushed" not in r.json["text"]


def test_erased_content_reads_as_the_erased_marker_when_it_was_read_just_before(
    world: World, client: FlaskClient
) -> None:
    """The process keeps sealed values (ciphertext) it has read, never the keys: an
    erasure is seen by the very next read."""
    first = client.get(notes_url(world), headers=world.headers("coach_a", **PURPOSE))
    assert first.status_code == 200
    assert "ambushed" in first.json["text"]
    cfo = world.demo.protagonists["cfo"]
    world.app.execute(
        world.eid,
        ADMIN,
        ExecuteErasure(
            occurred_at=datetime.now(UTC), protagonist_id=cfo, request_reference="GDPR-1"
        ),
    )
    again = client.get(notes_url(world), headers=world.headers("coach_a", **PURPOSE))
    assert again.status_code == 200
    assert again.json["erased"] is True
    assert "ambushed" not in again.get_data(as_text=True)
    assert len(audit(world.app, "ContentAccessed")) == 2


def test_unknown_session_notes_are_404(world: World, client: FlaskClient) -> None:
    r = client.get(
        f"/engagements/{world.eid}/individual-sessions/nope/notes",
        headers=world.headers("coach_a", **PURPOSE),
    )
    assert r.status_code == 404


def test_history_never_carries_sealed_content(world: World, client: FlaskClient) -> None:
    texts = ("ambushed", "without fearing", "behind her back", "hiring plans.")
    for who in world.tokens:
        r = client.get(f"/engagements/{world.eid}/history?limit=200", headers=world.headers(who))
        assert r.status_code in (200, 403)
        assert not any(t in r.get_data(as_text=True) for t in texts), who


def test_write_of_confidential_notes_echoes_no_content(world: World, client: FlaskClient) -> None:
    r = client.post(
        f"/engagements/{world.eid}/individual-sessions",
        json=body(
            protagonist_id=world.demo.protagonists["cfo"],
            duration_minutes=30,
            challenges=["presence"],
            notes="very private words",
        ),
        headers=world.headers("coach_a"),
    )
    assert r.status_code == 409  # the demo engagement has ended
    assert "very private" not in r.get_data(as_text=True)


def test_anonymous_flood_is_throttled_before_it_floods_the_audit_trail(
    world: World, client: FlaskClient
) -> None:
    world.flask.extensions["trustpath.anonymous_bucket"] = TokenBucket(rate=0.001, burst=2)
    codes = [client.get(notes_url(world), headers=PURPOSE).status_code for _ in range(4)]
    assert codes == [401, 401, 429, 429]
    world.flask.extensions["trustpath.refusals"].flush(everything=True)
    assert sum(d.count for d in audit(world.app, "AccessDenied")) == 2


def test_read_is_503_master_key_error_without_content_when_this_server_missed_a_rotation(
    world: World, client: FlaskClient, sqlite_url: str, master_key: MasterKey
) -> None:
    from domain.adapters.keystore import SQLKeyStore
    from domain.keyring import Keyring
    from domain.rotation import rotate_master
    from ops.config import store_env

    url = notes_url(world)
    ring = Keyring(MasterKey.generate(), [master_key])
    rotating = Trustpath(store_env(sqlite_url), master_key=ring)
    try:
        rotate_master(SQLKeyStore(rotating.recorder.datastore), ring)  # type: ignore[attr-defined]
    finally:
        rotating.close()
    r = client.get(url, headers=world.headers("coach_a", **PURPOSE))
    assert r.status_code == 503
    assert r.json["type"] == "/problems/MasterKeyError"
    assert "ambushed" not in r.get_data(as_text=True)
