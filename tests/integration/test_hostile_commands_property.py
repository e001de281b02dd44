"""Hypothesis: commands with hostile text and hostile times are either refused by the
domain (a TrustpathError, nothing recorded) or applied by every projection — status,
commitment ledger, timeline and audit ledger — on SQLite and on PostgreSQL.

Hostile text: control characters (NUL, ESC, C1), lone surrogates, noncharacters, private
use, format characters, line separators, very long strings. Hostile times: any year from
1 to 9999 in any zone from -14:00 to +14:00, and good times written at the far offsets.
Once the commands ran, a catch-up raises nothing, no projection is recorded as failing,
and every projection stands at the head of the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from domain.ciphers import MasterKey
from domain.commands import OpenEngagement
from domain.errors import TrustpathError
from domain.trustpath import Trustpath
from projections.engine import make_engine
from projections.read_side import ReadSide
from projections.wiring import attach
from tests.support.apps import make_app
from tests.support.builders import ADMIN
from tests.support.hostile import ZONES, any_time, hostile_steps, hostile_texts
from tests.support.hostile_story import Story
from tests.support.sequences import SequenceRun
from tests.support.steps import STAGES, Step

pytestmark = pytest.mark.integration

PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
"""No explain phase: on a failure it replays hundreds of whole engagements."""
PROJECTIONS = {"status", "commitment_ledger", "timeline", "ledger"}


def open_hostile(app: Trustpath, title: str, at: datetime) -> None:
    """Open an engagement with a hostile title and time: accepted, or refused cleanly."""
    before = app.recorder.max_notification_id()
    try:
        app.execute(
            None,
            ADMIN,
            OpenEngagement(
                occurred_at=at, title=title, organisation=title, context=title, sponsor="s"
            ),
        )
    except TrustpathError:
        assert app.recorder.max_notification_id() == before, "a refused opening recorded"
        event("hostile opening refused")
    else:
        event("hostile opening accepted")


def play(app: Trustpath, stage: str, title: str, at: datetime, sequence: list[Step]) -> None:
    open_hostile(app, title, at)
    run = SequenceRun.start(app, stage)
    for step in sequence:
        run.play(step)  # accepted, or a TrustpathError with nothing recorded
    event(f"accepted commands: {min(len(run.accepted), 5)}+ of {len(sequence)}")


def assert_every_projection_applied_everything(read_side: ReadSide) -> None:
    read_side.catch_up()
    assert read_side.failures() == []
    head = read_side.max_position()
    reached = {r.name: int(r.position) for r in read_side.rows() if r.live}
    assert reached == dict.fromkeys(PROJECTIONS, head)


STORY_TEXTS = 40
STORES = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
COMMANDS_EXAMPLES = {"sqlite": 30, "postgres": 12}
STORY_EXAMPLES = {"sqlite": 15, "postgres": 8}
"""Fewer examples on PostgreSQL: each one is a whole engagement over the network."""


def budget(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        phases=PHASES,
    )


@pytest.fixture(params=STORES)
def live(request: pytest.FixtureRequest, master_key: MasterKey) -> Iterator[ReadSide]:
    """An application and its read side attached in-process, on SQLite or PostgreSQL."""
    url = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))
    app = make_app(url, master_key)
    engine = make_engine(url)
    read_side = attach(app, engine)
    yield read_side
    read_side.close()
    app.close()
    engine.dispose()


def store_of(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["live"])


def test_every_accepted_hostile_command_is_applied_by_every_projection(
    live: ReadSide, request: pytest.FixtureRequest
) -> None:
    @budget(COMMANDS_EXAMPLES[store_of(request)])
    @given(
        stage=st.sampled_from(STAGES),
        title=hostile_texts,
        at=st.one_of(any_time, st.just(datetime.now(UTC) - timedelta(days=40))),
        sequence=st.lists(hostile_steps, min_size=3, max_size=15),
    )
    def check(stage: str, title: str, at: datetime, sequence: list[Step]) -> None:
        play(live.app, stage, title, at, sequence)  # type: ignore[arg-type]
        assert_every_projection_applied_everything(live)

    check()


def test_a_whole_engagement_told_in_hostile_text_is_applied_by_every_projection(
    live: ReadSide, request: pytest.FixtureRequest
) -> None:
    @budget(STORY_EXAMPLES[store_of(request)])
    @given(
        texts=st.lists(hostile_texts, min_size=STORY_TEXTS, max_size=STORY_TEXTS),
        zones=st.lists(ZONES, min_size=1, max_size=4),
    )
    def check(texts: list[str], zones: list[tzinfo]) -> None:
        story = Story(live.app, texts, zones)  # type: ignore[arg-type]
        story.tell()
        event(f"hostile texts accepted: {story.accepted // 10 * 10}+")
        assert_every_projection_applied_everything(live)

    check()
