"""A page of the notification log as the runner applies it: read once, decoded once for every
target (or why decoding failed), bare items on demand for projections that need no events.

A page of a part (projections/parts.py) holds only that part's events, read up to a stop;
its last page moves the part to the stop.

`collector_paused` pauses Python's cyclic garbage collector while big pages are folded (a
rebuild): see projections/rebuild.py for why.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from projections import failures
from projections.errors import ProjectionFailedError
from projections.parts import Part, select_part
from projections.protocol import Item, Projection


@dataclass(frozen=True)
class Page:
    """One page of the log: decoded items (or why decoding failed); bare items on demand."""

    notifications: Sequence[Notification]
    decoded: list[Item] | None
    error: ProjectionFailedError | None
    end: int
    """The position the page moves its targets to: its last event's, or, for a part's
    last page (shorter than a page), the stop: nothing of the part is left before it."""

    @cached_property
    def bare(self) -> list[Item]:
        return [Item(n, None) for n in self.notifications]

    def items_for(self, projection: Projection) -> list[Item]:
        if not projection.needs_events:
            return self.bare
        if self.decoded is None:
            raise self.error or ProjectionFailedError("page was not decoded")
        return self.decoded


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector's automatic runs (reference counting goes on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def fetch_page(
    app: Application[Any],
    page_size: int,
    start: int,
    stop: int | None,
    decode: bool,
    part: Part | None = None,
) -> Page:
    """The page after `start`, decoded if asked (a decoding failure is kept, not raised).

    For a part (read up to a stop), only that part's events; its last page moves to the stop.
    """
    if part is None or stop is None:
        notifications = app.recorder.select_notifications(
            start, page_size, stop=stop, inclusive_of_start=False
        )
        end = notifications[-1].id if notifications else start
    else:
        notifications = select_part(app.recorder, start, page_size, stop, part)
        end = notifications[-1].id if len(notifications) == page_size else stop
    if not decode:
        return Page(notifications, None, None, end)
    try:
        return Page(notifications, decoded(app, notifications), None, end)
    except ProjectionFailedError as error:
        return Page(notifications, None, error, end)


def decoded(app: Application[Any], notifications: Sequence[Notification]) -> list[Item]:
    """The items of `notifications` with their domain events (the first failure raised)."""
    to_event = app.mapper.to_domain_event
    items = []
    for n in notifications:
        try:
            items.append(Item(n, to_event(n)))
        except Exception as error:
            raise ProjectionFailedError(
                f"cannot decode event at position {n.id} ({n.topic}): "
                f"{type(error).__name__}; nothing applied",
                position=n.id,
                reason=failures.reason(error),
            ) from error
    return items
