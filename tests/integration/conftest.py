"""Fixtures of the integration tests.

builder     a freshly opened engagement on `app` (tests/conftest.py): on a SQLite file and on
            PostgreSQL
second_app  another application on the same store as `app` (a second process, a restart)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from tests.support.apps import make_app
from tests.support.builders import EngagementBuilder


@pytest.fixture
def builder(app: Trustpath) -> EngagementBuilder:
    """A freshly opened engagement on the application of each store."""
    return EngagementBuilder(app)


@pytest.fixture
def second_app(store_url: str, master_key: MasterKey) -> Iterator[Trustpath]:
    """Another application instance on the same store: another process, or a restart."""
    application = make_app(store_url, master_key)
    yield application
    application.close()
