"""The engagements this process saved last, each kept for the next command on it.

The library's aggregate cache hands every command a deep copy of the cached engagement,
after reading the store for events it may have missed (its fast-forward): a read
transaction and a copy per command, about a third of a command's time on SQLite. This
cache keeps instead the very engagement object a command has just saved and hands it to
exactly one next command (`take` removes it), so it needs no copy and reads nothing.

It may be stale: another process (a second API worker, the CLI) may have saved events since.
So the command side only *saves* from it, and the library's optimistic concurrency refuses
a save on a stale version (the next version already exists: `IntegrityError`). Everything
else the engagement would decide (a refusal, a replayed idempotency key, a version that is
not the expected one) is decided again on the engagement as the store has it
(`CommandSide._run`). A command that fails on a hot engagement has mutated it, and it is
not put back: only an engagement whose events were committed is.

An engagement found stale is written by other processes too: it is left to the library's
path for the next `COOL_DOWN` saves, so processes taking turns on one engagement do not
each pay for a refused save every time.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import TypeVar
from uuid import UUID

from domain.engagement import Engagement

MAXSIZE = 256
"""Engagements kept (least recently saved dropped first)."""
COOL_DOWN = 64
"""Saves of an engagement found stale that are not kept, before it is tried again."""

V = TypeVar("V")


class HotEngagements:
    """Saved engagements, each handed once to the next command (see the module)."""

    def __init__(self, maxsize: int = MAXSIZE, cool_down: int = COOL_DOWN) -> None:
        self._maxsize = maxsize
        self._cool_down = cool_down
        self._lock = Lock()
        self._kept: OrderedDict[UUID, Engagement] = OrderedDict()
        self._shared: OrderedDict[UUID, int] = OrderedDict()

    def take(self, engagement_id: UUID) -> Engagement | None:
        """The engagement as this process last saved it, now the caller's alone; or None."""
        with self._lock:
            return self._kept.pop(engagement_id, None)

    def put(self, engagement: Engagement) -> None:
        """Keep an engagement whose events have all been committed (none pending)."""
        eid = engagement.id
        with self._lock:
            left = self._shared.get(eid, 0)
            if left:
                self._count_down(eid, left)
                return
            kept = self._kept.get(eid)
            if kept is not None and kept.version >= engagement.version:
                return  # another thread saved it further meanwhile
            self._kept[eid] = engagement
            self._kept.move_to_end(eid)
            _trim(self._kept, self._maxsize)

    def found_stale(self, engagement_id: UUID) -> None:
        """Another process saved this engagement: skip keeping it for a while."""
        with self._lock:
            self._kept.pop(engagement_id, None)
            self._shared[engagement_id] = self._cool_down
            self._shared.move_to_end(engagement_id)
            _trim(self._shared, self._maxsize)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._shared.clear()

    def __contains__(self, engagement_id: object) -> bool:
        with self._lock:
            return engagement_id in self._kept

    def __len__(self) -> int:
        return len(self._kept)

    def _count_down(self, eid: UUID, left: int) -> None:
        if left > 1:
            self._shared[eid] = left - 1
        else:
            del self._shared[eid]


def _trim(entries: OrderedDict[UUID, V], maxsize: int) -> None:
    while len(entries) > maxsize:
        entries.popitem(last=False)
