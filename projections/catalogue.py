"""Every projection trustpath runs, in one list (the runner itself knows none of them).

The audit ledger (projections/ledger/) is one of them like any other, imported directly:
a ledger that cannot be imported stops the process at start-up with the import error,
instead of running without the audit ledger.
"""

from __future__ import annotations

from projections.commitment_ledger import CommitmentLedgerProjection
from projections.ledger import make_projection as make_ledger
from projections.protocol import Projection
from projections.status import StatusProjection
from projections.timeline import TimelineProjection


def all_projections() -> list[Projection]:
    """Fresh instances of every projection (each read side keeps its own)."""
    return [
        StatusProjection(),
        CommitmentLedgerProjection(),
        TimelineProjection(),
        make_ledger(),
    ]
