"""Idempotency keys after an erasure and across upgrades, on both stores: a sealed command
re-sent after its author's erasure is refused as erased content while a command without
sealed content still replays; no fingerprint without a key; ids nobody can compute from
a key alone; commands stored before the fingerprint and id upgrades are not applied twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid5

import pytest

from domain import errors
from domain.ciphers import MasterKey
from domain.commands import (
    AssessTrust,
    EnrolProtagonist,
    ExecuteErasure,
    OpenEngagement,
    PauseEngagement,
)
from domain.engagement import Engagement
from domain.fingerprints import NAMESPACE
from domain.runs import Receipt
from domain.state import Command
from domain.trustpath import Trustpath
from domain.values import Policy
from tests.support.apps import make_app
from tests.support.builders import ADMIN, COACH_A, EngagementBuilder
from tests.support.keyed import keyed_session

pytestmark = pytest.mark.integration


def _erase(b: EngagementBuilder, protagonist_id: str) -> Receipt:
    return b.run(
        ADMIN,
        ExecuteErasure(
            occurred_at=b.at(), protagonist_id=protagonist_id, request_reference="GDPR-7"
        ),
    )


def test_sealed_command_resent_after_erasure_is_refused_as_erased_content(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    keyed_session(builder, "before-erasure", notes="Will be erased.")
    _erase(builder, builder.p1)
    for notes in ("Will be erased.", "A wrong guess."):
        builder.refused(
            errors.ContentErasedError, lambda n=notes: keyed_session(builder, "before-erasure", n)
        )


def test_command_without_sealed_content_still_replays_after_the_erasure(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()

    def assess() -> Receipt:
        return builder.run(
            COACH_A,
            AssessTrust(
                occurred_at=builder.at(),
                protagonist_id=builder.p1,
                toward_id=builder.p2,
                challenge="presence",
                score=4,
                key="assess-1",
            ),
        )

    first = assess()
    _erase(builder, builder.p1)
    assert assess() == replace(first, replayed=True)


def test_command_without_a_key_stores_no_fingerprint(builder: EngagementBuilder) -> None:
    builder.contracted()
    builder.individual_session(builder.p1, notes="No key sent.")
    assert builder.last_event().fingerprint == ""


def test_engagement_and_item_ids_are_not_computable_from_the_key_alone(
    app: Trustpath, store_url: str, master_key: MasterKey, tmp_path: Path
) -> None:
    opened = app.execute(
        None,
        ADMIN,
        OpenEngagement(
            occurred_at=datetime.now(UTC) - timedelta(hours=1),
            title="Board",
            organisation="Acme",
            context="",
            sponsor="hr",
            key="open-7",
        ),
    )
    eid = opened.engagement_id
    assert eid != uuid5(NAMESPACE, "open|open-7")
    pid = app.execute(
        eid,
        ADMIN,
        EnrolProtagonist(occurred_at=datetime.now(UTC), name="A", kind="person", key="e-1"),
    )
    assert pid.item_id != str(uuid5(NAMESPACE, f"{eid}|protagonist|e-1"))
    restarted = make_app(store_url, master_key)
    another_key = make_app(f"sqlite:///{tmp_path / 'other.db'}", MasterKey.generate())
    try:
        assert restarted.item_id(eid, "e-1", "protagonist") == pid.item_id
        assert another_key.item_id(eid, "e-1", "protagonist") != pid.item_id
    finally:
        restarted.close()
        another_key.close()


LEGACY_FINGERPRINT = "0123456789abcdef" * 2
"""What a fingerprint looked like before it was made under the master key's secret."""


def test_command_resent_after_the_fingerprint_upgrade_is_refused_not_applied_twice(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    cmd = Command(COACH_A, builder.at(), datetime.now(UTC), "old-key", LEGACY_FINGERPRINT)
    engagement = builder.engagement()
    engagement.pause(replace(cmd, actor=ADMIN), reason="Summer")
    builder.app.save(engagement)
    error = builder.refused(
        errors.IdempotencyKeyReusedError,
        lambda: builder.run(
            ADMIN,
            PauseEngagement(occurred_at=builder.at(), reason="Summer", key="old-key"),
        ),
    )
    assert "cannot be compared" in str(error)


def test_opening_resent_after_the_id_upgrade_opens_no_second_engagement(app: Trustpath) -> None:
    at = datetime.now(UTC) - timedelta(hours=1)
    legacy_id = uuid5(NAMESPACE, "open|old-open")
    cmd = Command(ADMIN, at, datetime.now(UTC), "old-open", LEGACY_FINGERPRINT)
    old = Engagement.open(
        cmd,
        engagement_id=legacy_id,
        title="Board",
        organisation="Acme",
        context="",
        sponsor="hr",
        policy=Policy(),
    )
    app.save(old)
    position = app.recorder.max_notification_id()
    with pytest.raises(errors.IdempotencyKeyReusedError):
        app.execute(
            None,
            ADMIN,
            OpenEngagement(
                occurred_at=at,
                title="Board",
                organisation="Acme",
                context="",
                sponsor="hr",
                key="old-open",
            ),
        )
    assert app.recorder.max_notification_id() == position
