"""Benchmark: rebuilding the projections against a bare read of the same log; command lag.

    python -m ops.bench.rebuild [--events 200000] [--repeats 3] [--json]
                                [--stores sqlite,postgres]

For each store (a fresh SQLite file; a database on a throwaway PostgreSQL server):

1. generate a log of realistic engagements (~100 events each: contracting, individual
   sessions with sealed notes, intentions, trust assessments, the four relationship
   sessions, commitments honoured and broken, completion), written through the library
   in bulk: the domain's own commands on the aggregates, saved many at a time, in rounds
   so that engagements interleave in the log as they do in production;
2. bare read: `select_notifications` in pages + the application's mapper, nothing else;
3. full rebuild of the three read models of the read side (status, commitment ledger,
   timeline) in one pass; the audit ledger (projections/ledger/, append-only, never rebuilt
   beside a live version) is not part of it, and the output says so;
4. lag from a command's commit to the projections reflecting it (median, p99), with the
   runner in-process and with a separate `trustpath projections follow` process.

The bare read and the rebuild are measured alike so that the ratio is fair: same process,
same page size (the rebuild's), same garbage-collector setting (paused, as during a
rebuild), repeated `--repeats` times in turns (read,
rebuild, read, rebuild, ...) so that a burst of load on the shared machine hits both; the
figures are the medians, the ratio is median rebuild / median read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import sqlalchemy as sa

from domain.ciphers import MasterKey
from domain.commands import (
    AssessTrust,
    AssignCoach,
    EnrolProtagonist,
    GiveConsent,
    OpenEngagement,
    SignAgreement,
)
from domain.engagement import Engagement
from domain.state import Command
from domain.trustpath import Trustpath
from domain.values import RELATIONAL_CHALLENGES, Actor, Policy
from ops.bench.common import print_json, say_to_stderr, temp_directory, temp_sqlite
from ops.bench.common import throwaway_postgres as start_postgres
from ops.config import store_env
from projections.engine import make_engine
from projections.pages import collector_paused
from projections.positions import positions
from projections.read_side import ReadSide
from projections.rebuild import BIG_PAGE, rebuild_many
from projections.status import StatusProjection
from projections.wiring import attach

ADMIN = Actor("practice-admin", "admin")
PAGE = BIG_PAGE
"""The bare read's page size: the rebuild's own."""
ROUND = 12
"""Events each engagement advances per round (how much engagements interleave)."""
VIEWS = ("status", "commitment_ledger", "timeline")
TARGET_RATIO, TARGET_1M_S = 0.5, 60


def script(app: Trustpath, e: Engagement, start: datetime) -> Iterator[None]:
    """The commands of one engagement, one event per step (~100 events)."""
    clock = [start]

    def cmd(actor: Actor) -> Command:
        clock[0] += timedelta(hours=2)
        return Command(actor, clock[0], clock[0] + timedelta(days=1))

    seal = app.sealer(e.id)
    e.sign_agreement(
        cmd(ADMIN),
        parties=["a", "b"],
        confidentiality="c",
        sponsor_may_be_told=[],
        retention_days=365,
    )
    yield
    people, coaches = [], [Actor(f"coach-{i}-{e.id.hex[:6]}", "coach") for i in (1, 2)]
    for i, coach in enumerate(coaches):
        pid = f"p{i}-{e.id.hex[:8]}"
        people.append(pid)
        e.enrol_protagonist(cmd(ADMIN), protagonist_id=pid, name=f"Person {i}", kind="person")
        e.assign_coach(cmd(ADMIN), protagonist_id=pid, coach_id=coach.id, coach_name="Coach")
        e.give_consent(
            cmd(Actor(pid, "protagonist")), protagonist_id=pid, scope="coaching", evidence=""
        )
        yield
    yield from _individual(e, cmd, seal, people, coaches)
    yield from _relationship(e, cmd, people, coaches[0])
    e.complete(cmd(ADMIN))
    yield


def _individual(
    e: Any, cmd: Callable[..., Command], seal: Any, people: list[str], coaches: list[Actor]
) -> Iterator[None]:
    for n in range(3):
        for pid, coach in zip(people, coaches, strict=True):
            e.hold_individual_session(
                cmd(coach),
                seal,
                session_id=f"s{n}{pid}",
                protagonist_id=pid,
                duration_minutes=60,
                challenges=["presence", "confrontation"],
                notes="Confidential notes of the session." if n == 0 else None,
            )
            if n == 0:
                e.declare_intention(cmd(coach), seal, protagonist_id=pid, text="To work together.")
                e.share_intention(cmd(coach), protagonist_id=pid, shared_text="To work together.")
            yield from _assess(e, cmd, coach, pid, people, 3 + n)


def _assess(
    e: Any, cmd: Callable[..., Command], coach: Actor, pid: str, people: list[str], score: int
) -> Iterator[None]:
    other = people[1] if pid == people[0] else people[0]
    for challenge in ("presence", *RELATIONAL_CHALLENGES):
        e.assess_trust(
            cmd(coach),
            protagonist_id=pid,
            toward_id=other,
            challenge=challenge,
            score=min(score, 10),
        )
        yield


def _relationship(
    e: Any, cmd: Callable[..., Command], people: list[str], coach: Actor
) -> Iterator[None]:
    for k, challenge in enumerate(RELATIONAL_CHALLENGES):
        session = f"r{k}"
        e.hold_relationship_session(
            cmd(coach),
            session_id=session,
            challenge=challenge,
            present=people,
            duration_minutes=90,
            shared_notes="Shared.",
            made_explicit=[],
            decisions=[],
        )
        for j, pid in enumerate(people):
            cid = f"c{k}{j}"
            made = cmd(coach)
            e.make_commitment(
                made,
                commitment_id=cid,
                session_id=session,
                owners=[pid],
                to_whom=[people[1 - j]],
                what="Do the thing.",
                due_on=(made.occurred_at + timedelta(days=7)).date(),
                challenge=challenge,
            )
            if (k + j) % 3:
                e.honour_commitment(
                    cmd(coach),
                    commitment_id=cid,
                    evidence="Done.",
                    assessed_by="coach",
                    assessors=[],
                )
            else:
                e.break_commitment(cmd(coach), commitment_id=cid, reason="Not done.")
            yield
        for pid in people:
            yield from _assess(
                e,
                cmd,
                coach if pid == people[0] else Actor(e.protagonists[pid]["coach_id"], "coach"),
                pid,
                people,
                5 + k,
            )


def generate(app: Trustpath, events: int, say: Callable[[str], None]) -> int:
    """Write about `events` events; returns the log's length."""
    start = datetime.now(UTC) - timedelta(days=300)
    running: list[tuple[Engagement, Iterator[None]]] = []
    while (app.recorder.max_notification_id() or 0) < events:
        while len(running) < 400:
            e = Engagement.open(
                Command(ADMIN, start, start),
                engagement_id=uuid4(),
                title="T",
                organisation="O",
                context="",
                sponsor="s",
                policy=Policy(),
            )
            running.append((e, script(app, e, start)))
        for _, steps in running:
            for _ in range(ROUND):
                if next(steps, "done") == "done":
                    break
        app.save(*(e for e, _ in running))
        running = [(e, s) for e, s in running if e.pending_events or _alive(e)]
        say(f"  log at {app.recorder.max_notification_id()} events")
    return int(app.recorder.max_notification_id() or 0)


