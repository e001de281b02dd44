"""Benchmark of the audit ledger on PostgreSQL: verify vs a bare read, sealing, proofs.

    python -m ops.bench.ledger [--events 200000] [--json]

On a throwaway PostgreSQL server: one demo engagement is played through the application,
then its stored events are replicated under new originator ids (in SQL) up to `--events`,
so states have realistic sizes (ciphertext included). Then, in one run:

    bare read     COPY of the same rows in binary, blocks read and dropped (events/s)
    verify        `ledger verify`'s work: recompute every leaf from the events table (the
                  same binary COPY as the bare read, each leaf hashed from slices of its
                  row), the root at every checkpoint, every signature (events/s, and the
                  ratio to the bare read; target >= 0.4)
    sealing       the ledger projection built from scratch by the runner (events/s)
    proof         an inclusion proof from the stored nodes at that size (ms, median)
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import psycopg

from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from ops.bench.common import print_json, say_to_stderr, throwaway_postgres
from ops.config import store_env
from ops.demo import play
from projections.engine import make_engine
from projections.ledger.checkpoints import Signer
from projections.ledger.projection import LedgerProjection
from projections.ledger.proofs import prove_inclusion
from projections.ledger.recompute import read_ledger
from projections.ledger.source import PG_TABLE
from projections.ledger.store import LedgerStore
from projections.ledger.verify import verify
from projections.wiring import attach

Say = Callable[[str], None]
KEY = MasterKey.generate()


def populate(url: str, events: int) -> int:
    """Play the demo once, then replicate its events under fresh ids up to `events`."""
    app = Trustpath(store_env(url), master_key=KEY)
    try:
        play(app)
    finally:
        app.close()
    with psycopg.connect(url) as conn:
        found = conn.execute(f"SELECT count(*) FROM {PG_TABLE}").fetchone()
        per = int(found[0]) if found else 1
        copies = max(0, -(-events // per) - 1)
        conn.execute(
            f"INSERT INTO {PG_TABLE} (originator_id, originator_version, topic, state) "
            "SELECT md5(g::text || '|' || e.originator_id::text)::uuid, e.originator_version, "
            "e.topic, e.state FROM generate_series(1, %s) g, "
            f"(SELECT * FROM {PG_TABLE} ORDER BY notification_id) e "
            "ORDER BY g, e.notification_id",
            (copies,),
        )
        conn.execute(f"ANALYZE {PG_TABLE}")
        total = conn.execute(f"SELECT count(*) FROM {PG_TABLE}").fetchone()
    return int(total[0]) if total else 0


def bare_read(url: str) -> float:
    """Seconds to COPY every row out (binary), the fastest read PostgreSQL offers."""
    start = time.perf_counter()
    query = (
        "COPY (SELECT notification_id, originator_id::text, originator_version, topic, state "
        f"FROM {PG_TABLE} ORDER BY notification_id) TO STDOUT (FORMAT BINARY)"
    )
    with psycopg.connect(url) as conn, conn.cursor() as cur, cur.copy(query) as copy:
        while copy.read():
            pass
    return time.perf_counter() - start


def seal(url: str, signer: Signer) -> float:
    """Seconds for the runner to build the ledger from scratch (one transaction per page)."""
    app = Trustpath(store_env(url), master_key=KEY)
    engine = make_engine(url)
    try:
        start = time.perf_counter()
        attach(app, engine, [LedgerProjection(signer)], in_process=False)
        elapsed = time.perf_counter() - start
        LedgerStore(engine).checkpoint(signer)
    finally:
        app.close()
        engine.dispose()
    return elapsed


def timed_verify(url: str, signer: Signer) -> tuple[float, bool]:
    engine = make_engine(url)
    try:
        start = time.perf_counter()
        store = LedgerStore(engine)
        report = verify(url, store.checkpoints(), signer.public_key, lambda: read_ledger(engine))
        return time.perf_counter() - start, report.ok
    finally:
        engine.dispose()


def proof_ms(url: str, size: int, repeats: int = 30) -> float:
    engine = make_engine(url)
    try:
        store = LedgerStore(engine)
        prove_inclusion(store, index=0)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            prove_inclusion(store, index=random.randrange(size))
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000
    finally:
        engine.dispose()


def run(events: int, say: Say) -> dict[str, Any]:
    signer = Signer.generate()
    with throwaway_postgres(say) as server:
        url = server.database("ledger")
        say(f"populating {events} events ...")
        total = populate(url, events)
        say("sealing the ledger ...")
        sealing = seal(url, signer)
        say("bare COPY read and verify, alternated (best of 3 each) ...")
        bare, verified, ok = [], [], True
        for _ in range(3):
            bare.append(bare_read(url))
            seconds, passed = timed_verify(url, signer)
            verified.append(seconds)
            ok = ok and passed
        say("inclusion proofs ...")
        proof = proof_ms(url, total)
    bare_rate, verify_rate = total / min(bare), total / min(verified)
    return {
        "store": "postgres",
        "events": total,
        "bare_copy_read_events_per_s": round(bare_rate),
        "verify_events_per_s": round(verify_rate),
        "verify_seconds": round(min(verified), 2),
        "verify_to_bare_read_ratio": round(verify_rate / bare_rate, 3),
        "verify_passed": ok,
        "sealing_events_per_s": round(total / sealing),
        "inclusion_proof_ms_median": round(proof, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="200,000 to 1,000,000")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    figures = run(args.events, say_to_stderr)
    if args.json:
        print_json(figures)
    else:
        for key, value in figures.items():
            print(f"{key:32} {value}")
    return 0 if figures["verify_passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
