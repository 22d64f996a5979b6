"""What every opsledger Application shares: load, guard, stamp, save, read history."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, OperationalError

from application import metrics
from application.context import CommandContext, CommandResult
from application.errors import (
    AggregateNotFound,
    ConcurrentWriteConflict,
    IdempotencyKeyReused,
    VersionMismatch,
)
from application.idempotency import IdempotencyRecord, KeyClaims, remembering
from application.transcodings import register_domain_transcodings
from domain.errors import DomainError

P = ParamSpec("P")
A = TypeVar("A", bound="OpsApplication")
TAggregate = TypeVar("TAggregate", bound=Aggregate)

SNAPSHOT_INTERVAL = 50


def utcnow() -> datetime:
    return datetime.now(UTC)


class IdentityTaken(IntegrityError):
    """A new aggregate's id is in the store already (ids derived from business keys)."""

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(f"aggregate {aggregate_id} exists already")
        self.aggregate_id = aggregate_id


@dataclass(frozen=True)
class RecordedEvent:
    """A stored event as auditors and clients read it."""

    type: str
    version: int
    timestamp: datetime
    metadata: dict[str, Any]
    payload: dict[str, Any]


def command(
    method: Callable[Concatenate[A, P], CommandResult],
) -> Callable[Concatenate[A, P], CommandResult]:
    """Make an application method a command: idempotent on its key, safe under races.

    The method receives ``ctx`` as a keyword argument. A request repeated with
    the same Idempotency-Key answers what it answered the first time and writes
    nothing; a lost race for the same aggregate version becomes a conflict.
    """

    @functools.wraps(method)
    def handle(self: A, *args: P.args, **kwargs: P.kwargs) -> CommandResult:
        ctx = kwargs["ctx"]
        assert isinstance(ctx, CommandContext)
        # The command's name is what caused its events: the metadata records it.
        kwargs["ctx"] = ctx = replace(ctx, command=method.__name__)
        remembered = self.remembered_result(ctx)
        if remembered is not None:
            return remembered
        try:
            return method(self, *args, **kwargs)
        except (DomainError, VersionMismatch):
            # A retry racing its own first attempt can load the state that attempt
            # wrote, and be refused by it: then the first answer is the answer.
            remembered = self.remembered_result(ctx) if ctx.idempotency else None
            if remembered is not None:
                return remembered
            raise
        except IntegrityError as error:
            # Either our idempotency key was taken by a twin request that
            # committed first, or another writer took the aggregate version
            # (or, for a creation, the aggregate's id).
            remembered = self.remembered_result(ctx)
            if remembered is not None:
                return remembered
            if isinstance(error, IdentityTaken):
                raise self.identity_taken(error.aggregate_id) from None
            raise ConcurrentWriteConflict(
                "another command changed this resource at the same time; reload it and retry"
            ) from None
        except OperationalError:
            # On PostgreSQL a twin that committed first can abort our pipeline
            # before its key's uniqueness error reaches us ("pipeline aborted"):
            # its answer is then ours. With no twin it is an outage after all.
            remembered = self.remembered_result(ctx) if ctx.idempotency else None
            if remembered is not None:
                return remembered
            raise

    @functools.wraps(method)
    def counted(self: A, *args: P.args, **kwargs: P.kwargs) -> CommandResult:
        """``handle``, counted in opsledger_commands_total by its outcome."""
        try:
            result = handle(self, *args, **kwargs)
        except Exception as error:
            metrics.count_command(getattr(self, "name", "?"), method.__name__, error)
            raise
        metrics.count_command(getattr(self, "name", "?"), method.__name__, None)
        return result

    return counted