def _alive(e: Engagement) -> bool:
    return not e.ended


def bare_read(app: Trustpath) -> float:
    """Events/s of reading the whole log and decoding every event, nothing else."""
    start, position = time.perf_counter(), 0
    to_event = app.mapper.to_domain_event
    count = 0
    with collector_paused():
        while True:
            page = app.recorder.select_notifications(position, PAGE, inclusive_of_start=False)
            if not page:
                break
            for n in page:
                to_event(n)
            count += len(page)
            position = page[-1].id
    return count / (time.perf_counter() - start)


def full_rebuild(read_side: ReadSide, count: int) -> float:
    """Events/s of rebuilding the three read models beside the live ones and switching."""
    start = time.perf_counter()
    rebuild_many(read_side, list(VIEWS))
    return count / (time.perf_counter() - start)


def read_and_rebuild(
    app: Trustpath, read_side: ReadSide, count: int, repeats: int, say: Callable[[str], None]
) -> dict[str, Any]:
    """Bare reads and rebuilds in turns; medians, every run, and the ratio of the medians."""
    reads, builds = [], []
    for turn in range(1, repeats + 1):
        reads.append(bare_read(app))
        builds.append(full_rebuild(read_side, count))
        say(f"  turn {turn}/{repeats}: bare read {reads[-1]:.0f}/s, rebuild {builds[-1]:.0f}/s")
    read, built = statistics.median(reads), statistics.median(builds)
    return {
        "events": count,
        "projections": list(VIEWS),
        "audit_ledger_included": False,
        "bare_read_events_per_s": round(read),
        "rebuild_events_per_s": round(built),
        "ratio": round(built / read, 3),
        "rebuild_seconds": round(count / built, 1),
        "extrapolated_1m_events_s": round(1_000_000 / built, 1),
        "bare_read_runs": [round(r) for r in reads],
        "rebuild_runs": [round(b) for b in builds],
    }


