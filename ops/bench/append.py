"""The append benchmark (`make bench`): trustpath's command rate against the bare library.

    python -m ops.bench.append [--json] [--commands N] [--repeats R] [--stores sqlite,postgres]

In one run, on a temporary SQLite file and on a throwaway PostgreSQL server that the script
starts and stops itself, it measures:

    trustpath      `hold_individual_session` with ~500 characters of encrypted notes and an
                   idempotency key, through the application, on an engagement that has 10
                   events when the timing starts (commands/s)
    bare           a minimal `eventsourcing` aggregate with one event carrying a similar
                   payload, saved with one event per save by a bare `Application` (saves/s)
    history        the same trustpath command on an engagement that already has 1,000 events
    bare_load_save (for context) the bare aggregate loaded from the library's aggregate cache
                   (a read of the events it missed, a copy), changed and saved: what
                   trustpath does when it does not hold the engagement it saved last
                   (`domain/hot_engagements.py`)

and prints trustpath/bare (target >= 0.5) and 1,000-event/10-event (target >= 0.8).

Each repetition times `--commands` commands of each of the four measurements, run
round-robin in chunks of 25 so that the shared machine's noise hits them alike; the median
of the repetitions is reported. Every repetition builds its own two engagements through the
application: 8 set-up events plus untimed individual sessions (the first ones also fetch
each protagonist's data key) up to exactly 10, and up to exactly 1,000, events.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from domain.ciphers import MasterKey
from domain.commands import (
    AssignCoach,
    EnrolProtagonist,
    GiveConsent,
    HoldIndividualSession,
    OpenEngagement,
    SignAgreement,
)
from domain.trustpath import Trustpath
from domain.values import Actor
from ops.bench.common import (
    Counter,
    Timing,
    interleaved_rates,
    print_json,
    ratio,
    say_to_stderr,
    temp_directory,
    temp_sqlite,
    throwaway_postgres,
    timed_run,
)
from ops.config import store_env

TRUSTPATH_TARGET = 0.5
HISTORY_TARGET = 0.8
HISTORY_EVENTS = 1000
FRESH_EVENTS = 10

ADMIN = Actor("bench-admin", "admin")
COACHES = (Actor("bench-coach-a", "coach"), Actor("bench-coach-b", "coach"))
NOTES = (
    "Arrived late and tense; says the last committee felt like an ambush. Wants to be heard "
    "before any joint meeting, fears losing face in front of the CEO. Talked through what "
    "presence would mean for her: showing up to the weekly slot, staying to the end, not "
    "reading email. Named two moments where she withdrew instead of saying no. Agreed to "
    "write down, before next time, what she would need to hear from him to sit in the same "
    "room. Energy better at the end; asked whether the coach had spoken to his coach (no)."
)
BARE_NOTES = "x" * 700
"""The bare event's payload: about as long as the sealed notes' base64 ciphertext."""


# -- trustpath ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ready:
    """An engagement ready for individual sessions: its id and (protagonist, coach) pairs."""

    engagement_id: UUID
    pairs: tuple[tuple[str, Actor], ...]


def ready_engagement(app: Trustpath, at: datetime) -> Ready:
    """Open, sign, enrol two protagonists, assign their coaches, get consent: 8 events."""
    eid = app.execute(
        None,
        ADMIN,
        OpenEngagement(
            occurred_at=at, title="Bench", organisation="Bench Ltd", context="", sponsor="bench-hr"
        ),
    ).engagement_id
    app.execute(
        eid,
        ADMIN,
        SignAgreement(
            occurred_at=at,
            parties=["A", "B"],
            confidentiality="Individual sessions stay private.",
            sponsor_may_be_told=["phase"],
            retention_days=365,
        ),
    )
    pairs = []
    for number, coach in enumerate(COACHES):
        pid = app.execute(
            eid, ADMIN, EnrolProtagonist(occurred_at=at, name=f"P{number}", kind="person")
        ).item_id
        app.execute(
            eid,
            ADMIN,
            AssignCoach(occurred_at=at, protagonist_id=pid, coach_id=coach.id, coach_name="C"),
        )
        app.execute(
            eid,
            Actor(pid, "protagonist"),
            GiveConsent(occurred_at=at, protagonist_id=pid, scope="coaching"),
        )
        pairs.append((pid, coach))
    return Ready(eid, tuple(pairs))


def session_step(app: Trustpath, ready: Ready, at: datetime, tag: str) -> Callable[[int], object]:
    """One command: an individual session with encrypted notes, alternating protagonists."""

    def step(i: int) -> object:
        pid, coach = ready.pairs[i % len(ready.pairs)]
        return app.execute(
            ready.engagement_id,
            coach,
            HoldIndividualSession(
                occurred_at=at,
                protagonist_id=pid,
                duration_minutes=60,
                challenges=["presence", "confrontation"],
                notes=NOTES,
                key=f"{tag}-{i}",
            ),
        )

    return step


def engagement_with(app: Trustpath, events: int, at: datetime, tag: str) -> Ready:
    """A ready engagement grown by individual sessions to exactly `events` events."""
    ready = ready_engagement(app, at)
    step = session_step(app, ready, at, tag)
    for i in range(events - app.engagement(ready.engagement_id).version):
        step(i)
    return ready


def stored_size(app: Application[Any], originator_id: UUID) -> int:
    """Bytes of the stored state of an aggregate's last event, as the recorder keeps it."""
    (last,) = app.events.get(originator_id, desc=True, limit=1)
    return len(app.mapper.to_stored_event(last).state)


