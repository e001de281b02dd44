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
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from domain.errors import TrustpathError
from domain.trustpath import Trustpath
from domain.values import Actor
from projections.engine import make_engine
from projections.read_side import ReadSide
from projections.wiring import attach
from tests.unit.builders import ADMIN
from tests.unit.sequences import (
    ACTORS,
    CHALLENGES,
    COMMAND_POOL,
    NUMBERS,
    STAGES,
    SequenceRun,
    Step,
)

pytestmark = pytest.mark.integration

PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
"""No explain phase: on a failure it replays hundreds of whole engagements."""
PROJECTIONS = {"status", "commitment_ledger", "timeline", "ledger"}
HOSTILE_CHARACTERS = st.characters(
    categories=["Cc", "Cs", "Cn", "Co", "Cf", "Zl", "Zp", "Zs", "L", "M", "N", "P", "S"]
)
SHARP_TEXTS = (
    "\x00",
    "Plain\x00words",
    "\ud800",
    "x\udfff",
    "\ufffe",
    "\U0010ffff",
    "\x1b[2J",
    "\x85",
    "tab\tand\r\nbreaks",
    "\u2028\u202e\u200b",
    "x" * 20_001,
    "x" * 20_000,
)
EXOTIC_CHARACTERS = st.one_of(
    st.characters(categories=["L", "M", "N", "P", "S", "Zs", "Zl", "Zp", "Cf", "Co"]),
    st.sampled_from("\t\n\r"),
)
exotic_texts = st.text(EXOTIC_CHARACTERS, min_size=1, max_size=40).filter(str.strip)
"""Texts every store can carry, from any script: the domain must accept these."""
hostile_texts = st.one_of(
    st.just("Plain words."),
    exotic_texts,
    exotic_texts,
    st.sampled_from(SHARP_TEXTS),
    st.text(HOSTILE_CHARACTERS, min_size=1, max_size=40),
)
ZONES = st.sampled_from(
    [
        UTC,
        *(timezone(timedelta(hours=h)) for h in (14, -14, 5.75, -9.5)),
        timezone(timedelta(hours=13, minutes=59)),
        timezone(-timedelta(hours=13, minutes=59)),
    ]
)
any_time = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=ZONES
)
good_whens = st.sampled_from(("ok", "ok", "zone:14", "zone:-14", "zone:-13.99", "zone:5.75"))
hostile_whens = st.one_of(
    good_whens,
    good_whens,
    st.sampled_from(("future", "before")),
    any_time.map(lambda at: f"at:{at.isoformat()}"),
)
hostile_steps = st.builds(
    Step,
    command=st.sampled_from(COMMAND_POOL),
    actor=st.sampled_from(ACTORS),
    target=st.sampled_from((0, 1) * 6 + (2, 3)),
    other=st.sampled_from((0, 1, 2) * 4 + (3,)),
    text=hostile_texts,
    challenge=st.sampled_from(CHALLENGES),
    number=st.sampled_from(NUMBERS),
    when=hostile_whens,
    ref=st.integers(0, 3),
)


def open_hostile(app: Trustpath, title: str, at: datetime) -> None:
    """Open an engagement with a hostile title and time: accepted, or refused cleanly."""
    before = app.recorder.max_notification_id()
    try:
        app.open_engagement(ADMIN, at, title=title, organisation=title, context=title, sponsor="s")
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


class Story:
    """One engagement told from opening to erasure, every text drawn hostile and every time
    written in a drawn zone; a refused command (a TrustpathError, nothing recorded) is sent
    again with plain words so the story goes on. Most hostile texts are carried, so most
    commands are accepted: the projections see them all."""

    def __init__(self, app: Trustpath, texts: list[str], zones: list[tzinfo]) -> None:
        self.app, self.texts, self.zones = app, iter(texts), zones
        self.clock = datetime.now(UTC) - timedelta(days=30)
        self.ticks = 0
        self.eid: Any = None
        self.accepted = 0

    def at(self) -> datetime:
        self.ticks += 1
        return (self.clock + timedelta(minutes=self.ticks)).astimezone(
            self.zones[self.ticks % len(self.zones)]
        )

    def send(self, command: str, actor: Actor, /, **args: Any) -> Any:
        """Send `command` with the next hostile text for every "T" argument."""
        text = next(self.texts)
        method = getattr(self.app, command)
        at = self.at()
        before = self.app.recorder.max_notification_id()
        prefix = () if self.eid is None else (self.eid,)
        try:
            receipt = method(*prefix, actor, at, **_filled(args, text))
            self.accepted += 1
            return receipt
        except TrustpathError:
            assert self.app.recorder.max_notification_id() == before, f"{command} recorded"
        return method(*prefix, actor, at, **_filled(args, "Plain words."))

    def tell(self) -> None:
        self.eid = self.send(
            "open_engagement", ADMIN, title="T", organisation="T", context="T", sponsor="s"
        ).engagement_id
        self.send(
            "sign_agreement",
            ADMIN,
            parties=["T"],
            confidentiality="T",
            sponsor_may_be_told=["phase"],  # a vocabulary, not free text (domain.sponsor)
            retention_days=30,
        )
        p1 = self.send("enrol_protagonist", ADMIN, name="T", kind="person").item_id
        p2 = self.send("enrol_protagonist", ADMIN, name="T", kind="entity").item_id
        coaches = {p1: Actor("coach-a", "coach"), p2: Actor("coach-b", "coach")}
        for pid, coach in coaches.items():
            self.send("assign_coach", ADMIN, protagonist_id=pid, coach_id=coach.id, coach_name="T")
            self.send("give_consent", coach, protagonist_id=pid, scope="coaching", evidence="T")
            self.send(
                "hold_individual_session",
                coach,
                protagonist_id=pid,
                duration_minutes=50,
                challenges=["presence"],
                notes="T",
            )
            self.send("declare_intention", coach, protagonist_id=pid, text="T")
            self.send("share_intention", coach, protagonist_id=pid, shared_text="T")
        self.relationship_space(coaches[p1], p1, p2)
        self.send("pause", ADMIN, reason="T")
        self.send("resume", ADMIN)
        self.send("close_early", ADMIN, reason="T")
        self.send(
            "hold_follow_up", coaches[p1], months_after=3, trust_lasted=True, shared_notes="T"
        )
        self.send("execute_erasure", ADMIN, protagonist_id=p1, request_reference="T")

    def relationship_space(self, coach: Actor, p1: str, p2: str) -> None:
        self.send(
            "record_presence_setback", coach, challenge="confrontation", present=[p1], note="T"
        )
        sid = self.send(
            "hold_relationship_session",
            coach,
            challenge="confrontation",
            present=[p1, p2],
            duration_minutes=90,
            shared_notes="T",
            made_explicit=["T"],
            decisions=["T"],
        ).item_id
        self.send(
            "assess_trust",
            coach,
            protagonist_id=p1,
            toward_id=p2,
            challenge="confrontation",
            score=6,
        )
        terms = {
            "owners": [p1],
            "to_whom": [p2],
            "what": "T",
            "due_on": self.at().date() + timedelta(days=9),
        }
        first = self.send(
            "make_commitment", coach, session_id=sid, challenge="confrontation", **terms
        ).item_id
        self.send("honour_commitment", coach, commitment_id=first, evidence="T")
        second = self.send(
            "make_commitment", coach, session_id=sid, challenge="confrontation", **terms
        ).item_id
        third = self.send(
            "renegotiate_commitment", coach, commitment_id=second, reason="T", **terms
        ).item_id
        self.send("break_commitment", coach, commitment_id=third, reason="T")


