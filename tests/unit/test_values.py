"""Malformed values refused before any command runs: the actor, the policy, every text and
every time a command carries (so that no accepted event can stop a projection)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain import errors
from domain.commands import DeclareIntention, MakeCommitment, OpenEngagement
from domain.values import MAX_TEXT_LENGTH, Actor, Policy, check_occurred_at, check_text
from tests.support.builders import ADMIN, EngagementBuilder

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("actor_id", "role"), [("", "coach"), ("  ", "admin"), ("x", "king")])
def test_actor_is_refused_when_its_id_is_empty_or_its_role_unknown(
    actor_id: str, role: str
) -> None:
    with pytest.raises(errors.InvalidValueError):
        Actor(actor_id, role)


@pytest.mark.parametrize(
    "changes",
    [
        {"min_individual_sessions": -1},
        {"min_individual_before_gate": -2},
        {"relationship_challenges": ()},
        {"relationship_challenges": ("presence",)},
        {"relationship_challenges": ("confrontation", "trust")},
    ],
    ids=str,
)
def test_policy_is_refused_when_its_minimums_or_challenges_are_malformed(
    changes: dict[str, object],
) -> None:
    with pytest.raises(errors.InvalidValueError):
        Policy(**changes)  # type: ignore[arg-type]


def test_policy_round_trips_through_its_stored_form() -> None:
    policy = Policy(min_individual_sessions=8, per_protagonist=True, strict_order=False)
    assert Policy.from_dict(policy.as_dict()) == policy


def test_unknown_value_error_names_what_is_allowed() -> None:
    with pytest.raises(errors.InvalidValueError, match="allowed: admin, coach"):
        Actor("x", "king")


HOSTILE_TEXTS = {
    "nul": "a\x00b",
    "escape": "\x1b[31mred",
    "delete": "\x7f",
    "c1 control": "\x85",
    "lone high surrogate": "\ud800",
    "lone low surrogate": "x\udfff",
    "noncharacter": "\ufffe",
    "noncharacter of a supplementary plane": "\U0010ffff",
}


@pytest.mark.parametrize("text", HOSTILE_TEXTS.values(), ids=HOSTILE_TEXTS.keys())
def test_text_is_refused_when_it_holds_a_character_no_store_can_carry(text: str) -> None:
    with pytest.raises(errors.MalformedTextError, match="U\\+") as info:
        check_text(text, "notes")
    assert info.value.field == "notes"
    assert text not in str(info.value)


@pytest.mark.parametrize(
    "text", ["tab\there", "lines\nand\r\n", "Zoë, 東京, مرحبا, 😀", "\u202eright to left"]
)
def test_text_is_kept_when_it_holds_layout_characters_and_any_script(text: str) -> None:
    assert check_text(text, "notes") == text


def test_text_is_refused_when_longer_than_the_maximum() -> None:
    assert check_text("x" * MAX_TEXT_LENGTH, "what")
    with pytest.raises(errors.MalformedTextError, match="longer"):
        check_text("x" * (MAX_TEXT_LENGTH + 1), "what")


PLUS_14 = timezone(timedelta(hours=14))
MINUS_14 = timezone(-timedelta(hours=14))


@pytest.mark.parametrize(
    "at",
    [
        datetime(1, 1, 1, tzinfo=PLUS_14),
        datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=MINUS_14),
    ],
    ids=str,
)
def test_occurred_at_is_refused_outside_the_times_trustpath_records(at: datetime) -> None:
    with pytest.raises(errors.OccurredOutOfRangeError) as info:
        check_occurred_at(at)
    assert info.value.field == "occurred_at"


def test_occurred_at_at_the_far_offsets_is_kept_when_within_range() -> None:
    for zone in (PLUS_14, MINUS_14):
        at = datetime(2026, 1, 1, tzinfo=zone)
        assert check_occurred_at(at).astimezone(UTC) == at


def test_open_engagement_is_refused_naming_the_field_when_the_title_holds_nul(
    builder: EngagementBuilder,
) -> None:
    before = builder.app.recorder.max_notification_id()
    with pytest.raises(errors.MalformedTextError) as info:
        builder.app.execute(
            None,
            ADMIN,
            OpenEngagement(
                occurred_at=builder.at(),
                title="Board\x00",
                organisation="o",
                context="",
                sponsor="s",
            ),
        )
    assert info.value.field == "title"
    assert builder.app.recorder.max_notification_id() == before


def test_open_engagement_is_refused_when_occurred_at_is_year_one_at_plus_14(
    builder: EngagementBuilder,
) -> None:
    with pytest.raises(errors.OccurredOutOfRangeError):
        builder.app.execute(
            None,
            ADMIN,
            OpenEngagement(
                occurred_at=datetime(1, 1, 1, tzinfo=PLUS_14),
                title="t",
                organisation="o",
                context="",
                sponsor="s",
            ),
        )


@pytest.mark.parametrize("text", ["\x00", "\ud800"], ids=["nul", "surrogate"])
def test_make_commitment_is_refused_naming_what_when_it_holds_an_unstorable_character(
    builder: EngagementBuilder, text: str
) -> None:
    builder.at_gate()
    session = builder.relationship_session()
    p1, p2 = builder.p1, builder.p2
    error = builder.refused(
        errors.MalformedTextError,
        lambda: builder.run(
            builder.coach(p1),
            MakeCommitment(
                occurred_at=builder.at(),
                session_id=session,
                owners=[p1],
                to_whom=[p2],
                what=f"Call weekly{text}",
                due_on=builder.due(),
                challenge="confrontation",
            ),
        ),
    )
    assert error.field == "what"


def test_declare_intention_is_refused_without_echoing_the_confidential_text(
    builder: EngagementBuilder,
) -> None:
    builder.contracted()
    p1 = builder.p1
    error = builder.refused(
        errors.MalformedTextError,
        lambda: builder.run(
            builder.coach(p1),
            DeclareIntention(occurred_at=builder.at(), protagonist_id=p1, text="secret\x00"),
        ),
    )
    assert (error.field, "secret" in str(error)) == ("text", False)
