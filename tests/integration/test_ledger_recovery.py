"""The ledger after a failed page: the runner's retry ends exactly where a clean build does.

A page fails in the middle (after its leaves, nodes and checkpoints were written in the
page's transaction) or because the signing key is missing when a checkpoint falls due; the
runner rolls the page back; the retry, with the failure gone, must leave the same leaves,
nodes and gaps as a build that never failed, signed roots that are the tree's, and a
verifier that passes. Also: `tick` signs a quiet log, and a production configuration
without a key stops at start-up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Connection, Engine

from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from ops.cli import main
from ops.config import store_env
from ops.demo import play
from projections.engine import make_engine
from projections.errors import ProjectionFailedError
from projections.ledger import start_ticking, tick, ticking
from projections.ledger.checkpoints import LedgerKeyError, Signer, verify_checkpoint
from projections.ledger.merkle import MemoryTree, root
from projections.ledger.projection import LedgerProjection
from projections.ledger.recompute import read_ledger, recompute
from projections.ledger.store import LedgerStore
from projections.ledger.tables import LedgerTables
from projections.ledger.verify import verify
from projections.positions import insert_position
from projections.protocol import Target
from projections.read_side import ReadSide
from projections.rebuild import build_outdated
from projections.runner import Runner
from projections.wiring import attach

pytestmark = [pytest.mark.integration]

PAGE = 7
EVERY = 5


class PageFailure(RuntimeError):
    """The injected failure."""


class FailingOnce(LedgerProjection):
    """Fails its `fail_on`-th page once, after the page wrote everything it writes."""

    def __init__(self, signer: Signer | Callable[[], Signer], fail_on: int) -> None:
        super().__init__(signer, every_events=EVERY)
        self.fail_on, self.pages = fail_on, 0

    def apply(self, conn: Connection, page: Sequence[Any]) -> None:
        super().apply(conn, page)
        self.pages += 1
        if self.pages == self.fail_on:
            raise PageFailure("injected in the middle of a ledger page")


class KeyMissingOnce:
    """A signer factory: no key the first time it is asked, the key afterwards."""

    def __init__(self, signer: Signer) -> None:
        self.signer, self.asked = signer, 0

    def __call__(self) -> Signer:
        self.asked += 1
        if self.asked == 1:
            raise LedgerKeyError("no ledger key (injected)")
        return self.signer


@contextmanager
def opened(url: str) -> Iterator[tuple[Trustpath, Engine]]:
    """The application on `url` and an engine for its read side (both closed after)."""
    app = Trustpath(store_env(url), master_key=MasterKey.generate())
    engine = make_engine(url)
    try:
        yield app, engine
    finally:
        app.close()
        engine.dispose()


def build_clean(read_side: ReadSide) -> LedgerTables:
    """A second version of the ledger, built beside the live one by a runner that never fails."""
    projection = LedgerProjection(signer=None)
    target = Target(projection, "clean")
    read_side.metadata(target).create_all(read_side.engine)
    with read_side.engine.begin() as conn:
        insert_position(conn, target, live=False)
    Runner(read_side.app, read_side.engine, PAGE).catch_up([target])
    return projection.tables.of("clean")


def rows(engine: Engine, table: sa.Table) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        query = sa.select(table).order_by(*table.primary_key.columns)
        return [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
            for r in conn.execute(query)
        ]


def assert_equal_to_a_clean_build(read_side: ReadSide, projection: LedgerProjection) -> None:
    engine = read_side.engine
    with engine.connect() as conn:
        live = projection.tables.of(read_side.live_suffix(conn, "ledger"))
    clean = build_clean(read_side)
    for mine, theirs in [(live.leaves, clean.leaves), (live.nodes, clean.nodes)]:
        assert rows(engine, mine) == rows(engine, theirs)
    assert rows(engine, live.gaps) == rows(engine, clean.gaps)
    assert len(rows(engine, live.leaves)) == read_side.app.recorder.max_notification_id()


def assert_signed_roots_are_the_trees(url: str, store: LedgerStore, signer: Signer) -> None:
    leaves = recompute(url)
    tree = MemoryTree([leaves.hash(i) for i in range(len(leaves))])
    checkpoints = store.checkpoints()
    assert checkpoints, "no checkpoint was signed"
    assert [c.tree_size for c in checkpoints] == sorted({c.tree_size for c in checkpoints})
    for c in checkpoints:
        assert verify_checkpoint(c, signer.public_key)
        assert c.root_hash == root(tree, c.tree_size) == store.root(c.tree_size)
    report = verify(url, checkpoints, signer.public_key, lambda: read_ledger(store.engine))
    assert report.ok, report.findings
    assert report.signed_size == max(c.tree_size for c in checkpoints)


@pytest.mark.parametrize("fail_on", [1, 3])
def test_ledger_retry_ends_equal_to_a_clean_build_when_a_page_failed_midway(
    store_url: str, fail_on: int
) -> None:
    signer = Signer.generate()
    with opened(store_url) as (app, engine):
        projection = FailingOnce(signer, fail_on)
        read_side = attach(app, engine, [projection], in_process=False, page_size=PAGE)
        play(app)
        with pytest.raises(ProjectionFailedError, match="PageFailure"):
            read_side.catch_up()
        assert read_side.catch_up() > 0
        assert_equal_to_a_clean_build(read_side, projection)
        assert_signed_roots_are_the_trees(store_url, LedgerStore(engine), signer)


def test_ledger_retry_ends_equal_to_a_clean_build_when_the_key_was_missing_at_a_checkpoint(
    store_url: str,
) -> None:
    signer = Signer.generate()
    with opened(store_url) as (app, engine):
        factory = KeyMissingOnce(signer)
        projection = LedgerProjection(factory, every_events=EVERY)
        read_side = attach(app, engine, [projection], in_process=False, page_size=PAGE)
        play(app)
        with pytest.raises(ProjectionFailedError, match="LedgerKeyError"):
            read_side.catch_up()
        assert read_side.catch_up() > 0
        assert factory.asked == 2
        assert_equal_to_a_clean_build(read_side, projection)
        assert_signed_roots_are_the_trees(store_url, LedgerStore(engine), signer)


def test_tick_signs_a_quiet_log_only_when_a_checkpoint_is_due(store_url: str) -> None:
    signer = Signer.generate()
    with opened(store_url) as (app, engine):
        play(app)
        projection = LedgerProjection(signer=None)
        read_side = attach(app, engine, [projection], in_process=False, rebuild_outdated=False)
        assert ticking.tick(engine, signer) is None  # no live ledger yet
        assert build_outdated(read_side) == []
        store = LedgerStore(engine)
        first = ticking.tick(engine, signer)
        assert first is not None
        assert first.tree_size == store.size()
        assert ticking.tick(engine, signer, every_seconds=0) is None  # nothing new
        play(app)
        read_side.catch_up()
        assert ticking.tick(engine, signer, every_seconds=3600) is None  # too recent
        assert ticking.tick(engine, signer, every_events=1) is not None  # far enough
        play(app)
        read_side.catch_up()
        later = datetime.now(UTC) + timedelta(seconds=61)
        assert ticking.tick(engine, signer, now=later - timedelta(seconds=60)) is None
        made = ticking.tick(engine, signer, now=later)
        assert made is not None
        assert made.tree_size == store.size()
        assert_signed_roots_are_the_trees(store_url, store, signer)


def test_tick_with_settings_uses_the_configured_key_file(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "ledger.key"
    signer = Signer.generate()
    key_file.write_bytes(signer.private_pem())
    monkeypatch.setenv("TRUSTPATH_LEDGER_KEY_FILE", str(key_file))
    with opened(sqlite_url) as (app, engine):
        play(app)
        attach(app, engine, [LedgerProjection(signer=None)], in_process=False).catch_up()
        made = tick(engine)
        assert made is not None
        assert made.key_id == signer.key_id
        assert tick(engine) is None


def test_start_ticking_signs_a_quiet_log_in_the_background_until_stopped(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "ledger.key"
    signer = Signer.generate()
    key_file.write_bytes(signer.private_pem())
    monkeypatch.setenv("TRUSTPATH_LEDGER_KEY_FILE", str(key_file))
    with opened(sqlite_url) as (app, engine):
        play(app)
        attach(app, engine, [LedgerProjection(signer=None)], in_process=False).catch_up()
        store = LedgerStore(engine)
        ticker = start_ticking(engine, every_s=0.01)
        try:
            for _ in range(1000):
                if store.latest_checkpoint() is not None:
                    break
                threading.Event().wait(0.01)
        finally:
            ticker.stop()
        latest = store.latest_checkpoint()
        assert latest is not None
        assert (latest.tree_size, latest.key_id) == (store.size(), signer.key_id)
        assert len(store.checkpoints()) == 1


def test_follow_stops_at_start_up_with_one_line_when_production_has_no_ledger_key(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "master.key"
    key.write_text(MasterKey.generate().as_text() + "\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRUSTPATH_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TRUSTPATH_MASTER_KEY_FILE", str(key))
    monkeypatch.setenv("TRUSTPATH_ENV", "production")
    monkeypatch.delenv("TRUSTPATH_LEDGER_KEY_FILE", raising=False)
    result = CliRunner().invoke(main, ["projections", "follow"])
    assert result.exit_code == 1
    assert "no ledger key" in result.output
    assert "TRUSTPATH_LEDGER_KEY_FILE" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "var" / "ledger.key").exists()
