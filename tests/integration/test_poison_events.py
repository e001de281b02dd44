"""A projection that fails on an event is visible: the runner applies everything before
that event, records the projection, the position and a short error (no content), and
`trustpath projections status` and `/health/ready` name them.

The poison event is one the domain refuses today (a time in year 1 at +14:00, which no
projection can convert to UTC); it is written here as an older trustpath would have
written it, by forcing it past the command's check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from click.testing import CliRunner

from api import create_app
from domain.ciphers import MasterKey
from domain.engagement import Engagement
from domain.state import Command
from domain.trustpath import Trustpath
from domain.values import Policy
from ops.cli import main
from ops.config import store_env
from projections.engine import make_engine
from projections.errors import ProjectionFailedError
from projections.positions import positions
from projections.read_side import ReadSide
from projections.wiring import attach
from tests.support.builders import ADMIN, EngagementBuilder

pytestmark = pytest.mark.integration

SECRET_TITLE = "Board of SECRET-MARKER"
YEAR_ONE = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))


def write_poison(app: Trustpath) -> int:
    """Store an engagement opened in year 1 at +14:00; the position of its event."""
    cmd = Command(ADMIN, datetime.now(UTC), datetime.now(UTC))
    object.__setattr__(cmd, "occurred_at", YEAR_ONE)  # as stored before the check existed
    engagement = Engagement.open(
        cmd,
        engagement_id=uuid4(),
        title=SECRET_TITLE,
        organisation="o",
        context="",
        sponsor="s",
        policy=Policy(),
    )
    return app.save_and_notify(engagement)


@dataclass
class Poisoned:
    app: Trustpath
    read_side: ReadSide
    poison: int
    url: str
    key_file: Path


@pytest.fixture
def poisoned(sqlite_url: str, tmp_path: Path) -> Iterator[Poisoned]:
    key = MasterKey.generate()
    key_file = tmp_path / "master.key"
    key_file.write_text(key.as_text() + "\n")
    app = Trustpath(store_env(sqlite_url), master_key=key)
    engine = make_engine(sqlite_url)
    read_side = attach(app, engine, in_process=False)
    EngagementBuilder(app).contracted()
    poison = write_poison(app)
    EngagementBuilder(app).contracted()
    yield Poisoned(app, read_side, poison, sqlite_url, key_file)
    read_side.close()
    engine.dispose()
    app.close()


def positions_of(read_side: ReadSide) -> dict[str, int]:
    return {r.name: int(r.position) for r in read_side.rows() if r.live}


def test_catch_up_applies_every_event_before_the_poison_one_and_names_its_position(
    poisoned: Poisoned,
) -> None:
    read_side = poisoned.read_side
    with pytest.raises(ProjectionFailedError):
        read_side.catch_up()
    head = read_side.max_position()
    reached = positions_of(read_side)
    assert reached.pop("status") == poisoned.poison - 1
    assert set(reached.values()) == {head}  # the other projections carry the event
    (failure,) = read_side.failures()
    assert (failure.name, failure.position) == ("status", poisoned.poison)
    assert failure.error == "OverflowError: date value out of range"


def test_failure_is_recorded_without_any_content_of_the_event(poisoned: Poisoned) -> None:
    with pytest.raises(ProjectionFailedError):
        poisoned.read_side.catch_up()
    (failure,) = poisoned.read_side.failures()
    assert "SECRET" not in failure.error


def test_failure_falls_silent_once_the_projection_moves_past_it(poisoned: Poisoned) -> None:
    read_side = poisoned.read_side
    with pytest.raises(ProjectionFailedError):
        read_side.catch_up()
    assert read_side.failures() != []
    with read_side.engine.begin() as conn:  # as if the code were fixed and the event applied
        conn.execute(
            positions.update().where(positions.c.name == "status").values(position=poisoned.poison)
        )
    read_side.catch_up()
    assert read_side.failures() == []


def test_projections_status_names_the_failing_projection_its_position_and_error(
    poisoned: Poisoned,
) -> None:
    with pytest.raises(ProjectionFailedError):
        poisoned.read_side.catch_up()
    env = {
        "TRUSTPATH_DATABASE_URL": poisoned.url,
        "TRUSTPATH_MASTER_KEY_FILE": str(poisoned.key_file),
    }
    result = CliRunner().invoke(main, ["projections", "status"], env=env, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "failing projections" in result.output
    line = next(x for x in result.output.splitlines() if "OverflowError" in x)
    assert "status" in line
    assert str(poisoned.poison) in line
    assert "SECRET" not in result.output


def test_ready_is_degraded_and_names_the_failing_projection(poisoned: Poisoned) -> None:
    with pytest.raises(ProjectionFailedError):
        poisoned.read_side.catch_up()
    flask_app = create_app(poisoned.app, config={"TESTING": True}, read_side=poisoned.read_side)
    try:
        r = flask_app.test_client().get("/health/ready")
    finally:
        flask_app.extensions["trustpath.principals"].close()
    assert r.status_code == 200
    body: Any = r.json
    assert body["status"] == "degraded"
    assert body["failing_projections"] == [
        {
            "projection": "status",
            "position": poisoned.poison,
            "error": "OverflowError: date value out of range",
        }
    ]
