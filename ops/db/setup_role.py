"""Set up trustpath's least-privilege PostgreSQL role (run as the database owner).

    python -m ops.db.setup_role --admin-url postgresql://owner@host/db \\
        --role trustpath_app --password-file /run/secrets/trustpath_app_pw

1. creates the event store's tables as the owner (the library's own DDL), so that the
   application role never owns them;
2. creates the login role if missing (password from a file, never the command line);
3. applies ops/db/app_role.sql: INSERT and SELECT on the event tables, no UPDATE or DELETE
   (see the SQL for the one lock-only grant and the append-only trigger); the role may
   create and own its read-model and ledger tables in schema public.

Then run trustpath as that role, with the library's table creation off (the owner made
the event tables; the role creates only its own read-model tables):

    CREATE_TABLE=n TRUSTPATH_DATABASE_URL=postgresql://trustpath_app:PW@host/db trustpath serve
"""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment
from psycopg import sql

from domain.application import CommandSide
from ops.config import store_env

SQL_FILE = Path(__file__).with_name("app_role.sql")


def create_event_tables(admin_url: str) -> None:
    """The library's tables, created by (and so owned by) the owner."""
    env = Environment(CommandSide.name, store_env(admin_url) | {"CREATE_TABLE": "y"})
    factory = PostgresFactory(env)
    factory.application_recorder()
    factory.aggregate_recorder("snapshots")
    factory.close()


def setup_role(admin_url: str, role: str, password: str) -> None:
    create_event_tables(admin_url)
    name = CommandSide.name
    database = urlsplit(admin_url).path.strip("/")
    ids = {
        "role": sql.Identifier(role),
        "database": sql.Identifier(database),
        "events": sql.Identifier(f"{name}_events"),
        "snapshots": sql.Identifier(f"{name}_snapshots"),
        "sequence": sql.Identifier(f"{name}_events_notification_id_seq"),
    }
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if not exists:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
        conn.execute(sql.SQL(SQL_FILE.read_text()).format(**ids))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", required=True, help="owner's postgresql:// URL")
    parser.add_argument("--role", default="trustpath_app")
    parser.add_argument("--password-file", type=Path, required=True)
    args = parser.parse_args(argv)
    setup_role(args.admin_url, args.role, args.password_file.read_text().strip())
    print(f"role {args.role} may INSERT and SELECT events, never UPDATE or DELETE them")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
