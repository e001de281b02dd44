"""One blueprint per resource; `BLUEPRINTS` is what `create_app` registers, in order."""

from __future__ import annotations

from api.resources import (
    audit,
    commitments,
    engagements,
    health,
    individual,
    ledger,
    lifecycle,
    parties,
    principals,
    relationship,
    status,
    views,
)

BLUEPRINTS = [
    health.blp,
    engagements.blp,
    views.blp,
    parties.agreement,
    parties.protagonists,
    parties.consents,
    parties.erasure,
    individual.sessions,
    individual.intentions,
    individual.assessments,
    relationship.sessions,
    relationship.setbacks,
    commitments.commitments,
    lifecycle.lifecycle,
    lifecycle.follow_ups,
    status.blp,
    audit.own,
    audit.blp,
    principals.blp,
    ledger.blp,
]
