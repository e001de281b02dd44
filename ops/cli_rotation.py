"""`trustpath keys rotate-master` and `trustpath keys rotate-ledger`: key rotations.

    rotate-master   rewrap every data key (and the derivation root) under the current
                    master key, TRUSTPATH_MASTER_KEY_FILE, unwrapping each with the retired
                    key that wrapped it (TRUSTPATH_RETIRED_MASTER_KEY_FILES); the service
                    keeps running, each row is rewrapped atomically, a rerun resumes
    rotate-ledger   a new Ed25519 signing key in a new file (0600, never overwriting, never
                    through a symlink), registered as the ledger's next key: it becomes the
                    current one with the first checkpoint it signs, and the previous key is
                    retired at that moment (`projections.ledger.keyset`)

    ledger public-keys
                    every ledger key with its validity range; --json for auditors

Each prints what it did on stdout and exits 1 with one line on stderr when it cannot.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from domain.adapters.keystore import SQLKeyStore
from domain.ciphers import MasterKeyError
from domain.errors import ConfigurationError
from domain.keyring import Keyring
from domain.rotation import Rotation, rotate_master
from ops.cli_keys import _create, _refuse_existing
from ops.config import Settings, build_app, load_keyring
from ops.terminal import err_console, failing_cleanly_on
from projections.engine import make_engine
from projections.ledger import configured_signer
from projections.ledger.checkpoints import KEY_ENV, ORIGIN_ENV, Signer
from projections.ledger.keyset import LedgerKey, key_set_or, register_keys

fails_cleanly = failing_cleanly_on(MasterKeyError, ValueError)


class RotationIncompleteError(ConfigurationError):
    """Data keys are still wrapped by a retired master key after the rotation's passes."""


@click.command("rotate-master")
@click.option("--page", default=500, show_default=True, help="Rows read per query.")
@fails_cleanly
def rotate_master_command(page: int) -> None:
    """Rewrap every data key under TRUSTPATH_MASTER_KEY_FILE (the service may keep running)."""
    settings = Settings.from_environ()
    ring = load_keyring(settings)
    app = build_app(settings, say=err_console.print)
    try:
        retired = ", ".join(k.id for k in ring.retired) or "none configured"
        click.echo(f"current master key {ring.current.id}; retired: {retired}")
        done = _rewrap(SQLKeyStore(app.recorder.datastore), ring, page)  # type: ignore[attr-defined]
    finally:
        app.close()
    _report(done, ring)


def _rewrap(keys: SQLKeyStore, ring: Keyring, page: int) -> Rotation:
    with Progress(
        TextColumn("rewrapping data keys"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("rewrap", total=None)
        return rotate_master(
            keys, ring, lambda n, remaining: bar.update(task, completed=n, total=remaining), page
        )


def _report(done: Rotation, ring: Keyring) -> None:
    erased = done.after.get("", 0)
    click.echo(
        f"rewrapped {done.rewrapped} key store rows ({done.skipped} changed meanwhile, left as "
        f"they were); {erased} erased data keys stay erased"
    )
    if done.left:
        left = ", ".join(f"{n} under {k}" for k, n in sorted(done.left.items()))
        raise RotationIncompleteError(
            f"data keys are still wrapped by a retired master key ({left}): a process with "
            "only the old key is still running; restart it with both keys and run again"
        )
    live = done.after.get(ring.current.id, 0)
    click.echo(
        f"all {live} live rows (data keys and the derivation root) are wrapped by master key "
        f"{ring.current.id}: remove the retired key files from TRUSTPATH_RETIRED_MASTER_KEY_FILES "
        "and restart"
    )


@click.command("rotate-ledger")
@click.option(
    "--new-key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the new private key (must not exist; created 0600).",
)
@fails_cleanly
def rotate_ledger_command(new_key_file: Path) -> None:
    """Make a new ledger signing key and register it as the successor of the current one."""
    settings = Settings.from_environ()
    current = configured_signer(settings.production)
    successor = Signer(Ed25519PrivateKey.generate(), os.environ.get(ORIGIN_ENV, "").strip())
    _refuse_existing(new_key_file)
    _create(new_key_file, successor.private_pem())
    engine = make_engine(settings.database_url)
    try:
        register_keys(engine, current, successor)
    except BaseException:
        new_key_file.unlink()  # a key nobody registered must not be put in service
        raise
    finally:
        engine.dispose()
    _announce(new_key_file, current, successor)


def _announce(new_key_file: Path, current: Signer, successor: Signer) -> None:
    err_console.print(f"wrote {new_key_file} (mode 0600)", highlight=False)
    if successor.origin != current.origin:
        err_console.print(
            f"note: {ORIGIN_ENV} is not set, so the new key's notes name the log "
            f"{successor.origin!r}, not {current.origin!r}",
            highlight=False,
        )
    click.echo(f"registered ledger key {successor.key_id}, successor of {current.key_id}")
    click.echo(
        f"next: set {KEY_ENV}={new_key_file} and restart every process that signs "
        "checkpoints; the new key is current from the first checkpoint it signs"
    )
    click.echo(successor.public_pem(), nl=False)
    click.echo(successor.verifier_key())


@click.command("public-keys")
@click.option("--json", "as_json", is_flag=True, help="The key set as JSON, for auditors.")
@fails_cleanly
def public_keys_command(as_json: bool) -> None:
    """Every ledger signing key with its validity range (what `ledger verify` checks)."""
    engine = make_engine(Settings.from_environ().database_url)
    try:
        found = key_set_or(engine, configured_signer)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps({"keys": [k.as_json() for k in found]}, indent=2))
        return
    for key in found:
        click.echo(f"{key.key_id}  {key.status:<8} {_range(key)}  {key.as_json()['verifier_key']}")


def _range(key: LedgerKey) -> str:
    if key.first_size is None:
        return "no checkpoint yet"
    until = f"size {key.last_size} ({key.last_at})" if key.retired_at else "now"
    return f"from size {key.first_size} ({key.first_at}) until {until}"
