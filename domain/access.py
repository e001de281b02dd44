"""Who may see what: DOMAIN.md's matrix as one pure function.

`decide(principal, parties, resource)` answers with a `Decision` naming the rule of the
matrix that allowed or refused it; the API calls it on every route, the read path calls it
before any confidential content is decrypted, and the auditors' reports quote its rule.

    resource (of P)        P      P's coach  other coach  other P  sponsor  auditor  report  admin
    individual content     own    yes        no           no       no       no       no      no
    trust assessments      own    yes        yes          no       no       no       no      no
    relationship space     yes    yes        yes          yes      no       no       no      no
    status                 yes    yes        yes          yes      limited  yes      yes     yes
    access log             own    no         no           no       no       yes      no      no
    ledger                 no     no         no           no       no       yes      no      no
    aggregates (reports)   no     no         no           no       no       no       yes     no
    principals             no     no         no           no       no       no       no      yes
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from domain.values import Actor, Role


class ResourceKind(StrEnum):
    INDIVIDUAL_CONTENT = "individual_content"
    TRUST_ASSESSMENTS = "trust_assessments"
    RELATIONSHIP_SPACE = "relationship_space"
    STATUS = "status"
    SPONSOR_DETAIL = "sponsor_detail"
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
    sponsor_detail_allowed: bool = False

    @property
    def coaches(self) -> set[str]:
        return set(self.coach_of.values())


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str


def decide(principal: Actor, parties: Parties, resource: Resource) -> Decision:
    """Apply DOMAIN.md's 'who may see what' to one principal, engagement and resource."""
    relation = _relation(principal, parties, resource.protagonist_id)
    allowed = relation in _MATRIX[resource.kind]
    if resource.kind is ResourceKind.SPONSOR_DETAIL and relation == "sponsor":
        allowed = parties.sponsor_detail_allowed
    verdict = "allows" if allowed else "refuses"
    return Decision(allowed, f"{resource.kind.value}: {verdict} {relation}")


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
    ResourceKind.SPONSOR_DETAIL: _EVERY_PARTY | {"sponsor", "auditor", "admin"},
    ResourceKind.ACCESS_LOG: {"self", "auditor"},
    ResourceKind.LEDGER: {"auditor"},
    ResourceKind.AGGREGATES: {"report_reader"},
    ResourceKind.PRINCIPALS: {"admin"},
}
