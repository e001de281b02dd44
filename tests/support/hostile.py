"""Hostile input for the property tests: texts no store should choke on (control
characters, lone surrogates, noncharacters, very long strings), times from year 1 to 9999
in any zone from -14:00 to +14:00, and command steps carrying them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from tests.support.steps import ACTORS, CHALLENGES, COMMAND_POOL, NUMBERS, Step

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
