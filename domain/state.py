"""The engagement's state and the checks every command shares.

`EngagementState` holds what the rules need to know (plain dicts and lists, so that a
snapshot is plain JSON) and the guards the command modules call before triggering an
event. The commands themselves live in one module per part of the method:
`lifecycle`, `individual_space`, `relationship_space`, `commitments`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from domain import errors
from domain.rules.progress import phase_of
from domain.rules.who_may_do import Action, check_may_do
from domain.values import Actor, Phase, Policy, check_occurred_at, check_text

CLOCK_SKEW = timedelta(seconds=60)
"""How far in the future a client's `occurred_at` may be: clocks differ a little."""

APPEND_ONLY_MAPS = frozenset(
    {"individual_sessions", "relationship_sessions", "handled_commands", "content_index"}
)
"""State maps that grow with the history and whose values are only ever replaced whole
(strings or fresh lists), never changed in place: a copy may share their values."""


def initial_state(
    title: str, organisation: str, sponsor: str, policy: dict[str, Any], opened_at: Any
) -> dict[str, Any]:
    """An engagement's state as it opens, in the order the aggregate and the status
    projection keep it (`opened_at`: the aggregate's datetime, the projection's text)."""
    return {
        "title": title,
        "organisation": organisation,
        "sponsor": sponsor,
        "policy": policy,
        "opened_at": opened_at,
        "last_activity": opened_at,
        "agreement": None,
        "protagonists": {},
        "individual_sessions": {},
        "relationship_sessions": {},
        "challenges_explored": [],
        "presence_setbacks": 0,
        "commitments": {},
        "paused": False,
        "termination_requested": False,
        "ended": "",
        "follow_ups": 0,
    }


INACTIVE_PHASES = frozenset({Phase.TERMINATION_REQUESTED, Phase.COMPLETED, Phase.CLOSED})


def is_active(phase: str) -> bool:
    """Whether an engagement in this phase is active (a paused one still is)."""
    return phase not in INACTIVE_PHASES


@dataclass(frozen=True)
class Command:
    """What every command carries besides its own arguments."""

    actor: Actor
    occurred_at: datetime
    now: datetime
    idempotency_key: str = ""
    fingerprint: str = ""

    def __post_init__(self) -> None:
        """Every command's time and key must be storable and foldable by every projection."""
        check_occurred_at(self.occurred_at)
        check_text(self.idempotency_key, "idempotency_key")

    def event_fields(self) -> dict[str, Any]:
        return {
            "actor": self.actor.as_dict(),
            "occurred_at": self.occurred_at,
            "idempotency_key": self.idempotency_key,
            "fingerprint": self.fingerprint,
        }


class EngagementValues:
    """The values an engagement's events fold into, and what derives from them alone.

    The aggregate holds them (`EngagementState`) and so does the status projection's fold,
    which is why the derived values call the pure rules of `domain.rules`.
    """

    title: str
    organisation: str
    sponsor: str
    policy: dict[str, Any]
    opened_at: datetime
    last_activity: datetime
    agreement: dict[str, Any] | None
    protagonists: dict[str, dict[str, Any]]
    individual_sessions: dict[str, str]
    relationship_sessions: dict[str, str]
    challenges_explored: list[str]
    presence_setbacks: int
    commitments: dict[str, dict[str, Any]]
    paused: bool
    termination_requested: bool
    ended: str
    follow_ups: int
    handled_commands: dict[str, list[Any]]
    content_index: dict[str, list[Any]]

    @property
    def phase(self) -> Phase:
        return phase_of(
            ended=self.ended,
            termination_requested=self.termination_requested,
            paused=self.paused,
            relationship_sessions=self.relationship_sessions,
            individual_sessions=self.individual_sessions,
        )

    def the_policy(self) -> Policy:
        return Policy.from_dict(self.policy)

    def coach_ids(self) -> set[str]:
        return {p["coach_id"] for p in self.protagonists.values() if p["coach_id"]}


