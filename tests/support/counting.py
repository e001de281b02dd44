"""A projection that counts every event it is given (a duplicate page shows as a surplus,
a fault can be injected at one position), and a short engagement to feed it."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domain.trustpath import Trustpath
from projections.protocol import Item
from projections.read_side import ReadSide
from projections.sql import Versions
from tests.support.builders import EngagementBuilder


class Counting:
    """Counts every event it is given: a duplicate page would show as a surplus."""

    name = "counting"
    version = 1
    needs_events = False

    def __init__(self, fail_at: int = 0) -> None:
        self.fail_at = fail_at
        self.tables: Versions[sa.Table] = Versions(self._table)

    @staticmethod
    def _table(metadata: sa.MetaData, suffix: str) -> sa.Table:
        return sa.Table(
            f"test_counting_{suffix}",
            metadata,
            sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        )

    def define(self, metadata: sa.MetaData, suffix: str) -> None:
        self.tables.define(metadata, suffix)

    def apply(self, conn: Connection, page: Sequence[Item]) -> None:
        table = self.tables.applying(conn)
        for item in page:  # one row at a time, so a fault lands mid-page
            if item.notification.id == self.fail_at:
                raise RuntimeError("injected fault")
            conn.execute(table.insert().values(position=item.notification.id))

    def count(self, read_side: ReadSide) -> int:
        with read_side.view(self.name) as (conn, suffix):
            table = self.tables.of(suffix)
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def play(app: Trustpath) -> EngagementBuilder:
    builder = EngagementBuilder(app).at_gate()
    builder.relationship_session()
    builder.commitment()
    return builder
