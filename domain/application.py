"""The command side: trustpath's `eventsourcing` Application.

Every public method is one command of DOMAIN.md: load the engagement, let it check its
rules and trigger its event, save, return a `Receipt` with the position reached in the
notification log. The library is the event store and the unit of work; nothing is wrapped
around it.

Idempotency: a command sent with an idempotency key is fingerprinted; the key and
fingerprint are stored in the event itself, in the same atomic save (a command without a
key stores no fingerprint). A re-sent command finds its key in the engagement's history and
gets the first receipt back; the same key with another command is refused. Keys are scoped
to one engagement; opening derives the engagement id from the key.

What is stored must not let anyone confirm a guess of confidential content, and erasure
must make that impossible for everyone. So the fingerprint is an HMAC of the command's
name, arguments and actor under a secret derived from the master key's bytes (never from
its id, which sits in clear in the key store), and a sealed argument (notes, intention
text) enters it only as a digest under a key derived from its protagonist's data key
(`Vault.digest`), which erasure destroys. A re-sent command carrying content of an erased
protagonist can no longer be compared and is refused (`ContentErasedError`). Ids derived
from keys (the engagement's, new items') go through the same secret, so knowing a key does
not tell the id.

Authorisation comes before the replay: the caller's guard (the API's visibility check)
runs on the loaded engagement before its history is asked about the key, and opening runs
the opening's own checks first, so a stranger re-using a key learns nothing about it.

Concurrency: a stale save raises the library's IntegrityError; a command depends only on
the engagement's current state, so it reloads and retries once, then reports
`ConcurrentUpdateError`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from domain import errors
from domain.ciphers import MasterKey, Place, Sealed, SealedAsDict, Vault
from domain.engagement import Engagement
from domain.keystore import SQLKeyStore
from domain.positions import position_of
from domain.state import Command
from domain.values import Actor

NAMESPACE = uuid5(NAMESPACE_URL, "https://trustpath.example/ids")
FINGERPRINT_VERSION = "v2:"
"""Prefix of fingerprints made under the master key's secret (older ones have none)."""
Guard = Callable[["Engagement"], None]
_EXPECTED: ContextVar[tuple[int | None, Guard | None]] = ContextVar(
    "expected", default=(None, None)
)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Receipt:
    """What a command returns: where the engagement and the log now stand."""

    engagement_id: UUID
    position: int
    version: int
    item_id: str = ""
    replayed: bool = False


