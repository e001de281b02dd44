"""`Trustpath.execute` runs any command; an opening and a command on an engagement do not mix."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from domain.commands import OpenEngagement, PauseEngagement
from tests.support.builders import ADMIN, EngagementBuilder, recorded


def test_execute_refuses_an_opening_when_given_an_engagement_id(
    builder: EngagementBuilder,
) -> None:
    opening = OpenEngagement(
        occurred_at=datetime.now(UTC), title="T", organisation="O", sponsor="s"
    )
    before = recorded(builder.app, builder.eid)
    with pytest.raises(TypeError, match="OpenEngagement makes its engagement"):
        builder.app.execute(cast(Any, builder.eid), ADMIN, opening)
    assert recorded(builder.app, builder.eid) == before


def test_execute_refuses_a_command_when_given_no_engagement_id(
    builder: EngagementBuilder,
) -> None:
    pause = PauseEngagement(occurred_at=builder.at(), reason="Summer")
    with pytest.raises(TypeError, match="PauseEngagement runs on an engagement"):
        builder.app.execute(cast(Any, None), ADMIN, pause)


def test_execute_runs_an_opening_and_a_command_on_it(builder: EngagementBuilder) -> None:
    builder.contracted()
    receipt = builder.run(ADMIN, PauseEngagement(occurred_at=builder.at(), reason="Summer"))
    assert receipt.version == builder.engagement().version
    assert builder.engagement().paused