# -- the bare library ---------------------------------------------------------------------


class Notebook(Aggregate):
    """The bare baseline: one event per save, a payload like an individual session's."""

    def __init__(self) -> None:
        self.sessions = 0

    @event("SessionHeld")
    def hold(
        self,
        session_id: str,
        protagonist_id: str,
        coach_id: str,
        duration_minutes: int,
        challenges: list[str],
        notes: str,
    ) -> None:
        self.sessions += 1


class BareApp(Application[UUID]):
    name = "bench_bare"


def bare_hold(notebook: Notebook, i: int) -> None:
    notebook.hold(f"s-{i}", "protagonist", "coach", 60, ["presence", "confrontation"], BARE_NOTES)


def bare_save_step(app: BareApp, notebook: Notebook) -> Callable[[int], object]:
    def step(i: int) -> object:
        bare_hold(notebook, i)
        return app.save(notebook)

    return step


def bare_load_save_step(app: BareApp, notebook_id: UUID) -> Callable[[int], object]:
    def step(i: int) -> object:
        notebook: Notebook = app.repository.get(notebook_id)
        bare_hold(notebook, i)
        return app.save(notebook)

    return step


# -- one store ----------------------------------------------------------------------------


@dataclass
class Series:
    """The rates of the repetitions of one measurement."""

    runs: list[float] = field(default_factory=list)

    def timing(self) -> Timing:
        return Timing(statistics.median(self.runs), self.runs)


@dataclass
class StoreRun:
    """Everything measured on one store."""

    trustpath: Series = field(default_factory=Series)
    history: Series = field(default_factory=Series)
    bare: Series = field(default_factory=Series)
    bare_load_save: Series = field(default_factory=Series)
    extra: dict[str, Any] = field(default_factory=dict)

    def series(self) -> tuple[Series, ...]:
        """In the order `measure` runs them."""
        return (self.trustpath, self.history, self.bare, self.bare_load_save)


@dataclass(frozen=True)
class Urls:
    """Where one store's two applications keep their events (separate databases)."""

    trustpath: str
    bare: str


def run_store(urls: Urls, commands: int, repeats: int, say: Callable[[str], None]) -> StoreRun:
    app = Trustpath(store_env(urls.trustpath), master_key=MasterKey.generate())
    bare = BareApp(store_env(urls.bare) | cache_env())
    try:
        return measure(app, bare, commands, repeats, say)
    finally:
        app.close()
        bare.close()


def cache_env() -> dict[str, str]:
    """The bare app gets trustpath's aggregate-cache settings, for the load+save figure."""
    return {k: v for k, v in Trustpath.env.items() if k.startswith("AGGREGATE_CACHE")}


def measure(
    app: Trustpath, bare: BareApp, commands: int, repeats: int, say: Callable[[str], None]
) -> StoreRun:
    at = datetime.now(UTC) - timedelta(minutes=5)
    result = StoreRun()
    notebook, loaded = Notebook(), Notebook()
    bare.save(notebook, loaded)
    bare_counter = Counter()
    saves, load_saves = bare_save_step(bare, notebook), bare_load_save_step(bare, loaded.id)
    warmed = warm_up(app, at, commands, saves, load_saves, bare_counter)
    for rep in range(repeats):
        say(f"  repetition {rep + 1}/{repeats}: {HISTORY_EVENTS}-event engagement, then timing")
        fresh = session_step(app, engagement_with(app, FRESH_EVENTS, at, f"f{rep}"), at, f"f{rep}t")
        big = session_step(app, engagement_with(app, HISTORY_EVENTS, at, f"b{rep}"), at, f"b{rep}t")
        steps = [
            (fresh, Counter()),
            (big, Counter()),
            (saves, bare_counter),
            (load_saves, bare_counter),
        ]
        rates = interleaved_rates(steps, commands)
        for series, value in zip(result.series(), rates, strict=True):
            series.runs.append(value)
    result.extra["trustpath_event_bytes"] = stored_size(app, warmed)
    result.extra["bare_event_bytes"] = stored_size(bare, notebook.id)
    return result


