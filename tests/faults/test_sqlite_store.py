"""SQLite that cannot write: a full disk (a real one: a tiny tmpfs filled to the last byte)
and a read-only database. Commands answer 503 problem+json with a clear title and
Retry-After, never 500; with room again, the same server serves again."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from api import create_app
from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from ops.config import store_env
from projections.engine import make_engine
from projections.wiring import attach
from tests.support.api_world import TEST_CONFIG, body

pytestmark = pytest.mark.integration


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (the tests run as root; a failure to mount is an error, not a skip)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


class Api:
    def __init__(self, app: Trustpath, url: str) -> None:
        self.app, self.engine = app, make_engine(url)
        self.read_side = attach(app, self.engine)
        config = {**TEST_CONFIG, "DATABASE_URL": url}
        self.flask = create_app(app, config=config, read_side=self.read_side)
        store = self.flask.extensions["trustpath.principals"]
        self.headers = {"Authorization": f"Bearer {store.add('admin', 'admin')[1]}"}
        self.client: FlaskClient = self.flask.test_client()

    def post(self, path: str, key: str, **fields: Any) -> Any:
        headers = {**self.headers, "Idempotency-Key": key}
        return self.client.post(path, json=body(**fields), headers=headers)

    def open(self) -> str:
        opened = self.post("/engagements", "open", title="t", organisation="o", sponsor="s")
        assert opened.status_code == 201
        return str(opened.json["engagement_id"])

    def close(self) -> None:
        self.flask.extensions["trustpath.principals"].close()
        self.read_side.close()
        self.engine.dispose()
        self.app.close()


def fill(disk: Path) -> Path:
    """Write a file until the disk has no byte left."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 512)
        except OSError:
            pass
    return filler


def assert_503_store_problem(answer: Any, name: str, title: str) -> None:
    assert answer.status_code == 503, answer.json
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.json["type"] == f"/problems/{name}"
    assert answer.json["title"] == title


def test_a_command_on_a_full_sqlite_disk_is_503_store_full_and_serves_again_with_room(
    tiny_disk: Path,
) -> None:
    url = f"sqlite:///{tiny_disk / 'trustpath.db'}"
    api = Api(Trustpath(store_env(url), master_key=MasterKey.generate()), url)
    try:
        eid = api.open()
        filler = fill(tiny_disk)
        answers = [
            api.post(f"/engagements/{eid}/protagonists", f"p{i}", name=f"P{i}") for i in range(200)
        ]
        statuses = [a.status_code for a in answers]
        assert 500 not in statuses
        refused = next(a for a in answers if a.status_code != 201)
        assert_503_store_problem(
            refused, "StoreFull", "The store's disk is full; nothing was stored."
        )
        filler.unlink()
        again = api.post(f"/engagements/{eid}/protagonists", "after", name="After")
        assert again.status_code == 201
    finally:
        api.close()


def test_a_command_on_a_read_only_sqlite_database_is_503_store_read_only(tmp_path: Path) -> None:
    path = tmp_path / "trustpath.db"
    url, key = f"sqlite:///{path}", MasterKey.generate()
    writable = Api(Trustpath(store_env(url), master_key=key), url)
    eid = writable.open()
    writable.close()
    read_only = store_env(url) | {"SQLITE_DBNAME": f"file:{path}?mode=ro"}
    api = Api(Trustpath(read_only, master_key=key), url)
    try:
        answer = api.post(f"/engagements/{eid}/protagonists", "p", name="P")
        assert_503_store_problem(
            answer, "StoreReadOnly", "The store is read-only; nothing was stored."
        )
        assert api.client.get(f"/engagements/{eid}", headers=api.headers).status_code == 200
    finally:
        api.close()
