"""Putting the read side together for one application: catalogue, handle, rebuilds.

    app.on_saved ──▶ ReadSide.catch_up()        in-process (default): a command returns
                                                only once the projections reflect it
    trustpath projections follow ──▶ follow()   a separate process (projections/follow.py)

`attach(app, engine)` makes the handle (projections/read_side.py) over every projection of
the catalogue (projections/catalogue.py), makes sure each has a live version of its current
code version (projections/rebuild.py builds one beside the old if needed) and registers on
`app.on_saved`. Queries go through `ReadSide.view(name)`, which resolves the live version's
tables; `wait_for(position)` is read-your-writes.

This is the one module that knows all three; none of them imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.application import Application
from sqlalchemy.engine import Engine

from projections.catalogue import all_projections
from projections.protocol import Projection
from projections.read_side import ReadSide
from projections.rebuild import build_outdated
from projections.runner import DEFAULT_PAGE_SIZE

__all__ = ["ReadSide", "attach"]


def attach(
    app: Application[Any],
    engine: Engine,
    projections: Sequence[Projection] | None = None,
    *,
    in_process: bool = True,
    rebuild_outdated: bool = True,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> ReadSide:
    """Build the read side: create what is missing, build outdated versions, catch up."""
    read_side = ReadSide(app, engine, projections or all_projections(), page_size)
    read_side.create_positions_table()
    if rebuild_outdated:
        build_outdated(read_side)
    if in_process:
        read_side.attach_in_process()
        read_side.catch_up_quietly()
    return read_side
