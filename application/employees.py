"""Employee commands (§6): hiring, training, appraisals, rewards, benefits, leave.

Who may act is decided here, around the domain's rules: hr runs the cycle and
may record an employee's own acts on their behalf; a principal linked to an
employee acts only as that employee; the employee's manager decides on leave.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from application.base import SNAPSHOT_INTERVAL, command
from application.calendar import CalendarCommands
from application.context import CommandContext, CommandResult
from application.errors import AggregateNotFound, ReferencedAggregateNotFound
from domain.employee import (
    ActingForAnother,
    AppraisalReviewKind,
    BenefitKind,
    Employee,
    EmployeeSeparated,
    EmployeeStatus,
    Goal,
    NoEmployeeIdentity,
    NotTheEmployeesManager,
    ReviewerRequired,
    TrainingKind,
)
from domain.errors import FourEyesViolation
from domain.vocabulary import Department, Role


def acting_as(ctx: CommandContext, employee_id: UUID) -> CommandContext:
    """The context of an act that is ``employee_id``'s own (a review, a leave request).

    A linked principal may only act as their own employee; hr may act for anyone,
    and then the events record for whom (``on_behalf_of``).
    """
    actor = ctx.actor
    if actor.employee_id is not None:
        if actor.employee_id != employee_id:
            raise ActingForAnother(
                f"{actor.principal} is employee {actor.employee_id} and cannot act as {employee_id}"
            )
        return ctx
    if actor.has_any(Role.HR):
        return replace(ctx, on_behalf_of=str(employee_id))
    raise NoEmployeeIdentity(
        f"{actor.principal} is neither hr nor linked to employee {employee_id}"
    )


def not_about_oneself(ctx: CommandContext, employee_id: UUID) -> None:
    """Four-eyes: no principal records a decision about their own employee record
    (probation, transfer, separation, goals, appraisal, rewards, benefits)."""
    if ctx.actor.employee_id == employee_id:
        raise FourEyesViolation(f"{ctx.actor.principal} cannot decide on their own record")


def check_leave_handler(ctx: CommandContext, employee: Employee, *, own_too: bool) -> None:
    """Leave is decided by the employee's manager or hr; with ``own_too`` (going on
    leave, coming back) the employee may record it too."""
    actor = ctx.actor
    linked = actor.employee_id
    is_manager = linked is not None and linked == employee.manager_id
    is_self = linked == employee.id
    if is_self and not own_too:
        raise FourEyesViolation(f"{actor.principal} cannot decide on their own leave")
    if not (is_manager or is_self or actor.has_any(Role.HR)):
        raise NotTheEmployeesManager(
            f"{actor.principal} is neither hr nor employee {employee.id}'s manager"
        )


class Employees(CalendarCommands):
    name = "employees"
    snapshotting_intervals = {Employee: SNAPSHOT_INTERVAL}

    def get_employee(self, employee_id: UUID, version: int | None = None) -> Employee:
        return self.get(employee_id, Employee, version)

    def employee_as_of(self, employee_id: UUID, moment: datetime) -> Employee:
        return self.get_as_of(employee_id, Employee, moment)

    def today(self) -> date:
        return self.clock().date()

    def _referenced(self, employee_id: UUID, field: str) -> Employee:
        """Another employee named in a command: it must exist and still be employed."""
        try:
            employee = self.get_employee(employee_id)
        except AggregateNotFound:
            raise ReferencedAggregateNotFound(f"no employee {employee_id}", field=field) from None
        if employee.status == EmployeeStatus.SEPARATED:
            raise EmployeeSeparated(f"{field} {employee_id} has separated", fields=(field,))
        return employee

    def _change(
        self,
        employee_id: UUID,
        ctx: CommandContext,
        act: Callable[[Employee], Any],
        **extra: Any,
    ) -> CommandResult:
        return self.change(employee_id, Employee, ctx, act, **extra)

    # Employment.

    @command
    def hire_employee(
        self,
        *,
        name: str,
        department: Department,
        position: str,
        hire_date: date,
        manager_id: UUID | None = None,
        prior_service_years: Decimal = Decimal(0),
        birthday: date | None = None,
        probation_end: date | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        if manager_id is not None:
            self._referenced(manager_id, "manager_id")
        employee = Employee.hire(
            name=name,
            department=department,
            position=position,
            manager_id=manager_id,
            hire_date=hire_date,
            prior_service_years=prior_service_years,
            birthday=birthday,
            probation_end=probation_end,
            now=self.clock(),
        )
        return self.record(employee, ctx, created=True)

    @command
    def confirm_employee(
        self, employee_id: UUID, *, on: date | None = None, ctx: CommandContext
    ) -> CommandResult:
        not_about_oneself(ctx, employee_id)
        now = self.clock()
        return self._change(employee_id, ctx, lambda e: e.confirm(on or now.date(), now))

    @command
    def transfer_employee(
        self,
        employee_id: UUID,
        *,
        department: Department | None = None,
        position: str | None = None,
        manager_id: UUID | None = None,
        on: date | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        """Another department, position or manager (or several); the department and
        position stay as they are when not sent, the manager is the one sent."""
        not_about_oneself(ctx, employee_id)
        if manager_id is not None and manager_id != employee_id:
            self._referenced(manager_id, "manager_id")
        now = self.clock()
        return self._change(
            employee_id,
            ctx,
            lambda e: e.transfer(
                department or e.department, position, manager_id, on or now.date(), now
            ),
        )

    @command
    def separate_employee(
        self, employee_id: UUID, *, on: date, reason: str, ctx: CommandContext
    ) -> CommandResult:
        not_about_oneself(ctx, employee_id)
        now = self.clock()
        return self._change(employee_id, ctx, lambda e: e.separate(on, reason, now))

    # Training.

    @command
    def record_training(
        self,
        employee_id: UUID,
        *,
        course: str,
        kind: TrainingKind,
        hours: Decimal,
        completed_on: date,
        plan_year: int | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        now = self.clock()
        return self._change(
            employee_id,
            ctx,
            lambda e: e.record_training(course, kind, hours, completed_on, plan_year, now),
        )

    # Appraisals.

    @command
    def set_goals(
        self,
        employee_id: UUID,
        *,
        cycle: str,
        period_start: date,
        period_end: date,
        goals: list[Goal],
        ctx: CommandContext,
    ) -> CommandResult:
        not_about_oneself(ctx, employee_id)
        return self._change(
            employee_id, ctx, lambda e: e.set_goals(cycle, period_start, period_end, goals)
        )

    @command
    def submit_review(
        self,
        employee_id: UUID,
        *,
        cycle: str,
        kind: AppraisalReviewKind,
        score: int,
        reviewer_id: UUID | None = None,
        comment: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        """A review by ``reviewer_id``: the linked principal themselves, or hr for them."""
        reviewer = reviewer_id or ctx.actor.employee_id
        if reviewer is None and ctx.actor.has_any(Role.HR):
            raise ReviewerRequired("name the reviewer_id", fields=("reviewer_id",))
        ctx = acting_as(ctx, reviewer or employee_id)
        assert reviewer is not None
        if reviewer != employee_id:
            self._referenced(reviewer, "reviewer_id")
        on, by = self.today(), ctx.actor.principal
        return self._change(
            employee_id,
            ctx,
            lambda e: e.submit_review(cycle, kind, reviewer, score, comment, by, on),
        )

    @command
    def finalize_appraisal(
        self,
        employee_id: UUID,
        *,
        cycle: str,
        rating: int,
        feedback: str,
        improvement_plan: str | None = None,
        improvement_plan_due: date | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        not_about_oneself(ctx, employee_id)
        on, by = self.today(), ctx.actor.principal
        return self._change(
            employee_id,
            ctx,
            lambda e: e.finalize_appraisal(
                cycle, rating, feedback, improvement_plan, improvement_plan_due, by, on
            ),
        )

    @command
    def record_improvement_plan(
        self,
        employee_id: UUID,
        *,
        cycle: str,
        plan: str,
        due: date | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        not_about_oneself(ctx, employee_id)
        return self._change(employee_id, ctx, lambda e: e.record_improvement_plan(cycle, plan, due))

    # Rewards and benefits.

    @command
    def reward_employee(
        self,
        employee_id: UUID,
        *,
        cycle: str,
        bonus: Decimal | None = None,
        promotion_to: str | None = None,
        honorary_title: str | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        not_about_oneself(ctx, employee_id)
        reward_id, on = uuid4(), self.today()
        return self._change(
            employee_id,
            ctx,
            lambda e: e.reward(reward_id, cycle, bonus, promotion_to, honorary_title, on),
            reward_id=str(reward_id),
        )

    @command
    def record_benefit(
        self,
        employee_id: UUID,
        *,
        kind: BenefitKind,
        on: date,
        occasion: str | None = None,
        amount: Decimal | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        not_about_oneself(ctx, employee_id)
        now = self.clock()
        return self._change(
            employee_id, ctx, lambda e: e.record_benefit(kind, on, occasion, amount, now)
        )

    # Leave.

    @command
    def request_leave(
        self,
        employee_id: UUID,
        *,
        start: date,
        end: date,
        days: int | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        """The employee's own request, or hr's on their behalf; answers the request's id.
        The working days of the period are counted by the company calendar."""
        ctx = acting_as(ctx, employee_id)
        request_id, by = uuid4(), ctx.actor.principal
        calendar = self.schedule(start.year)
        return self._change(
            employee_id,
            ctx,
            lambda e: e.request_leave(request_id, start, end, days, by, calendar),
            leave_request_id=str(request_id),
        )

    @command
    def cancel_leave(
        self, employee_id: UUID, request_id: UUID, *, ctx: CommandContext
    ) -> CommandResult:
        """The employee (their own linked principal) or hr withdraws leave that has not
        begun; its days return to the balance."""
        actor = ctx.actor
        if actor.employee_id != employee_id and not actor.has_any(Role.HR):
            raise NoEmployeeIdentity(f"{actor.principal} is neither hr nor employee {employee_id}")
        today = self.today()

        def act(employee: Employee) -> None:
            self._known_leave(employee, request_id)
            employee.cancel_leave(request_id, actor.principal, today)

        return self._change(employee_id, ctx, act)

    def _leave_decision(
        self,
        employee_id: UUID,
        request_id: UUID,
        ctx: CommandContext,
        decide: Callable[[Employee, str, UUID | None], None],
    ) -> CommandResult:
        actor = ctx.actor

        def act(employee: Employee) -> None:
            self._known_leave(employee, request_id)
            check_leave_handler(ctx, employee, own_too=False)
            decide(employee, actor.principal, actor.employee_id)

        return self._change(employee_id, ctx, act)

    @staticmethod
    def _known_leave(employee: Employee, request_id: UUID) -> None:
        if str(request_id) not in employee.leave_requests:
            raise AggregateNotFound(f"employee {employee.id} has no leave request {request_id}")

    @command
    def approve_leave(
        self, employee_id: UUID, request_id: UUID, *, ctx: CommandContext
    ) -> CommandResult:
        return self._leave_decision(
            employee_id,
            request_id,
            ctx,
            lambda e, by, by_id: e.approve_leave(request_id, by, by_id),
        )

    @command
    def reject_leave(
        self, employee_id: UUID, request_id: UUID, *, reason: str, ctx: CommandContext
    ) -> CommandResult:
        return self._leave_decision(
            employee_id,
            request_id,
            ctx,
            lambda e, by, by_id: e.reject_leave(request_id, reason, by, by_id),
        )

    @command
    def start_leave(
        self, employee_id: UUID, request_id: UUID, *, on: date | None = None, ctx: CommandContext
    ) -> CommandResult:
        return self._leave_step(employee_id, request_id, on, ctx, Employee.start_leave)

    @command
    def return_from_leave(
        self, employee_id: UUID, request_id: UUID, *, on: date | None = None, ctx: CommandContext
    ) -> CommandResult:
        return self._leave_step(employee_id, request_id, on, ctx, Employee.return_from_leave)

    def _leave_step(
        self,
        employee_id: UUID,
        request_id: UUID,
        on: date | None,
        ctx: CommandContext,
        step: Callable[[Employee, UUID, date, datetime], None],
    ) -> CommandResult:
        """Approved leave begins or ends (on ``on``, default today): the employee,
        their manager or hr records it."""
        now = self.clock()

        def act(employee: Employee) -> None:
            self._known_leave(employee, request_id)
            check_leave_handler(ctx, employee, own_too=True)
            step(employee, request_id, on or now.date(), now)

        return self._change(employee_id, ctx, act)
