"""trustpath's commands: one method per action of domain/README.md, each returning a Receipt.

Every method takes the authenticated `actor`, the client's `occurred_at` and an optional
idempotency `key`, then the command's own arguments, and delegates to the engagement.
Confidential text (notes, intentions) is sealed under the protagonist's key before it
reaches an event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.application import CommandSide, Receipt, json_safe
from domain.engagement import Engagement
from domain.errors import AlreadyErasedError
from domain.state import Command
from domain.values import Actor, Policy, check_texts


class Commands(CommandSide):
    """The commands of the engagement's lifecycle and of both spaces."""

    # -- lifecycle ------------------------------------------------------------------------

    def open_engagement(
        self,
        actor: Actor,
        occurred_at: datetime,
        *,
        title: str,
        organisation: str,
        context: str,
        sponsor: str,
        policy: Policy | None = None,
        key: str = "",
    ) -> Receipt:
        the_policy = policy or Policy()
        args = {
            "title": title,
            "organisation": organisation,
            "context": context,
            "sponsor": sponsor,
            "policy": json_safe(the_policy.as_dict()),
        }
        check_texts(args)
        fingerprint = self.fingerprint("open_engagement", args, actor) if key else ""
        cmd = Command(actor, occurred_at, self.clock(), key, fingerprint)
        return self.open_command(
            cmd,
            lambda engagement_id: Engagement.open(
                cmd,
                engagement_id=engagement_id,
                title=title,
                organisation=organisation,
                context=context,
                sponsor=sponsor,
                policy=the_policy,
            ),
        )

    def _do(
        self,
        cmd_name: str,
        engagement_id: UUID,
        actor: Actor,
        occurred_at: datetime,
        key: str,
        item_id: str = "",
        **args: Any,
    ) -> Receipt:
        def run(engagement: Engagement, cmd: Command) -> object:
            method = getattr(engagement, cmd_name)
            return method(cmd, **args)

        check_texts(args)
        fingerprint_args = {k: json_safe(v) for k, v in args.items()}
        return self.command(
            cmd_name, engagement_id, actor, occurred_at, key, fingerprint_args, run, item_id
        )

    def pause(
        self, eid: UUID, actor: Actor, at: datetime, *, reason: str, key: str = ""
    ) -> Receipt:
        return self._do("pause", eid, actor, at, key, reason=reason)

    def resume(self, eid: UUID, actor: Actor, at: datetime, *, key: str = "") -> Receipt:
        return self._do("resume", eid, actor, at, key)

    def request_termination(
        self, eid: UUID, actor: Actor, at: datetime, *, reason: str, key: str = ""
    ) -> Receipt:
        return self._do("request_termination", eid, actor, at, key, reason=reason)

    def complete(self, eid: UUID, actor: Actor, at: datetime, *, key: str = "") -> Receipt:
        return self._do("complete", eid, actor, at, key)

    def close_early(
        self, eid: UUID, actor: Actor, at: datetime, *, reason: str, key: str = ""
    ) -> Receipt:
        return self._do("close_early", eid, actor, at, key, reason=reason)

    def hold_follow_up(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        months_after: int,
        trust_lasted: bool,
        shared_notes: str,
        key: str = "",
    ) -> Receipt:
        return self._do(
            "hold_follow_up",
            eid,
            actor,
            at,
            key,
            months_after=months_after,
            trust_lasted=trust_lasted,
            shared_notes=shared_notes,
        )

    # -- parties --------------------------------------------------------------------------

    def sign_agreement(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        parties: list[str],
        confidentiality: str,
        sponsor_may_be_told: list[str],
        retention_days: int,
        key: str = "",
    ) -> Receipt:
        return self._do(
            "sign_agreement",
            eid,
            actor,
            at,
            key,
            parties=parties,
            confidentiality=confidentiality,
            sponsor_may_be_told=sponsor_may_be_told,
            retention_days=retention_days,
        )

    def enrol_protagonist(
        self, eid: UUID, actor: Actor, at: datetime, *, name: str, kind: str, key: str = ""
    ) -> Receipt:
        pid = self.item_id(eid, key, "protagonist")
        return self._do(
            "enrol_protagonist", eid, actor, at, key, pid, protagonist_id=pid, name=name, kind=kind
        )

    def assign_coach(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        protagonist_id: str,
        coach_id: str,
        coach_name: str,
        key: str = "",
    ) -> Receipt:
        return self._do(
            "assign_coach",
            eid,
            actor,
            at,
            key,
            protagonist_id=protagonist_id,
            coach_id=coach_id,
            coach_name=coach_name,
        )

    def reassign_coach(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        protagonist_id: str,
        coach_id: str,
        coach_name: str,
        reason: str,
        key: str = "",
    ) -> Receipt:
        return self._do(
            "reassign_coach",
            eid,
            actor,
            at,
            key,
            protagonist_id=protagonist_id,
            coach_id=coach_id,
            coach_name=coach_name,
            reason=reason,
        )

    def give_consent(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        protagonist_id: str,
        scope: str,
        evidence: str = "",
        key: str = "",
    ) -> Receipt:
        return self._do(
            "give_consent",
            eid,
            actor,
            at,
            key,
            protagonist_id=protagonist_id,
            scope=scope,
            evidence=evidence,
        )

    def withdraw_consent(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        protagonist_id: str,
        scope: str,
        evidence: str = "",
        key: str = "",
    ) -> Receipt:
        return self._do(
            "withdraw_consent",
            eid,
            actor,
            at,
            key,
            protagonist_id=protagonist_id,
            scope=scope,
            evidence=evidence,
        )

    def execute_erasure(
        self,
        eid: UUID,
        actor: Actor,
        at: datetime,
        *,
        protagonist_id: str,
        request_reference: str,
        key: str = "",
    ) -> Receipt:
        """Record the erasure, then destroy the key (again, if a first attempt was cut short)."""
        try:
            receipt = self._do(
                "execute_erasure",
                eid,
                actor,
                at,
                key,
                protagonist_id=protagonist_id,
                request_reference=request_reference,
            )
        except AlreadyErasedError:
            self.vault.destroy(protagonist_id)
            raise
        self.vault.destroy(protagonist_id)
        return receipt
