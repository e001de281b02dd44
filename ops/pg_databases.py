"""Databases on a throwaway server: the ``trustpath`` role and database, and the
per-test databases (`create_database`, `drop_database`)."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from ops.pg_tools import APP_DATABASE, APP_ROLE, HOST, SUPERUSER

_DB_NAME_RE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def server_url(port: int) -> str:
    """URL of the ``trustpath`` database on a server started by this module."""
    return f"postgresql://{APP_ROLE}@{HOST}:{port}/{APP_DATABASE}"


def ensure_app_database(port: int) -> None:
    """Create the ``trustpath`` superuser role and the database it owns, if missing."""
    with psycopg.connect(
        host=HOST, port=port, user=SUPERUSER, dbname="postgres", autocommit=True, connect_timeout=10
    ) as conn:
        role = sql.Identifier(APP_ROLE)
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone():
            conn.execute(sql.SQL("ALTER ROLE {} WITH LOGIN SUPERUSER").format(role))
        else:
            conn.execute(sql.SQL("CREATE ROLE {} WITH LOGIN SUPERUSER").format(role))
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [APP_DATABASE]
        ).fetchone():
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(APP_DATABASE), role)
            )


def _with_dbname(url: str, dbname: str) -> str:
    """``url`` pointing at database ``dbname`` (URL or key=value conninfo)."""
    if "://" in url:
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path="/" + quote(dbname, safe="")))
    return make_conninfo(url, dbname=dbname)


def _dbname_of(url: str) -> str:
    return str(psycopg.conninfo.conninfo_to_dict(url).get("dbname") or "")


def _admin_url(url: str, name: str) -> str:
    """A URL on the same server for CREATE/DROP DATABASE ``name`` (never ``name`` itself)."""
    return _with_dbname(url, "postgres") if _dbname_of(url) in {"", name} else url


def _check_name(name: str) -> None:
    if not _DB_NAME_RE.fullmatch(name):
        raise ValueError(f"database name must match {_DB_NAME_RE.pattern}: {name!r}")


def create_database(url: str, name: str) -> str:
    """Create an empty database ``name`` on the server of ``url``; return its URL.

    ``name`` must be a plain lower-case identifier (``[a-z_][a-z0-9_]*``, at most
    63 characters).  The role of ``url`` needs CREATEDB (``trustpath`` is a
    superuser) and becomes the owner.
    """
    _check_name(name)
    with psycopg.connect(_admin_url(url, name), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _with_dbname(url, name)


def drop_database(url: str, name: str) -> None:
    """Terminate the connections to database ``name`` on the server of ``url``, then drop it.

    Does nothing when the database does not exist.
    """
    _check_name(name)
    with psycopg.connect(_admin_url(url, name), autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
