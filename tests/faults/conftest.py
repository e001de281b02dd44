"""Fault drills on real processes and a real PostgreSQL that the tests stop and restart.

pg          the module's own throwaway PostgreSQL server (restarting it disturbs no other
            test): `url`, `restart(mode, while_down)` (pg_ctl stop -m immediate|fast, then
            start on the same port)
deployment  a fresh database on it, key files, an admin token; starts `trustpath serve`
            and `trustpath projections follow` as processes and stops them at the end
(Pg, Deployment, Client and the bounded poll `until` live in tests/support/drills.py.)
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ops import pgserver
from tests.support.drills import Deployment, Pg
from tests.support.served import served_env


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pg]:
    """The module's own PostgreSQL server, committing synchronously: the throwaway server
    acknowledges commits before their WAL is written (fast tests), so a crash (stop -m
    immediate) would lose acknowledged commits that a production server keeps."""
    directory = tmp_path_factory.mktemp("faultpg")
    try:
        url = pgserver.start(directory)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET synchronous_commit = 'on'")
            conn.execute("SELECT pg_reload_conf()")
        yield Pg(directory, url)
    finally:
        pgserver.stop(directory)


@pytest.fixture
def deployment(pg: Pg, tmp_path: Path) -> Iterator[Deployment]:
    """A fresh database on the module's server, with key files; processes stopped after."""
    name = f"fault_{uuid.uuid4().hex[:12]}"
    url = pgserver.create_database(pg.url, name)
    env = served_env(url, tmp_path)
    deployed = Deployment(tmp_path, url, env)
    try:
        yield deployed
    finally:
        deployed.stop_all()
        with contextlib.suppress(Exception):  # the server may be down if the test failed
            pgserver.drop_database(pg.url, name)
