"""The `trustpath` command line: wiring, serving, demo, and operations.

Every command has --help, shows progress on long work, and exits non-zero with a
one-line reason on failure (`--debug` shows the traceback instead). Every file a command
creates is its owner's only: the process umask is 077.
"""

from __future__ import annotations

import os

import click

from ops.terminal import CleanGroup, Debug, fails_cleanly

OWNER_ONLY_UMASK = 0o077


@click.group(cls=CleanGroup)
@click.version_option(package_name="trustpath")
@click.option(
    "--debug",
    is_flag=True,
    envvar="TRUSTPATH_DEBUG",
    help="Show the traceback of an expected failure instead of its one line.",
)
def main(debug: bool) -> None:
    """trustpath: the event-sourced backend of trust-crisis coaching engagements.

    Configuration comes from the environment: TRUSTPATH_DATABASE_URL (default
    sqlite:///var/trustpath.db) and TRUSTPATH_MASTER_KEY_FILE.
    """
    Debug.on = debug
    # The store, its keys, exports and whatever SQLite or a library creates on the side
    # (a -journal, a directory) are readable by their owner only, whatever the shell's umask.
    os.umask(OWNER_ONLY_UMASK)


@main.command()
@fails_cleanly
def demo() -> None:
    """Play a realistic engagement into the configured store and print its summary."""
    from ops.cli_projections import play_demo

    play_demo()


from ops.cli_projections import register as _register_projections  # noqa: E402

_register_projections(main)


from ops.cli_api import principals, serve  # noqa: E402 - the API's commands

main.add_command(serve)
main.add_command(principals)

from ops.cli_passwords import invite, set_password  # noqa: E402 - console sign-ins

principals.add_command(set_password)
principals.add_command(invite)

from ops.cli_ledger import audit, ledger  # noqa: E402 - the audit ledger's commands

main.add_command(ledger)
main.add_command(audit)

from ops.cli_audit_check import check as _check_report  # noqa: E402 - offline, needs no database

audit.add_command(_check_report)

from ops.cli_keys import keys  # noqa: E402 - the deployment's key files

main.add_command(keys)

from ops.cli_rotation import (  # noqa: E402 - the key rotations and the ledger's key set
    public_keys_command,
    rotate_ledger_command,
    rotate_master_command,
)

keys.add_command(rotate_master_command)
keys.add_command(rotate_ledger_command)
ledger.add_command(public_keys_command)

from ops.cli_backup import backup, restore  # noqa: E402 - backup and restore of the store

main.add_command(backup)
main.add_command(restore)
