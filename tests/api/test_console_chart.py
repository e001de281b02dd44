"""The chart's geometry: one point per unit of width (the last assessment there)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.console import chart

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def assessment(seconds: float, score: int, challenge: str = "presence") -> dict[str, object]:
    return {
        "protagonist_id": "p1",
        "toward_id": "p2",
        "challenge": challenge,
        "score": score,
        "occurred_at": (T0 + timedelta(seconds=seconds)).isoformat(),
        "position": int(seconds * 10),
    }


def test_chart_panels_draw_the_last_score_of_each_unit_of_width_when_moments_share_one() -> None:
    span = (T0.timestamp(), T0.timestamp() + chart.WIDTH - chart.LEFT - chart.RIGHT)  # 1 s a unit
    rows = [
        assessment(0, 10),
        assessment(0.4, 0),
        assessment(10, 5),
        assessment(5, 7, "recognition"),
    ]
    timeline = {"assessments": rows, "milestones": []}
    for _ in range(2):  # the second time from the remembered columns
        [panel] = chart.panels(timeline, {"p1": "Ann"}, span)
        presence, recognition = panel["lines"]
        assert presence["points"] == "36,200.0 46,106.0"
        assert presence["last"] == {"x": 46, "y": 106.0}
        assert [s["score"] for s in presence["scores"]] == [10, 0, 5]
        assert recognition["points"] == "41,68.4"
    later = (span[0], span[1] + span[1] - span[0])  # a new event: the axis doubles
    [panel] = chart.panels(timeline, {}, later)
    assert panel["lines"][0]["points"] == "36,200.0 41,106.0"
