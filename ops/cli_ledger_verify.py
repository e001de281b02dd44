"""`trustpath ledger verify` and `trustpath ledger verify-proof`: the auditor's checks.

    ledger verify                recompute every leaf and signed root from the events table
                                 (each checkpoint under the key valid for it, `keyset.py`)
    ledger verify-proof F        check a proof bundle offline

Both need the database (or a copy, for `verify`), the checkpoints and the public key: no
master key, no ledger private key. `ops/cli.py` adds them to the `ledger` group.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.progress import Progress, SpinnerColumn, TextColumn

from domain.errors import ConfigurationError
from ops.cli_ledger import LEDGER_ERRORS, database_url, fails_cleanly
from ops.ledger_files import check_origins, last_checkpoint, read_keys, read_public_key
from ops.terminal import console, err_console, fail
from projections.engine import make_engine
from projections.ledger import configured_signer
from projections.ledger.checkpoints import read_checkpoints
from projections.ledger.keyset import KeySet, load_key_set
from projections.ledger.proofs import check_bundle
from projections.ledger.recompute import read_ledger
from projections.ledger.restores import read_restores
from projections.ledger.source import count_events
from projections.ledger.store import LedgerNotReadyError, LedgerStore
from projections.ledger.verify import verify


@click.command("verify")
@click.option(
    "--checkpoints",
    "checkpoints_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Exported checkpoints (JSON lines) or signed notes (default: those in the database).",
)
@click.option(
    "--public-key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The ledger's public key (PEM or note verifier key) or its key set (JSON from "
    "`ledger public-keys --json`); default: the key set in the database, else the configured "
    "key's.",
)
@fails_cleanly
def verify_command(checkpoints_file: Path | None, key_file: Path | None) -> None:
    """Recompute every leaf and every signed root from the stored events."""
    url = database_url()
    engine = make_engine(url)
    try:
        key = read_keys(key_file) if key_file else _configured_keys(engine)
        store = LedgerStore(engine)
        checkpoints = (
            read_checkpoints(checkpoints_file) if checkpoints_file else store.checkpoints()
        )
        if key_file:
            check_origins(checkpoints, key_file)
        restores = read_restores(engine)
        if restores and checkpoints_file:
            checkpoints += after_restore(store, restores)
        total = count_events(url)
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=err_console, transient=True
        ) as bar:
            task = bar.add_task(f"recomputing 0 / {total} leaves", total=total)

            def show(done: int) -> None:
                bar.update(task, completed=done, description=f"recomputing {done} / {total} leaves")

            report = verify(
                url,
                checkpoints,
                key,
                lambda: read_ledger(engine),
                progress=show,
                restores=restores,
            )
    except LEDGER_ERRORS as error:
        fail(error)
    finally:
        engine.dispose()
    _print_report(report)


def _configured_keys(engine: Any) -> Ed25519PublicKey | KeySet:
    """The registered key set (after rotations); before any, the configured key's."""
    found = load_key_set(engine)
    return KeySet(found) if found else configured_signer().public_key


def after_restore(store: LedgerStore, restores: list[Any]) -> list[Any]:
    """The database's checkpoints signed after the first restore: this branch's, timed,
    checked beside an auditor's file so that a restore record never excuses them."""
    first = min(r.restored_at for r in restores)
    try:
        return [c for c in store.checkpoints() if c.signed_at > first]
    except LedgerNotReadyError:
        return []


def _print_report(report: Any) -> None:
    summary = (
        f"{report.events} events, {report.checkpoints} checkpoints "
        f"(signed up to {report.signed_size}), {report.gaps} gaps in notification ids"
    )
    if report.ok:
        console.print(f"[green]ledger verified[/green]: {summary}", highlight=False)
        if report.restore_gap:
            console.print(f"  {report.restore_gap}", highlight=False)
        return
    err_console.print(f"[red]ledger verification FAILED[/red]: {summary}", highlight=False)
    for finding in report.findings:
        err_console.print(f"  {finding}", highlight=False)
    if report.restore_gap:
        err_console.print(f"  (and, not a failure: {report.restore_gap})", highlight=False)
    sys.exit(1)


@click.command("verify-proof")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM or note verifier key: the checkpoint's signatures must hold under it.",
)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A signed note (or exported JSON checkpoint) to check the proof against, instead "
    "of the checkpoint the proof carries.",
)
@fails_cleanly
def verify_proof(file: Path, key_file: Path | None, checkpoint_file: Path | None) -> None:
    """Check a proof bundle (inclusion or consistency, optionally with its checkpoint)."""
    try:
        bundle = json.loads(file.read_text())
        key = read_public_key(key_file) if key_file else None
        if checkpoint_file is not None:
            given = last_checkpoint(checkpoint_file)
            bundle["checkpoint"] = given.as_json()
            if key_file:
                check_origins([given], key_file)
    except (ValueError, ConfigurationError, OSError) as error:
        fail(error)
    problems = check_bundle(bundle, key)
    if problems:
        for problem in problems:
            err_console.print(f"[red]proof FAILED[/red]: {problem}", highlight=False)
        sys.exit(1)
    signed = " and its checkpoint's signature" if key and "checkpoint" in bundle else ""
    console.print(f"[green]proof verified[/green]: the hashes{signed} hold", highlight=False)