def warm_up(app: Trustpath, at: datetime, commands: int, *bare_steps: Any) -> UUID:
    """Untimed calls of every path (connections, statements, code); the engagement used."""
    saves, load_saves, counter = bare_steps
    ready = engagement_with(app, FRESH_EVENTS, at, "warm-up")
    timed_run(session_step(app, ready, at, "warm-up-timed"), max(commands // 4, 5), Counter())
    for _ in range(max(commands // 4, 5)):
        saves(counter.take())
        load_saves(counter.take())
    return ready.engagement_id


# -- figures and output -------------------------------------------------------------------


def figures(run: StoreRun, commands: int) -> dict[str, Any]:
    trustpath, history = run.trustpath.timing(), run.history.timing()
    bare, load_save = run.bare.timing(), run.bare_load_save.timing()
    return {
        "trustpath_commands_per_s": trustpath.as_dict(),
        "bare_saves_per_s": bare.as_dict(),
        "history_commands_per_s": history.as_dict(),
        "bare_load_save_per_s": load_save.as_dict(),
        "trustpath_vs_bare": round(ratio(trustpath.median, bare.median), 3),
        "trustpath_vs_bare_target": TRUSTPATH_TARGET,
        "trustpath_vs_bare_met": ratio(trustpath.median, bare.median) >= TRUSTPATH_TARGET,
        "history_vs_fresh": round(ratio(history.median, trustpath.median), 3),
        "history_vs_fresh_target": HISTORY_TARGET,
        "history_vs_fresh_met": ratio(history.median, trustpath.median) >= HISTORY_TARGET,
        "fresh_events_at_start": FRESH_EVENTS,
        "history_events_at_start": HISTORY_EVENTS,
        "commands_per_repetition": commands,
        **run.extra,
    }


def report(store: str, figs: dict[str, Any]) -> None:
    rows = (
        ("trustpath hold_individual_session", "trustpath_commands_per_s", "commands/s"),
        ("bare library, one event per save", "bare_saves_per_s", "saves/s"),
        (
            f"trustpath, {figs['history_events_at_start']}-event engagement",
            "history_commands_per_s",
            "commands/s",
        ),
        ("bare library, load + save (context)", "bare_load_save_per_s", "/s"),
    )
    print(f"{store}:")
    for label, key, unit in rows:
        print(f"  {label:<40} {figs[key]['median']:>9.1f} {unit}")
    for label, key in (
        ("trustpath / bare", "trustpath_vs_bare"),
        (f"{HISTORY_EVENTS}-event / {FRESH_EVENTS}-event", "history_vs_fresh"),
    ):
        verdict = "met" if figs[f"{key}_met"] else "NOT MET"
        print(f"  {label:<40} {figs[key]:>9.2f}   target >= {figs[f'{key}_target']}: {verdict}")


# -- stores and main ----------------------------------------------------------------------


@contextmanager
def sqlite_urls(directory: Path) -> Iterator[Urls]:
    yield Urls(temp_sqlite(directory, "trustpath"), temp_sqlite(directory, "bare"))


@contextmanager
def postgres_urls(say: Callable[[str], None]) -> Iterator[Urls]:
    with throwaway_postgres(say) as server:
        yield Urls(server.database("trustpath"), server.database("bare"))


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ops.bench.append",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--commands", type=int, default=300, help="commands per repetition")
    parser.add_argument("--repeats", type=int, default=7, help="timed repetitions (median)")
    parser.add_argument("--stores", default="sqlite,postgres", help="comma-separated")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    say = say_to_stderr
    results: dict[str, Any] = {}
    with temp_directory() as directory:
        for store in args.stores.split(","):
            say(f"{store}: measuring ({args.repeats} x {args.commands} commands) ...")
            urls = sqlite_urls(directory) if store == "sqlite" else postgres_urls(say)
            with urls as where:
                run = run_store(where, args.commands, args.repeats, say)
            results[store] = figures(run, args.commands)
    results["all_targets_met"] = all(
        f["trustpath_vs_bare_met"] and f["history_vs_fresh_met"] for f in results.values()
    )
    if args.json:
        print_json(results)
    else:
        for store, figs in results.items():
            if isinstance(figs, dict):
                report(store, figs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