def json_safe(value: Any) -> Any:
    """A JSON-able copy of a command argument, for fingerprints."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return value


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def _check_guard(engagement: Engagement) -> None:
    guard = _EXPECTED.get()[1]
    if guard is not None:
        guard(engagement)


def _check_version(engagement: Engagement) -> None:
    expected = _EXPECTED.get()[0]
    if expected is not None and engagement.version != expected:
        raise errors.VersionMismatchError(
            f"the engagement is at version {engagement.version}, not {expected}"
        )


class CommandSide(Application[UUID]):
    """Loading, saving, idempotency and retries shared by every command."""

    name = "trustpath"
    snapshotting_intervals = {Engagement: 100}
    env = {"AGGREGATE_CACHE_MAXSIZE": "2000", "AGGREGATE_CACHE_FASTFORWARD": "y"}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        master_key: MasterKey,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(env)
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.vault = Vault(master_key, SQLKeyStore(self.recorder.datastore))  # type: ignore[attr-defined]
        self.on_saved: list[Callable[[int], None]] = []
        """Called with the position reached after every save (e.g. in-process projections)."""
        self._secret = master_key.derive("idempotency")

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SealedAsDict())
        transcoder.register(DateAsISO())

    def engagement(self, engagement_id: UUID) -> Engagement:
        try:
            found: object = self.repository.get(engagement_id)
        except AggregateNotFoundError:
            raise errors.EngagementNotFoundError(f"no engagement {engagement_id}") from None
        if not isinstance(found, Engagement):
            raise errors.EngagementNotFoundError(f"no engagement {engagement_id}")
        return found

    @contextmanager
    def expecting(self, version: int | None, guard: Guard | None = None) -> Iterator[None]:
        """Run commands only on this version of the engagement (the API's If-Match), and
        only if `guard(engagement)` does not raise (the API's visibility check).

        Checked on the engagement the command loaded, retries included, so a command never
        lands on a version the client did not see. The guard runs before the replay (a
        stranger learns nothing about a key); the version after it, so a re-sent command
        (same idempotency key) still replays.
        """
        token = _EXPECTED.set((version, guard))
        try:
            yield
        finally:
            _EXPECTED.reset(token)

    def item_id(self, engagement_id: UUID, key: str, kind: str) -> str:
        """A new item's id: derived from the idempotency key, so a retry gets the same id."""
        if key:
            return str(self._derived_id(f"{engagement_id}|{kind}|{key}"))
        return str(uuid4())

    def _derived_id(self, name: str) -> UUID:
        """A stable id for `name` that nobody can compute without the master key."""
        return uuid5(NAMESPACE, hmac.new(self._secret, name.encode(), hashlib.sha256).hexdigest())

    def command(
        self,
        cmd_name: str,
        engagement_id: UUID,
        actor: Actor,
        occurred_at: datetime,
        key: str,
        args: dict[str, Any],
        run: Callable[[Engagement, Command], object],
        item_id: str = "",
        sealed: Mapping[str, str] | None = None,
    ) -> Receipt:
        """Run one command; `sealed` maps each confidential argument to its protagonist."""
        now = self.clock()
        for attempt in (1, 2):
            engagement = self.engagement(engagement_id)
            _check_guard(engagement)
            fingerprint = self._keyed_fingerprint(engagement, cmd_name, args, actor, key, sealed)
            cmd = Command(actor, occurred_at, now, key, fingerprint)
            done = self._replay(engagement, cmd, item_id)
            if done is not None:
                return done
            _check_version(engagement)
            run(engagement, cmd)
            try:
                return self._save(engagement, item_id)
            except IntegrityError:
                if attempt == 2:
                    raise errors.ConcurrentUpdateError(
                        "the engagement changed while this command ran; retry"
                    ) from None
        raise AssertionError("unreachable")

    def open_command(self, cmd: Command, make: Callable[[UUID], Engagement]) -> Receipt:
        """Open with `make`, whose checks (who may open) run before any replay."""
        key = cmd.idempotency_key
        engagement_id = self._derived_id(f"open|{key}") if key else uuid4()
        engagement = make(engagement_id)
        done = self._replay_opening(engagement_id, cmd) if key else None
        if done is not None:
            return done
        try:
            return self._save(engagement, "")
        except IntegrityError:
            done = self._replay(self.engagement(engagement_id), cmd, "")
            if done is None:  # pragma: no cover - a uuid5 collision
                raise errors.ConcurrentUpdateError("engagement id collision; retry") from None
            return done

    def _replay_opening(self, engagement_id: UUID, cmd: Command) -> Receipt | None:
        # An engagement opened before ids went through the secret has uuid5(key) as its id;
        # looking there too keeps a retry across the upgrade from opening a second one.
        legacy_id = uuid5(NAMESPACE, f"open|{cmd.idempotency_key}")
        for candidate in (engagement_id, legacy_id):
            try:
                return self._replay(self.engagement(candidate), cmd, "")
            except errors.EngagementNotFoundError:
                continue
        return None

    def fingerprint(
        self,
        cmd_name: str,
        args: dict[str, Any],
        actor: Actor,
        sealed: Mapping[str, str] | None = None,
    ) -> str:
        """The command's HMAC under the master key's secret; the actor is part of it, so
        another actor's key is refused. Each argument named in `sealed` (argument name →
        protagonist id) enters only as its digest under that protagonist's data key."""
        body_args = dict(args)
        for name, protagonist_id in (sealed or {}).items():
            if body_args.get(name) is not None:
                text = f"{cmd_name}|{name}|{body_args[name]}"
                body_args[name] = {"digest": self.vault.digest(protagonist_id, text)}
        body = {"command": cmd_name, "args": body_args, "actor": actor.as_dict()}
        canonical = json.dumps(body, sort_keys=True, default=str)
        digest = hmac.new(self._secret, canonical.encode(), hashlib.sha256).hexdigest()
        return FINGERPRINT_VERSION + digest[:32]

    def _keyed_fingerprint(
        self,
        engagement: Engagement,
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
        return self.fingerprint(cmd_name, body_args, actor, usable)

    def sealer(self, engagement_id: UUID) -> Callable[[str, str, str], Sealed]:
        def seal(protagonist_id: str, field: str, plaintext: str) -> Sealed:
            return self.vault.seal(plaintext, Place(str(engagement_id), protagonist_id, field))

        return seal

    def _replay(self, engagement: Engagement, cmd: Command, item_id: str) -> Receipt | None:
        handled = (
            engagement.handled_commands.get(cmd.idempotency_key) if cmd.idempotency_key else None
        )
        if handled is None:
            return None
        fingerprint, version = handled
        if not fingerprint.startswith(FINGERPRINT_VERSION):
            raise errors.IdempotencyKeyReusedError(
                "this idempotency key was used before fingerprints were made under the master "
                "key's secret, so the first command cannot be compared with this one; check "
                "whether it already took effect"
            )
        if fingerprint != cmd.fingerprint:
            raise errors.IdempotencyKeyReusedError(
                "this idempotency key was used for a different command"
            )
        position = position_of(self.recorder, engagement.id, version)
        return Receipt(engagement.id, position, version, item_id, replayed=True)

    def _save(self, engagement: Engagement, item_id: str) -> Receipt:
        return Receipt(engagement.id, self.save_and_notify(engagement), engagement.version, item_id)

    def save_and_notify(self, *aggregates: Any) -> int:
        """Save atomically, tell the `on_saved` listeners, return the position reached."""
        recordings = self.save(*aggregates)
        position = max(r.notification.id for r in recordings)
        for listener in self.on_saved:
            listener(position)
        return position
