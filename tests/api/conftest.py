"""Fixtures of the API suite: the demo engagement behind Flask's test client, on SQLite.

world     a Trustpath app on a fresh SQLite file with the demo engagement played, its
          read side attached in-process, the Flask app, and one token per principal:
          admin, auditor, report_reader, sponsor (the demo's), sponsor_other,
          coach_a (Claire's coach), coach_b (Omar's), coach_other, cfo, coo,
          protagonist_other (of a second engagement)
any_world the same world on SQLite and on PostgreSQL (parametrised over both stores)
client    Flask's test client of that app
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from domain.ciphers import MasterKey
from tests.support.api_world import World, built_world


@pytest.fixture
def world(sqlite_url: str, master_key: MasterKey) -> Iterator[World]:
    with built_world(sqlite_url, master_key) as result:
        yield result


@pytest.fixture
def any_world(store_url: str, master_key: MasterKey) -> Iterator[World]:
    """The same world, on SQLite and on PostgreSQL (for the confidentiality tests)."""
    with built_world(store_url, master_key) as result:
        yield result


@pytest.fixture
def client(world: World) -> FlaskClient:
    return world.flask.test_client()