class OpsApplication(Application[UUID]):
    """Base of the five aggregate applications."""

    clock: Callable[[], datetime] = staticmethod(utcnow)
    idempotency_peers: Sequence[OpsApplication] = ()
    """The other applications, whose idempotency keys a command's key must not reuse."""
    key_claims: KeyClaims | None = None
    """Which collection each key went to first (shared by the applications)."""
    on_saved: Callable[[], None] | None = None
    """Called after events are saved: lets an in-process projection runner catch up at once."""

    def _notify(self, recordings: Sequence[Any]) -> None:
        if self.on_saved is not None:
            self.on_saved()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    # Reads.

    def get(
        self, aggregate_id: UUID, kind: type[TAggregate], version: int | None = None
    ) -> TAggregate:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            at = f" at version {version}" if version is not None else ""
            raise AggregateNotFound(f"no {kind.__name__.lower()} {aggregate_id}{at}") from None
        if not isinstance(aggregate, kind):
            raise AggregateNotFound(f"no {kind.__name__.lower()} {aggregate_id}")
        if version is not None and aggregate.version != version:
            # The repository answers a version not reached yet with the latest one.
            raise AggregateNotFound(
                f"no {kind.__name__.lower()} {aggregate_id} at version {version}: "
                f"it is at version {aggregate.version}"
            )
        return aggregate

    def get_as_of(self, aggregate_id: UUID, kind: type[TAggregate], moment: datetime) -> TAggregate:
        """The aggregate as it stood at ``moment`` (its last event at or before it)."""
        version = None
        for stored in self.events.get(aggregate_id):
            if stored.timestamp > moment:  # type: ignore[attr-defined]
                break
            version = stored.originator_version
        if version is None:
            raise AggregateNotFound(
                f"{kind.__name__.lower()} {aggregate_id} did not exist at {moment.isoformat()}"
            )
        return self.get(aggregate_id, kind, version=version)

    def readable(self, aggregate: TAggregate) -> TAggregate:
        """The aggregate as a read shows it: the applications holding free text about
        customers open it here (erased words read as erased)."""
        return aggregate

    def readable_payload(self, aggregate: Aggregate, payload: dict[str, Any]) -> dict[str, Any]:
        """An event's fields as a read shows them (see ``readable``)."""
        return payload

    def history(self, aggregate_id: UUID, kind: type[Aggregate]) -> list[RecordedEvent]:
        # 404 for unknown ids and ids of another kind
        aggregate = self.get(aggregate_id, kind)
        return [
            RecordedEvent(
                type=type(e).__name__,
                version=e.originator_version,
                timestamp=e.timestamp,  # type: ignore[attr-defined]
                metadata=dict(getattr(e, "meta", {})),
                payload=self.readable_payload(
                    aggregate,
                    {
                        k: v
                        for k, v in vars(e).items()
                        if k not in ("originator_id", "originator_version", "timestamp", "meta")
                    },
                ),
            )
            for e in self.events.get(aggregate_id)
        ]

    # Writes.

    def load(self, aggregate_id: UUID, kind: type[TAggregate], ctx: CommandContext) -> TAggregate:
        """Load for a command, honouring If-Match."""
        aggregate = self.get(aggregate_id, kind)
        if ctx.expected_version is not None and aggregate.version != ctx.expected_version:
            raise VersionMismatch(
                f"{kind.__name__.lower()} {aggregate_id} is at version {aggregate.version}, "
                f"not {ctx.expected_version}",
                current_version=aggregate.version,
            )
        return aggregate

    def change(
        self,
        aggregate_id: UUID,
        kind: type[TAggregate],
        ctx: CommandContext,
        act: Callable[[TAggregate], Any],
        **extra: Any,
    ) -> CommandResult:
        """The shape of every command on an existing aggregate: load, act, record."""
        aggregate = self.load(aggregate_id, kind, ctx)
        act(aggregate)
        return self.record(aggregate, ctx, **extra)

    def record(
        self,
        aggregate: Aggregate,
        ctx: CommandContext,
        *,
        created: bool = False,
        **extra: Any,
    ) -> CommandResult:
        """Stamp the pending events with the command's metadata and save them."""
        return self.record_all([aggregate], ctx, created=created, **extra)

    def record_all(
        self,
        aggregates: Sequence[Aggregate],
        ctx: CommandContext,
        *,
        created: bool = False,
        **extra: Any,
    ) -> CommandResult:
        """Like ``record``, for several aggregates saved together in one transaction.

        The answer (and the remembered idempotent answer) names the last aggregate:
        its last event is the last one written, so its position covers them all.
        """
        metadata = ctx.metadata()
        for changed in aggregates:
            for domain_event in changed.pending_events:
                # Metadata is not part of the event's own fields: it is who/why,
                # attached here so that the domain never has to know about requests.
                object.__setattr__(domain_event, "meta", metadata)
        aggregate = aggregates[-1]
        version = aggregate.pending_events[-1].originator_version
        idempotency = None
        if ctx.idempotency is not None:
            idempotency = IdempotencyRecord(
                scope=ctx.actor.principal,
                key=ctx.idempotency.key,
                fingerprint=ctx.idempotency.fingerprint,
                originator_id=aggregate.id,
                originator_version=version,
                created=created,
                extra=extra,
            )
        try:
            recordings = self.save(*aggregates, idempotency=idempotency)
        except IntegrityError as error:
            if created and len(aggregates) == 1:
                raise IdentityTaken(aggregate.id) from error
            raise
        return CommandResult(
            id=aggregate.id,
            version=version,
            position=self.position_token(recordings[-1].notification.id),
            created=created,
            extra=extra,
        )

    def identity_taken(self, aggregate_id: UUID) -> Exception:
        """The error a creation answers when its id is taken; apps with derived ids name it."""
        return ConcurrentWriteConflict(
            f"another command created {aggregate_id} at the same time; reload it"
        )

    def position_token(self, notification_id: int) -> str:
        return f"{self.name}:{notification_id}"

    def _check_key_unused_elsewhere(self, principal: str, key: str) -> None:
        """A key belongs to one request, whichever collection it went to first: the
        first collection to claim it owns it, also against a twin sent at once."""
        if self.key_claims is not None:
            owner, claimed = self.key_claims.claim(principal, key, self.name)
            if owner != self.name:
                raise IdempotencyKeyReused(
                    f"Idempotency-Key {key!r} was used for a request to /{owner}"
                )
            if not claimed:
                return
        # A new claim: the key may still be one remembered before claims were kept.
        peers = self.idempotency_peers
        holders = remembering([peer.recorder for peer in peers], principal, key)
        if holders:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {key!r} was used for a request to /{peers[holders[0]].name}"
            )

    def remembered_result(self, ctx: CommandContext) -> CommandResult | None:
        if ctx.idempotency is None:
            return None
        record = self.recorder.select_idempotency(  # type: ignore[attr-defined]
            ctx.actor.principal, ctx.idempotency.key
        )
        if record is None:
            self._check_key_unused_elsewhere(ctx.actor.principal, ctx.idempotency.key)
            return None
        if record.fingerprint != ctx.idempotency.fingerprint:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {ctx.idempotency.key!r} was used for a different request"
            )
        return CommandResult(
            id=record.originator_id,
            version=record.originator_version,
            position=self.position_token(record.notification_id or 0),
            created=record.created,
            extra=record.extra,
        )
