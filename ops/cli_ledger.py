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

`verify` and `verify-proof` are in `cli_ledger_verify.py`. They and the reports need the
database (or a copy), the checkpoints and the public key: no master key, no ledger private
key. Wherever they take checkpoints they take signed notes too, and wherever they take the
PEM public key, a verifier key.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from domain.errors import ConfigurationError
from ops.config import Settings
from ops.terminal import console, err_console, fail, failing_cleanly_on
from projections.engine import make_engine
from projections.ledger import configured_signer
from projections.ledger.checkpoints import write_jsonl
from projections.ledger.merkle import ProofError
from projections.ledger.proofs import prove_consistency, prove_inclusion
from projections.ledger.reports import confidentiality_report, dumps, who_read
from projections.ledger.store import LedgerNotReadyError, LedgerStore

LEDGER_ERRORS = (ConfigurationError, LedgerNotReadyError, ProofError, ValueError, OSError)
fails_cleanly = failing_cleanly_on(*LEDGER_ERRORS)


def _fail(error: Exception) -> NoReturn:
    fail(error)


def database_url() -> str:
    """The configured store's URL (TRUSTPATH_DATABASE_URL)."""
    return Settings.from_environ().database_url


def _store() -> tuple[LedgerStore, Any]:
    engine = make_engine(database_url())
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
    from ops.config import build_app
    from projections.wiring import attach

    app = build_app(Settings.from_environ(), say=err_console.print)
    engine = make_engine(database_url())
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
        report = confidentiality_report(database_url(), store, engagement)
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
        report = who_read(database_url(), store, protagonist)
    except LEDGER_ERRORS as error:
        _fail(error)
    finally:
        engine.dispose()
    click.echo(dumps(report))