class EngagementState(EngagementValues):
    """State of an engagement and the guards shared by its commands."""

    if TYPE_CHECKING:  # provided by eventsourcing's Aggregate at run time
        id: UUID
        version: int

        def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None: ...

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """The copy the aggregate cache hands to each command, in time flat in the history.

        Equal to `copy.deepcopy`'s, but faster: the state is plain data, so dicts and lists
        are rebuilt directly and immutable values shared; the maps of APPEND_ONLY_MAPS are
        copied one level deep. A generic deep copy was most of a command's cost on an
        engagement with a long history (see ops/bench/append.py).
        """
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            shallow = name in APPEND_ONLY_MAPS
            clone.__dict__[name] = dict(value) if shallow else _copy_plain(value, memo)
        return clone

    def trigger(self, event_class: type[Any], cmd: Command, **fields: Any) -> None:
        self.check_time(cmd)
        self.trigger_event(event_class, **cmd.event_fields(), **fields)

    # -- guards -------------------------------------------------------------------------

    def check_time(self, cmd: Command) -> None:
        at = cmd.occurred_at
        if at.tzinfo is None:
            raise errors.InvalidValueError("occurred_at must carry a time zone")
        if at > cmd.now + CLOCK_SKEW:
            raise errors.OccurredInFutureError(f"occurred_at {at.isoformat()} is in the future")
        if at < self.opened_at:
            raise errors.OccurredBeforeOpeningError(
                f"occurred_at {at.isoformat()} is before the engagement opened "
                f"({self.opened_at.isoformat()})"
            )

    def protagonist(self, protagonist_id: str) -> dict[str, Any]:
        try:
            return self.protagonists[protagonist_id]
        except KeyError:
            raise errors.ProtagonistNotFoundError(
                f"no protagonist {protagonist_id!r} in this engagement"
            ) from None

    def require_may(self, cmd: Command, action: Action, protagonist_id: str = "") -> None:
        """Who may do what (`domain.rules.who_may_do`): raise if this actor may not."""
        coach_of = {pid: p["coach_id"] for pid, p in self.protagonists.items()}
        check_may_do(action, cmd.actor, coach_of, self.sponsor, protagonist_id)

    def require_open(self) -> None:
        if self.ended or self.termination_requested:
            raise errors.EngagementEndedError(f"the engagement is {self.phase.value}")

    def require_running(self) -> None:
        self.require_open()
        if self.paused:
            raise errors.EngagementPausedError("the engagement is paused")

    def require_session_allowed(self, protagonist_ids: list[str]) -> None:
        self.require_running()
        if self.agreement is None:
            raise errors.AgreementNotSignedError("sign the coaching agreement first")
        for protagonist_id in protagonist_ids:
            if not self.protagonist(protagonist_id)["consents"].get("coaching"):
                raise errors.ConsentNotGivenError(
                    f"protagonist {protagonist_id!r} has not consented to coaching"
                )

    def require_content_allowed(self, protagonist_id: str) -> None:
        if self.protagonist(protagonist_id)["erased"]:
            raise errors.ContentErasedError(
                f"protagonist {protagonist_id!r} was erased; no new confidential content"
            )

    def require_new_id(self, item_id: str, existing: dict[str, Any], what: str) -> None:
        if not item_id.strip():
            raise errors.InvalidValueError(f"{what} id must not be empty")
        if item_id in existing:
            raise errors.InvalidValueError(f"{what} id {item_id!r} is already used")


_IMMUTABLE = (str, int, float, type(None), datetime, UUID)


def _copy_plain(value: Any, memo: dict[int, Any]) -> Any:
    """A deep copy of plain data (dicts, lists, immutable values); anything else by deepcopy."""
    if isinstance(value, _IMMUTABLE):
        return value
    if type(value) is dict:
        return {k: _copy_plain(v, memo) for k, v in value.items()}
    if type(value) is list:
        return [_copy_plain(v, memo) for v in value]
    return copy.deepcopy(value, memo)
