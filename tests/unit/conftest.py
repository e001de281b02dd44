"""Fixtures of the rule tests: an engagement builder on a real SQLite file."""

from __future__ import annotations

import pytest

from domain.trustpath import Trustpath
from tests.support.builders import EngagementBuilder


@pytest.fixture
def builder(sqlite_app: Trustpath) -> EngagementBuilder:
    """A freshly opened engagement on the SQLite application."""
    return EngagementBuilder(sqlite_app)