def ready(app: Trustpath) -> tuple[Any, str, str, Actor]:
    now = datetime.now(UTC) - timedelta(days=1)
    eid = app.execute(
        None,
        ADMIN,
        OpenEngagement(occurred_at=now, title="Lag", organisation="O", context="", sponsor="s"),
    ).engagement_id
    app.execute(
        eid,
        ADMIN,
        SignAgreement(
            occurred_at=now,
            parties=["a"],
            confidentiality="c",
            sponsor_may_be_told=[],
            retention_days=30,
        ),
    )
    coach, people = Actor("coach-lag", "coach"), []
    for i in (1, 2):
        pid = app.execute(
            eid, ADMIN, EnrolProtagonist(occurred_at=now, name=f"L{i}", kind="person")
        ).item_id
        app.execute(
            eid,
            ADMIN,
            AssignCoach(occurred_at=now, protagonist_id=pid, coach_id=coach.id, coach_name="C"),
        )
        app.execute(
            eid,
            Actor(pid, "protagonist"),
            GiveConsent(occurred_at=now, protagonist_id=pid, scope="coaching"),
        )
        people.append(pid)
    return eid, people[0], people[1], coach


def lag_in_process(app: Trustpath, read_side: ReadSide, commands: int) -> list[float]:
    eid, p1, p2, coach = ready(app)
    committed: list[float] = []
    lags: list[float] = []
    app.on_saved.insert(0, lambda _pos: committed.append(time.perf_counter()))
    app.on_saved.append(lambda _pos: lags.append(time.perf_counter() - committed[-1]))
    for i in range(commands):
        app.execute(
            eid,
            coach,
            AssessTrust(
                occurred_at=datetime.now(UTC),
                protagonist_id=p1,
                toward_id=p2,
                challenge="presence",
                score=i % 11,
            ),
        )
    del app.on_saved[0], app.on_saved[-1]
    return lags


def lag_follower(app: Trustpath, url: str, key_file: Path, commands: int) -> list[float]:
    env = {
        **os.environ,
        "TRUSTPATH_DATABASE_URL": url,
        "TRUSTPATH_MASTER_KEY_FILE": str(key_file),
        "TRUSTPATH_LEDGER_KEY_FILE": str(ledger_key(key_file.parent)),
    }
    follower = subprocess.Popen(
        [str(Path(sys.executable).parent / "trustpath"), "projections", "follow"],
        env=env,
        stdout=subprocess.DEVNULL,
        cwd=key_file.parent,
    )
    engine = make_engine(url)
    try:
        eid, p1, p2, coach = ready(app)
        _seen(engine, app.recorder.max_notification_id() or 0, 900.0)
        lags = []
        for i in range(commands):
            receipt = app.execute(
                eid,
                coach,
                AssessTrust(
                    occurred_at=datetime.now(UTC),
                    protagonist_id=p1,
                    toward_id=p2,
                    challenge="presence",
                    score=i % 11,
                ),
            )
            committed = time.perf_counter()
            _seen(engine, receipt.position, 30.0)
            lags.append(time.perf_counter() - committed)
        return lags
    finally:
        follower.terminate()
        follower.wait()
        engine.dispose()


