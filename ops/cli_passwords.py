"""`trustpath principals set-password NAME_OR_ID` and `trustpath principals invite NAME_OR_ID`.

A person signs in to the web console with their principal's name and a password. The
admin sets it (`set-password`: typed without echo, or one line on stdin with `--stdin`)
or sends an invitation link (`invite`: a one-time link, valid for days, where the person
chooses it). Passwords are stored as Argon2id hashes (api.console.accounts).
"""

from __future__ import annotations

import os
import sys

import click

from api.console.accounts import Accounts
from api.principals import Principal, PrincipalStore
from ops.cli_api import principal_store
from ops.terminal import err_console, fails_cleanly

CONSOLE_URL = "http://127.0.0.1:8000"


def resolve(store: PrincipalStore, name_or_id: str) -> Principal:
    """The live principal with this id, or else the one live principal with this name."""
    found = store.find(name_or_id)
    if found is not None and found.revoked_at is None:
        return found
    wanted = name_or_id.strip().casefold()
    named = [p for p in store.list() if p.revoked_at is None and p.name.casefold() == wanted]
    if not named:
        raise click.ClickException(f"no live principal with the id or name {name_or_id!r}")
    if len(named) > 1:
        ids = ", ".join(p.id for p in named)
        raise click.ClickException(f"several live principals are named {name_or_id!r}: {ids}")
    return named[0]


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("password", hide_input=True, confirmation_prompt=True, err=True))


@click.command("set-password")
@click.argument("name_or_id")
@click.option("--stdin", "from_stdin", is_flag=True, help="read the password from stdin")
@fails_cleanly
def set_password(name_or_id: str, from_stdin: bool) -> None:
    """Set the console password of a principal (they sign in with its name)."""
    store = principal_store()
    try:
        principal = resolve(store, name_or_id)
        Accounts.on(store.engine).set_password(principal, read_password(from_stdin))
    finally:
        store.close()
    err_console.print(f"password set: {principal.name} signs in to the console")


@click.command("invite")
@click.argument("name_or_id")
@click.option(
    "--console-url",
    default=lambda: os.environ.get("TRUSTPATH_CONSOLE_URL", CONSOLE_URL),
    show_default=f"$TRUSTPATH_CONSOLE_URL or {CONSOLE_URL}",
    help="the console's address, as the person reaches it",
)
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 30))
@fails_cleanly
def invite(name_or_id: str, console_url: str, days: int) -> None:
    """Print a one-time link where a principal chooses their console password."""
    store = principal_store()
    try:
        principal = resolve(store, name_or_id)
        token = Accounts.on(store.engine).invite(principal, days)
    finally:
        store.close()
    err_console.print(f"invitation for {principal.name}, valid {days} days, usable once:")
    click.echo(f"{console_url.rstrip('/')}/console/invitation/{token}")
