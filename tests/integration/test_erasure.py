"""Erasure on both stores: the erased protagonist's content reads as erased and the other's
still decrypts; every event is still there (plus the erasure); new content for the erased
protagonist is refused; an erasure is requested through the practice admin, once, and one
cut short before the key is destroyed completes when re-sent. Each version of an intention
reads back its own text."""

from __future__ import annotations

import pytest

from domain import errors
from domain.ciphers import ERASED, MasterKey
from domain.commands import ExecuteErasure
from tests.support.apps import make_app
from tests.support.builders import ADMIN, COACH_A, COACH_B, EngagementBuilder

pytestmark = pytest.mark.integration


def _erase(b: EngagementBuilder, protagonist_id: str) -> object:
    return b.run(
        ADMIN,
        ExecuteErasure(
            occurred_at=b.at(), protagonist_id=protagonist_id, request_reference="GDPR-42"
        ),
    )


def test_erased_protagonists_content_reads_as_erased_and_the_others_still_decrypts(
    builder: EngagementBuilder, store_url: str, master_key: MasterKey
) -> None:
    builder.contracted()
    mine = builder.individual_session(builder.p1, notes="Mine, to be erased.")
    theirs = builder.individual_session(builder.p2, notes="Theirs, kept.")
    builder.declare(builder.p1, "An intention to be erased.")
    events_before = len(list(builder.app.events.get(builder.eid)))
    _erase(builder, builder.p1)
    events = list(builder.app.events.get(builder.eid))
    assert len(events) == events_before + 1
    assert type(events[-1]).__name__ == "ErasureExecuted"
    restarted = make_app(store_url, master_key)
    try:
        for app in (builder.app, restarted):
            for field in (
                app.session_notes_field(mine),
                app.intention_field(builder.eid, builder.p1),
            ):
                content = app.read_content(builder.eid, COACH_A, field, "supervision")
                assert (content.erased, content.text) == (True, ERASED)
            kept = app.read_content(
                builder.eid, COACH_B, app.session_notes_field(theirs), "supervision"
            )
            assert (kept.erased, kept.text) == (False, "Theirs, kept.")
    finally:
        restarted.close()


def test_new_content_is_refused_for_an_erased_protagonist(builder: EngagementBuilder) -> None:
    builder.contracted()
    _erase(builder, builder.p1)
    builder.refused(
        errors.ContentErasedError, lambda: builder.individual_session(builder.p1, notes="More")
    )
    builder.refused(errors.ContentErasedError, lambda: builder.declare(builder.p1, "Again"))
    builder.individual_session(builder.p1)  # a session without notes is still held
    assert builder.engagement().protagonists[builder.p1]["sessions"] == 1


def test_erasure_is_refused_when_the_protagonist_was_already_erased(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    _erase(builder, builder.p1)
    builder.refused(errors.AlreadyErasedError, lambda: _erase(builder, builder.p1))


def test_erasure_is_refused_when_not_requested_through_the_practice_admin(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    builder.individual_session(builder.p1, notes="Still readable.")
    builder.refused(
        errors.ActionNotAllowedError,
        lambda: builder.run(
            COACH_A,
            ExecuteErasure(
                occurred_at=builder.at(), protagonist_id=builder.p1, request_reference="x"
            ),
        ),
    )
    field = builder.app.session_notes_field(builder.individual_sessions[0])
    assert builder.app.read_content(builder.eid, COACH_A, field, "check").text == "Still readable."


def test_erasure_cut_short_before_the_key_is_destroyed_completes_when_resent(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    field = builder.app.session_notes_field(builder.individual_session(builder.p1, notes="Gone."))
    vault = builder.app.vault

    def crash(protagonist_id: str) -> None:
        raise OSError("power cut")

    vault.destroy = crash  # type: ignore[method-assign]
    with pytest.raises(OSError, match="power cut"):
        builder.run(
            ADMIN,
            ExecuteErasure(
                occurred_at=builder.at(), protagonist_id=builder.p1, request_reference="R-1"
            ),
        )
    del vault.destroy
    assert builder.engagement().protagonists[builder.p1]["erased"] is True
    with pytest.raises(errors.AlreadyErasedError):
        builder.run(
            ADMIN,
            ExecuteErasure(
                occurred_at=builder.at(), protagonist_id=builder.p1, request_reference="R-1"
            ),
        )
    assert builder.app.read_content(builder.eid, COACH_A, field, "check").text == ERASED


def test_each_version_of_an_intention_reads_back_its_own_text(builder: EngagementBuilder) -> None:
    builder.contracted()
    builder.declare(builder.p1, "First words.")
    builder.declare(builder.p1, "Second words.")
    app, eid, p1 = builder.app, builder.eid, builder.p1
    first = app.read_content(eid, COACH_A, app.intention_field(eid, p1, 1), "history")
    current = app.read_content(eid, COACH_A, app.intention_field(eid, p1), "history")
    assert (first.text, current.text) == ("First words.", "Second words.")
