"""Fixtures of the integration tests.

builder   a freshly opened engagement on `app` (tests/conftest.py): on a SQLite file and on
          PostgreSQL
"""

from __future__ import annotations

import pytest

from domain.trustpath import Trustpath
from tests.support.builders import EngagementBuilder


@pytest.fixture
def builder(app: Trustpath) -> EngagementBuilder:
    """A freshly opened engagement on the application of each store."""
    return EngagementBuilder(app)
