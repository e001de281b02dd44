"""What a projection is, for the runner: the `Projection` protocol, the `Item` it folds, the
`Target` (one built version of it) the runner moves.

A projection is any object with the `Projection` protocol: a stable `name`, a code
`version` (bump it and the read side rebuilds the projection beside the live one), whether
it needs decoded domain events, `define` (its SQLAlchemy Core tables, every name carrying
the suffix so that a new version is built beside the live one), and `apply` (fold one page
into its tables, inside the runner's transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable

import sqlalchemy as sa
from eventsourcing.persistence import Notification
from sqlalchemy.engine import Connection

from projections.parts import Part


class Item(NamedTuple):
    """One stored event as a projection receives it (a tuple: cheap to make by the million)."""

    notification: Notification
    event: Any
    """The decoded domain event, or None for projections with `needs_events = False`."""


@runtime_checkable
class Projection(Protocol):
    """A read model built from the notification log."""

    name: str
    version: int
    needs_events: bool

    def define(self, metadata: sa.MetaData, suffix: str) -> None:
        """Declare this projection's tables for one built version (names carry `suffix`)."""

    def apply(self, conn: Connection, page: Sequence[Item]) -> None:
        """Fold one page of items into the tables of the version being applied.

        The runner sets `conn.info["suffix"]` to that version's suffix and
        `conn.info["from"]` to the position the page starts after (the position this
        transaction moved from, under the position row's lock).
        """


@dataclass(frozen=True)
class Target:
    """One built version of a projection: the projection and its table suffix."""

    projection: Projection
    suffix: str
    part: Part | None = None
    """Set while a version is built by parts: this target folds that part of the log."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.projection.name, self.suffix)

    @property
    def position_key(self) -> tuple[str, str, int]:
        """Which position row this target moves (a part's own row, or the version's)."""
        return (self.projection.name, self.suffix, -1 if self.part is None else self.part.index)
