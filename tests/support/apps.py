"""An application on a store URL with a given master key: what every fixture and every
test that reopens a store (a cold cache, a second process) builds; and an engagement
replayed from its events alone, to compare with what the application loads."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from domain.ciphers import MasterKey
from domain.engagement import Engagement
from domain.trustpath import Trustpath
from ops.config import store_env


def make_app(url: str, key: MasterKey) -> Trustpath:
    return Trustpath(store_env(url), master_key=key)


def replayed_from_events(app: Trustpath, engagement_id: UUID) -> Engagement:
    """The engagement rebuilt from every one of its events, without snapshot or cache."""
    aggregate: Any = None
    for event in app.events.get(engagement_id):
        aggregate = cast(Any, event).mutate(aggregate)
    assert isinstance(aggregate, Engagement)
    return aggregate
