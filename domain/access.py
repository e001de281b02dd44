"""Who may see what: the matrix of domain/README.md as one pure function.

`decide(principal, parties, resource)` answers with a `Decision` naming the rule of the
matrix that allowed or refused it; the API calls it on every route, the read path calls it
before any confidential content is decrypted, and the auditors' reports quote its rule.

    resource (of P)        P      P's coach  other coach  other P  sponsor  auditor  report  admin
    individual content     own    yes        no           no       no       no       no      no
    trust assessments      own    yes        yes          no       no       no       no      no
    relationship space     yes    yes        yes          yes      no       no       no      no
    status                 yes    yes        yes          yes      limited  yes      yes     yes
    engagement record      yes    yes        yes          yes      no       yes      no      yes
    access log             own    no         no           no       no       yes      no      no
    ledger                 no     no         no           no       no       yes      no      no
    aggregates (reports)   no     no         no           no       no       no       yes     no
    principals             no     no         no           no       no       no       no      yes

"Status" for a sponsor is limited to the items `Parties.sponsor_items` holds
(`domain.sponsor`: by default active, phase, session dates and counts). The engagement
record is the rest of "status, counts, dates": what was contracted (title, organisation,
context, policy, agreement), the parties and their consents, the lifecycle.

Every event class declares the resource it belongs to (`resource_kind`); one that does not
is shown to nobody (`resource_kind_of` answers None). A class that declares `dated_fact`
(a session took place on a date) is shown as a dated skeleton, without its data, to whoever
may see the status: domain/README.md's "the fact that one took place on a date".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from domain.sponsor import DEFAULT_ITEMS, SponsorItem
from domain.values import Actor, Role


class ResourceKind(StrEnum):
    INDIVIDUAL_CONTENT = "individual_content"
    TRUST_ASSESSMENTS = "trust_assessments"
    RELATIONSHIP_SPACE = "relationship_space"
    STATUS = "status"
    ENGAGEMENT_RECORD = "engagement_record"
    ACCESS_LOG = "access_log"
    LEDGER = "ledger"
    AGGREGATES = "aggregates"
    PRINCIPALS = "principals"


@dataclass(frozen=True)
class Resource:
    kind: ResourceKind
    protagonist_id: str = ""


@dataclass(frozen=True)
class Parties:
    """What the matrix needs to know about one engagement."""

    coach_of: dict[str, str] = field(default_factory=dict)
    sponsor: str = ""
    sponsor_items: frozenset[SponsorItem] = DEFAULT_ITEMS

    @property
    def coaches(self) -> set[str]:
        return set(self.coach_of.values())


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str


def decide(principal: Actor, parties: Parties, resource: Resource) -> Decision:
    """Apply domain/README.md's 'who may see what' to one principal, engagement and resource."""
    relation = _relation(principal, parties, resource.protagonist_id)
    allowed = relation in _MATRIX[resource.kind]
    verdict = "allows" if allowed else "refuses"
    return Decision(allowed, f"{resource.kind.value}: {verdict} {relation}")


def is_the_sponsor(principal: Actor, parties: Parties) -> bool:
    """Whether `principal` is this engagement's sponsor (whose status is cut to its items)."""
    return _relation(principal, parties, "") == "sponsor"


def resource_kind_of(event_class: type) -> ResourceKind | None:
    """The resource an event class declared it belongs to; None when it declared none."""
    kind = getattr(event_class, "resource_kind", None)
    return kind if isinstance(kind, ResourceKind) else None


def is_dated_fact(event_class: type) -> bool:
    """Whether the event's occurrence and date (not its data) belong to the status."""
    return getattr(event_class, "dated_fact", False) is True


def _relation(principal: Actor, parties: Parties, protagonist_id: str) -> str:
    role, pid = principal.role, principal.id
    if role == Role.PROTAGONIST:
        if pid not in parties.coach_of:
            return "outsider"
        return "self" if pid == protagonist_id else "protagonist"
    if role == Role.COACH:
        if pid not in parties.coaches:
            return "outsider"
        return "own coach" if parties.coach_of.get(protagonist_id) == pid else "coach"
    if role == Role.SPONSOR:
        return "sponsor" if pid == parties.sponsor else "outsider"
    return str(role)


_EVERY_PARTY = {"self", "protagonist", "own coach", "coach"}
_MATRIX: dict[ResourceKind, set[str]] = {
    ResourceKind.INDIVIDUAL_CONTENT: {"self", "own coach"},
    ResourceKind.TRUST_ASSESSMENTS: {"self", "own coach", "coach"},
    ResourceKind.RELATIONSHIP_SPACE: _EVERY_PARTY,
    ResourceKind.STATUS: _EVERY_PARTY | {"sponsor", "auditor", "report_reader", "admin"},
    ResourceKind.ENGAGEMENT_RECORD: _EVERY_PARTY | {"auditor", "admin"},
    ResourceKind.ACCESS_LOG: {"self", "auditor"},
    ResourceKind.LEDGER: {"auditor"},
    ResourceKind.AGGREGATES: {"report_reader"},
    ResourceKind.PRINCIPALS: {"admin"},
}
