"""`trustpath serve` and `trustpath principals add|list|revoke`.

serve runs the API on gunicorn (a programmatic `BaseApplication`): each worker builds its
own Trustpath application and read side from the environment. The workers are
`ops.http_worker.BufferingWorker`s (a request reaches a thread only once it has fully
arrived, so slow clients cannot pin the threads), and they share the rate-limit tables the
master makes before forking them (`api.limits`: a limit holds per server, not per worker).
A stopping worker writes its pending refusal summaries (`api.refusals`). With the embedded SQLite
default the projections run in-process (they catch up after every command); on
PostgreSQL they are expected from `trustpath projections follow` unless
`--projections in-process` is given. `--demo` plays the demo engagement first and prints
one demo token per role.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

import click
from gunicorn.app.base import BaseApplication
from rich.table import Table

from api.limits import ServerLimits
from api.principals import ROLES, PrincipalStore
from domain.config import ConfigurationError, Settings, build_app, store_env
from ops.terminal import console, err_console, fails_cleanly

STATEMENT_TIMEOUT_S = 4.0
"""A request's read-side statements are cut off after this: a request never hangs."""
GIL_SWITCH_SECONDS = 0.0005
"""A worker's threads mostly wait on PostgreSQL; one that holds the event table's lock
(every save takes it) must get the GIL back quickly, not after CPython's default 5 ms."""


class Server(BaseApplication):  # type: ignore[misc]
    """gunicorn, configured in code; each worker calls `load()` once."""

    def __init__(self, options: dict[str, Any], in_process: bool) -> None:
        self.options, self.in_process = options, in_process
        self.limits = ServerLimits.make()  # in the master: every worker forked shares it
        super().__init__()

    def load_config(self) -> None:
        for key, value in {**self.options, "worker_exit": _worker_exit}.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return make_wsgi_app(self.in_process, self.limits)


def _worker_exit(_arbiter: Any, worker: Any) -> None:
    """A worker stops: write the refusal summaries it still holds."""
    refusals = getattr(worker, "wsgi", None) and worker.wsgi.extensions.get("trustpath.refusals")
    if refusals:
        refusals.close()


def make_wsgi_app(in_process: bool, limits: ServerLimits | None = None) -> Any:
    """The Flask app of one worker, on the configured store, with its read side."""
    from api import create_app
    from projections.engine import make_engine
    from projections.wiring import attach

    settings = Settings.from_environ()
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    app = build_app(settings, say=lambda m: err_console.print(m))
    engine = make_engine(settings.database_url, statement_timeout_s=STATEMENT_TIMEOUT_S)
    read_side = attach(app, engine, in_process=in_process)
    if in_process:  # no follower: this worker also signs the ledger's checkpoints when due
        from projections.ledger import start_ticking

        start_ticking(read_side.engine)
    limit = float(os.environ.get("TRUSTPATH_RATE_LIMIT", "200"))
    config = {"DATABASE_URL": settings.database_url, "RATE_LIMIT": limit, "RATE_BURST": 2 * limit}
    # behind a TLS-terminating proxy the request looks like plain HTTP: say so here
    config["CONSOLE_SECURE_COOKIES"] = os.environ.get("TRUSTPATH_CONSOLE_SECURE_COOKIES") == "1"
    return create_app(app, config=config, read_side=read_side, limits=limits)


@click.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="HOST:PORT")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--projections",
    type=click.Choice(["auto", "in-process", "external"]),
    default="auto",
    show_default=True,
    help="auto: in-process on SQLite, external (a follower process) on PostgreSQL",
)
@click.option("--demo", is_flag=True, help="play the demo engagement and print demo tokens")
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="log every request to stdout (costs ~0.25 ms of CPU a request; the proxy in "
    "front usually logs them)",
)
@fails_cleanly
def serve(
    bind: str, workers: int, threads: int, projections: str, demo: bool, access_log: bool
) -> None:
    """Serve the HTTP API on gunicorn (docs at /docs, contract at /openapi.json)."""
    require_free(bind)
    settings = Settings.from_environ()
    in_process = projections == "in-process" or (
        projections == "auto" and settings.database_url.startswith("sqlite")
    )
    if demo:
        _demo(settings, bind)
    _build_read_side(settings)
    console.print(f"trustpath API on http://{bind}  (docs: http://{bind}/docs)")
    console.print(f"trustpath console on http://{bind}/console/")
    options = {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "worker_class": "ops.http_worker.BufferingWorker",
        "accesslog": "-" if access_log else None,
        "timeout": 60,
    }
    Server(options, in_process).run()


def require_free(bind: str) -> None:
    """Refuse an address we cannot listen on, in one line: gunicorn would retry a taken one
    five times and log twelve lines."""
    if bind.startswith(("unix:", "fd://")):
        return
    host, _, port = bind.rpartition(":")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]") or "0.0.0.0", int(port), type=socket.SOCK_STREAM
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
            probe.bind(address)
    except (OSError, ValueError) as error:
        why = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise ConfigurationError(f"cannot listen on {bind}: {why}") from None


