"""A commitment's states, as events store them and every view shows them.

    open ──▶ honoured | broken | withdrawn | renegotiated     (all four final)

A `StrEnum`: each member is the very string stored in the folded state, the projections'
rows and the API's bodies, so naming a state here changes none of them.
"""

from __future__ import annotations

from enum import StrEnum


class CommitmentState(StrEnum):
    """Where a commitment stands: open until settled once, for good."""

    OPEN = "open"
    HONOURED = "honoured"
    BROKEN = "broken"
    RENEGOTIATED = "renegotiated"
    WITHDRAWN = "withdrawn"

    @property
    def settled(self) -> bool:
        """Whether nothing more may happen to the commitment."""
        return self is not CommitmentState.OPEN
