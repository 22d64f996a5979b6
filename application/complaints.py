"""Complaint commands (§5.1, §5.2)."""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from application.base import SNAPSHOT_INTERVAL, OpsApplication, TAggregate, command
from application.budgets import Budgets
from application.context import CommandContext, CommandResult
from application.customers import Customers
from application.errors import AggregateNotFound, ReferencedAggregateNotFound
from application.personal import PersonalTexts, SealedPersonalText
from domain.budget import Budget
from domain.complaint import Complaint
from domain.customer import CustomerErased
from domain.vocabulary import ComplaintCategory, Department, RootCause, ServiceChannel


class Complaints(OpsApplication):
    name = "complaints"
    snapshotting_intervals = {Complaint: SNAPSHOT_INTERVAL}

    def __init__(self, env: dict[str, str] | None = None, *, customers: Customers) -> None:
        # Before the Application's own: the transcoder seals with the customers' keys.
        self.customers = customers
        self.budgets: Budgets | None = None
        """The budgets compensations are checked against (set by Services)."""
        super().__init__(env)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        # Every word on a complaint is about its customer, sealed with their key.
        transcoder.register(SealedPersonalText(self.customers.personal_keys))
        self.personal_texts = PersonalTexts(self.customers.personal_keys)

    def readable(self, aggregate: TAggregate) -> TAggregate:
        if not isinstance(aggregate, Complaint):
            return aggregate
        texts, subject = self.personal_texts, aggregate.customer_id
        shown = copy.copy(aggregate)
        for name in ("description", "remedy_sought", "final_decision"):
            setattr(shown, name, texts.open_field(getattr(aggregate, name), subject))
        if aggregate.proposal is not None:
            shown.proposal = {
                **aggregate.proposal,
                "analysis": texts.open_field(aggregate.proposal["analysis"], subject),
                "plan": texts.open_field(aggregate.proposal["plan"], subject),
            }
        return shown

    def readable_payload(self, aggregate: Aggregate, payload: dict[str, Any]) -> dict[str, Any]:
        assert isinstance(aggregate, Complaint)
        return self.personal_texts.open_payload(payload, aggregate.customer_id)

    def get_complaint(self, complaint_id: UUID, version: int | None = None) -> Complaint:
        return self.get(complaint_id, Complaint, version)

    def complaint_as_of(self, complaint_id: UUID, moment: datetime) -> Complaint:
        return self.get_as_of(complaint_id, Complaint, moment)

    @command
    def receive_complaint(
        self,
        *,
        customer_id: UUID,
        channel: ServiceChannel,
        category: ComplaintCategory,
        description: str,
        remedy_sought: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        try:
            customer = self.customers.get_customer(customer_id)
        except AggregateNotFound:
            raise ReferencedAggregateNotFound(
                f"no customer {customer_id}", field="customer_id"
            ) from None
        if customer.erased:
            # Their words could only be stored erased: nothing would be left to handle.
            raise CustomerErased(f"customer {customer_id} was erased")
        complaint = Complaint.receive(
            customer_id=customer_id,
            channel=channel,
            category=category,
            description=description,
            remedy_sought=remedy_sought,
            received_at=self.clock(),
        )
        return self.record(complaint, ctx, created=True)

    def _change(self, complaint_id: UUID, ctx: CommandContext, act: Any) -> CommandResult:
        return self.change(complaint_id, Complaint, ctx, act)

    @command
    def acknowledge_complaint(
        self, complaint_id: UUID, *, message: str | None = None, ctx: CommandContext
    ) -> CommandResult:
        now = self.clock()
        return self._change(complaint_id, ctx, lambda c: c.acknowledge(message, now))

    @command
    def assess_complaint(
        self,
        complaint_id: UUID,
        *,
        severity: int,
        department: Department,
        assignee: str,
        ctx: CommandContext,
    ) -> CommandResult:
        return self._change(complaint_id, ctx, lambda c: c.assess(severity, department, assignee))

    @command
    def reassess_complaint(
        self, complaint_id: UUID, *, severity: int, reason: str, ctx: CommandContext
    ) -> CommandResult:
        """Re-grade the complaint's severity, with a reason; its due times follow the new grade
        (first response from receipt, resolution from receipt or the last reopening)."""
        return self._change(complaint_id, ctx, lambda c: c.reassess(severity, reason))

    @command
    def assign_complaint(
        self, complaint_id: UUID, *, department: Department, assignee: str, ctx: CommandContext
    ) -> CommandResult:
        return self._change(complaint_id, ctx, lambda c: c.assign(department, assignee))

    @command
    def propose_resolution(
        self,
        complaint_id: UUID,
        *,
        root_cause: RootCause | None,
        plan: str,
        analysis: str | None = None,
        compensation: Decimal | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        proposer = ctx.actor.principal
        if compensation:
            self.check_compensation(compensation)
        return self._change(
            complaint_id,
            ctx,
            lambda c: c.propose_resolution(root_cause, analysis, plan, compensation, proposer),
        )

    def compensation_budget(self) -> Budget | None:
        """The customer_service budget of the current fiscal year, if there is one."""
        if self.budgets is None:
            return None
        budget_id = Budget.create_id(Department.CUSTOMER_SERVICE, self.clock().year)
        try:
            return self.budgets.get_budget(budget_id)
        except AggregateNotFound:
            return None

    def check_compensation(self, amount: Decimal) -> tuple[Budget, str, Decimal] | None:
        """Refused under ``stop`` above what the compensation line has available; the
        budget, line and amount available otherwise (None: no budget takes it)."""
        budget = self.compensation_budget()
        checked = None if budget is None else budget.check_compensation(Decimal(amount))
        return None if checked is None or budget is None else (budget, *checked)

    @command
    def approve_resolution(self, complaint_id: UUID, *, ctx: CommandContext) -> CommandResult:
        approver = ctx.actor.principal
        return self._change(complaint_id, ctx, lambda c: c.approve_resolution(approver))

    @command
    def respond_to_complaint(
        self, complaint_id: UUID, *, message: str, ctx: CommandContext
    ) -> CommandResult:
        now, responder = self.clock(), ctx.actor.principal
        return self._change(complaint_id, ctx, lambda c: c.respond(message, now, responder))

    @command
    def record_customer_decision(
        self,
        complaint_id: UUID,
        *,
        accepted: bool,
        comment: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        now = self.clock()
        return self._change(
            complaint_id, ctx, lambda c: c.record_customer_decision(accepted, comment, now)
        )

    @command
    def record_final_decision(
        self, complaint_id: UUID, *, decision: str, ctx: CommandContext
    ) -> CommandResult:
        """The company's final decision when the customer does not accept: management's or
        a second customer_service principal's, never who proposed or responded."""
        now, decider = self.clock(), ctx.actor.principal
        return self._change(
            complaint_id, ctx, lambda c: c.record_final_decision(decision, now, decider)
        )

    @command
    def close_complaint(
        self,
        complaint_id: UUID,
        *,
        note: str | None = None,
        knowledge_article: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        now = self.clock()
        return self._change(complaint_id, ctx, lambda c: c.close(note, knowledge_article, now))

    @command
    def reopen_complaint(
        self, complaint_id: UUID, *, reason: str, ctx: CommandContext
    ) -> CommandResult:
        now = self.clock()
        return self._change(complaint_id, ctx, lambda c: c.reopen(reason, now))

    def record_sla_breach(self, complaint_id: UUID, *, clock: str, ctx: CommandContext) -> bool:
        """Record that the SLA ``clock`` ran out (the deadline scheduler), once: whether it
        was recorded now. Two schedulers racing write it once (the loser's save is
        stale, and reloaded, finds it recorded)."""
        for _attempt in range(3):
            complaint = self.get(complaint_id, Complaint)
            if not complaint.record_sla_breach(clock, self.clock()):
                return False
            try:
                self.record(complaint, ctx)
                return True
            except IntegrityError:
                continue
        return False

    @command
    def wait_for_customer(
        self, complaint_id: UUID, *, reason: str, ctx: CommandContext
    ) -> CommandResult:
        now = self.clock()
        return self._change(complaint_id, ctx, lambda c: c.wait_for_customer(reason, now))

    @command
    def resume_complaint(self, complaint_id: UUID, *, ctx: CommandContext) -> CommandResult:
        now = self.clock()
        return self._change(complaint_id, ctx, lambda c: c.resume(now))

    @command
    def withdraw_complaint(
        self, complaint_id: UUID, *, reason: str, ctx: CommandContext
    ) -> CommandResult:
        now = self.clock()
        return self._change(complaint_id, ctx, lambda c: c.withdraw(reason, now))
