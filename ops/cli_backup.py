"""`trustpath backup --to FILE` and `trustpath restore FILE`: the database, while it runs.

    backup --to FILE   a consistent copy of the live store (SQLite: the online backup API;
                       PostgreSQL: pg_dump's custom format), written 0600 beside FILE and
                       renamed onto it once checked (SQLite: the copy's ledger verifies and
                       its data keys unwrap; PostgreSQL: pg_restore reads it back)
    restore FILE       into an EMPTY store (a new SQLite path, a new PostgreSQL database),
                       then the same checks on the restored copy, then a restore record
                       "restored at size N on DATE" signed with the ledger key (printed as
                       JSON on stdout, for the auditors)
    restore --record-only
                       for a store restored by other means (pg_restore or PostgreSQL's
                       point-in-time recovery, a filesystem snapshot): the same checks on
                       it, then the restore record

Neither holds the master key or the ledger key: back those up separately (README,
"Backup and restore"). Both need them configured, to check what they copied.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import click
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

from ops.backup import (
    BackupError,
    backup_pg,
    backup_sqlite,
    check_sqlite,
    is_empty,
    kind_of,
    restore_pg,
    restore_sqlite,
    staged,
    store_kind,
)
from ops.config import Settings
from ops.restore_checks import Checked, check_copy, record_restore
from ops.terminal import console, err_console, failing_cleanly_on
from projections.ledger.merkle import ProofError
from projections.ledger.restores import RestoreRecord
from projections.ledger.source import count_events, sqlite_path
from projections.ledger.store import LedgerNotReadyError


class Show(Protocol):
    def __call__(self, description: str, done: int | None = None, total: int | None = None) -> None:
        """Update the progress line."""


fails_cleanly = failing_cleanly_on(BackupError, LedgerNotReadyError, ProofError, ValueError)


@contextmanager
def _progress() -> Iterator[Show]:
    """A progress line on stderr: show(description, done, total)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def show(description: str, done: int | None = None, total: int | None = None) -> None:
            bar.update(task, description=description[:100], completed=done or 0, total=total)

        yield show


def _checked(url: str, show: Show) -> Checked:
    total = count_events(url)
    show(f"verifying the ledger: 0 / {total} leaves", 0, total)
    return check_copy(
        url, lambda done: show(f"verifying the ledger: {done} / {total} leaves", done, total)
    )


def _summary(checked: Checked) -> str:
    r = checked.report
    return (
        f"{r.events} events, ledger verified against {r.checkpoints} checkpoints "
        f"(signed up to {r.signed_size}); {checked.keys} data keys unwrap with the master "
        f"key, {checked.erased} erased"
    )


@click.command()
@click.option(
    "--to", "to", required=True, type=click.Path(dir_okay=False, path_type=Path), help="FILE"
)
@fails_cleanly
def backup(to: Path) -> None:
    """Back up the live store to FILE (0600), then check the copy."""
    url = Settings.from_environ().database_url
    with _progress() as show, staged(to) as partial:
        if store_kind(url) == "sqlite":
            backup_sqlite(url, partial, lambda done, total: show("copying pages", done, total))
            check_sqlite(partial)
            what = _summary(_checked(f"sqlite:///{partial.resolve()}", show))
        else:
            backup_pg(url, partial, lambda line: show(line))
            what = "pg_dump custom format, read back by pg_restore --list"
    size = to.stat().st_size
    console.print(f"backup written to {to} ({size} bytes): {what}", highlight=False)


@click.command()
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--record-only",
    is_flag=True,
    help="The store was restored by other means (PostgreSQL's point-in-time recovery, a "
    "filesystem snapshot): check it and sign the restore record only.",
)
@fails_cleanly
def restore(file: Path | None, record_only: bool) -> None:
    """Restore FILE into the configured store, which must be empty; check; sign the record."""
    url = Settings.from_environ().database_url
    if record_only or file is None:
        if file is not None or not record_only:
            raise BackupError("give a backup FILE, or --record-only without one")
        if is_empty(url):
            raise BackupError("the configured store is empty: nothing was restored into it")
        with _progress() as show:
            checked, record = _settle(url, show)
        _report("the configured store", checked, record)
        return
    _check_target(file, url)
    with _progress() as show:
        if store_kind(url) == "sqlite":
            target = Path(sqlite_path(url))
            target.parent.mkdir(parents=True, exist_ok=True)
            with staged(target) as partial:
                show("copying and checking the backup")
                restore_sqlite(file, partial)
                checked, record = _settle(f"sqlite:///{partial.resolve()}", show)
        else:
            restore_pg(file, url, lambda line: show(line))
            checked, record = _settle(url, show)
    _report(str(file), checked, record)


def _check_target(file: Path, url: str) -> None:
    kind = kind_of(file)
    if kind != store_kind(url):
        raise BackupError(f"{file} is a {kind} backup; the configured store is {store_kind(url)}")
    if not is_empty(url):
        raise BackupError(
            "the configured store is not empty: restore only into an empty store "
            "(a new SQLite path or a new PostgreSQL database)"
        )


def _report(what: str, checked: Checked, record: RestoreRecord) -> None:
    err_console.print(f"restored {what}: {_summary(checked)}", highlight=False)
    err_console.print(f"signed the restore record: {record.describe()}", highlight=False)
    click.echo(json.dumps(record.as_json(), sort_keys=True))


def _settle(url: str, show: Show) -> tuple[Checked, RestoreRecord]:
    checked = _checked(url, show)
    show("signing the restore record")
    return checked, record_restore(url)
