"""Idempotency fingerprints and the ids derived from idempotency keys.

What is stored must not let anyone confirm a guess of confidential content, and erasure
must make that impossible for everyone, the operator included:

    fingerprint = "v2:" + HMAC(secret, {command, args, actor})[:32]
        secret          derived from the derivation root's bytes (`MasterKey.derive`; the
                        root is the original master key's bytes, kept across rotations,
                        `domain.keyring`), never from an id the key store shows in clear
        a sealed arg    (notes, intention text) enters only as
                        {"digest": HMAC(key derived from its protagonist's data key, text)}
                        (`Vault.digest`): erasure destroys that key, so nobody can recompute
    derived id      = uuid5(NAMESPACE, HMAC(secret, name)): the same on every retry,
                        not computable from the key without the master key

A command without an idempotency key stores no fingerprint: there is nothing to compare.
Fingerprints stored before this scheme (no "v2:" prefix) are no longer compared.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain import errors
from domain.ciphers import MasterKey
from domain.state import EngagementState
from domain.values import Actor
from domain.vault import Vault

NAMESPACE = uuid5(NAMESPACE_URL, "https://trustpath.example/ids")
VERSION = "v2:"
"""Prefix of fingerprints made under the master key's secret (older ones have none)."""


def json_safe(value: Any) -> Any:
    """A JSON-able copy of a command argument, for fingerprints."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return value


class Fingerprints:
    """Fingerprints of commands and ids derived from keys, under the master key's secret."""

    def __init__(self, master_key: MasterKey, vault: Vault) -> None:
        self._secret = master_key.derive("idempotency")
        self._vault = vault

    def derived_id(self, name: str) -> UUID:
        """A stable id for `name` that nobody can compute without the master key."""
        return uuid5(NAMESPACE, hmac.new(self._secret, name.encode(), hashlib.sha256).hexdigest())

    def of(
        self,
        cmd_name: str,
        args: dict[str, Any],
        actor: Actor,
        sealed: Mapping[str, str] | None = None,
    ) -> str:
        """The command's fingerprint; the actor is part of it, so another actor's key is
        refused. Each argument named in `sealed` (argument → protagonist id) enters only as
        its digest under that protagonist's data key."""
        body_args = dict(args)
        for name, protagonist_id in (sealed or {}).items():
            if body_args.get(name) is not None:
                text = f"{cmd_name}|{name}|{body_args[name]}"
                body_args[name] = {"digest": self._vault.digest(protagonist_id, text)}
        body = {"command": cmd_name, "args": body_args, "actor": actor.as_dict()}
        canonical = json.dumps(body, sort_keys=True, default=str)
        return VERSION + hmac.new(self._secret, canonical.encode(), hashlib.sha256).hexdigest()[:32]

    def for_command(
        self,
        engagement: EngagementState,
        cmd_name: str,
        args: dict[str, Any],
        actor: Actor,
        key: str,
        sealed: Mapping[str, str] | None,
    ) -> str:
        """The fingerprint to store and compare: none without a key. Confidential text of
        an unknown or erased protagonist is left out (such a new command is refused by the
        engagement anyway); a replay of one that was erased cannot be compared at all."""
        if not key:
            return ""
        body_args, usable = dict(args), {}
        for name, protagonist_id in (sealed or {}).items():
            protagonist = engagement.protagonists.get(protagonist_id)
            if body_args.get(name) is None:
                continue
            if protagonist is not None and not protagonist["erased"]:
                usable[name] = protagonist_id
            elif protagonist is not None and key in engagement.handled_commands:
                raise errors.ContentErasedError(
                    f"protagonist {protagonist_id!r} was erased: a command carrying their "
                    "confidential content can no longer be compared with the first one"
                )
            else:
                body_args[name] = {"digest": None}
        return self.of(cmd_name, body_args, actor, usable)

    @staticmethod
    def comparable(stored: str) -> bool:
        """Whether a stored fingerprint was made under this scheme (older ones were not)."""
        return stored.startswith(VERSION)
