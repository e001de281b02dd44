"""Every event class declares the resource of the matrix it belongs to; one that does not is
shown to nobody (fail closed), in the history as in the timeline."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import DomainEvent

import domain
from api.history import redact
from domain.access import Parties, ResourceKind, resource_kind_of
from domain.audit import AuditRecord
from domain.events import EngagementEvent
from domain.trustpath import Trustpath
from domain.values import Actor
from ops.demo import play

pytestmark = pytest.mark.unit

NEVER_STORED = {
    "EngagementEvent": "the base of the engagement's events",
    "AuditRecord.Recorded": "the base of the audit records",
    "Engagement.Event": "made by the library for the aggregate; never triggered",
    "Engagement.Created": "made by the library; the engagement is created by Opened",
    "AuditRecord.Event": "made by the library for the aggregate; never triggered",
    "AuditRecord.Created": "made by the library; a record is created by its own class",
}
"""Bases that are never stored, so declare nothing (and must not: subclasses would inherit)."""


def domain_event_classes() -> list[type]:
    """Every subclass of the library's event base defined in `domain/`."""
    for module in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"domain.{module.name}")
    found: set[type] = set()
    to_walk: list[type] = [DomainEvent]
    while to_walk:
        for sub in to_walk.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                to_walk.append(sub)
    return [c for c in found if c.__module__.startswith("domain.")]


def test_every_event_class_declares_the_resource_it_belongs_to() -> None:
    classes = domain_event_classes()
    names = {c.__qualname__ for c in classes}
    assert {"Engagement.Opened", "IndividualSessionHeld", "TrustAssessed", "AccessDenied"} <= names
    undeclared = sorted(
        c.__qualname__
        for c in classes
        if c.__qualname__ not in NEVER_STORED and resource_kind_of(c) is None
    )
    assert undeclared == []


def test_event_bases_declare_no_resource_so_a_new_event_class_is_hidden_by_default() -> None:
    assert resource_kind_of(EngagementEvent) is None
    assert resource_kind_of(AuditRecord.Recorded) is None


def test_every_event_the_demo_stores_declares_its_resource(sqlite_app: Trustpath) -> None:
    play(sqlite_app)
    stored = sqlite_app.recorder.select_notifications(start=1, limit=10_000)
    events = [sqlite_app.mapper.to_domain_event(n) for n in stored]
    assert events
    assert [type(e).__qualname__ for e in events if resource_kind_of(type(e)) is None] == []
    assert resource_kind_of(type(events[0])) is ResourceKind.ENGAGEMENT_RECORD


@dataclass(frozen=True)
class SomethingNew:
    """Stands for an event class added without saying which resource it belongs to (not a
    real subclass of the domain's events, which the golden corpus walks)."""

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    actor: dict[str, str]
    occurred_at: datetime
    protagonist_id: str
    remark: str


@pytest.mark.parametrize(
    "reader",
    [
        Actor("p1", "protagonist"),
        Actor("p2", "protagonist"),
        Actor("coach-a", "coach"),
        Actor("coach-b", "coach"),
        Actor("hr", "sponsor"),
        Actor("auditor", "auditor"),
        Actor("admin", "admin"),
        Actor("reader", "report_reader"),
    ],
    ids=str,
)
def test_history_shows_an_event_of_an_undeclared_class_to_nobody(reader: Actor) -> None:
    parties = Parties(coach_of={"p1": "coach-a", "p2": "coach-b"}, sponsor="hr")
    event = SomethingNew(
        originator_id=uuid4(),
        originator_version=2,
        timestamp=datetime.now(UTC),
        actor={"id": "coach-a", "role": "coach"},
        occurred_at=datetime.now(UTC),
        protagonist_id="p1",
        remark="something p1 said",
    )
    assert redact(event, reader, parties) is None


def test_timeline_shows_a_milestone_of_an_unknown_kind_to_nobody() -> None:
    from projections.timeline import milestone_resource

    assert milestone_resource({"kind": "something_new", "protagonist_id": "p1"}) is None
    individual = milestone_resource({"kind": "individual_session", "protagonist_id": "p1"})
    assert individual is not None
    assert individual.kind is ResourceKind.INDIVIDUAL_CONTENT
