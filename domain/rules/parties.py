"""The parties of an engagement: what the "who may see what" matrix (`domain.access`) needs.

Computed the same way from the aggregate's state and from the status projection's folded
state (the same plain values), so the command side and the read side decide alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.access import Parties
from domain.sponsor import sponsor_items


def parties_of(
    protagonists: Mapping[str, Mapping[str, Any]],
    sponsor: str,
    agreement: Mapping[str, Any] | None,
) -> Parties:
    """The engagement's protagonists and their coaches, its sponsor and what it may be told."""
    return Parties(
        coach_of={pid: p["coach_id"] for pid, p in protagonists.items()},
        sponsor=sponsor,
        sponsor_items=sponsor_items(agreement, protagonists),
    )
