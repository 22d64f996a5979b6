"""Budget commands (§7.1 budget, §7.2 cost control, §7.3 funds)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from copy import deepcopy
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import project_aggregate
from eventsourcing.domain import Aggregate

from application.base import SNAPSHOT_INTERVAL, OpsApplication, command
from application.context import CommandContext, CommandResult
from application.errors import AggregateNotFound
from domain.budget import (
    Budget,
    BudgetAlreadyExists,
    BudgetControl,
    BudgetReviewStage,
    PlannedLine,
    check_department_head,
    check_fiscal_year,
    ready_for_review,
)
from domain.vocabulary import Department, Role

LineInput = PlannedLine | Mapping[str, Any]
TAggregate = TypeVar("TAggregate", bound=Aggregate)


def planned_lines(lines: Sequence[LineInput]) -> list[PlannedLine]:
    return [line if isinstance(line, PlannedLine) else PlannedLine(**line) for line in lines]


class Budgets(OpsApplication):
    name = "budgets"
    snapshotting_intervals = {Budget: SNAPSHOT_INTERVAL}

    # Reads.

    def get(
        self, aggregate_id: UUID, kind: type[TAggregate], version: int | None = None
    ) -> TAggregate:
        """The aggregate; a budget loaded from a snapshot taken before Budget's version 2
        is rebuilt from its events, which hold what that snapshot lacks (and cached so,
        for the newer events to be applied to the whole state)."""
        aggregate = super().get(aggregate_id, kind, version)
        if not getattr(aggregate, "history_incomplete", False):
            return aggregate
        rebuilt = project_aggregate(None, self.events.get(aggregate_id, lte=version))
        assert isinstance(rebuilt, kind)
        if version is None and self.repository.cache is not None:
            self.repository.cache.put(aggregate_id, deepcopy(rebuilt))
        return rebuilt

    def get_budget(self, budget_id: UUID, version: int | None = None) -> Budget:
        return self.get(budget_id, Budget, version)

    def budget_as_of(self, budget_id: UUID, moment: datetime) -> Budget:
        return self.get_as_of(budget_id, Budget, moment)

    def find_budget(self, department: Department, fiscal_year: int) -> Budget | None:
        try:
            return self.get_budget(Budget.create_id(department, fiscal_year))
        except AggregateNotFound:
            return None

    def budgets_of_year(self, fiscal_year: int) -> list[Budget]:
        """Every department's budget of ``fiscal_year``: ids derive from the pair."""
        found = (self.find_budget(department, fiscal_year) for department in Department)
        return [budget for budget in found if budget is not None]

    def identity_taken(self, aggregate_id: UUID) -> Exception:
        budget = self.get_budget(aggregate_id)
        return _already_exists(budget)

    # Drafting and submission: by the department's own head.

    @command
    def draft_budget(
        self,
        *,
        department: Department,
        fiscal_year: int,
        lines: Sequence[LineInput],
        control: BudgetControl = BudgetControl.STOP,
        ctx: CommandContext,
    ) -> CommandResult:
        check_department_head(department, ctx.actor.roles)
        check_fiscal_year(fiscal_year)
        existing = self.find_budget(department, fiscal_year)
        if existing is not None:
            raise _already_exists(existing)
        budget = Budget.draft(
            department=department,
            fiscal_year=fiscal_year,
            control=control,
            lines=planned_lines(lines),
            drafted_by=ctx.actor.principal,
            at=self.clock(),
        )
        return self.record(budget, ctx, created=True)

    def _change(
        self, budget_id: UUID, ctx: CommandContext, act: Callable[[Budget], Any], **extra: Any
    ) -> CommandResult:
        return self.change(budget_id, Budget, ctx, act, **extra)

    def _as_head(
        self, budget_id: UUID, ctx: CommandContext, act: Callable[[Budget], Any]
    ) -> CommandResult:
        def checked(budget: Budget) -> None:
            check_department_head(budget.department, ctx.actor.roles)
            act(budget)

        return self._change(budget_id, ctx, checked)

    @command
    def replace_budget_lines(
        self, budget_id: UUID, *, lines: Sequence[LineInput], ctx: CommandContext
    ) -> CommandResult:
        planned = planned_lines(lines)
        principal = ctx.actor.principal
        return self._as_head(budget_id, ctx, lambda b: b.replace_lines(planned, principal))

    @command
    def submit_budget(self, budget_id: UUID, *, ctx: CommandContext) -> CommandResult:
        now = self.clock()
        return self._as_head(budget_id, ctx, lambda b: b.submit(ctx.actor.principal, now))

    # Reviews: finance, management, board (per budget or for a whole year).

    def _review(
        self,
        budget_id: UUID,
        stage: BudgetReviewStage,
        approved: bool,
        reason: str | None,
        ctx: CommandContext,
    ) -> CommandResult:
        now = self.clock()
        principal = ctx.actor.principal
        return self._change(
            budget_id, ctx, lambda b: b.review(stage, approved, reason, principal, now)
        )

    @command
    def review_budget(
        self,
        budget_id: UUID,
        *,
        approved: bool,
        reason: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        """Finance review: approve, or return to draft with a reason."""
        return self._review(budget_id, BudgetReviewStage.FINANCE, approved, reason, ctx)

    @command
    def approve_budget_by_management(
        self,
        budget_id: UUID,
        *,
        approved: bool,
        reason: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        return self._review(budget_id, BudgetReviewStage.MANAGEMENT, approved, reason, ctx)

    @command
    def approve_budget_by_board(
        self,
        budget_id: UUID,
        *,
        approved: bool,
        reason: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        return self._review(budget_id, BudgetReviewStage.BOARD, approved, reason, ctx)

    def _approve_year(
        self, fiscal_year: int, stage: BudgetReviewStage, ctx: CommandContext
    ) -> CommandResult:
        check_fiscal_year(fiscal_year)
        budgets = self.budgets_of_year(fiscal_year)
        ready = ready_for_review(stage, budgets, fiscal_year, ctx.actor.principal)
        now = self.clock()
        for budget in ready:
            budget.review(stage, True, None, ctx.actor.principal, now)
        approved = [
            {"id": str(b.id), "department": b.department.value, "version": b.version} for b in ready
        ]
        return self.record_all(
            ready, ctx, fiscal_year=fiscal_year, stage=stage.value, approved=approved
        )

    @command
    def approve_fiscal_year_by_management(
        self, fiscal_year: int, *, ctx: CommandContext
    ) -> CommandResult:
        """Management approval of every finance-reviewed budget of the year, all or none."""
        return self._approve_year(fiscal_year, BudgetReviewStage.MANAGEMENT, ctx)

    @command
    def approve_fiscal_year_by_board(
        self, fiscal_year: int, *, ctx: CommandContext
    ) -> CommandResult:
        """Board approval of every management-approved budget of the year, all or none."""
        return self._approve_year(fiscal_year, BudgetReviewStage.BOARD, ctx)

    # Execution: actuals (finance).

    @command
    def record_actual(
        self,
        budget_id: UUID,
        *,
        line: str,
        amount: Decimal,
        document_ref: str,
        date: date,
        description: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        now = self.clock()
        principal = ctx.actor.principal
        return self._change(
            budget_id,
            ctx,
            lambda b: b.record_actual(
                line, amount, document_ref, date, principal, now, description
            ),
        )

    @command
    def reverse_actual(
        self,
        budget_id: UUID,
        *,
        document_ref: str,
        reason: str,
        amount: Decimal | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        """Reverse the actual booked as ``document_ref`` (all of it, or ``amount``)."""
        now = self.clock()
        principal = ctx.actor.principal
        return self._change(
            budget_id,
            ctx,
            lambda b: b.reverse_actual(document_ref, reason, principal, now, amount),
        )

    # Adjustments: requested by the department's head or finance, approved by
    # finance (within 10 % of the planned spending in the year) or management.

    @command
    def request_adjustment(
        self,
        budget_id: UUID,
        *,
        amount: Decimal,
        reason: str,
        to_line: str | None = None,
        from_line: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        adjustment_id = uuid4()
        now = self.clock()
        actor = ctx.actor

        def request(budget: Budget) -> None:
            if Role.FINANCE not in actor.roles:
                check_department_head(budget.department, actor.roles)
            budget.request_adjustment(
                adjustment_id, from_line, to_line, amount, reason, actor.principal, now
            )

        return self._change(budget_id, ctx, request, adjustment_id=str(adjustment_id))

    def get_adjustment(self, budget_id: UUID, adjustment_id: UUID) -> dict[str, Any]:
        """An adjustment of a budget; 404 for an unknown one."""
        return _adjustment_of(self.get_budget(budget_id), adjustment_id)

    @command
    def approve_adjustment(
        self, budget_id: UUID, adjustment_id: UUID, *, ctx: CommandContext
    ) -> CommandResult:
        now = self.clock()
        actor = ctx.actor

        def approve(budget: Budget) -> None:
            _adjustment_of(budget, adjustment_id)
            budget.approve_adjustment(adjustment_id, actor.principal, actor.roles, now)

        return self._change(budget_id, ctx, approve, adjustment_id=str(adjustment_id))

    @command
    def reject_adjustment(
        self, budget_id: UUID, adjustment_id: UUID, *, reason: str, ctx: CommandContext
    ) -> CommandResult:
        now = self.clock()
        actor = ctx.actor

        def reject(budget: Budget) -> None:
            _adjustment_of(budget, adjustment_id)
            budget.reject_adjustment(adjustment_id, reason, actor.principal, actor.roles, now)

        return self._change(budget_id, ctx, reject, adjustment_id=str(adjustment_id))

    # Year-end close (finance).

    @command
    def close_budget(self, budget_id: UUID, *, ctx: CommandContext) -> CommandResult:
        now = self.clock()
        return self._change(budget_id, ctx, lambda b: b.close(ctx.actor.principal, now))


def _already_exists(budget: Budget) -> BudgetAlreadyExists:
    return BudgetAlreadyExists(
        f"the {budget.department.value} budget for {budget.fiscal_year} exists already: "
        f"{budget.id} ({budget.status.value})"
    )


def _adjustment_of(budget: Budget, adjustment_id: UUID) -> dict[str, Any]:
    if str(adjustment_id) not in budget.adjustments:
        raise AggregateNotFound(f"budget {budget.id} has no adjustment {adjustment_id}")
    return budget.adjustments[str(adjustment_id)]
