"""A commitment's states, and who keeps their word.

    open ──▶ honoured | broken | withdrawn | renegotiated     (all four final)

`CommitmentState` is a `StrEnum`: each member is the very string stored in the folded
state, the projections' rows and the API's bodies, so naming a state here changes none
of them.

Who keeps their word is computed when asked, one way, from commitments as plain values
(`owners`, `to_whom`, `state`, `on_time`): per protagonist (as owner) and per engagement
made, honoured, broken, honour rate = honoured / (honoured + broken), on-time rate = on
time / honoured, and reciprocity (each pair's honour rates side by side). Withdrawn and
renegotiated commitments were neither kept nor broken: they count as made only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from itertools import combinations
from typing import Any


class CommitmentState(StrEnum):
    """Where a commitment stands: open until settled once, for good."""

    OPEN = "open"
    HONOURED = "honoured"
    BROKEN = "broken"
    RENEGOTIATED = "renegotiated"
    WITHDRAWN = "withdrawn"


Commitment = Mapping[str, Any]
"""A commitment as plain values: owners, to_whom, state, on_time (None until honoured)."""


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def tally(commitments: Sequence[Commitment]) -> dict[str, Any]:
    """made, honoured, broken, honour rate, on-time rate of some commitments."""
    states = [c["state"] for c in commitments]
    honoured, broken = states.count(CommitmentState.HONOURED), states.count(CommitmentState.BROKEN)
    on_time = sum(1 for c in commitments if c["state"] == CommitmentState.HONOURED and c["on_time"])
    return {
        "made": len(commitments),
        "honoured": honoured,
        "broken": broken,
        "open": states.count(CommitmentState.OPEN),
        "honour_rate": _rate(honoured, honoured + broken),
        "on_time_rate": _rate(on_time, honoured),
    }


def rates(commitments: Sequence[Commitment]) -> dict[str, Any]:
    """Per protagonist (as owner), per engagement, and the reciprocity between protagonists."""
    people = sorted({p for c in commitments for p in [*c["owners"], *c["to_whom"]]})
    per = {p: tally([c for c in commitments if p in c["owners"]]) for p in people}
    reciprocity = [
        {
            "protagonist": a,
            "other": b,
            "honour_rate": per[a]["honour_rate"],
            "other_honour_rate": per[b]["honour_rate"],
        }
        for a, b in combinations(people, 2)
    ]
    return {"per_protagonist": per, "engagement": tally(commitments), "reciprocity": reciprocity}
