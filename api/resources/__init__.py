"""One blueprint per resource; `BLUEPRINTS` is what `create_app` registers, in order."""

from __future__ import annotations

from api.resources import (
    commitments,
    engagements,
    health,
    individual,
    ledger,
    lifecycle,
    parties,
    relationship,
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
    ledger.blp,
]
