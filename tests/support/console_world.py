"""A console on Flask's test client: a real SQLite store, a clock the tests move.

console_world   the Flask app (low sign-in throttle thresholds), its principals (admin,
                claire: a protagonist), their passwords, and the clock
Helpers: token_of(page) reads a form's CSRF token; sign_in(client, name, password).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api import create_app
from api.console.accounts import Accounts
from api.principals import Principal, PrincipalStore
from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from ops.config import store_env

PASSWORDS = {"admin": "admin-password-123", "claire": "claire-password-123"}


class CountingHasher(PasswordHasher):
    """Argon2id with light parameters (a test suite signs in hundreds of times), counting
    the hashes it verifies."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8 * 1024, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified.append(str(hash))
        return super().verify(hash, password)


CONFIG = {
    "TESTING": True,
    "SIGNIN_FAILURES_PER_NAME": 3,
    "SIGNIN_FAILURES_PER_ADDRESS": 6,
    "CONSOLE_IDLE_SECONDS": 30 * 60,
    "CONSOLE_ABSOLUTE_SECONDS": 8 * 3600,
}


class Clock:
    """The console's clock in tests: moved by hand, never slept on."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class ConsoleWorld:
    flask: Flask
    store: PrincipalStore
    accounts: Accounts
    clock: Clock
    people: dict[str, Principal]
    tokens: dict[str, str]
    url: str

    def client(self, address: str = "127.0.0.1") -> FlaskClient:
        client = self.flask.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client


def token_of(page: TestResponse) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.get_data(as_text=True))
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def sign_in(
    client: FlaskClient, name: str, password: str, next_: str = "/console/", base_url: str = ""
) -> TestResponse:
    """Send the sign-in form as a browser does: the page first (its token and cookie)."""
    base = {"base_url": base_url} if base_url else {}
    token = token_of(client.get("/console/sign-in", **base))
    form = {"name": name, "password": password, "csrf_token": token, "next": next_}
    return client.post("/console/sign-in", data=form, **base)


def signed_in(world: ConsoleWorld, name: str, address: str = "127.0.0.1") -> FlaskClient:
    client = world.client(address)
    answer = sign_in(client, name, PASSWORDS[name])
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return client


@pytest.fixture
def console_world(sqlite_url: str, master_key: MasterKey) -> Iterator[ConsoleWorld]:
    app = Trustpath(store_env(sqlite_url), master_key=master_key)
    clock = Clock()
    config = {**CONFIG, "CONSOLE_CLOCK": clock, "CONSOLE_PASSWORD_HASHER": CountingHasher()}
    flask = create_app(app, config=config)
    store: PrincipalStore = flask.extensions["trustpath.principals"]
    accounts: Accounts = flask.extensions["trustpath.console.accounts"]
    people, tokens = {}, {}
    for name, role, subject in (("admin", "admin", ""), ("claire", "protagonist", "p-claire")):
        people[name], tokens[name] = store.add(role, name, subject)
        accounts.set_password(people[name], PASSWORDS[name])
    try:
        yield ConsoleWorld(flask, store, accounts, clock, people, tokens, sqlite_url)
    finally:
        store.close()
        app.close()
