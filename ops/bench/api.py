"""The HTTP API benchmark: gunicorn + PostgreSQL under concurrent clients, against the library.

    python -m ops.bench.api [--json] [--clients 16] [--seconds 5] [--repeats 3]
                            [--workers 2] [--threads 4] [--tool auto|wrk|threads]
                            [--access-log]

In one run, on a throwaway PostgreSQL server that the script starts and stops itself:

    bare           a bare `eventsourcing` Application saving a one-event aggregate (similar
                   payload), from `--clients` threads in one process: the library's save
                   rate (saves/s) at the same concurrency as the HTTP clients. This is the
                   baseline of the ratios; one sequential client's rate is shown beside it
                   (on PostgreSQL every save takes the event table's lock, so the two are
                   close and the concurrent one is the higher, i.e. the stricter, baseline)
    commands       `POST /engagements/{eid}/trust-assessments` through gunicorn
                   (`trustpath serve`, `--workers` x `--threads`, projections external as in
                   production), over 128 engagements (threads: one per client), flat out:
                   commands/s, p50/p99 latency
    paced          the same at half of that measured maximum rate: p50/p99 latency
    reads          `GET …/protagonists/{pid}/intention` with X-Purpose: a confidential read,
                   each one appending an access record before decrypting: reads/s, p50/p99

The load tool at full speed is `wrk` when installed (`apt-get install wrk`: a C event
loop, so the load generator steals little CPU from the server on a 2-core machine), else a
pool of Python threads each with one keep-alive `http.client` connection; the paced run
always uses the threads (staggered, so that arrivals spread evenly).

Fairness on a shared 2-core machine: bare saves, HTTP commands and reads are measured
`--repeats` times, interleaved (bare, bare sequential, commands, reads, bare, ...) so that
a burst of other work hits each alike, and each figure is the run with the median rate.
During every phase the cores used by the API server (gunicorn's process tree), PostgreSQL
(the postmaster's tree), the load generator (wrk, or the Python client/bare threads) and
everything else on the machine ("other": work this benchmark does not control) are
reported from /proc: a run with a high "other" is a noisy run.
Targets: commands >= 0.5 x bare; paced p99 <= 50 ms; reads >= 0.5 x bare.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from api.principals import PrincipalStore
from domain.ciphers import MasterKey
from domain.commands import (
    AssignCoach,
    DeclareIntention,
    EnrolProtagonist,
    GiveConsent,
    OpenEngagement,
    SignAgreement,
)
from domain.values import Actor
from ops.bench.common import print_json, ratio, say_to_stderr, temp_directory, throwaway_postgres
from ops.config import Settings, build_app
from projections.ledger.checkpoints import Signer

COMMAND_TARGET, READ_TARGET, P99_TARGET_MS = 0.5, 0.5, 50.0
ENGAGEMENTS_FOR_WRK = 128
"""wrk's connections rotate over these engagements, so that two rarely meet on one."""
TOOLS = {
    "wrk": "wrk (2 threads, --clients connections) at full speed; paced: Python threads",
    "threads": "a pool of Python threads, each with one keep-alive http.client connection",
}
BASELINE = (
    "bare eventsourcing Application.save of a one-event aggregate on the same database, "
    "from --clients threads in one process (the same concurrency as the HTTP clients); "
    "one sequential client shown beside it"
)
ADMIN = Actor("bench-admin", "admin")
COACH = Actor("coach-bench", "coach")


class Note(Aggregate):
    """The bare library's aggregate: one event with a payload like a trust assessment."""

    @event("Written")
    def __init__(self, who: str, toward: str, challenge: str, score: int) -> None:
        self.score = score


@dataclass
class Load:
    """What a pool of clients achieved: requests/s and latencies (ms)."""

    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    cores: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "per_s": round(self.rate, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "errors": self.errors,
            "cores": self.cores,
        }


TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields after the command name (field 3 onwards)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            parents[int(entry.name)] = int(fields[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def cpu_seconds(root: int) -> float:
    """User + system CPU seconds used so far by a process tree: its live processes, and
    the children they reaped (PostgreSQL's ended backends)."""
    total = 0
    for pid in process_tree(root):
        if fields := _stat(pid):
            total += sum(int(x) for x in fields[11:15])
    return total / TICKS


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / TICKS


def postmaster_pid(port: int) -> int:
    """The PostgreSQL server listening on `port` (its postmaster), or 0 if not found."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[0].endswith(b"postgres") and str(port).encode() in argv:
            return int(entry.name)
    return 0


class CpuMeter:
    """Cores used during a phase by: the API server, PostgreSQL, the load generator, and
    everything else on the machine (other work sharing the cores)."""

    def __init__(self, server_pid: int, postgres_pid: int) -> None:
        self.server_pid, self.postgres_pid = server_pid, postgres_pid

    def _sample(self) -> tuple[float, ...]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once reaped
        return (
            time.perf_counter(),
            cpu_seconds(self.server_pid) if self.server_pid else 0.0,
            cpu_seconds(self.postgres_pid) if self.postgres_pid else 0.0,
            own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
            machine_busy_seconds(),
        )

    def around(self, run: Callable[[], Load]) -> Load:
        before = self._sample()
        load = run()
        after = self._sample()
        wall = after[0] - before[0]
        server, postgres, generator, machine = (
            (a - b) / wall for a, b in zip(after[1:], before[1:], strict=True)
        )
        load.cores = {
            "server": round(server, 2),
            "postgres": round(postgres, 2),
            "load_generator": round(generator, 2),
            "other": round(max(0.0, machine - server - postgres - generator), 2),
        }
        return load


def bare_rate(database_url: str, clients: int, seconds: float) -> float:
    """Saves/s of a bare Application on this database, from `clients` threads (1: one
    sequential client)."""
    from ops.config import store_env

    app: Application[UUID] = Application(store_env(database_url))
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def work(i: int) -> None:
        while time.perf_counter() < stop:
            app.save(Note("p" * 36, "q" * 36, "presence", 5))
            done[i] += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(work, range(clients)))
    elapsed = time.perf_counter() - start
    app.close()
    return sum(done) / elapsed


def seed(env: dict[str, str], clients: int) -> tuple[list[dict[str, str]], str]:
    """One ready engagement per client (agreement, two protagonists, consents, an intention)."""
    app = build_app(Settings.from_environ(env))
    at = datetime.now(UTC)
    targets = []
    for i in range(clients):
        eid = app.execute(
            None,
            ADMIN,
            OpenEngagement(
                occurred_at=at, title=f"bench {i}", organisation="o", context="", sponsor="s"
            ),
        ).engagement_id
        app.execute(
            eid,
            ADMIN,
            SignAgreement(
                occurred_at=at,
                parties=["all"],
                confidentiality="c",
                sponsor_may_be_told=[],
                retention_days=30,
            ),
        )
        pids = []
        for name in ("P", "Q"):
            pid = app.execute(
                eid, ADMIN, EnrolProtagonist(occurred_at=at, name=name, kind="person")
            ).item_id
            app.execute(
                eid,
                ADMIN,
                AssignCoach(
                    occurred_at=at, protagonist_id=pid, coach_id=COACH.id, coach_name="Bench"
                ),
            )
            app.execute(
                eid,
                Actor(pid, "protagonist"),
                GiveConsent(occurred_at=at, protagonist_id=pid, scope="coaching"),
            )
            pids.append(pid)
        app.execute(
            eid, COACH, DeclareIntention(occurred_at=at, protagonist_id=pids[0], text="x" * 200)
        )
        targets.append({"eid": str(eid), "p": pids[0], "q": pids[1]})
    app.close()
    store = PrincipalStore.for_url(env["TRUSTPATH_DATABASE_URL"])
    token = store.add("coach", "bench coach", COACH.id)[1]
    store.close()
    return targets, token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    env: dict[str, str], port: int, workers: int, threads: int, access_log: bool = False
) -> Any:
    trustpath = str(Path(sys.executable).parent / "trustpath")
    command = [
        trustpath,
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--projections",
        "external",
        "--access-log" if access_log else "--no-access-log",
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/live")
            if conn.getresponse().status == 200:
                conn.close()
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


Request = Callable[[int, int], tuple[str, str, bytes | None, dict[str, str]]]
"""(client index, request number) → (method, path, body, headers)."""


def run_load(
    port: int, clients: int, seconds: float, request: Request, per_client_rate: float | None = None
) -> Load:
    """Clients send requests for `seconds` (paced to `per_client_rate` if given)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    barrier = threading.Barrier(clients)

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        barrier.wait()
        start = time.perf_counter()
        n = 0
        while (now := time.perf_counter()) < start + seconds:
            if per_client_rate:
                due = start + (n + i / clients) / per_client_rate  # clients staggered
                if due > now:
                    time.sleep(due - now)
            method, path, body, headers = request(i, n)
            sent = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            latencies[i].append((time.perf_counter() - sent) * 1000)
            errors[i] += response.status >= 300
            n += 1
        conn.close()

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    every = sorted(x for per in latencies for x in per)
    return Load(
        len(every) / seconds,
        statistics.median(every),
        every[min(len(every) - 1, int(len(every) * 0.99))],
        sum(errors),
    )


WRK_SCRIPT = """
local targets = %s
local headers = %s
local method = "%s"
local i = 0
request = function()
  i = i + 1
  local t = targets[(i %% #targets) + 1]
  return wrk.format(method, t[1], headers, t[2])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50_us\\": %%d, "
    .. "\\"p99_us\\": %%d, \\"errors\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def lua(value: Any) -> str:
    """A Lua literal for a list of (path, body) pairs or a dict of headers."""
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in value.items()) + "}"
        )
    return (
        "{" + ", ".join("{" + ", ".join(json.dumps(x) for x in pair) + "}" for pair in value) + "}"
    )


def run_wrk(
    port: int,
    clients: int,
    seconds: float,
    method: str,
    requests: Sequence[tuple[str, ...]],
    headers: dict[str, str],
    directory: Path,
) -> Load:
    """Full-speed load with wrk (C, event loop): `clients` connections on 2 threads."""
    script = directory / f"{method.lower()}.lua"
    script.write_text(WRK_SCRIPT % (lua(requests), lua(headers), method))
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    figures = json.loads(line[4:])
    return Load(
        figures["requests"] / (figures["duration_us"] / 1e6),
        figures["p50_us"] / 1000,
        figures["p99_us"] / 1000,
        figures["errors"],
    )


def measure(args: argparse.Namespace, directory: Path, database_url: str) -> dict[str, Any]:
    key_file = directory / "master.key"
    key_file.write_text(MasterKey.generate().as_text() + "\n")
    ledger_key = directory / "ledger.key"
    ledger_key.write_bytes(Signer.generate().private_pem())
    env = {
        **os.environ,
        "TRUSTPATH_DATABASE_URL": database_url,
        "TRUSTPATH_MASTER_KEY_FILE": str(key_file),
        "TRUSTPATH_LEDGER_KEY_FILE": str(ledger_key),
        "TRUSTPATH_RATE_LIMIT": "1000000",
    }
    say_to_stderr("seeding engagements ...")
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "threads")
    targets, token = seed(env, max(args.clients, ENGAGEMENTS_FOR_WRK if tool == "wrk" else 0))
    auth = {"Authorization": f"Bearer {token}"}
    json_auth = {**auth, "Content-Type": "application/json"}
    read_auth = {**auth, "X-Purpose": "benchmark"}
    at = datetime.now(UTC).isoformat()

    def assess_path_body(t: dict[str, str], score: int) -> tuple[str, str]:
        body = {
            "occurred_at": at,
            "protagonist_id": t["p"],
            "toward_id": t["q"],
            "challenge": "presence",
            "score": score,
        }
        return f"/engagements/{t['eid']}/trust-assessments", json.dumps(body)

    def read_path(t: dict[str, str]) -> str:
        return f"/engagements/{t['eid']}/protagonists/{t['p']}/intention"

    def assess(i: int, n: int) -> tuple[str, str, bytes | None, dict[str, str]]:
        path, body = assess_path_body(targets[i], n % 11)
        return "POST", path, body.encode(), json_auth

    def read(i: int, n: int) -> tuple[str, str, bytes | None, dict[str, str]]:
        return "GET", read_path(targets[i]), None, read_auth

    def full_speed(kind: str) -> Load:
        if tool == "wrk":
            if kind == "commands":
                pairs = [assess_path_body(t, 5) for t in targets]
                return run_wrk(
                    port, args.clients, args.seconds, "POST", pairs, json_auth, directory
                )
            paths = [(read_path(t),) for t in targets]
            return run_wrk(port, args.clients, args.seconds, "GET", paths, read_auth, directory)
        return run_load(port, args.clients, args.seconds, assess if kind == "commands" else read)

    def bare(clients: int) -> Load:
        return Load(bare_rate(database_url, clients, args.seconds), 0.0, 0.0, 0)

    process = start_server(env, port := free_port(), args.workers, args.threads, args.access_log)
    meter = CpuMeter(process.pid, postmaster_pid(int(database_url.rsplit(":", 1)[1].split("/")[0])))
    runs: dict[str, list[Load]] = {"bare": [], "bare_sequential": [], "commands": [], "reads": []}
    try:
        run_load(port, args.clients, 1.0, assess)  # warm-up: caches, connections
        run_load(port, args.clients, 1.0, read)
        for repetition in range(1, args.repeats + 1):
            # interleaved, so that a burst of other work on the machine hits each alike
            say_to_stderr(f"run {repetition}/{args.repeats}: bare saves, HTTP commands, reads")
            runs["bare"].append(meter.around(lambda: bare(args.clients)))
            runs["bare_sequential"].append(meter.around(lambda: bare(1)))
            runs["commands"].append(meter.around(lambda: full_speed("commands")))
            runs["reads"].append(meter.around(lambda: full_speed("reads")))
        commands = median_load(runs["commands"])
        say_to_stderr("HTTP commands at half the maximum rate ...")
        per_client = commands.rate / 2 / args.clients
        paced = median_load(
            [
                meter.around(lambda: run_load(port, args.clients, args.seconds, assess, per_client))
                for _ in range(args.repeats)
            ]
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    bare_rate_ = median_load(runs["bare"]).rate
    reads = median_load(runs["reads"])
    return {
        "setup": {
            "store": "postgresql",
            "clients": args.clients,
            "workers": args.workers,
            "threads": args.threads,
            "access_log": args.access_log,
            "seconds": args.seconds,
            "repeats": args.repeats,
            "load_tool": TOOLS[tool],
            "engagements": len(targets),
            "cores": os.cpu_count(),
            "baseline": BASELINE,
        },
        "bare_saves_per_s": round(bare_rate_, 1),
        "bare_saves_per_s_one_client": round(median_load(runs["bare_sequential"]).rate, 1),
        "http_commands": commands.as_dict(),
        "http_commands_at_half_rate": paced.as_dict(),
        "recorded_reads": reads.as_dict(),
        "runs_per_s": {k: [round(x.rate, 1) for x in v] for k, v in runs.items()},
        "cores_bare": median_load(runs["bare"]).cores,
        "ratios": {
            "commands_vs_bare": round(ratio(commands.rate, bare_rate_), 3),
            "reads_vs_bare": round(ratio(reads.rate, bare_rate_), 3),
        },
        "targets": {
            "commands_vs_bare": COMMAND_TARGET,
            "reads_vs_bare": READ_TARGET,
            "p99_ms_at_half_rate": P99_TARGET_MS,
        },
        "met": {
            "commands": ratio(commands.rate, bare_rate_) >= COMMAND_TARGET,
            "reads": ratio(reads.rate, bare_rate_) >= READ_TARGET,
            "p99_at_half_rate": paced.p99_ms <= P99_TARGET_MS,
        },
    }


def median_load(loads: list[Load]) -> Load:
    """The run with the median rate (its latencies and CPU with it)."""
    return sorted(loads, key=lambda load: load.rate)[len(loads) // 2]


def print_text(figures: dict[str, Any]) -> None:
    c, p, r = (
        figures["http_commands"],
        figures["http_commands_at_half_rate"],
        figures["recorded_reads"],
    )
    print(
        f"bare library saves/s            {figures['bare_saves_per_s']:>9.1f}  "
        f"(one sequential client: {figures['bare_saves_per_s_one_client']:.1f})"
    )
    print(
        f"HTTP commands/s                 {c['per_s']:>9.1f}  p50 {c['p50_ms']} ms  "
        f"p99 {c['p99_ms']} ms  ratio {figures['ratios']['commands_vs_bare']} (target 0.5)"
    )
    print(
        f"  at half that rate             {p['per_s']:>9.1f}  p50 {p['p50_ms']} ms  "
        f"p99 {p['p99_ms']} ms (target p99 <= 50 ms)"
    )
    print(
        f"recorded confidential reads/s   {r['per_s']:>9.1f}  p50 {r['p50_ms']} ms  "
        f"p99 {r['p99_ms']} ms  ratio {figures['ratios']['reads_vs_bare']} (target 0.5)"
    )
    for name, cores in (
        ("bare saves", figures["cores_bare"]),
        ("HTTP commands", c["cores"]),
        ("recorded reads", r["cores"]),
    ):
        print(f"  cores used during {name:<15} " + "  ".join(f"{k} {v}" for k, v in cores.items()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each; the median")
    parser.add_argument(
        "--access-log", action="store_true", help="serve with gunicorn's access log on"
    )
    parser.add_argument(
        "--tool",
        choices=["auto", "wrk", "threads"],
        default="auto",
        help="load tool at full speed (auto: wrk when installed)",
    )
    args = parser.parse_args(argv)
    with throwaway_postgres(say_to_stderr) as server, temp_directory() as directory:
        figures = measure(args, directory, server.database("api"))
    if args.json:
        print_json(figures)
    else:
        print_text(figures)


if __name__ == "__main__":
    main()
