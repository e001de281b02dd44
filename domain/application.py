"""The command side: trustpath's `eventsourcing` Application.

Running a command of `domain.commands` (`Trustpath.execute` calls `_run`, or `_open` for an
opening): load the engagement, let it check its rules and trigger its event, save, return a
`Receipt` with the position reached in the notification log. The library is the event store
and the unit of work; nothing is wrapped around it.

Idempotency: a command sent with an idempotency key is fingerprinted (`domain.fingerprints`:
nothing stored lets anyone confirm a guess of confidential content, and erasure makes that
impossible for everyone); the key and fingerprint are stored in the event itself, in the
same atomic save. A re-sent command finds its key in the engagement's history and gets the
first receipt back; the same key with another command is refused, and a re-sent command
carrying content of an erased protagonist can no longer be compared (`ContentErasedError`).
Keys are scoped to one engagement; opening derives the engagement id from the key, through
the master key's secret, so knowing a key does not tell the id.

Authorisation comes before the replay: the caller's guard (the API's visibility check)
runs on the loaded engagement before its history is asked about the key, and opening runs
the opening's own checks first, so a stranger re-using a key learns nothing about it. The
expected version (the API's If-Match) is checked after the replay, so a re-sent command
still replays; both are explicit parameters of every command run.

Concurrency: a stale save raises the library's IntegrityError; a command depends only on
the engagement's current state, so it reloads and retries once, then reports
`ConcurrentUpdateError`.

The engagement a command loads: first the very object this process saved last, if it kept
it (`domain.hot_engagements`: no read, no copy). It may be stale, so only a save is made on
it (the store refuses a save on a stale version); a refusal, a replayed key or a version
mismatch found on it, and a refused save, are decided again on the engagement loaded through
the library's cache, which reads the events it missed (its fast-forward) and copies it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import EventStore, IntegrityError, PersistenceError

from domain import errors
from domain.adapters.keystore import SQLKeyStore
from domain.adapters.pgrecorder import snapshot_recorder
from domain.adapters.positions import position_of
from domain.ciphers import MasterKey, Place, Sealed
from domain.commands import EngagementCommand, OpenEngagement
from domain.engagement import Engagement
from domain.fingerprints import NAMESPACE, Fingerprints, json_safe
from domain.hot_engagements import HotEngagements
from domain.keyring import Keyring
from domain.library_hooks import LibraryHooks
from domain.runs import Clock, Guard, Receipt, Run, check_version, project_engagement
from domain.state import Command
from domain.values import Actor, check_texts
from domain.vault import Vault


class CommandSide(LibraryHooks):
    """Loading, saving, idempotency and retries shared by every command."""

    name = "trustpath"
    env = {"AGGREGATE_CACHE_MAXSIZE": "2000", "AGGREGATE_CACHE_FASTFORWARD": "y"}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        master_key: MasterKey | Keyring,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(env)
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.vault = Vault(master_key, SQLKeyStore(self.recorder.datastore))  # type: ignore[attr-defined]
        self.on_saved: list[Callable[[int], None]] = []
        """Called with the position reached after every save (e.g. in-process projections)."""
        # the derivation root, not the current master key: a rotation changes no fingerprint
        self.fingerprints = Fingerprints(self.vault.derivation_root, self.vault)
        self.hot = HotEngagements()

    def construct_snapshot_store(self) -> EventStore[UUID]:
        """The library's; on PostgreSQL with its recorder bounded for outages."""
        recorder = snapshot_recorder(self.factory)
        if recorder is None:
            return super().construct_snapshot_store()
        return self.factory.event_store(mapper=self.mapper, recorder=recorder)

    def engagement(self, engagement_id: UUID) -> Engagement:
        try:
            found: object = self.repository.get(engagement_id, projector_func=project_engagement)
        except AggregateNotFoundError:
            raise errors.EngagementNotFoundError(f"no engagement {engagement_id}") from None
        if not isinstance(found, Engagement):
            raise errors.EngagementNotFoundError(f"no engagement {engagement_id}")
        return found

    def item_id(self, engagement_id: UUID, key: str, kind: str) -> str:
        """A new item's id: derived from the idempotency key, so a retry gets the same id."""
        if key:
            return str(self.fingerprints.derived_id(f"{engagement_id}|{kind}|{key}"))
        return str(uuid4())

    def _run(
        self,
        engagement_id: UUID,
        actor: Actor,
        command: EngagementCommand,
        expected_version: int | None = None,
        guard: Guard | None = None,
    ) -> Receipt:
        """Run one command on the engagement: guard, replay, version, rules, save.

        `guard` runs on the engagement the command loaded, before its history is asked
        about the key; `expected_version` after the replay, retries included, so a command
        never lands on a version the client did not see. The engagement this process saved
        last is tried first, for a save only (`domain.hot_engagements`).
        """
        item_id, args, sealed = self._arguments(engagement_id, command)
        seal, now = self.sealer(engagement_id), self.clock()
        run = Run(actor, command, item_id, args, sealed, seal, now, expected_version, guard)
        tries = 2
        hot = self.hot.take(engagement_id)
        if hot is not None:
            outcome = self._run_hot(hot, run)
            if isinstance(outcome, Receipt):
                return outcome
            if outcome:  # its save was refused: that was the first try, one retry is left
                tries = 1
        for attempt in range(tries, 0, -1):
            engagement = self.engagement(engagement_id)
            decided = self._decide(engagement, run, replay=True)
            if isinstance(decided, Receipt):
                return decided
            try:
                return self._save(engagement, item_id)
            except IntegrityError:
                if attempt == 1:
                    raise errors.ConcurrentUpdateError(
                        "the engagement changed while this command ran; retry"
                    ) from None
        raise AssertionError("unreachable")

    def _run_hot(self, engagement: Engagement, run: Run) -> Receipt | bool:
        """The command on the engagement as this process last saved it, which may be
        stale: the receipt, or whether a save was tried and refused, when the engagement
        as stored must decide (`domain.hot_engagements`)."""
        try:
            decided = self._decide(engagement, run, replay=False)
        except PersistenceError:
            raise  # the store failing is no decision: said once, not tried twice
        except Exception:  # decided on what may be an old version: decided again
            return False
        if decided is None:
            return False
        try:
            return self._save(engagement, run.item_id)
        except IntegrityError:
            self.hot.found_stale(engagement.id)
            return True

    def _decide(
        self, engagement: Engagement, run: Run, *, replay: bool
    ) -> Receipt | Command | None:
        """Guard, key, version and rules: the receipt of a replay, None when the key was
        seen but `replay` is off, or the command's `Command` once its event is pending."""
        if run.guard is not None:
            run.guard(engagement)
        command = run.command
        fingerprint = self.fingerprints.for_command(
            engagement, command.label, run.args, run.actor, command.key, run.sealed
        )
        cmd = Command(run.actor, command.occurred_at, run.now, command.key, fingerprint)
        if cmd.idempotency_key and cmd.idempotency_key in engagement.handled_commands:
            return self._replay(engagement, cmd, run.item_id) if replay else None
        check_version(engagement, run.expected)
        command.run(engagement, cmd, run.seal, run.item_id)
        return cmd

    def _arguments(
        self, engagement_id: UUID, command: EngagementCommand
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        """The new item's id, the arguments as fingerprinted (checked texts, JSON values),
        and the protagonist each sealed argument is sealed under and fingerprinted with."""
        item = command.new_item
        item_id = self.item_id(engagement_id, command.key, item.kind) if item else ""
        args = command.arguments(item_id)
        check_texts(args)
        sealed = {name: str(args["protagonist_id"]) for name in command.sealed}
        return item_id, {name: json_safe(value) for name, value in args.items()}, sealed

    def _open(self, actor: Actor, command: OpenEngagement) -> Receipt:
        """Open an engagement; its own checks (who may open) run before any replay."""
        args = {name: json_safe(value) for name, value in command.arguments().items()}
        check_texts(args)
        key = command.key
        fingerprint = self.fingerprint(command.label, args, actor) if key else ""
        cmd = Command(actor, command.occurred_at, self.clock(), key, fingerprint)
        engagement_id = self.fingerprints.derived_id(f"open|{key}") if key else uuid4()
        engagement = command.open(cmd, engagement_id)
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
        sealed: dict[str, str] | None = None,
    ) -> str:
        """The command's fingerprint (see `domain.fingerprints`)."""
        return self.fingerprints.of(cmd_name, args, actor, sealed)

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
        if not self.fingerprints.comparable(fingerprint):
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
        """Save, then keep the saved engagement for the next command on it."""
        position = self.save_and_notify(engagement)
        receipt = Receipt(engagement.id, position, engagement.version, item_id)
        self.hot.put(engagement)  # from here on, another thread may take it and change it
        return receipt

    def save_and_notify(self, *aggregates: Any) -> int:
        """Save atomically, tell the `on_saved` listeners, return the position reached."""
        recordings = self.save(*aggregates)
        position = max(r.notification.id for r in recordings)
        for listener in self.on_saved:
            listener(position)
        return position
