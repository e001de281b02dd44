"""What every command on an existing engagement is: a frozen dataclass that runs itself.

A command carries when it happened (`occurred_at`, by the client's clock), its idempotency
`key` (empty: none) and its own arguments with their defaults. What it needs from the
application is class-level data, read by `Trustpath.execute`:

    label       its name in the idempotency fingerprint (a stored contract: never renamed)
    new_item    the item it creates, if any: the id's kind, derived from the key so that a
                retry gets the same id, and the argument the aggregate receives it as
    sealed      arguments sealed under the key of the command's `protagonist_id`

`run` calls the one aggregate method the command stands for, with typed arguments.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, NamedTuple

from domain.engagement import Engagement
from domain.individual_space import Seal
from domain.state import Command
from domain.vault import Vault


class NewItem(NamedTuple):
    """An item a command creates: the kind its id is derived for, and its argument's name."""

    kind: str
    argument: str


@dataclass(frozen=True, kw_only=True)
class EngagementCommand(ABC):
    """A command on an existing engagement (see the module docstring)."""

    occurred_at: datetime
    key: str = ""

    label: ClassVar[str]
    new_item: ClassVar[NewItem | None] = None
    sealed: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def run(self, engagement: Engagement, cmd: Command, seal: Seal, item_id: str) -> None:
        """Ask the engagement to check its rules and trigger its event(s)."""

    def arguments(self, item_id: str) -> dict[str, Any]:
        """The arguments as fingerprinted: the command's own, and the new item's id under
        its argument's name (the mapping is a stored contract, see `domain.fingerprints`)."""
        args = dict(vars(self))
        del args["occurred_at"], args["key"]
        if self.new_item is not None:
            args[self.new_item.argument] = item_id
        return args

    def settle(self, vault: Vault) -> None:
        """What follows the command outside the event store, even when the engagement
        says it was done before (an erasure destroys the key): nothing, by default."""
        return
