"""`trustpath keys rotate-master` and `trustpath keys rotate-ledger`: key rotations.

    rotate-master   rewrap every data key (and the derivation root) under the current
                    master key, TRUSTPATH_MASTER_KEY_FILE, unwrapping each with the retired
                    key that wrapped it (TRUSTPATH_RETIRED_MASTER_KEY_FILES); the service
                    keeps running, each row is rewrapped atomically, a rerun resumes
    rotate-ledger   a new Ed25519 signing key in a new file (0600, never overwriting, never
                    through a symlink), registered as the ledger's next key: it becomes the
                    current one with the first checkpoint it signs, and the previous key is
                    retired at that moment (`projections.ledger.keyset`)

Both print what they did on stdout and exit 1 with one line on stderr when they cannot.
"""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from domain.ciphers import MasterKeyError
from domain.config import ConfigurationError, Settings, build_app, load_keyring
from domain.keystore import SQLKeyStore
from domain.rotation import rotate_master
from ops.terminal import err_console, failing_cleanly_on

fails_cleanly = failing_cleanly_on(MasterKeyError)


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
        keys = SQLKeyStore(app.recorder.datastore)  # type: ignore[attr-defined]
        retired = ", ".join(k.id for k in ring.retired) or "none configured"
        click.echo(f"current master key {ring.current.id}; retired: {retired}")
        with Progress(
            TextColumn("rewrapping data keys"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("rewrap", total=None)
            done = rotate_master(
                keys, ring, lambda n, todo: bar.update(task, completed=n, total=todo), page
            )
    finally:
        app.close()
    erased = done.after.get("", 0)
    click.echo(
        f"rewrapped {done.rewrapped} data keys ({done.skipped} changed meanwhile, left as they "
        f"were); {erased} erased keys stay erased"
    )
    if done.left:
        left = ", ".join(f"{n} under {k}" for k, n in sorted(done.left.items()))
        raise RotationIncompleteError(
            f"data keys are still wrapped by a retired master key ({left}): a process with "
            "only the old key is still running; restart it with both keys and run again"
        )
    live = done.after.get(ring.current.id, 0)
    click.echo(
        f"all {live} live keys are wrapped by master key {ring.current.id}: remove the "
        "retired key files from TRUSTPATH_RETIRED_MASTER_KEY_FILES and restart"
    )