def ledger_key(directory: Path) -> Path:
    """An Ed25519 key for the audit ledger's checkpoints (the follower runs every projection)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = directory / "ledger.key"
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.write_bytes(pem)
    return path


def _seen(engine: sa.Engine, position: int, timeout: float) -> None:
    query = sa.select(sa.func.min(positions.c.position)).where(
        positions.c.live, positions.c.name.in_(VIEWS)
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if (conn.execute(query).scalar() or 0) >= position:
                return
        time.sleep(0.0005)
    raise TimeoutError(f"the follower did not reach {position}")


def percentiles(lags: list[float]) -> dict[str, float]:
    ordered = sorted(lags)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
    }


def run_store(
    url: str,
    key_file: Path,
    events: int,
    commands: int,
    say: Callable[[str], None],
    repeats: int = 3,
) -> dict[str, Any]:
    app = Trustpath(store_env(url), master_key=MasterKey.from_text(key_file.read_text()))
    app.on_saved.clear()
    engine = make_engine(url)
    try:
        say(f"generating {events} events ...")
        count = generate(app, events, say)
        read_side = attach(app, engine, _mine(), in_process=False)
        say(f"bare read and full rebuild, {repeats} turns ...")
        figures = read_and_rebuild(app, read_side, count, repeats, say)
        read_side.attach_in_process()
        say("lag, in-process ...")
        inproc = lag_in_process(app, read_side, commands)
        read_side.detach()
        say("lag, follower process ...")
        followed = lag_follower(app, url, key_file, commands)
        return {
            **figures,
            "lag_in_process": percentiles(inproc),
            "lag_follower": percentiles(followed),
        }
    finally:
        app.close()
        engine.dispose()


def _mine() -> list[Any]:
    from projections.commitment_ledger import CommitmentLedgerProjection
    from projections.timeline import TimelineProjection

    return [StatusProjection(), CommitmentLedgerProjection(), TimelineProjection()]


def report(store: str, f: dict[str, Any]) -> None:
    print(
        f"{store}: {f['events']} events; bare read {f['bare_read_events_per_s']}/s; "
        f"rebuild of {', '.join(f['projections'])} (audit ledger not included) "
        f"{f['rebuild_events_per_s']}/s in {f['rebuild_seconds']} s; ratio {f['ratio']} "
        f"(medians of {len(f['rebuild_runs'])} turns); 1,000,000 events at this rate: "
        f"{f['extrapolated_1m_events_s']} s"
    )
    if store == "postgres":
        ratio = "met" if f["ratio"] >= TARGET_RATIO else "NOT met"
        million = "met" if f["extrapolated_1m_events_s"] < TARGET_1M_S else "NOT met"
        limit = f"1,000,000 events < {TARGET_1M_S} s"
        print(f"  targets: ratio >= {TARGET_RATIO} {ratio}; {limit} {million}")
    print(f"  lag in-process {f['lag_in_process']}; follower {f['lag_follower']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3, help="bare read / rebuild turns")
    parser.add_argument("--stores", default="postgres,sqlite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    say = say_to_stderr
    figures: dict[str, Any] = {}
    with temp_directory() as directory:
        key_file = directory / "master.key"
        key_file.write_text(MasterKey.generate().as_text() + "\n")
        if "postgres" in args.stores:
            with start_postgres(say) as server:
                figures["postgres"] = run_store(
                    server.database("rebuild"),
                    key_file,
                    args.events,
                    args.commands,
                    say,
                    args.repeats,
                )
        if "sqlite" in args.stores:
            figures["sqlite"] = run_store(
                temp_sqlite(directory, "rebuild"),
                key_file,
                args.events,
                args.commands,
                say,
                args.repeats,
            )
    if args.json:
        print_json(figures)
    else:
        for store, f in figures.items():
            report(store, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
