"""Refused reads of confidential content, coalesced so that nobody can grow the log at will.

    a refusal of (who, engagement, item, reason) in minute M      who: the principal, or the
                                                                   client address when no
                                                                   valid token was sent
      the first of its window    → AccessDenied(count=1, window=M), written before the answer
      every later one            → counted in the server's shared table (api.shared), not written
      once the window has closed (checked every FLUSH_SECONDS), or when the worker stops
                                 → one AccessDenied(count=N, window=M) for the N not yet written

The counts of a window's records add up to the refusals answered in it, whichever worker
answered them: every worker that saw the window may write its summary, and the shared
table lets exactly one of them claim each refusal. Two things are not audit records, on
purpose: requests answered 429 by a rate limit (`api.limits`) before anything was looked
up (nothing was refused about an item then: they never reach this module), and refusals
to items that do not exist. If a worker is killed outright (SIGKILL, a crash) instead of
stopped, the repeats it alone had counted in still-open windows are lost: at most a
minute's worth, never a window's first refusal.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from api.shared import SharedTable
from domain.trustpath import Trustpath
from domain.values import Actor

WINDOW_SECONDS = 60
FLUSH_SECONDS = 5.0
FORGET_SECONDS = 3600.0
"""A window whose summary nobody wrote (its workers killed) gives its slot back after this."""
log = logging.getLogger("trustpath.api")


@dataclass(frozen=True)
class Refusal:
    """What a window's summary record says, besides its count."""

    eid: UUID
    reader: Actor
    protagonist_id: str
    item: str
    reason: str
    client: str
    window: int

    @property
    def key(self) -> str:
        who = self.client if self.reader.id == "anonymous" else self.reader.id
        return f"{who}|{self.eid}|{self.item}|{self.reason}|{self.window}"

    @property
    def window_label(self) -> str:
        start = datetime.fromtimestamp(self.window * WINDOW_SECONDS, UTC)
        return start.isoformat(timespec="minutes")


class RefusalWindows:
    """Coalesces repeated refusals into one record per (who, item, reason, minute)."""

    def __init__(self, app: Trustpath, table: SharedTable) -> None:
        self.app, self.table = app, table
        self._known: dict[str, Refusal] = {}
        self._lock = threading.Lock()
        self._flusher: threading.Thread | None = None
        self._stop = threading.Event()

    def refuse(
        self, eid: UUID, reader: Actor, protagonist_id: str, item: str, why: str, client: str = ""
    ) -> None:
        """Count one refusal; write it at once if it is the first of its window."""
        window = int(time.time() // WINDOW_SECONDS)
        refusal = Refusal(eid, reader, protagonist_id, item, why, client, window)
        first = True
        with self.table.slot(refusal.key, _spent) as slot:
            if slot is not None:
                first = slot.fresh or slot.a == 0
                slot.set(slot.a + 1, slot.b + 1 if first else slot.b)
        if slot is not None:
            self._remember(refusal)
        if first:
            try:
                self._write(refusal, 1)
            except Exception:
                self._give_back(refusal, counted=1, claimed=1 if slot is not None else 0)
                raise

    def flush(self, everything: bool = False) -> int:
        """Write the summaries of closed windows (of every window: `everything`); how many
        refusals they counted."""
        now = int(time.time() // WINDOW_SECONDS)
        with self._lock:
            due = [r for r in self._known.values() if everything or r.window < now]
            for closed in (r for r in due if r.window < now):
                # forgotten before its claim: a refusal counted after the claim remembers
                # the window again, and the next round writes it
                del self._known[closed.key]
        written = 0
        for index, refusal in enumerate(due):
            try:
                written += self._summarise(refusal)
            except Exception:
                with self._lock:
                    for left in due[index:]:
                        self._known.setdefault(left.key, left)
                raise
        return written

    def close(self) -> None:
        """Stop the flusher and write every pending summary (a worker stopping)."""
        self._stop.set()
        self.flush(everything=True)

    def _summarise(self, refusal: Refusal) -> int:
        with self.table.slot(refusal.key, _spent, create=False) as slot:
            pending = 0 if slot is None else int(slot.a - slot.b)
            if slot is not None and pending > 0:
                slot.set(slot.a, slot.a)
        if pending <= 0:
            return 0
        try:
            self._write(refusal, pending)
        except Exception:
            self._give_back(refusal, counted=0, claimed=pending)  # the next round writes it
            raise
        return pending

    def _give_back(self, refusal: Refusal, counted: int, claimed: int) -> None:
        """Undo a count or a claim whose record could not be written."""
        with self.table.slot(refusal.key, _spent, create=False) as slot:
            if slot is not None:
                slot.set(slot.a - counted, slot.b - claimed)

    def _write(self, refusal: Refusal, count: int) -> None:
        self.app.record_denial(
            refusal.eid,
            refusal.reader,
            refusal.protagonist_id,
            refusal.item,
            refusal.reason,
            count=count,
            client=refusal.client,
            window=refusal.window_label,
        )

    def _remember(self, refusal: Refusal) -> None:
        with self._lock:
            self._known.setdefault(refusal.key, refusal)
            if self._flusher is None:  # started here, not at import: after gunicorn's fork
                self._flusher = threading.Thread(target=self._run, name="refusals", daemon=True)
                self._flusher.start()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            try:
                self.flush()
            except Exception as error:  # the store is down: the next round retries
                log.error("refusal summaries not written: %s", type(error).__name__)


def _spent(count: float, recorded: float, stamp: float) -> bool:
    """A window all of whose refusals are written, and that has closed, frees its slot."""
    age = time.monotonic() - stamp
    return (count == recorded and age > 2 * WINDOW_SECONDS) or age > FORGET_SECONDS
