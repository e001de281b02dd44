"""Values of the trust-building method: challenges, roles, consents, the actor, the policy.

Events store these as plain JSON values (strings, ints, dicts) so that the stored contract
stays readable by any tool; the enums here are how code names and validates them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from domain.errors import InvalidValueError

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
    """Who an actor is, as DOMAIN.md names them."""

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
    return value.strip()
