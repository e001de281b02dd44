"""Confidential content at rest and the recorded read path, on both stores.

- No plaintext of individual-session notes or intentions anywhere in the stored bytes:
  the raw SQLite file (and its journal) and every table of the PostgreSQL database.
  A positive control (shared, non-confidential text) proves each scan sees stored text.
- Every read of confidential content is recorded (ContentAccessed) before it is returned,
  and nothing is returned if the record cannot be written; every refusal is recorded
  (AccessDenied).
- Another master key on the same store refuses to start.

Erasure: tests/integration/test_erasure.py.
"""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.persistence import PersistenceError
from psycopg import sql

from domain import errors
from domain.audit import AccessDenied, ContentAccessed
from domain.ciphers import MasterKey, MasterKeyError, Place, Sealed
from domain.commands import ShareIntention
from domain.trustpath import Trustpath
from domain.values import Actor
from tests.support.apps import make_app
from tests.support.builders import ADMIN, AUDITOR, COACH_A, COACH_B, EngagementBuilder, recorded
from tests.support.store_faults import failing_inserts

pytestmark = pytest.mark.integration


def _write_marked_content(b: EngagementBuilder, marker: str) -> None:
    """Notes and intentions carrying `marker`, and shared text carrying `marker`-SHARED."""
    b.contracted()
    b.individual_session(b.p1, notes=f"notes {marker} notes")
    b.individual_session(b.p2, notes=f"{marker}")
    b.declare(b.p1, f"intention {marker}")
    b.declare(b.p1, f"revised intention {marker}")
    b.run(
        COACH_A,
        ShareIntention(occurred_at=b.at(), protagonist_id=b.p1, shared_text=f"{marker}-SHARED"),
    )


def _marker() -> str:
    return f"CONFIDENTIAL-{uuid4().hex}"


# -- no plaintext at rest ---------------------------------------------------------------


def test_sqlite_file_holds_no_plaintext_of_confidential_content(
    sqlite_app: Trustpath, sqlite_url: str
) -> None:
    builder, marker = EngagementBuilder(sqlite_app), _marker()
    _write_marked_content(builder, marker)
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert f"{marker}-SHARED".encode() in stored, "the scan does not see stored text"
    assert stored.count(marker.encode()) == stored.count(f"{marker}-SHARED".encode())


def _postgres_rows(url: str) -> list[str]:
    """Every row of every table of the database, as text (bytea shows as hex)."""
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        rows = []
        for schema, table in tables:
            query = sql.SQL("SELECT t::text FROM {}.{} AS t").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            rows += [row[0] for row in conn.execute(query)]
    return rows


def test_postgresql_tables_hold_no_plaintext_of_confidential_content(
    pg_url: str, master_key: MasterKey
) -> None:
    app = make_app(pg_url, master_key)
    try:
        marker = _marker()
        _write_marked_content(EngagementBuilder(app), marker)
    finally:
        app.close()
    text = "\n".join(_postgres_rows(pg_url))
    forms = {"text": marker, "hex": marker.encode().hex()}
    shared = f"{marker}-SHARED"
    assert shared.encode().hex() in text, "the scan does not see stored text"
    for form, needle in forms.items():
        shared_form = shared if form == "text" else shared.encode().hex()
        assert text.count(needle) == text.count(shared_form), f"plaintext found as {form}"


# -- the recorded read path ------------------------------------------------------------------


def test_read_content_records_exactly_one_access_before_returning(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    session = builder.individual_session(builder.p1, notes="What was said.")
    app, field = builder.app, builder.app.session_notes_field(session)
    order: list[str] = []
    app.on_saved.append(lambda position: order.append(f"saved {position}"))
    opening = app.vault.open

    def recorded_open(sealed: Sealed, place: Place) -> str:
        order.append("opened")
        return opening(sealed, place)

    app.vault.open = recorded_open  # type: ignore[method-assign]
    before = app.recorder.max_notification_id() or 0
    content = app.read_content(builder.eid, COACH_A, field, "preparing the next session")
    assert content.text == "What was said."
    assert order == [f"saved {content.access_position}", "opened"]
    (notification,) = app.recorder.select_notifications(before + 1, 10)
    access = app.mapper.to_domain_event(notification)
    assert isinstance(access, ContentAccessed)
    assert (access.principal_id, access.protagonist_id, access.item, access.space) == (
        COACH_A.id,
        builder.p1,
        field,
        "individual",
    )
    assert access.purpose == "preparing the next session"


def test_read_content_returns_nothing_when_the_access_cannot_be_recorded(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    field = builder.app.session_notes_field(builder.individual_session(builder.p1, notes="Hush."))
    before = builder.app.recorder.max_notification_id()
    with (
        failing_inserts(builder.app, "ContentAccessed"),
        pytest.raises(PersistenceError) as failure,
    ):
        builder.app.read_content(builder.eid, COACH_A, field, "curiosity")
    assert "Hush." not in str(failure.value)
    assert builder.app.recorder.max_notification_id() == before


@pytest.mark.parametrize(
    "reader",
    [COACH_B, AUDITOR, ADMIN, Actor("sponsor-hr", "sponsor"), "other protagonist"],
    ids=["other coach", "auditor", "admin", "sponsor", "other protagonist"],
)
def test_read_content_is_refused_and_the_refusal_recorded_for_anyone_but_p_and_ps_coach(
    builder: EngagementBuilder, reader: Actor | str
) -> None:
    builder.contracted()
    field = builder.app.session_notes_field(builder.individual_session(builder.p1, notes="Mine."))
    who = builder.protagonist(builder.p2) if reader == "other protagonist" else reader
    assert isinstance(who, Actor)
    before = builder.app.recorder.max_notification_id() or 0
    with pytest.raises(errors.ActionNotAllowedError) as refusal:
        builder.app.read_content(builder.eid, who, field, "curiosity")
    assert "Mine." not in str(refusal.value)
    stored = builder.app.recorder.select_notifications(before + 1, 10)
    assert len(stored) == 1
    denial = builder.app.mapper.to_domain_event(stored[0])
    assert isinstance(denial, AccessDenied)
    assert (denial.principal_id, denial.protagonist_id, denial.item) == (who.id, builder.p1, field)


def test_read_content_is_allowed_to_the_protagonist_themself(builder: EngagementBuilder) -> None:
    builder.contracted()
    builder.declare(builder.p1, "My own words.")
    field = builder.app.intention_field(builder.eid, builder.p1)
    me = builder.protagonist(builder.p1)
    assert builder.app.read_content(builder.eid, me, field, "rereading").text == "My own words."


def test_audit_records_never_change_the_engagement(builder: EngagementBuilder) -> None:
    builder.contracted()
    field = builder.app.session_notes_field(builder.individual_session(builder.p1, notes="N."))
    version = builder.engagement().version
    builder.app.read_content(builder.eid, COACH_A, field, "reading")
    with pytest.raises(errors.ActionNotAllowedError):
        builder.app.read_content(builder.eid, COACH_B, field, "reading")
    assert builder.engagement().version == version
    assert recorded(builder.app, builder.eid)[0] > version


# -- the master key ------------------------------------------------------------------------------


def test_application_with_another_master_key_refuses_to_start(
    builder: EngagementBuilder, store_url: str
) -> None:
    builder.contracted()
    builder.individual_session(builder.p1, notes="Sealed under the first master key.")
    with pytest.raises(MasterKeyError):
        make_app(store_url, MasterKey.generate())
