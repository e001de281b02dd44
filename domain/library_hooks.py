"""Where trustpath adjusts the `eventsourcing` library's `Application`, and why.

    save                    events collected from trustpath's aggregates directly,
                            without the library's runtime-Protocol checks
    _take_snapshots         a snapshot from the engagement just saved, not reloaded
    register_transcodings   sealed values and dates, as stored

The snapshot store on PostgreSQL (its recorder bounded for outages) is composed with the
other storage adapters, in `domain/application.py`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Recording

from domain.ciphers import SealedAsDict
from domain.engagement import Engagement
from domain.events import DateAsISO


class LibraryHooks(Application[UUID]):
    """The library's application, with trustpath's adjustments (see the module)."""

    snapshotting_intervals = {Engagement: 100}

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's `save`, its events collected from trustpath's aggregates directly:
        the library first asks each object whether it is an event or an aggregate through
        two runtime Protocols, whose `isinstance` walks their members (about 30 us a
        command on Python 3.11). Anything else goes the library's way."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, Aggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            else:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's deprecated hook, as it calls it
        return recordings

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """The library's snapshots, taken from the engagement just saved when it stands at
        the snapshot's version instead of reloaded from the store (up to a hundred events):
        the same state, since an engagement changes only by its events."""
        interval = self.snapshotting_intervals.get(Engagement)
        if self.snapshots is None or not interval:
            return
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            if not isinstance(aggregate, Engagement) or event.originator_version % interval:
                continue
            if aggregate.version == event.originator_version:
                self.snapshots.put([Engagement.Snapshot.take(aggregate)])
            else:  # an earlier event of a save of several: reloaded, the library's way
                self.take_snapshot(event.originator_id, event.originator_version)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SealedAsDict())
        transcoder.register(DateAsISO())
