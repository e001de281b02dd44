"""The trust timeline as a picture: the geometry of the SVG, computed on the server.

For each protagonist toward the other (only those whose assessments the reader may see),
one panel; in it one line per challenge (score 0-10 over time) and the milestones as marks
along the time axis. The x axis spans the engagement's whole history (from its opening to
its latest activity), so a replay draws a line growing into a fixed frame.

The input is the trust timeline *already filtered for the reader* (`api.read_models.
trust_timeline`): this module only draws what it is given.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

CHALLENGES = ("presence", "confrontation", "commitment", "responsibility", "recognition")
"""The five challenges, in the order an engagement goes through them."""
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 12, 40
PLOT_H = HEIGHT - TOP - BOTTOM
MARK_KINDS = {
    "individual_session": "session",
    "relationship_session": "session",
    "commitment_made": "made",
    "commitment_honoured": "honoured",
    "commitment_broken": "broken",
    "commitment_renegotiated": "made",
    "commitment_withdrawn": "broken",
    "presence_setback": "setback",
}
"""Milestone kinds drawn as marks, and the mark's class (intentions are not drawn)."""
TABLE_ROWS = 25
"""Scores listed per line in the table alternative (the latest; the table says how many
earlier ones it leaves out)."""


@lru_cache(maxsize=65536)
def _seconds(stamp: str) -> float:
    """Parsed once per process: a replay redraws the same moments again and again."""
    return datetime.fromisoformat(stamp).timestamp()


def span_of(status: dict[str, Any] | None, timeline: dict[str, Any]) -> tuple[float, float]:
    """The time axis: the engagement's opening to its latest activity (now, not as of);
    without them, the first to the last thing drawn."""
    stamps = [status[k] for k in ("opened_at", "last_activity") if status and status.get(k)]
    if len(stamps) < 2:
        stamps += [a["occurred_at"] for a in timeline["assessments"]]
        stamps += [m["occurred_at"] for m in timeline["milestones"]]
    if not stamps:
        return 0.0, 1.0
    times = [_seconds(s) for s in stamps]
    start, end = min(times), max(times)
    return start, max(end, start + 1.0)


@lru_cache(maxsize=4)
def _columns(span: tuple[float, float]) -> dict[str, int]:
    """A line point's column per moment, on this time axis (filled as moments are drawn:
    a replay draws the same moments on the same axis step after step)."""
    return {}


def _column(stamp: str, span: tuple[float, float]) -> int:
    """The whole unit of width a line point at `stamp` falls in."""
    start, end = span
    share = min(max((_seconds(stamp) - start) / (end - start), 0.0), 1.0)
    return round(LEFT + share * (WIDTH - LEFT - RIGHT))


def x_of(stamp: str, span: tuple[float, float]) -> float:
    start, end = span
    share = (_seconds(stamp) - start) / (end - start)
    return round(LEFT + min(max(share, 0.0), 1.0) * (WIDTH - LEFT - RIGHT), 1)


def y_of(score: int) -> float:
    return round(TOP + (10 - score) / 10 * (HEIGHT - TOP - BOTTOM), 1)


class _Heights(dict[int, float]):
    """A line point's height per score (0 to 10 kept; any other computed when asked)."""

    def __missing__(self, score: int) -> float:
        return round(TOP + (10 - score) / 10 * PLOT_H, 1)


_ROW_Y = _Heights({score: _Heights().__missing__(score) for score in range(11)})


def panels(
    timeline: dict[str, Any], names: dict[str, str], span: tuple[float, float]
) -> list[dict[str, Any]]:
    """One panel per (protagonist, toward whom) with lines per challenge and marks."""
    series: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for a in timeline["assessments"]:  # one pass, one lookup each: runs on every replay step
        key = (a["protagonist_id"], a["toward_id"], a["challenge"])
        found = series.get(key)
        if found is None:
            series[key] = [a]
        else:
            found.append(a)
    pairs: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for (who, toward, challenge), found in series.items():
        pairs.setdefault((who, toward), {})[challenge] = found
    return [
        _panel(who, toward, lines, timeline["milestones"], names, span)
        for (who, toward), lines in sorted(pairs.items())
    ]


def _panel(
    who: str,
    toward: str,
    by_challenge: dict[str, list[dict[str, Any]]],
    milestones: list[dict[str, Any]],
    names: dict[str, str],
    span: tuple[float, float],
) -> dict[str, Any]:
    lines = [
        _line(index, challenge, by_challenge[challenge], span)
        for index, challenge in enumerate(CHALLENGES)
        if challenge in by_challenge
    ]
    marks = [
        {
            "x": x_of(m["occurred_at"], span),
            "kind": MARK_KINDS[m["kind"]],
            "label": f"{m['occurred_at'][:10]}: {m['label']}",
        }
        for m in milestones
        if m["kind"] in MARK_KINDS and m["protagonist_id"] in ("", who, toward)
    ]
    return {
        "title": f"{names.get(who, 'Protagonist')} toward {names.get(toward, 'the other')}",
        "protagonist_id": who,
        "lines": lines,
        "marks": marks,
    }


def _line(
    index: int, challenge: str, found: list[dict[str, Any]], span: tuple[float, float]
) -> dict[str, Any]:
    """One challenge's line: a point per assessment, at most one per unit of width (the
    last one there: more could not be seen), and the latest scores for the table."""
    points: dict[float, float] = {}
    xs = _columns(span)
    for a in found:  # this loop runs over every assessment: lookups only
        stamp = a["occurred_at"]
        x = xs.get(stamp)
        if x is None:
            x = xs[stamp] = _column(stamp, span)
        points[x] = _ROW_Y[a["score"]]
    last_x = next(reversed(points))
    return {
        "challenge": challenge,
        "index": index,
        "points": " ".join(f"{x},{y}" for x, y in points.items()),
        "last": {"x": last_x, "y": points[last_x]},
        "scores": [
            {"at": a["occurred_at"][:10], "score": a["score"], "position": a["position"]}
            for a in found[-TABLE_ROWS:]
        ],
        "scores_omitted": max(len(found) - TABLE_ROWS, 0),
    }


def frame() -> dict[str, Any]:
    """The fixed parts: the size, the score grid lines and the axis."""
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "axis_y": HEIGHT - BOTTOM,
        "grid": [{"score": s, "y": y_of(s)} for s in (0, 5, 10)],
        "mark_y": HEIGHT - BOTTOM + 14,
    }
