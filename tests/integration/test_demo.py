"""The demo engagement plays through the real application on both stores."""

from __future__ import annotations

import pytest

from domain.trustpath import Trustpath
from domain.values import Phase
from ops.demo import play

pytestmark = pytest.mark.integration


def test_demo_engagement_completes_on_every_store(app: Trustpath) -> None:
    run = play(app)
    engagement = app.engagement(run.engagement_id)
    assert engagement.phase is Phase.COMPLETED
    assert len(engagement.individual_sessions) >= 6
    assert engagement.challenges_explored == [
        "confrontation",
        "commitment",
        "responsibility",
        "recognition",
    ]
    states = sorted(c["state"] for c in engagement.commitments.values())
    assert states == ["broken", "honoured", "honoured", "renegotiated"]


def test_demo_runs_twice_into_the_same_store(app: Trustpath) -> None:
    first, second = play(app), play(app)
    assert first.engagement_id != second.engagement_id
    assert second.last_position > first.last_position
