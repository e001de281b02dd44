"""`trustpath ledger ...` and `trustpath audit ...`: the audit ledger's commands.

    ledger checkpoint [--note]   catch the ledger up and sign a checkpoint now (JSON, or
                                 its C2SP tlog-checkpoint signed note)
    ledger public-key [--note]   the Ed25519 public key auditors verify checkpoints with (PEM,
                                 or the note verifier key <origin>+<key ID>+<base64 key>)
    ledger export-checkpoints F  every signed checkpoint, as JSON lines, to keep elsewhere
    ledger prove                 an inclusion (--event/--index) or consistency (--from/--to) proof
    ledger verify                recompute every leaf and signed root from the events table
                                 (each checkpoint under the key valid for it, `keyset.py`)
    ledger public-keys [--json]  every signing key with its validity range (`ops.cli_rotation`)
    ledger verify-proof F        check a proof bundle offline
    audit confidentiality E      accesses, refusals, erasures of one engagement (no content)
    audit who-read P             who read protagonist P's file
    audit check F                check a report or an HTTP page offline (ops/cli_audit_check.py)

`verify`, `verify-proof` and the reports need the database (or a copy), the checkpoints
and the public key: no master key, no ledger private key. Wherever they take checkpoints
they take signed notes too, and wherever they take the PEM public key, a verifier key.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.progress import Progress, SpinnerColumn, TextColumn

from domain.config import ConfigurationError, Settings
from ops.ledger_files import check_origins, last_checkpoint, read_keys, read_public_key
from ops.terminal import console, err_console, fail, failing_cleanly_on
from projections.engine import make_engine
from projections.ledger import configured_signer
from projections.ledger.checkpoints import (
    read_checkpoints,
    write_jsonl,
)
from projections.ledger.keyset import KeySet, load_key_set
from projections.ledger.merkle import ProofError
from projections.ledger.proofs import check_bundle, prove_consistency, prove_inclusion
from projections.ledger.recompute import read_ledger
from projections.ledger.reports import confidentiality_report, dumps, who_read
from projections.ledger.restores import read_restores
from projections.ledger.source import count_events
from projections.ledger.store import LedgerNotReadyError, LedgerStore
from projections.ledger.verify import verify

LEDGER_ERRORS = (ConfigurationError, LedgerNotReadyError, ProofError, ValueError, OSError)
fails_cleanly = failing_cleanly_on(*LEDGER_ERRORS)


def _fail(error: Exception) -> NoReturn:
    fail(error)


def _url() -> str:
    return Settings.from_environ().database_url


def _store() -> tuple[LedgerStore, Any]:
    engine = make_engine(_url())
    return LedgerStore(engine), engine


@click.group()
def ledger() -> None:
    """The audit ledger: checkpoints, proofs, verification."""


@ledger.command()
@click.option("--note", "as_note", is_flag=True, help="Print the C2SP signed note instead.")
@fails_cleanly
def checkpoint(as_note: bool) -> None:
    """Catch the ledger up with the log and sign a checkpoint of it now.

    The latest checkpoint again when nothing was sealed since (and it carries a note).
    """
    from domain.config import build_app
    from projections.wiring import attach

    app = build_app(Settings.from_environ(), say=err_console.print)
    engine = make_engine(_url())
    try:
        read_side = attach(app, engine, in_process=False)
        read_side.catch_up()
        made = LedgerStore(engine).checkpoint(configured_signer())
        if as_note:
            click.echo(made.note(), nl=False)
        else:
            console.print_json(json.dumps(made.as_json()))
    except LEDGER_ERRORS as error:
        _fail(error)
    finally:
        app.close()
        engine.dispose()


@ledger.command("public-key")
@click.option("--note", "as_note", is_flag=True, help="As a note verifier key (name+id+key).")
@fails_cleanly
def public_key(as_note: bool) -> None:
    """Print the ledger's Ed25519 public key (PEM, or the note verifier key)."""
    try:
        signer = configured_signer()
    except ConfigurationError as error:
        _fail(error)
    if as_note:
        click.echo(signer.verifier_key())
    else:
        click.echo(signer.public_pem(), nl=False)


@ledger.command("export-checkpoints")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@fails_cleanly
def export_checkpoints(file: Path) -> None:
    """Write every signed checkpoint to FILE, one JSON object a line."""
    store, engine = _store()
    try:
        count = write_jsonl(store.checkpoints(), file)
    except LEDGER_ERRORS as error:
        _fail(error)
    finally:
        engine.dispose()
    err_console.print(f"exported {count} checkpoints to {file}")


@ledger.command()
@click.option("--event", "event", type=int, help="Notification id of the event.")
@click.option("--index", "index", type=int, help="Leaf index.")
@click.option("--tree-size", type=int, help="Prove against this size (default: latest checkpoint).")
@click.option("--from", "first", type=int, help="Consistency proof from this size...")
@click.option("--to", "second", type=int, help="...to this size (default: the current tree).")
@click.option("--json", "as_json", is_flag=True, help="Print the proof as JSON.")
@fails_cleanly
def prove(
    event: int | None,
    index: int | None,
    tree_size: int | None,
    first: int | None,
    second: int | None,
    as_json: bool,
) -> None:
    """Print an inclusion proof (--event ID | --index N) or a consistency proof (--from M)."""
    if (event is None) == (index is None) and first is None:
        _fail(ValueError("give --event ID or --index N, or --from M [--to N]"))
    store, engine = _store()
    try:
        if first is not None:
            proof = prove_consistency(store, first, second)
        else:
            proof = prove_inclusion(store, index=index, notification_id=event, tree_size=tree_size)
    except LEDGER_ERRORS as error:
        _fail(error)
    finally:
        engine.dispose()
    text = json.dumps(proof, indent=None if as_json else 2)
    click.echo(text)


@ledger.command("verify")
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
    url = _url()
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
        _fail(error)
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


@ledger.command("verify-proof")
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
        _fail(error)
    problems = check_bundle(bundle, key)
    if problems:
        for problem in problems:
            err_console.print(f"[red]proof FAILED[/red]: {problem}", highlight=False)
        sys.exit(1)
    signed = " and its checkpoint's signature" if key and "checkpoint" in bundle else ""
    console.print(f"[green]proof verified[/green]: the hashes{signed} hold", highlight=False)


@click.group()
def audit() -> None:
    """The auditors' reports (metadata only, never content)."""


@audit.command()
@click.argument("engagement")
@fails_cleanly
def confidentiality(engagement: str) -> None:
    """Every confidential access, refusal and erasure of ENGAGEMENT, with proofs (JSON)."""
    store, engine = _store()
    try:
        report = confidentiality_report(_url(), store, engagement)
    except LEDGER_ERRORS as error:
        _fail(error)
    finally:
        engine.dispose()
    click.echo(dumps(report))
    if not report["matrix_respected"]:
        sys.exit(2)


@audit.command("who-read")
@click.argument("protagonist")
@fails_cleanly
def who_read_command(protagonist: str) -> None:
    """Who read PROTAGONIST's individual content, and who was refused (JSON)."""
    store, engine = _store()
    try:
        report = who_read(_url(), store, protagonist)
    except LEDGER_ERRORS as error:
        _fail(error)
    finally:
        engine.dispose()
    click.echo(dumps(report))
