"""Console passwords and invitations on the real stores (SQLite and PostgreSQL), and the
`trustpath principals set-password | invite` commands."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from click.testing import CliRunner, Result

from api.console.accounts import Accounts, LoginTakenError, PasswordRuleError
from api.console.session_store import SessionStore
from api.principals import PrincipalStore
from domain.ciphers import MasterKey
from ops.cli import main

LIGHT = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def accounts_on(store: PrincipalStore, hasher: PasswordHasher = LIGHT) -> Accounts:
    return Accounts(store.engine, hasher, lambda: datetime.now(UTC))


def test_an_existing_store_gains_the_console_tables_when_it_opens(store_url: str) -> None:
    store = PrincipalStore.for_url(store_url)  # a store as it was before the console
    try:
        principal, token = store.add("coach", "amelie", "coach-amelie")
        accounts = accounts_on(store)
        SessionStore(store.engine, lambda: datetime.now(UTC))
        tables = set(sa.inspect(store.engine).get_table_names())
        assert {"trustpath_passwords", "trustpath_invitations"} <= tables
        assert "trustpath_console_sessions" in tables
        accounts.set_password(principal, "amelie-password-1")
        assert accounts.verify("Amelie", "amelie-password-1") == principal
        assert store.authenticate(token) == principal  # the bearer token still works
        accounts_on(store)  # opening again finds the tables: nothing to do
    finally:
        store.close()


def test_verify_refuses_a_revoked_principal_with_the_right_password(store_url: str) -> None:
    store = PrincipalStore.for_url(store_url)
    try:
        principal, _ = store.add("admin", "root")
        accounts = accounts_on(store)
        accounts.set_password(principal, "root-password-12")
        store.revoke(principal.id)
        assert accounts.verify("root", "root-password-12") is None
    finally:
        store.close()


def test_verify_rehashes_the_password_when_the_parameters_changed(sqlite_url: str) -> None:
    store = PrincipalStore.for_url(sqlite_url)
    try:
        principal, _ = store.add("admin", "root")
        accounts_on(store, LIGHT).set_password(principal, "root-password-12")
        stronger = PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1)
        assert accounts_on(store, stronger).verify("root", "root-password-12") == principal
        with store.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT hash FROM trustpath_passwords")).scalar_one()
        assert stored.startswith("$argon2id$v=19$m=16384,t=2,p=1$")
        assert not stronger.check_needs_rehash(stored)
    finally:
        store.close()


def test_set_password_is_refused_when_another_principal_signs_in_under_the_name(
    sqlite_url: str,
) -> None:
    store = PrincipalStore.for_url(sqlite_url)
    try:
        first, _ = store.add("admin", "Root")
        second, _ = store.add("auditor", "root")
        accounts = accounts_on(store)
        accounts.set_password(first, "root-password-12")
        with pytest.raises(LoginTakenError):
            accounts.set_password(second, "other-password-1")
        with pytest.raises(PasswordRuleError):
            accounts.set_password(first, "short")
        assert accounts.verify("root", "root-password-12") == first
    finally:
        store.close()


@pytest.fixture
def cli_env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    key_file = tmp_path / "master.key"
    key_file.write_text(MasterKey.generate().as_text() + "\n")
    return {"TRUSTPATH_DATABASE_URL": sqlite_url, "TRUSTPATH_MASTER_KEY_FILE": str(key_file)}


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, input=stdin)


def test_cli_set_password_reads_stdin_and_the_person_then_signs_in(
    cli_env: dict[str, str], sqlite_url: str
) -> None:
    added = run(
        cli_env, "principals", "add", "--role", "coach", "--name", "amelie", "--coach", "c-a"
    )
    assert added.exit_code == 0, added.output
    done = run(
        cli_env, "principals", "set-password", "AMELIE", "--stdin", stdin="amelie-pass-123\n"
    )
    assert done.exit_code == 0, done.output
    store = PrincipalStore.for_url(sqlite_url)
    try:
        found = Accounts.on(store.engine).verify("amelie", "amelie-pass-123")
        assert found is not None
        assert found.subject_id == "c-a"
    finally:
        store.close()


def test_cli_set_password_fails_in_one_line_when_the_password_is_too_short(
    cli_env: dict[str, str],
) -> None:
    run(cli_env, "principals", "add", "--role", "admin", "--name", "root")
    done = run(cli_env, "principals", "set-password", "root", "--stdin", stdin="short\n")
    assert done.exit_code == 1
    assert "12 to 256 characters" in done.output
    assert "Traceback" not in done.output


def test_cli_set_password_fails_when_the_name_is_ambiguous_or_unknown(
    cli_env: dict[str, str],
) -> None:
    for _ in range(2):
        run(cli_env, "principals", "add", "--role", "admin", "--name", "twin")
    ambiguous = run(cli_env, "principals", "set-password", "twin", "--stdin", stdin="x" * 12)
    assert ambiguous.exit_code == 1
    assert "several live principals are named 'twin'" in ambiguous.output
    unknown = run(cli_env, "principals", "set-password", "nobody", "--stdin", stdin="x" * 12)
    assert "no live principal" in unknown.output


def test_cli_invite_prints_a_one_time_link_stored_only_as_a_hash(
    cli_env: dict[str, str], sqlite_url: str
) -> None:
    run(cli_env, "principals", "add", "--role", "auditor", "--name", "eve")
    done = run(cli_env, "principals", "invite", "eve", "--console-url", "https://tp.example/")
    assert done.exit_code == 0, done.output
    link = done.stdout.strip().splitlines()[-1]
    assert link.startswith("https://tp.example/console/invitation/")
    token = link.rsplit("/", 1)[1]
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT token_hash FROM trustpath_invitations")).scalars()
        assert token not in list(stored)
    engine.dispose()
    store = PrincipalStore.for_url(sqlite_url)
    try:
        accounts = Accounts.on(store.engine)
        assert accounts.redeem(token, "eve-password-123").name == "eve"
        assert accounts.invitation(token) is None  # used up
    finally:
        store.close()
