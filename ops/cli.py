"""The `trustpath` command line: wiring, serving, demo, and operations.

Every command has --help, shows progress on long work, and exits non-zero with a
one-line reason on failure.
"""

from __future__ import annotations

import click

from ops.terminal import fails_cleanly


@click.group()
@click.version_option(package_name="trustpath")
def main() -> None:
    """trustpath: the event-sourced backend of trust-crisis coaching engagements.

    Configuration comes from the environment: TRUSTPATH_DATABASE_URL (default
    sqlite:///var/trustpath.db) and TRUSTPATH_MASTER_KEY_FILE.
    """


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

from ops.cli_ledger import audit, ledger  # noqa: E402 - the audit ledger's commands

main.add_command(ledger)
main.add_command(audit)

from ops.cli_keys import keys  # noqa: E402 - the deployment's key files

main.add_command(keys)

from ops.cli_backup import backup, restore  # noqa: E402 - backup and restore of the store

main.add_command(backup)
main.add_command(restore)
