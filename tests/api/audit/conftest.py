"""Fixtures of the audit route tests: the API world on any store (SQLite or PostgreSQL)
with the audit ledger attached (tests/support/audit_world.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.ciphers import MasterKey
from tests.support.api_world import World
from tests.support.audit_world import world_on


@pytest.fixture
def any_world(store_url: str, master_key: MasterKey) -> Iterator[World]:
    with world_on(store_url, master_key) as found:
        yield found
