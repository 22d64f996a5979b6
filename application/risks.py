"""Risk register commands (§8)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from application.base import SNAPSHOT_INTERVAL, OpsApplication, command
from application.context import CommandContext, CommandResult
from application.errors import AggregateNotFound
from domain.risk import (
    KriDirection,
    PlannedAction,
    Risk,
    RiskCategory,
    TreatmentStrategy,
)
from domain.vocabulary import Department


@dataclass(frozen=True)
class ActionDraft:
    """A treatment action as a client proposes it: the application gives it its id."""

    title: str
    owner: str
    due: date


class Risks(OpsApplication):
    name = "risks"
    snapshotting_intervals = {Risk: SNAPSHOT_INTERVAL}

    def get_risk(self, risk_id: UUID, version: int | None = None) -> Risk:
        return self.get(risk_id, Risk, version)

    def risk_as_of(self, risk_id: UUID, moment: datetime) -> Risk:
        return self.get_as_of(risk_id, Risk, moment)

    def get_kri(self, risk_id: UUID, kri_id: UUID) -> dict[str, Any]:
        risk = self.get_risk(risk_id)
        kri = risk.kris.get(str(kri_id))
        if kri is None:
            raise AggregateNotFound(f"risk {risk_id} has no KRI {kri_id}")
        return kri

    def _change(
        self, risk_id: UUID, ctx: CommandContext, act: Callable[[Risk], Any], **extra: Any
    ) -> CommandResult:
        return self.change(risk_id, Risk, ctx, act, **extra)

    @command
    def identify_risk(
        self,
        *,
        category: RiskCategory,
        title: str,
        description: str,
        owner: str,
        department: Department | None = None,
        cause: str | None = None,
        event: str | None = None,
        consequence: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        risk = Risk(
            category=category,
            title=title,
            description=description,
            cause=cause,
            risk_event=event,
            consequence=consequence,
            owner=owner,
            department=department,
            identified_by=ctx.actor.principal,
            identified_at=self.clock(),
        )
        return self.record(risk, ctx, created=True)

    @command
    def assess_risk(
        self, risk_id: UUID, *, likelihood: int, impact: int, ctx: CommandContext
    ) -> CommandResult:
        by, roles, now = ctx.actor.principal, ctx.actor.roles, self.clock()
        return self._change(risk_id, ctx, lambda r: r.assess(likelihood, impact, by, roles, now))

    @command
    def assess_residual_risk(
        self, risk_id: UUID, *, likelihood: int, impact: int, ctx: CommandContext
    ) -> CommandResult:
        by, roles, now = ctx.actor.principal, ctx.actor.roles, self.clock()
        return self._change(
            risk_id, ctx, lambda r: r.assess_residual(likelihood, impact, by, roles, now)
        )

    @command
    def plan_treatment(
        self,
        risk_id: UUID,
        *,
        strategy: TreatmentStrategy,
        counterparty: str | None = None,
        actions: Sequence[ActionDraft] = (),
        ctx: CommandContext,
    ) -> CommandResult:
        by, roles, now = ctx.actor.principal, ctx.actor.roles, self.clock()
        planned = [PlannedAction(uuid4(), a.title, a.owner, a.due) for a in actions]
        return self._change(
            risk_id,
            ctx,
            lambda r: r.plan_treatment(strategy, counterparty, planned, by, roles, now),
            action_ids=[str(a.action_id) for a in planned],
        )

    def _with_action(self, action_id: UUID, act: Callable[[Risk], None]) -> Callable[[Risk], None]:
        """An unknown action in the path is a missing resource (404), not a broken rule."""

        def checked(risk: Risk) -> None:
            if str(action_id) not in risk.actions:
                raise AggregateNotFound(f"risk {risk.id} has no action {action_id}")
            act(risk)

        return checked

    @command
    def start_risk_action(
        self, risk_id: UUID, action_id: UUID, *, ctx: CommandContext
    ) -> CommandResult:
        by, roles, now = ctx.actor.principal, ctx.actor.roles, self.clock()
        act = self._with_action(action_id, lambda r: r.start_action(action_id, by, roles, now))
        return self._change(risk_id, ctx, act)

    @command
    def complete_risk_action(
        self,
        risk_id: UUID,
        action_id: UUID,
        *,
        completed_on: date | None = None,
        note: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        by, roles, now = ctx.actor.principal, ctx.actor.roles, self.clock()
        act = self._with_action(
            action_id,
            lambda r: r.complete_action(
                action_id, completed_on or now.date(), note, by, roles, now
            ),
        )
        return self._change(risk_id, ctx, act)

    @command
    def decide_risk_acceptance(
        self,
        risk_id: UUID,
        *,
        approved: bool,
        expires_on: date | None = None,
        reason: str | None = None,
        justification: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        by, roles, now = ctx.actor.principal, ctx.actor.roles, self.clock()
        return self._change(
            risk_id,
            ctx,
            lambda r: r.decide_acceptance(
                approved, expires_on, reason, by, roles, now, justification
            ),
        )

    def lapse_acceptance(self, risk_id: UUID, *, ctx: CommandContext) -> bool:
        """Record an acceptance's lapse at its expiry date (the deadline scheduler), once:
        whether it was recorded now."""
        for _attempt in range(3):
            risk = self.get_risk(risk_id)
            risk.lapse_acceptance_if_due(self.clock())
            if not risk.pending_events:
                return False
            try:
                self.record(risk, ctx)
                return True
            except IntegrityError:
                continue
        return False

    @command
    def define_kri(
        self,
        risk_id: UUID,
        *,
        name: str,
        metric: str,
        direction: KriDirection,
        amber: Decimal,
        red: Decimal,
        unit: str | None = None,
        reporter: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        by, roles, kri_id = ctx.actor.principal, ctx.actor.roles, uuid4()
        return self._change(
            risk_id,
            ctx,
            lambda r: r.define_kri(
                kri_id, name, metric, direction, amber, red, unit, by, roles, reporter
            ),
            created=True,
            kri_id=str(kri_id),
        )

    @command
    def record_kri_reading(
        self,
        risk_id: UUID,
        *,
        kri_id: UUID,
        value: Decimal,
        observed_at: datetime | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        by, roles, now = ctx.actor.principal, ctx.actor.roles, self.clock()
        return self._change(
            risk_id,
            ctx,
            lambda r: r.record_kri_reading(kri_id, value, observed_at or now, by, roles, now),
        )

    @command
    def record_risk_review(
        self,
        risk_id: UUID,
        *,
        note: str,
        reviewed_on: date | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        by, roles, now = ctx.actor.principal, ctx.actor.roles, self.clock()
        return self._change(
            risk_id, ctx, lambda r: r.record_review(reviewed_on or now.date(), note, by, roles, now)
        )

    @command
    def close_risk(self, risk_id: UUID, *, reason: str, ctx: CommandContext) -> CommandResult:
        by, roles, now = ctx.actor.principal, ctx.actor.roles, self.clock()
        return self._change(risk_id, ctx, lambda r: r.close(reason, by, roles, now))

    @command
    def reopen_risk(self, risk_id: UUID, *, reason: str, ctx: CommandContext) -> CommandResult:
        by, roles, now = ctx.actor.principal, ctx.actor.roles, self.clock()
        return self._change(risk_id, ctx, lambda r: r.reopen(reason, by, roles, now))
