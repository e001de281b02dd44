"""pytest fixtures for tests that need a real PostgreSQL server.

- ``pg_server_url`` (session): URL of a PostgreSQL server.  When the environment
  variable ``TRUSTPATH_TEST_PG_URL`` is set, that server is used as it is
  (its role needs CREATEDB).  Otherwise a throwaway server is started with
  :func:`ops.pgserver.start` in a pytest temp directory and stopped at the end of
  the session.  A server that fails to start is an error, never a skip: CI must
  not pass without PostgreSQL.
- ``pg_url`` (function): URL of a fresh, empty database on that server, dropped
  after the test (its connections are terminated first).

Register with ``pytest_plugins = ["tests.support.pg_fixture"]``.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterator

import pytest

from ops import pgserver

ENV_VAR = "TRUSTPATH_TEST_PG_URL"


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the PostgreSQL server for this test session."""
    external = os.environ.get(ENV_VAR, "").strip()
    if external:
        yield external
        return
    directory = tmp_path_factory.mktemp("pgserver")
    try:
        url = pgserver.start(directory)
    except BaseException:
        with contextlib.suppress(Exception):
            pgserver.stop(directory)
        raise
    try:
        yield url
    finally:
        pgserver.stop(directory)


def _database_name(test_name: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", test_name.lower()).strip("_")[:32]
    return f"t_{slug}_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def pg_url(pg_server_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a fresh, empty database that only this test uses."""
    name = _database_name(request.node.name)
    url = pgserver.create_database(pg_server_url, name)
    try:
        yield url
    finally:
        pgserver.drop_database(pg_server_url, name)
