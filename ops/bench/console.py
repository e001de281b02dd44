"""The console benchmark: the engagement page and one replay step, on long engagements.

    python -m ops.bench.console [--json] [--sizes 1000,10000] [--samples 200]

For each size, on a fresh SQLite store: the demo engagement (without its completion) grown
with trust assessments to that many events, the read side attached in-process, the Flask
app served through its WSGI test client (so the figures are server time, no network), a
coach signed in to the console (a real server-side session) and the same coach's bearer
token for the API. Then, interleaved so that machine noise hits each alike:

    baseline       GET /engagements/{eid}/status (the API's live status read)
    page           GET /console/engagements/{eid} (status, path, ledger; via the replay
                   cache, as of now)
    replay step    GET /console/engagements/{eid}/replay.json?step=N, N random over the
                   whole history (each step a different moment): server time and payload

plus, once per size, what the cache saves: `first step` (the cache built from nothing: one
full replay, paid once per engagement and process) and `uncached as of` (one
`projections.asof` replay, what every step would cost without the cache).
Targets: replay step p99 < 50 ms at 1,000 events, < 200 ms at 10,000.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from domain.commands import AssessTrust, OpenEngagement
from ops.bench.common import print_json, say_to_stderr, temp_directory

TARGETS_MS = {1000: 50.0, 10000: 200.0}


def grown(app: Any, events: int) -> Any:
    """The demo engagement, not completed, grown with trust assessments to `events`."""
    from ops import demo

    now = datetime.now(UTC)
    clock = demo.Clock(now - timedelta(days=200))
    receipt = app.execute(
        None,
        demo.ADMIN,
        OpenEngagement(
            occurred_at=clock.at,
            title="Long engagement",
            organisation="Bench",
            context="A benchmark engagement.",
            sponsor="bench",
        ),
    )
    run = demo.DemoRun(receipt.engagement_id)
    do = partial(app.execute, run.engagement_id)
    demo._contract(do, run, clock)
    demo._individual_space(do, run, clock)
    demo._relationship_space(do, run, clock)
    p, version = run.protagonists, app.engagement(run.engagement_id).version
    step = 30 / max(events, 1)  # days: the padding spreads over a month
    challenges = ("presence", "confrontation", "commitment", "responsibility", "recognition")
    for i in range(max(events - version, 0)):
        who, toward, coach = (
            ("cfo", "coo", demo.COACH_A) if i % 2 == 0 else ("coo", "cfo", demo.COACH_B)
        )
        app.execute(
            run.engagement_id,
            coach,
            AssessTrust(
                occurred_at=clock.next(step),
                protagonist_id=p[who],
                toward_id=p[toward],
                challenge=challenges[(i // 2) % 5],
                score=(i * 7 + i // 10) % 11,
            ),
        )
    return run


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"median_ms": round(statistics.median(ordered), 2), "p99_ms": round(p99, 2)}


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def measure(events: int, samples: int) -> dict[str, Any]:
    """Every figure of one engagement size."""
    from api import create_app
    from api.console.sessions import SESSION_COOKIE
    from domain.ciphers import MasterKey
    from domain.trustpath import Trustpath
    from ops.config import store_env
    from projections.asof import Moment, as_of, engagement_notifications
    from projections.engine import make_engine
    from projections.status import get_status
    from projections.wiring import attach

    with temp_directory("trustpath-bench-console-") as where:
        url = f"sqlite:///{where / 'bench.db'}"
        app = Trustpath(store_env(url), master_key=MasterKey.generate())
        say_to_stderr(f"growing an engagement to {events} events ...")
        run = grown(app, events)
        engine = make_engine(url)
        read_side = attach(app, engine)
        config = {"TESTING": True, "RATE_LIMIT": 1e9, "RATE_BURST": 1e9}
        flask_app = create_app(app, config=config, read_side=read_side)
        store = flask_app.extensions["trustpath.principals"]
        principal, token = store.add("coach", "bench-coach", "coach-amelie")
        session_id = flask_app.extensions["trustpath.console.sessions"].open(principal)
        client = flask_app.test_client()
        client.set_cookie(SESSION_COOKIE, session_id)
        eid = run.engagement_id
        positions = [n.id for n in engagement_notifications(app, engine, eid)]
        stored = len(positions)
        api_headers = {"Authorization": f"Bearer {token}"}

        def get(path: str, headers: dict[str, str] | None = None) -> Any:
            response = client.get(path, headers=headers or {})
            assert response.status_code == 200, (path, response.status_code)
            return response

        first_ms, _ = timed(lambda: get(f"/console/engagements/{eid}/replay.json?step=1"))
        uncached = []
        for _ in range(3):

            def replay_once() -> Any:
                moment = Moment(position=random.choice(positions))
                with as_of(app, engine, eid, moment) as replayed:
                    return get_status(replayed, eid)

            uncached.append(timed(replay_once)[0])
        series: dict[str, list[float]] = {"baseline": [], "page": [], "replay_step": []}
        payload: list[int] = []
        for _ in range(samples):
            series["baseline"].append(
                timed(lambda: get(f"/engagements/{eid}/status", api_headers))[0]
            )
            series["page"].append(timed(lambda: get(f"/console/engagements/{eid}"))[0])
            path = f"/console/engagements/{eid}/replay.json?step={random.randint(1, stored)}"
            ms, response = timed(lambda: get(path))  # noqa: B023 (called at once)
            series["replay_step"].append(ms)
            payload.append(len(response.data))
        read_side.close()
        store.close()
        engine.dispose()
        app.close()
    found = {name: percentiles(values) for name, values in series.items()}
    base = found["baseline"]["median_ms"] or 1e-9
    target = TARGETS_MS.get(events)
    return {
        "events": stored,
        "samples": samples,
        "baseline_status_read": found["baseline"],
        "engagement_page": found["page"],
        "replay_step": {
            **found["replay_step"],
            "payload_bytes_median": int(statistics.median(payload)),
            "payload_bytes_max": max(payload),
        },
        "first_step_builds_cache_ms": round(first_ms, 1),
        "uncached_as_of_replay_ms_median": round(statistics.median(uncached), 1),
        "ratios_to_baseline_median": {
            "engagement_page": round(found["page"]["median_ms"] / base, 2),
            "replay_step": round(found["replay_step"]["median_ms"] / base, 2),
        },
        "target_replay_step_p99_ms": target,
        "target_met": None if target is None else found["replay_step"]["p99_ms"] < target,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    figures: dict[str, Any] = {
        "benchmark": "console",
        "baseline": "GET /engagements/{eid}/status (the API's live status read), same run",
        "sizes": [measure(n, args.samples) for n in sizes],
    }
    if args.json:
        print_json(figures)
    else:
        for size in figures["sizes"]:
            step = size["replay_step"]
            print(
                f"{size['events']} events: replay step median {step['median_ms']} ms, "
                f"p99 {step['p99_ms']} ms, {step['payload_bytes_median']} bytes; page "
                f"{size['engagement_page']['median_ms']} ms; baseline "
                f"{size['baseline_status_read']['median_ms']} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