def _filled(args: dict[str, Any], text: str) -> dict[str, Any]:
    """The arguments with every "T" (alone or in a list) replaced by `text`."""

    def fill(value: Any) -> Any:
        if value == "T":
            return text
        return [fill(v) for v in value] if isinstance(value, list) else value

    return {name: fill(value) for name, value in args.items()}


STORY_TEXTS = 40


@pytest.fixture
def sqlite_live(sqlite_app: Trustpath, sqlite_url: str) -> Iterator[ReadSide]:
    engine = make_engine(sqlite_url)
    read_side = attach(sqlite_app, engine)
    yield read_side
    read_side.close()
    engine.dispose()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=PHASES,
)
@given(
    stage=st.sampled_from(STAGES),
    title=hostile_texts,
    at=st.one_of(any_time, st.just(datetime.now(UTC) - timedelta(days=40))),
    sequence=st.lists(hostile_steps, min_size=3, max_size=15),
)
def test_every_accepted_hostile_command_is_applied_by_every_projection_on_sqlite(
    sqlite_live: ReadSide, stage: str, title: str, at: datetime, sequence: list[Step]
) -> None:
    play(sqlite_live.app, stage, title, at, sequence)  # type: ignore[arg-type]
    assert_every_projection_applied_everything(sqlite_live)


@pytest.fixture
def pg_live(pg_url: str, master_key: Any) -> Iterator[ReadSide]:
    from tests.conftest import make_app

    app = make_app(pg_url, master_key)
    engine = make_engine(pg_url)
    read_side = attach(app, engine)
    yield read_side
    read_side.close()
    app.close()
    engine.dispose()


@pytest.mark.postgres
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=PHASES,
)
@given(
    stage=st.sampled_from(STAGES),
    title=hostile_texts,
    at=st.one_of(any_time, st.just(datetime.now(UTC) - timedelta(days=40))),
    sequence=st.lists(hostile_steps, min_size=3, max_size=15),
)
def test_every_accepted_hostile_command_is_applied_by_every_projection_on_postgresql(
    pg_live: ReadSide, stage: str, title: str, at: datetime, sequence: list[Step]
) -> None:
    play(pg_live.app, stage, title, at, sequence)  # type: ignore[arg-type]
    assert_every_projection_applied_everything(pg_live)


STORY = given(
    texts=st.lists(hostile_texts, min_size=STORY_TEXTS, max_size=STORY_TEXTS),
    zones=st.lists(ZONES, min_size=1, max_size=4),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=PHASES,
)
@STORY
def test_a_whole_engagement_told_in_hostile_text_is_applied_by_every_projection_on_sqlite(
    sqlite_live: ReadSide, texts: list[str], zones: list[tzinfo]
) -> None:
    story = Story(sqlite_live.app, texts, zones)  # type: ignore[arg-type]
    story.tell()
    event(f"hostile texts accepted: {story.accepted // 10 * 10}+")
    assert_every_projection_applied_everything(sqlite_live)


@pytest.mark.postgres
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=PHASES,
)
@STORY
def test_a_whole_engagement_told_in_hostile_text_is_applied_by_every_projection_on_postgresql(
    pg_live: ReadSide, texts: list[str], zones: list[tzinfo]
) -> None:
    story = Story(pg_live.app, texts, zones)  # type: ignore[arg-type]
    story.tell()
    event(f"hostile texts accepted: {story.accepted // 10 * 10}+")
    assert_every_projection_applied_everything(pg_live)
