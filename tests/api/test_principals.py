"""Principals: tokens are random, stored only hashed, shown once; revocation is immediate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from api.principals import PrincipalStore, hash_token, principals
from domain.errors import InvalidValueError
from ops.cli import main

pytestmark = pytest.mark.api


@pytest.fixture
def store(sqlite_url: str) -> Iterator[PrincipalStore]:
    found = PrincipalStore.for_url(sqlite_url)
    yield found
    found.close()


def test_added_principal_is_stored_with_only_the_tokens_hash(store: PrincipalStore) -> None:
    principal, token = store.add("coach", "Amelie", "coach-amelie")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(principals)).one()
    assert token not in [str(v) for v in row]
    assert row.token_hash == hash_token(token)
    assert store.authenticate(token) == principal
    assert principal.actor.id == "coach-amelie"


def test_tokens_are_distinct_and_long(store: PrincipalStore) -> None:
    tokens = {store.add("auditor", f"a{i}")[1] for i in range(20)}
    assert len(tokens) == 20
    assert min(len(t) for t in tokens) >= 40


def test_revoked_principal_no_longer_authenticates(store: PrincipalStore) -> None:
    principal, token = store.add("admin", "Ada")
    assert store.revoke(principal.id)
    assert store.authenticate(token) is None
    assert not store.revoke(principal.id)


def test_authenticated_principal_is_remembered_only_when_a_cache_is_asked_for(
    store: PrincipalStore,
) -> None:
    store.cache_seconds = 5
    principal, token = store.add("admin", "Ada")
    assert store.authenticate(token) == principal
    with store.engine.begin() as conn:
        conn.execute(sa.delete(principals))
    assert store.authenticate(token) == principal  # within cache_seconds
    store.cache_seconds = 0
    store._cache.clear()
    assert store.authenticate(token) is None


def test_unknown_token_authenticates_nobody(store: PrincipalStore) -> None:
    store.add("admin", "Ada")
    assert store.authenticate("guessed") is None


@pytest.mark.parametrize(
    ("role", "subject"),
    [
        ("coach", ""),
        ("protagonist", ""),
        ("sponsor", ""),
        ("admin", "x"),
        ("system", ""),
        ("king", ""),
    ],
)
def test_principal_is_refused_when_role_and_subject_do_not_fit(
    store: PrincipalStore, role: str, subject: str
) -> None:
    with pytest.raises(InvalidValueError):
        store.add(role, "x", subject)


def test_cli_adds_lists_and_revokes_a_principal(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTPATH_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    added = runner.invoke(
        main, ["principals", "add", "--role", "sponsor", "--name", "HR", "--sponsor", "norwind-hr"]
    )
    assert added.exit_code == 0, added.output
    token = added.stdout.strip().splitlines()[-1]
    listed = runner.invoke(main, ["principals", "list"])
    assert "norwind-hr" in listed.stdout
    assert token not in listed.stdout
    store = PrincipalStore.for_url(sqlite_url)
    try:
        principal = store.authenticate(token)
        assert principal is not None
        assert runner.invoke(main, ["principals", "revoke", principal.id]).exit_code == 0
        assert store.authenticate(token) is None
    finally:
        store.close()
    missing = runner.invoke(main, ["principals", "add", "--role", "coach", "--name", "x"])
    assert missing.exit_code == 1
