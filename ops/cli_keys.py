"""`trustpath keys init`: a deployment's key files, made once and never overwritten.

    master key   32 random bytes in base64, one line (TRUSTPATH_MASTER_KEY_FILE; what
                 `MasterKey.from_text` reads): wraps every protagonist's data key
    ledger key   an Ed25519 private key, unencrypted PKCS#8 PEM (TRUSTPATH_LEDGER_KEY_FILE):
                 signs the audit ledger's checkpoints

Paths: --master-key-file / --ledger-key-file, else those variables, else var/. Every path is
checked before anything is written: an existing file, or a symlink (even a dangling one),
is refused, and nothing is written. Each file is then written by `private_files.write_new`
(0600, whole or not at all, never onto an existing name), so a file or link that appears
in between is refused as well (and a key this run already wrote is removed again). Stdout
gets the ledger's public key (PEM) and its note verifier key, named after
TRUSTPATH_LOG_ORIGIN: what auditors keep.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.adapters.private_files import write_new
from domain.ciphers import MasterKey
from domain.errors import ConfigurationError
from ops.config import DEFAULT_KEY_FILE
from ops.terminal import err_console, fails_cleanly
from projections.ledger.checkpoints import DEFAULT_KEY_FILE as DEFAULT_LEDGER_KEY_FILE
from projections.ledger.checkpoints import KEY_ENV, ORIGIN_ENV, Signer

MASTER_ENV = "TRUSTPATH_MASTER_KEY_FILE"


class KeyFileExistsError(ConfigurationError):
    """A key file (or a symlink) is already at the path: keys are never overwritten."""


@click.group()
def keys() -> None:
    """The deployment's key files."""


@keys.command()
@click.option(
    "--master-key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Default: ${MASTER_ENV}, else {DEFAULT_KEY_FILE}.",
)
@click.option(
    "--ledger-key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Default: ${KEY_ENV}, else {DEFAULT_LEDGER_KEY_FILE}.",
)
@click.option(
    "--only", type=click.Choice(["master", "ledger"]), help="Create only this one of the two."
)
@fails_cleanly
def init(master_key_file: Path | None, ledger_key_file: Path | None, only: str | None) -> None:
    """Create the master key and ledger key files (0600); print the ledger's public keys."""
    signer = Signer(Ed25519PrivateKey.generate(), os.environ.get(ORIGIN_ENV, "").strip())
    files: dict[Path, bytes] = {}
    if only != "ledger":
        path = master_key_file or _configured(MASTER_ENV, DEFAULT_KEY_FILE)
        files[path] = (MasterKey.generate().as_text() + "\n").encode()
    if only != "master":
        files[ledger_key_file or _configured(KEY_ENV, DEFAULT_LEDGER_KEY_FILE)] = (
            signer.private_pem()
        )
    for path in files:
        _refuse_existing(path)
    _write_all(files)
    for path in files:
        err_console.print(f"wrote {path} (mode 0600)", highlight=False)
    if only != "master":
        click.echo(signer.public_pem(), nl=False)
        click.echo(signer.verifier_key())


def _configured(variable: str, default: str) -> Path:
    return Path(os.environ.get(variable, "").strip() or default)


def _refuse_existing(path: Path) -> None:
    if path.is_symlink():
        raise KeyFileExistsError(f"{path} is a symlink: refusing to follow it")
    if path.exists():
        raise KeyFileExistsError(f"{path} already exists: keys are never overwritten")


def _write_all(files: dict[Path, bytes]) -> None:
    """Write every file or, if one fails, remove the ones this call created."""
    written: list[Path] = []
    try:
        for path, data in files.items():
            _create(path, data)
            written.append(path)
    except BaseException:
        for path in written:
            path.unlink()
        raise


def _create(path: Path, data: bytes) -> None:
    try:
        write_new(path, data)
    except FileExistsError:
        raise KeyFileExistsError(f"{path} appeared meanwhile: keys are never overwritten") from None
