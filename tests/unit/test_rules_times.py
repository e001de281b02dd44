"""Rules of time (domain/README.md, "Rules"): `occurred_at` is not in the future (a little
ahead of the server clock is tolerated), not before the engagement opened, and carries a
time zone; an engagement that does not exist is reported as not found; an opening needs
its required text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain import errors
from domain.commands import HoldIndividualSession, OpenEngagement, PauseEngagement
from domain.trustpath import Trustpath
from tests.support.builders import ADMIN, COACH_A, EngagementBuilder

pytestmark = pytest.mark.unit


def test_occurred_at_in_the_future_is_refused(builder: EngagementBuilder) -> None:
    builder.contracted()
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    builder.refused(
        errors.OccurredInFutureError,
        lambda: builder.run(
            COACH_A,
            HoldIndividualSession(
                occurred_at=tomorrow,
                protagonist_id=builder.p1,
                duration_minutes=60,
                challenges=["presence"],
            ),
        ),
    )


def test_occurred_at_before_the_engagement_opened_is_refused(builder: EngagementBuilder) -> None:
    builder.contracted()
    before = builder.opened_at - timedelta(seconds=1)
    builder.refused(
        errors.OccurredBeforeOpeningError,
        lambda: builder.run(ADMIN, PauseEngagement(occurred_at=before, reason="Too early")),
    )


def test_occurred_at_without_a_time_zone_is_refused(builder: EngagementBuilder) -> None:
    naive = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    builder.refused(
        errors.InvalidValueError,
        lambda: builder.run(ADMIN, PauseEngagement(occurred_at=naive, reason="Naive")),
    )


def test_occurred_at_a_little_ahead_of_the_server_clock_is_accepted(
    builder: EngagementBuilder,
) -> None:
    slightly_ahead = datetime.now(UTC) + timedelta(seconds=5)
    builder.run(ADMIN, PauseEngagement(occurred_at=slightly_ahead, reason="Clocks differ"))
    assert builder.engagement().last_activity == slightly_ahead


def test_engagement_opening_in_the_future_is_refused(sqlite_app: Trustpath) -> None:
    before = sqlite_app.recorder.max_notification_id()
    with pytest.raises(errors.OccurredInFutureError):
        sqlite_app.execute(
            None,
            ADMIN,
            OpenEngagement(
                occurred_at=datetime.now(UTC) + timedelta(days=2),
                title="Later",
                organisation="Acme",
                context="",
                sponsor="hr",
            ),
        )
    assert sqlite_app.recorder.max_notification_id() == before


def test_unknown_engagement_is_reported_as_not_found(sqlite_app: Trustpath) -> None:
    from uuid import uuid4

    with pytest.raises(errors.EngagementNotFoundError):
        sqlite_app.execute(
            uuid4(),
            ADMIN,
            PauseEngagement(occurred_at=datetime.now(UTC), reason="Nothing to pause"),
        )


@pytest.mark.parametrize("field", ["title", "organisation", "sponsor"])
def test_engagement_opening_is_refused_when_required_text_is_empty(
    sqlite_app: Trustpath, field: str
) -> None:
    args: dict[str, Any] = {"title": "T", "organisation": "O", "context": "", "sponsor": "s"}
    args[field] = " "
    before = sqlite_app.recorder.max_notification_id()
    with pytest.raises(errors.InvalidValueError):
        sqlite_app.execute(None, ADMIN, OpenEngagement(occurred_at=datetime.now(UTC), **args))
    assert sqlite_app.recorder.max_notification_id() == before
