"""Fixtures of the rule tests: the application on an in-memory SQLite store (no file: the
key store needs SQL, and a unit test does no I/O), and an engagement builder on it."""

from __future__ import annotations

import pytest

from domain.trustpath import Trustpath
from tests.support.builders import EngagementBuilder


@pytest.fixture
def sqlite_url() -> str:
    """In unit tests, `sqlite_app` (tests/conftest.py) runs on an in-memory database."""
    return "sqlite:///:memory:"


@pytest.fixture
def builder(sqlite_app: Trustpath) -> EngagementBuilder:
    """A freshly opened engagement on the in-memory application."""
    return EngagementBuilder(sqlite_app)
