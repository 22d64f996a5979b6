"""Alerts: raised by policies and the deadline scheduler, acknowledged or resolved by
the people they are for, resolved by a policy when their cause is gone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.base import OpsApplication, command
from application.context import Actor, CommandContext, CommandResult
from application.errors import ApplicationError
from domain.alert import RECIPIENTS, SUBJECT_TYPES, Alert
from domain.vocabulary import Role

SYSTEM = "policy:alerts"
"""The principal of alerts a caller raised without naming one (the scheduler names itself)."""


class AlertRaisedAlready(ApplicationError):
    """Internal: the alert's cause was seen before; raise_alert answers the alert."""

    slug = "alert-raised-already"
    title = "This cause raised its alert already"


def system_context(
    principal: str = SYSTEM, cause: dict[str, object] | None = None
) -> CommandContext:
    """A context for a policy's own command (no request, no idempotency key)."""
    return CommandContext(
        actor=Actor(principal=principal, roles=frozenset()),
        request_id=principal,
        cause=dict(cause) if cause else None,
    )


class Alerts(OpsApplication):
    name = "alerts"

    def get_alert(self, alert_id: UUID, version: int | None = None) -> Alert:
        return self.get(alert_id, Alert, version)

    def alert_as_of(self, alert_id: UUID, moment: datetime) -> Alert:
        return self.get_as_of(alert_id, Alert, moment)

    def identity_taken(self, aggregate_id: UUID) -> Exception:
        return AlertRaisedAlready(f"alert {aggregate_id} exists")

    def raise_alert(
        self,
        *,
        kind: str,
        key: str,
        subject_type: str,
        subject_id: UUID,
        summary: str,
        for_roles: Sequence[Role | str] | None = None,
        for_principals: Sequence[str] = (),
        scope: str = "",
        ctx: CommandContext | None = None,
    ) -> CommandResult:
        """Raise the alert ``kind`` for the cause named ``key``, once: the same kind and
        key answer the alert raised the first time and write nothing (its id is derived
        from them), even when two processes raise it at once. ``ctx.cause`` (the event or
        deadline it follows) is recorded in the event's metadata and in the alert.
        ``for_roles`` defaults to the kind's recipients (``domain.alert.RECIPIENTS``)."""
        if for_roles is None:
            for_roles = RECIPIENTS.get(kind, ("management",))
        if subject_type not in SUBJECT_TYPES:
            raise ValueError(f"unknown alert subject type {subject_type!r}")
        ctx = ctx or system_context()
        alert_id = Alert.create_id(kind, key)
        try:
            return self._answer(self.get_alert(alert_id))
        except ApplicationError:
            pass
        try:
            return self._raise(
                alert_id,
                kind=kind,
                key=key,
                subject_type=subject_type,
                subject_id=subject_id,
                summary=summary,
                for_roles=[Role(r).value for r in for_roles],
                for_principals=list(for_principals),
                scope=scope,
                ctx=ctx,
            )
        except AlertRaisedAlready:
            return self._answer(self.get_alert(alert_id))

    def _answer(self, alert: Alert) -> CommandResult:
        head = self.recorder.max_notification_id() or 0
        return CommandResult(id=alert.id, version=alert.version, position=self.position_token(head))

    @command
    def _raise(
        self,
        alert_id: UUID,
        *,
        kind: str,
        key: str,
        subject_type: str,
        subject_id: UUID,
        summary: str,
        for_roles: list[str],
        for_principals: list[str],
        scope: str,
        ctx: CommandContext,
    ) -> CommandResult:
        cause = ctx.cause or {}
        alert = Alert(
            kind=kind,
            key=key,
            for_roles=for_roles,
            for_principals=for_principals,
            subject_type=subject_type,
            subject_id=subject_id,
            summary=summary,
            cause_event_id=_text(cause.get("event_id")),
            cause_log=_text(cause.get("log")),
            cause_position=_int(cause.get("position")),
            raised_at=self.clock(),
            scope=scope,
        )
        assert alert.id == alert_id
        return self.record(alert, ctx, created=True)

    @command
    def acknowledge_alert(self, alert_id: UUID, *, ctx: CommandContext) -> CommandResult:
        by, roles, now = ctx.actor.principal, ctx.actor.roles, self.clock()
        return self.change(alert_id, Alert, ctx, lambda a: a.acknowledge(by, roles, now))

    @command
    def resolve_alert(
        self, alert_id: UUID, *, note: str | None = None, ctx: CommandContext
    ) -> CommandResult:
        by, roles, now = ctx.actor.principal, ctx.actor.roles, self.clock()
        return self.change(alert_id, Alert, ctx, lambda a: a.resolve(note, by, roles, now))

    def resolve_if_open(self, alert_id: UUID, *, reason: str, ctx: CommandContext) -> bool:
        """Resolve the alert because its cause is gone; whether anything was written.

        Idempotent by itself (a resolved alert stays so), so the context's
        Idempotency-Key is not recorded: one event may end several alerts."""
        ctx = replace(ctx, idempotency=None)
        for _attempt in range(3):
            alert = self.get_alert(alert_id)
            if not alert.resolve_as_cause_gone(reason, ctx.actor.principal, self.clock()):
                return False
            try:
                self.record(alert, ctx)
                return True
            except IntegrityError:  # someone acknowledged or resolved it meanwhile
                continue
        return False


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None
