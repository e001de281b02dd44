"""Every projection trustpath runs, in one list (the runner itself knows none of them).

A new projection (e.g. the audit ledger in `projections/ledger/`) joins by exposing a
`make_projection()` factory in its package's `__init__`: it is picked up here when present.
"""

from __future__ import annotations

import importlib

from projections.runner import Projection

OPTIONAL = ("projections.ledger",)


def all_projections() -> list[Projection]:
    """Fresh instances of every projection (each read side keeps its own)."""
    from projections.commitment_ledger import CommitmentLedgerProjection
    from projections.status import StatusProjection
    from projections.timeline import TimelineProjection

    found: list[Projection] = [
        StatusProjection(),
        CommitmentLedgerProjection(),
        TimelineProjection(),
    ]
    for module_name in OPTIONAL:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        factory = getattr(module, "make_projection", None)
        if factory is not None:
            found.append(factory())
    return found