def _build_read_side(settings: Settings) -> None:
    """Build what the projections miss once, before the workers fork (they would race)."""
    from projections.engine import make_engine
    from projections.ledger import tick
    from projections.wiring import attach

    app = build_app(settings, say=lambda m: err_console.print(m))
    engine = make_engine(settings.database_url)
    try:
        with console.status("bringing the projections up to date..."):
            attach(app, engine, in_process=False).catch_up()
            checkpoint = tick(engine)
        if checkpoint is not None:
            console.print(
                f"ledger checkpoint: tree size {checkpoint.tree_size}, "
                f"root {checkpoint.root_hash.hex()[:16]}..."
            )
    finally:
        engine.dispose()
        app.close()


def _demo(settings: Settings, bind: str = "127.0.0.1:8000") -> None:
    """Play the demo engagement, print its status, ledger and trust timeline from the
    projections (as `trustpath demo` does), and issue one demo principal per role."""
    from ops.cli_projections import play_demo

    run = play_demo()
    store = PrincipalStore.for_url(settings.database_url)
    cfo, coo = run.protagonists["cfo"], run.protagonists["coo"]
    click.echo(f"demo engagement {run.engagement_id}; one bearer token per role:")
    for role, name, subject in (
        ("admin", "demo admin", ""),
        ("coach", "Amelie (Claire's coach)", "coach-amelie"),
        ("coach", "Bruno (Omar's coach)", "coach-bruno"),
        ("protagonist", "Claire Martin (CFO)", cfo),
        ("protagonist", "Omar Haddad (COO)", coo),
        ("sponsor", "Norwind HR", "norwind-hr"),
        ("auditor", "demo auditor", ""),
        ("report_reader", "demo report reader", ""),
    ):
        principal, token = store.add(role, name, subject)
        click.echo(f"  {role:<14} {token}  {principal.actor.id}  ({name})")
    print_demo_people(store, run, bind)
    store.close()
    click.echo(f"export EID={run.engagement_id}")


def print_demo_people(store: PrincipalStore, run: Any, bind: str) -> None:
    """Add the demo's people (ops.demo_people) and print one console sign-in per role."""
    from api.console.accounts import Accounts
    from ops.demo_people import DEMO_PEOPLE, add_demo_people

    add_demo_people(store, Accounts.on(store.engine), run)
    click.echo(f"console on http://{bind}/console/; one sign-in per role (name / password):")
    for person in DEMO_PEOPLE:
        click.echo(f"  {person.role:<14} {person.name:<14} {person.password}  ({person.who})")


def principal_store() -> PrincipalStore:
    """The configured principals table; on a fresh SQLite store, its file made first (0600,
    its directory created), as every other command does through `store_env`."""
    url = Settings.from_environ().database_url
    store_env(url)
    return PrincipalStore.for_url(url)


@click.group()
def principals() -> None:
    """Who may call the API: add (prints the token once), list, revoke."""


@principals.command("add")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", required=True, help="who it is, for humans")
@click.option("--protagonist", "protagonist_id", default="", help="the protagonist id")
@click.option("--coach", "coach_id", default="", help="the coach id")
@click.option("--sponsor", "sponsor_id", default="", help="the sponsor id")
@fails_cleanly
def add(role: str, name: str, protagonist_id: str, coach_id: str, sponsor_id: str) -> None:
    """Add a principal and print its bearer token (shown this once only)."""
    subjects = [s for s in (protagonist_id, coach_id, sponsor_id) if s]
    if len(subjects) > 1:
        raise click.UsageError("give at most one of --protagonist, --coach, --sponsor")
    store = principal_store()
    try:
        principal, token = store.add(role, name, subjects[0] if subjects else "")
    finally:
        store.close()
    err_console.print(f"principal {principal.id} ({role}, acts as {principal.actor.id})")
    click.echo(token)


@principals.command("list")
@fails_cleanly
def list_principals() -> None:
    """List principals (never their tokens)."""
    store = principal_store()
    try:
        found = store.list()
    finally:
        store.close()
    table = Table()
    for column in ("id", "role", "name", "acts as", "created", "revoked"):
        table.add_column(column)
    for p in found:
        revoked = p.revoked_at.isoformat(timespec="seconds") if p.revoked_at else ""
        created = p.created_at.isoformat(timespec="seconds")
        table.add_row(p.id, p.role, p.name, p.actor.id, created, revoked)
    console.print(table)


@principals.command("revoke")
@click.argument("principal_id")
@fails_cleanly
def revoke(principal_id: str) -> None:
    """Revoke a principal: its token stops working (running servers: from its next request)."""
    store = principal_store()
    try:
        done = store.revoke(principal_id)
    finally:
        store.close()
    if not done:
        raise click.ClickException(f"no live principal {principal_id!r}")
    console.print(f"revoked {principal_id}")
