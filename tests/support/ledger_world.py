"""A sealed, checkpointed engagement for the ledger's integration tests.

`sealed_world(url, tmp_path)` plays the demo engagement, records reads (granted and
refused), seals everything into the ledger with small pages, signs checkpoints, and exports
them and the public key to files: what an auditor holds before anyone tampers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from domain.ciphers import MasterKey
from domain.errors import ActionNotAllowedError
from domain.trustpath import Trustpath
from domain.values import Actor
from ops.config import store_env
from ops.demo import play
from projections.engine import make_engine
from projections.ledger.checkpoints import Signer, read_jsonl, write_jsonl
from projections.ledger.projection import LedgerProjection
from projections.ledger.recompute import read_ledger
from projections.ledger.store import LedgerStore
from projections.ledger.verify import Report, verify
from projections.read_side import ReadSide
from projections.wiring import attach


@dataclass
class World:
    url: str
    app: Trustpath
    read_side: ReadSide
    store: LedgerStore
    signer: Signer
    engagement_id: UUID
    protagonists: list[str]
    checkpoints_file: Path

    def seal(self) -> None:
        self.read_side.catch_up()

    def checkpoint_and_export(self) -> None:
        self.seal()
        self.store.checkpoint(self.signer)
        write_jsonl(self.store.checkpoints(), self.checkpoints_file)

    def verify(self) -> Report:
        return verify(
            self.url,
            read_jsonl(self.checkpoints_file),
            self.signer.public_key,
            lambda: read_ledger(self.store.engine),
        )

    def read_everything(self) -> None:
        """Each protagonist and coach reads the protagonist's notes; the other is refused."""
        engagement = self.app.engagement(self.engagement_id)
        for field, (owner, _version) in list(engagement.content_index.items())[:4]:
            coach = engagement.protagonists[owner]["coach_id"]
            self.app.read_content(self.engagement_id, Actor(owner, "protagonist"), field, "review")
            self.app.read_content(self.engagement_id, Actor(coach, "coach"), field, "preparation")
            other = next(p for p in self.protagonists if p != owner)
            with suppress(ActionNotAllowedError):
                self.app.read_content(self.engagement_id, Actor(other, "protagonist"), field, "x")


@contextmanager
def sealed_world(url: str, tmp_path: Path, page_size: int = 7) -> Iterator[World]:
    app = Trustpath(store_env(url), master_key=MasterKey.generate())
    engine = make_engine(url)
    signer = Signer.generate()
    read_side = attach(app, engine, [LedgerProjection(signer)], page_size=page_size)
    try:
        run = play(app)
        protagonists = list(app.engagement(run.engagement_id).protagonists)
        world = World(
            url,
            app,
            read_side,
            LedgerStore(engine),
            signer,
            run.engagement_id,
            protagonists,
            tmp_path / "checkpoints.jsonl",
        )
        world.checkpoint_and_export()
        yield world
    finally:
        read_side.close()
        app.close()
        engine.dispose()
