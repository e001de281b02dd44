"""Configuration: which store, which master key; and building the application from it.

    TRUSTPATH_DATABASE_URL     sqlite:///var/trustpath.db (default) | postgresql://user[:pw]@host[:port]/db
    TRUSTPATH_MASTER_KEY_FILE  a file holding the 32-byte master key in base64
    TRUSTPATH_RETIRED_MASTER_KEY_FILES
                               more key files, separated by ':', whose keys only unwrap
                               data keys (during a master-key rotation, `domain.keyring`)
    TRUSTPATH_ENV              "embedded" (default with SQLite) or "production"

With the embedded default a missing master key file is generated under ./var/ and the
operator is told so; a production configuration (PostgreSQL, or TRUSTPATH_ENV=production)
without a master key file refuses to start. The SQLite database (and so its -wal and -shm)
and a generated key file are created 0600, whatever the umask (see domain.adapters.private_files).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from domain.adapters.private_files import create_store_file, write_new
from domain.ciphers import MasterKey, MasterKeyError
from domain.errors import ConfigurationError
from domain.keyring import Keyring
from projections.engine import is_production

if TYPE_CHECKING:
    from domain.trustpath import Trustpath

Say = Callable[[str], None]

DEFAULT_DATABASE_URL = "sqlite:///var/trustpath.db"
DEFAULT_KEY_FILE = "var/master.key"
CONNECT_TIMEOUT_S = 5


class StoreUnreachableError(ConfigurationError):
    """The configured PostgreSQL server does not answer or refuses us; trustpath cannot start."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    master_key_file: str = ""
    production: bool = False
    retired_master_key_files: tuple[str, ...] = ()

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        url = env.get("TRUSTPATH_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        retired = env.get("TRUSTPATH_RETIRED_MASTER_KEY_FILES", "").split(os.pathsep)
        return cls(
            url,
            env.get("TRUSTPATH_MASTER_KEY_FILE", "").strip(),
            is_production(env),
            tuple(f.strip() for f in retired if f.strip()),
        )


def store_env(database_url: str) -> dict[str, str]:
    """The eventsourcing environment for a TRUSTPATH_DATABASE_URL."""
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        path = database_url[len("sqlite:///") :] if database_url.startswith("sqlite:///") else ""
        if not path:
            raise ConfigurationError(f"malformed SQLite URL {database_url!r} (sqlite:///PATH)")
        if path != ":memory:" and not path.startswith("file:"):
            try:
                create_store_file(Path(path))
            except OSError as error:
                raise ConfigurationError(
                    f"cannot create the SQLite store at {path}: {error.strerror or error}"
                ) from None
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
    if parts.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        try:
            port = parts.port or 5432
        except ValueError:
            port = 0
        if not parts.hostname or not parts.path.strip("/") or not port:
            raise ConfigurationError(f"malformed PostgreSQL URL {redacted(database_url)!r}")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.strip("/")),
            "POSTGRES_HOST": parts.hostname,
            "POSTGRES_PORT": str(port),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": "10",
            "POSTGRES_MAX_OVERFLOW": "10",
            "POSTGRES_LOCK_TIMEOUT": "3",
            # Outages (domain/adapters/pgrecorder.py): fail fast, reconnect soon, never hang.
            "APPLICATION_RECORDER_TOPIC": "domain.adapters.pgrecorder:OutageAwareRecorder",
            "POSTGRES_CONNECT_TIMEOUT": "1",
        }
    raise ConfigurationError(
        f"unsupported TRUSTPATH_DATABASE_URL {redacted(database_url)!r}: "
        "use sqlite:/// or postgresql://"
    )


def redacted(database_url: str) -> str:
    """The URL without its password, fit for an error message."""
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    return database_url.replace(f":{parts.password}@", ":***@", 1)


def load_master_key(settings: Settings, say: Say | None = None) -> MasterKey:
    """Read the master key; generate one only for the embedded default."""
    path = Path(settings.master_key_file or DEFAULT_KEY_FILE)
    if path.exists():
        return _read_master_key(path)
    if settings.production or settings.master_key_file:
        raise ConfigurationError(
            f"no master key at {path}: set TRUSTPATH_MASTER_KEY_FILE to an existing key file "
            "(a production configuration never generates one)"
        )
    key = MasterKey.generate()
    try:
        write_new(path, (key.as_text() + "\n").encode())
    except FileExistsError:  # another process generated it first: theirs is the key
        return _read_master_key(path)
    if say is not None:
        say(f"generated a new master key at {path} (embedded default; keep it safe)")
    return key


def _read_master_key(path: Path) -> MasterKey:
    try:
        return MasterKey.from_text(path.read_text())
    except (MasterKeyError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{path}: {error}") from None
    except OSError as error:  # e.g. a dangling link: never followed to write, nor read
        raise ConfigurationError(f"{path}: {error.strerror or error}") from None


def load_keyring(settings: Settings, say: Say | None = None) -> Keyring:
    """The current master key and the retired ones (each must exist and be readable)."""
    retired = []
    for name in settings.retired_master_key_files:
        try:
            retired.append(MasterKey.from_text(Path(name).read_text()))
        except (OSError, MasterKeyError) as error:
            raise ConfigurationError(
                f"TRUSTPATH_RETIRED_MASTER_KEY_FILES: {name}: {error}"
            ) from None
    return Keyring(load_master_key(settings, say), retired)


def build_app(settings: Settings | None = None, say: Say | None = None) -> Trustpath:
    """The Trustpath application for these settings."""
    from domain.trustpath import Trustpath

    settings = settings or Settings.from_environ()
    env = store_env(settings.database_url)
    ring = load_keyring(settings, say)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        check_reachable(settings.database_url, env)
    try:
        return Trustpath(env, master_key=ring)
    except MasterKeyError as error:  # a start-up refusal: one line, like any configuration's
        raise ConfigurationError(str(error)) from error  # (--debug shows the cause too)


def check_reachable(database_url: str, env: dict[str, str]) -> None:
    """Connect once, briefly: the library's pool would retry an unreachable server for 30 s
    and then fail with a vaguer reason."""
    import psycopg

    try:
        psycopg.connect(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            connect_timeout=CONNECT_TIMEOUT_S,
        ).close()
    except psycopg.Error as error:
        reason = " ".join(str(error).split())
        raise StoreUnreachableError(
            f"the store at {redacted(database_url)} is unreachable: {reason}"
        ) from None
