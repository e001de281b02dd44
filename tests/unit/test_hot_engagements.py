"""The cache of engagements a process saved last (`domain.hot_engagements`), on its own;
with another process on the same store: tests/integration/test_hot_engagements.py."""

from __future__ import annotations

import pytest

from domain import errors
from domain.commands import HoldIndividualSession
from domain.engagement import Engagement
from domain.hot_engagements import HotEngagements
from domain.trustpath import Trustpath
from tests.support.builders import EngagementBuilder

pytestmark = pytest.mark.unit


def versions(builder: EngagementBuilder, count: int) -> list[Engagement]:
    """`count` copies of the builder's engagement, one version apart."""
    found = []
    for _ in range(count):
        builder.individual_session(builder.p1)
        found.append(builder.engagement())
    return found


@pytest.fixture
def contracted(builder: EngagementBuilder) -> EngagementBuilder:
    return builder.contracted()


def test_an_engagement_is_handed_out_once(contracted: EngagementBuilder) -> None:
    hot = HotEngagements()
    (engagement,) = versions(contracted, 1)
    hot.put(engagement)
    assert engagement.id in hot
    assert hot.take(engagement.id) is engagement
    assert hot.take(engagement.id) is None
    assert engagement.id not in hot


def test_an_older_version_never_replaces_a_newer_one(contracted: EngagementBuilder) -> None:
    hot = HotEngagements()
    older, newer = versions(contracted, 2)
    hot.put(newer)
    hot.put(older)
    assert hot.take(newer.id) is newer


def test_an_engagement_found_stale_is_not_kept_for_the_cool_down(
    contracted: EngagementBuilder,
) -> None:
    hot = HotEngagements(cool_down=3)
    first, *later = versions(contracted, 5)
    hot.put(first)
    hot.found_stale(first.id)
    assert first.id not in hot
    for engagement in later[:3]:
        hot.put(engagement)
        assert engagement.id not in hot
    hot.put(later[3])
    assert hot.take(first.id) is later[3]


def test_the_least_recently_saved_engagements_go_first(sqlite_app: Trustpath) -> None:
    hot = HotEngagements(maxsize=2)
    engagements = [EngagementBuilder(sqlite_app).engagement() for _ in range(3)]
    for engagement in engagements:
        hot.put(engagement)
    assert [e.id in hot for e in engagements] == [False, True, True]
    assert len(hot) == 2
    hot.clear()
    assert len(hot) == 0


def test_the_command_side_keeps_what_it_saved_and_not_what_it_refused(
    contracted: EngagementBuilder,
) -> None:
    hot = contracted.app.hot
    contracted.individual_session(contracted.p1)
    assert contracted.eid in hot
    nobody = HoldIndividualSession(
        occurred_at=contracted.at(), protagonist_id="nobody", duration_minutes=30, challenges=[]
    )
    contracted.refused(
        errors.ProtagonistNotFoundError,
        lambda: contracted.run(contracted.coach(contracted.p1), nobody),
    )
    assert contracted.eid not in hot  # it had been handed to the refused command
    contracted.individual_session(contracted.p1)
    kept = hot.take(contracted.eid)
    assert kept is not None
    assert kept.version == contracted.engagement().version
