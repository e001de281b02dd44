"""Counters shared by every worker of one server: the rate limits and the refusal windows.

gunicorn forks its workers from one master process. A table made in the master before the
fork is the same memory in every worker, so a limit holds per server, not per worker
(with per-worker buckets, N workers let N buckets' worth through):

    an anonymous shared mapping (mmap, MAP_SHARED)   an unlinked lock file (one a process)
    slot i: key hash | a | b | stamp  (4 x 8 bytes)   fcntl.lockf: one process at a time
                                                      + a threading.Lock: one thread

Why this and not something else: a small SQLite file in WAL mode would share the buckets
too, but a transaction per request cost ~110 µs on this 2-core machine against ~20 µs for
a take here (a lockf pair and a struct read), and leaves a file to clean up; a
`multiprocessing.Lock` is a semaphore that stays taken forever if its holder is killed
(gunicorn kills a stuck worker), while the kernel releases a `lockf` lock when its process
dies.

A slot is found by linear probing from the key's hash (BLAKE2b, the same in every
process). When the probed slots are all taken, one that its owner says may be reused
(`reusable(a, b, stamp)`) is taken over; if none may, `slot()` yields None and the caller
does without (a full table never blocks a request). Keep one kind of entry per table: the
`reusable` of the caller judges the other keys' slots.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SLOT = struct.Struct("<Qddd")
Reusable = Callable[[float, float, float], bool]
_THREAD_LOCK = threading.Lock()
_LOCK_FILE: list[int] = []


def _process_lock_file() -> int:
    """One unlinked lock file for every table of this process and of those it forks: made
    with the first table, so before the fork in a server."""
    with _THREAD_LOCK:
        if not _LOCK_FILE:
            fd, path = tempfile.mkstemp(prefix="trustpath-limits-")
            os.unlink(path)
            _LOCK_FILE.append(fd)
        return _LOCK_FILE[0]


class Slot:
    """One key's two numbers (`a`, `b`) while the table is locked; `stamp` is when it was
    last written (time.monotonic, the same clock in every process)."""

    def __init__(self, table: SharedTable, index: int, key: int, fresh: bool) -> None:
        self._table, self._index, self._key, self.fresh = table, index, key, fresh
        _, self.a, self.b, self.stamp = table.read(index) if not fresh else (key, 0.0, 0.0, 0.0)

    def set(self, a: float, b: float) -> None:
        self.a, self.b = a, b
        self._table.write(self._index, (self._key, a, b, time.monotonic()))


class SharedTable:
    """A fixed-size table of (key → two numbers) shared by the processes forked after it."""

    def __init__(self, slots: int = 16384, probes: int = 16) -> None:
        self.slots, self.probes = slots, probes
        self._memory = mmap.mmap(-1, slots * SLOT.size)
        self._lock_file = _process_lock_file()

    def read(self, index: int) -> tuple[int, float, float, float]:
        found: tuple[int, float, float, float] = SLOT.unpack_from(self._memory, index * SLOT.size)
        return found

    def write(self, index: int, values: tuple[int, float, float, float]) -> None:
        SLOT.pack_into(self._memory, index * SLOT.size, *values)

    @contextmanager
    def slot(self, key: str, reusable: Reusable, *, create: bool = True) -> Iterator[Slot | None]:
        """The key's slot, locked against every thread and process, while the block runs."""
        digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
        hashed = int.from_bytes(digest, "little") or 1  # 0 marks a free slot
        with _THREAD_LOCK:
            fcntl.lockf(self._lock_file, fcntl.LOCK_EX)
            try:
                yield self._find(hashed, reusable, create)
            finally:
                fcntl.lockf(self._lock_file, fcntl.LOCK_UN)

    def _find(self, hashed: int, reusable: Reusable, create: bool) -> Slot | None:
        """Probe from the key's hash: its slot, else the first free one, else the first
        its owner may give up. Slots are never emptied, only taken over, so a key is always
        found before the first free slot."""
        taken = []
        for step in range(self.probes):
            index = (hashed + step) % self.slots
            key = self.read(index)[0]
            if key == hashed:
                return Slot(self, index, hashed, fresh=False)
            if key == 0:
                return Slot(self, index, hashed, fresh=True) if create else None
            taken.append(index)
        if not create:
            return None
        for index in taken:
            if reusable(*self.read(index)[1:]):
                return Slot(self, index, hashed, fresh=True)
        return None
