"""`trustpath audit check FILE --public-key PEM`: an auditor's offline check of a report.

FILE is a page of any of the auditors' HTTP routes (`checkpoint` and `items`) or the JSON
of `trustpath audit confidentiality` / `who-read` (its sections). The check needs only the
file and the ledger's public key: no database, no master key. Each entry's stored event must
hash to its proof's leaf, the audit path must lead to the checkpoint's root, the checkpoint
must be signed by the key, and the entry must say what its stored event says
(`projections.ledger.audit_log.check_entry`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ops.terminal import console, err_console, failing_cleanly_on
from projections.ledger.audit_log import check_entry
from projections.ledger.checkpoints import (
    Checkpoint,
    LedgerKeyError,
    load_public_key,
    verify_checkpoint,
)

SECTIONS = ("items", "accesses", "refusals", "erasures", "disclosures", "reads")


@click.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "key_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The ledger's public key (PEM), from `trustpath ledger public-key`.",
)
@failing_cleanly_on(LedgerKeyError, ValueError, KeyError)
def check(file: Path, key_file: Path) -> None:
    """Check every entry of a report or page against its signed checkpoint, offline."""
    report: dict[str, Any] = json.loads(file.read_text())
    key = load_public_key(key_file.read_text())
    if not report.get("checkpoint"):
        raise ValueError("the report names no checkpoint: no entry can be checked yet")
    checkpoint = Checkpoint.from_json(report["checkpoint"])
    failed = 0 if verify_checkpoint(checkpoint, key) else 1
    if failed:
        err_console.print("[red]the checkpoint's signature does not verify[/red]")
    entries = [e for section in SECTIONS for e in report.get(section, [])]
    for entry in sorted(entries, key=lambda e: int(e["notification_id"])):
        problems = check_entry(entry, checkpoint, key)
        failed += bool(problems)
        line = "; ".join(problems) if problems else "[green]verified[/green]"
        console.print(f"{entry['notification_id']} {entry['kind']}: {line}", highlight=False)
    if failed:
        err_console.print(f"[red]{failed} check(s) FAILED[/red]", highlight=False)
        sys.exit(1)
    console.print(
        f"[green]{len(entries)} entries verified[/green] against the checkpoint of "
        f"{checkpoint.tree_size} events signed {checkpoint.signed_at}",
        highlight=False,
    )
