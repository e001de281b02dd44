"""Values of the trust-building method: challenges, roles, consents, the actor, the policy.

Events store these as plain JSON values (strings, ints, dicts) so that the stored contract
stays readable by any tool; the enums here are how code names and validates them.

Every text and every time a command carries is checked here before anything is recorded
(`check_texts`, `check_occurred_at`): an event must be storable and foldable by every
projection on SQLite and PostgreSQL alike, forever. So a text holds no control character
but tab and line breaks (PostgreSQL text cannot hold NUL; terminals and CSV exports choke
on the others), no lone surrogate (it cannot be encoded as UTF-8 at all), no noncharacter,
and at most MAX_TEXT_LENGTH characters; a time carries its zone and lies between
EARLIEST and LATEST (UTC), so converting it to UTC can never overflow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from domain.errors import InvalidValueError, MalformedTextError, OccurredOutOfRangeError

E = TypeVar("E", bound=StrEnum)


class Challenge(StrEnum):
    """The five trust challenges; relationship sessions explore the last four."""

    PRESENCE = "presence"
    CONFRONTATION = "confrontation"
    COMMITMENT = "commitment"
    RESPONSIBILITY = "responsibility"
    RECOGNITION = "recognition"


RELATIONAL_CHALLENGES: tuple[str, ...] = (
    Challenge.CONFRONTATION,
    Challenge.COMMITMENT,
    Challenge.RESPONSIBILITY,
    Challenge.RECOGNITION,
)


class Role(StrEnum):
    """Who an actor is, as domain/README.md names them."""

    ADMIN = "admin"
    COACH = "coach"
    PROTAGONIST = "protagonist"
    SPONSOR = "sponsor"
    AUDITOR = "auditor"
    REPORT_READER = "report_reader"
    SYSTEM = "system"


class ConsentScope(StrEnum):
    """What a protagonist consents to."""

    COACHING = "coaching"
    SPONSOR_REPORTING = "sponsor_reporting"
    RECORDING = "recording"


class ProtagonistKind(StrEnum):
    """A protagonist is a person or an entity (an executive committee, a board)."""

    PERSON = "person"
    ENTITY = "entity"


class Phase(StrEnum):
    """Where an engagement stands."""

    CONTRACTING = "contracting"
    INDIVIDUAL = "individual"
    RELATIONSHIP = "relationship"
    PAUSED = "paused"
    TERMINATION_REQUESTED = "termination_requested"
    COMPLETED = "completed"
    CLOSED = "closed"


class Assessor(StrEnum):
    """Who judged that a commitment was honoured; never the owner alone."""

    COACH = "coach"
    PARTIES = "parties"


class Space(StrEnum):
    """The two spaces of the method."""

    INDIVIDUAL = "individual"
    RELATIONSHIP = "relationship"


@dataclass(frozen=True)
class Actor:
    """The one authenticated principal behind a command: an id and a role.

    For a coach the id is the coach id used in the engagement; for a protagonist it is
    the protagonist id.
    """

    id: str
    role: str

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise InvalidValueError("actor id must not be empty")
        check_text(self.id, "actor id")
        parse_enum(Role, self.role, "actor role")

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "role": self.role}


@dataclass(frozen=True)
class Policy:
    """The engagement's minimums and order, agreed when it opens."""

    min_individual_sessions: int = 6
    per_protagonist: bool = False
    min_individual_before_gate: int = 1
    relationship_challenges: tuple[str, ...] = field(default=RELATIONAL_CHALLENGES)
    strict_order: bool = True

    def __post_init__(self) -> None:
        if self.min_individual_sessions < 0 or self.min_individual_before_gate < 0:
            raise InvalidValueError("policy minimums must not be negative")
        if not self.relationship_challenges:
            raise InvalidValueError("policy needs at least one relationship challenge")
        for challenge in self.relationship_challenges:
            if challenge not in RELATIONAL_CHALLENGES:
                raise InvalidValueError(f"policy challenge {challenge!r} is not relational")

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["relationship_challenges"] = list(self.relationship_challenges)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        values = dict(data)
        if "relationship_challenges" in values:
            values["relationship_challenges"] = tuple(values["relationship_challenges"])
        return cls(**values)


def parse_enum(enum: type[E], value: str, what: str) -> E:
    """Return the enum member for `value`, or raise a clear InvalidValueError."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InvalidValueError(f"unknown {what} {value!r} (allowed: {allowed})") from None


def require_text(value: str, what: str) -> str:
    """Return `value` stripped, refusing empty text where text is required."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(f"{what} must not be empty")
    return check_text(value, what).strip()


MAX_TEXT_LENGTH = 20_000
"""The longest text a command may carry (an API body is at most 64 KiB anyway)."""
_NONCHARACTERS = r"\ufdd0-\ufdef" + "".join(
    rf"\U{plane:04X}FFFE\U{plane:04X}FFFF" for plane in range(17)
)
_UNSAFE = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")
"""Control characters (Unicode Cc) but tab, LF and CR; surrogates (Cs); noncharacters."""
_UNSAFE_BMP = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
"""The same for a text without astral characters, and over ten times faster on a long one:
the astral noncharacters listed one by one make `re` test every character slowly."""
_ASTRAL = re.compile(r"[\U00010000-\U0010FFFF]")


def check_text(value: str, what: str) -> str:
    """Return `value` if every store and view can carry it; else MalformedTextError.

    The message names the field and the offending code point, never the text itself
    (it may be confidential).
    """
    if len(value) > MAX_TEXT_LENGTH:
        raise MalformedTextError(
            f"{what} is longer than {MAX_TEXT_LENGTH} characters", field=_field(what)
        )
    found = (_UNSAFE if _ASTRAL.search(value) else _UNSAFE_BMP).search(value)
    if found is not None:
        raise MalformedTextError(
            f"{what} holds U+{ord(found.group()):04X} at character {found.start()}: control "
            "characters (but tab and line breaks), lone surrogates and noncharacters are refused",
            field=_field(what),
        )
    return value


def check_texts(args: Mapping[str, Any]) -> None:
    """Check every text among a command's arguments, in lists and mappings too."""
    for name, value in args.items():
        _check_any(value, name)


def _check_any(value: Any, what: str) -> None:
    if isinstance(value, str):
        check_text(value, what)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_any(item, f"{what}[{index}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_any(key, f"{what} (a key)")
            _check_any(item, f"{what}.{key}")


def _field(what: str) -> str:
    """The argument a check was about: `parties[2]` is about `parties`."""
    return re.split(r"[\[.]", what.removesuffix(" (a key)"), maxsplit=1)[0]


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""The times an event may carry: far from datetime's limits, so that converting one to UTC
(every projection does) cannot overflow; "not in the future" is a rule of the engagement."""


def check_occurred_at(at: datetime, what: str = "occurred_at") -> datetime:
    """Return `at` if it is a datetime with a time zone between EARLIEST and LATEST."""
    if not isinstance(at, datetime):
        raise InvalidValueError(f"{what} must be a date and time", field=what)
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidValueError(f"{what} must carry a time zone", field=what)
    if not EARLIEST <= at < LATEST:
        raise OccurredOutOfRangeError(
            f"{what} must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}",
            field=what,
        )
    return at
