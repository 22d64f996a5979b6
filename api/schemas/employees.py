"""Employee requests and responses (§6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import Code, CommandIn, Money, Name, Text, plain
from domain.employee import (
    CYCLE_PATTERN,
    Appraisal,
    AppraisalReviewKind,
    BenefitKind,
    Employee,
    LeaveRequest,
    TrainingKind,
    appraisal_status,
    improvement_plan_outstanding,
)
from domain.vocabulary import Department

Cycle = Annotated[
    str,
    Field(
        pattern=CYCLE_PATTERN.pattern,
        examples=["2026", "2026-H1", "2026-Q3"],
        description="The appraisal cycle: a year, optionally a half or a quarter",
    ),
]
ServiceYears = Annotated[Decimal, Field(ge=0, le=60, decimal_places=2, examples=["3.5"])]
Hours = Annotated[Decimal, Field(max_digits=6, decimal_places=2, examples=["16"])]
Target = Annotated[Decimal, Field(max_digits=18, decimal_places=4, examples=["95"])]
# `date` as a field name would shadow the type inside the model: the field is `on`,
# sent and shown as "date".
OnDate = Annotated[dt.date, Field(alias="date")]
OptionalOnDate = Annotated[dt.date | None, Field(alias="date")]


class EmployeeHireRequest(CommandIn):
    name: Name
    department: Department
    position: Name
    manager_id: UUID | None = None
    hire_date: dt.date
    prior_service_years: ServiceYears = Decimal(0)
    birthday: dt.date | None = None
    probation_end: dt.date | None = Field(
        default=None,
        description="Last day of probation: by default, and at most, six months after the "
        "hire date (劳动合同法 Art. 19)",
    )


class EmployeeConfirmRequest(CommandIn):
    """End of probation; ``date`` defaults to today."""

    on: OptionalOnDate = None


class EmployeeTransferRequest(CommandIn):
    """Another department, position or manager: within the department too."""

    department: Department | None = Field(default=None, description="Default: the current one")
    position: Name | None = Field(default=None, description="Default: the current one")
    manager_id: UUID | None = Field(
        default=None, description="The manager in the new department (none if absent)"
    )
    on: OptionalOnDate = None


class EmployeeSeparateRequest(CommandIn):
    on: OnDate
    reason: Text


class EmployeeTrainingRequest(CommandIn):
    course: Name
    kind: TrainingKind
    hours: Hours
    completed_on: dt.date
    plan_year: int | None = Field(
        default=None, ge=2000, le=2100, description="The training plan's year (default: completed)"
    )


class AppraisalGoalInput(CommandIn):
    title: Name
    metric: Name
    target: Target
    unit: Code
    deadline: dt.date
    weight: int = Field(description="1 to 100; the goals' weights sum to 100")


class AppraisalGoalsRequest(CommandIn):
    period_start: dt.date
    period_end: dt.date
    goals: list[AppraisalGoalInput] = Field(max_length=50)


class AppraisalReviewRequest(CommandIn):
    kind: AppraisalReviewKind
    reviewer_id: UUID | None = Field(
        default=None,
        description="Who reviews; a principal linked to an employee may only name itself "
        "(and may leave it out)",
    )
    score: int = Field(description="1 to 5")
    comment: Text | None = None


class AppraisalFinalizeRequest(CommandIn):
    rating: int = Field(description="1 to 5; below 3 an improvement plan is due")
    feedback: Text
    improvement_plan: Text | None = None
    improvement_plan_due: dt.date | None = None


class AppraisalImprovementPlanRequest(CommandIn):
    plan: Text
    due: dt.date | None = None


class EmployeeRewardRequest(CommandIn):
    cycle: Cycle
    bonus: Money | None = Field(default=None, gt=Decimal("0"))
    promotion_to: Name | None = Field(default=None, description="The new position")
    honorary_title: Name | None = None


class EmployeeBenefitRequest(CommandIn):
    kind: BenefitKind
    on: OnDate
    occasion: Code | None = Field(
        default=None, description="The holiday of a holiday benefit", examples=["spring_festival"]
    )
    amount: Money | None = Field(default=None, gt=Decimal("0"))


class LeaveRequestCommand(CommandIn):
    start: dt.date
    end: dt.date
    days: int | None = Field(
        default=None,
        description="Working days of paid annual leave; the server counts them by the "
        "company calendar (GET /calendar/{year}), and refuses a figure that differs",
    )


class LeaveRejectRequest(CommandIn):
    reason: Text


class LeaveStepRequest(CommandIn):
    """Going on leave or coming back; ``date`` defaults to today."""

    on: OptionalOnDate = None


class GoalOut(BaseModel):
    title: str
    metric: str
    target: Decimal
    unit: str
    deadline: dt.date
    weight: int


class ReviewOut(BaseModel):
    kind: AppraisalReviewKind
    reviewer_id: UUID
    score: int
    comment: str | None
    submitted_on: dt.date
    recorded_by: str


class AppraisalOut(BaseModel):
    cycle: str
    status: str
    period_start: dt.date
    period_end: dt.date
    goals: list[GoalOut]
    reviews: list[ReviewOut]
    peer_reviews: int
    rating: int | None
    feedback: str | None
    finalized_on: dt.date | None
    finalized_by: str | None
    improvement_plan: str | None
    improvement_plan_due: dt.date | None
    improvement_plan_outstanding: bool

    @classmethod
    def of(cls, appraisal: Appraisal) -> AppraisalOut:
        reviews = appraisal["reviews"]
        fields: dict[str, Any] = {**appraisal}
        return cls(
            **fields,
            status=appraisal_status(appraisal).value,
            peer_reviews=sum(1 for r in reviews if r["kind"] == AppraisalReviewKind.PEER),
            improvement_plan_outstanding=improvement_plan_outstanding(appraisal),
        )


class LeaveRequestOut(BaseModel):
    id: UUID
    start: dt.date
    end: dt.date
    days: int
    status: str
    requested_by: str
    decided_by: str | None
    decision_reason: str | None

    @classmethod
    def of(cls, request: LeaveRequest) -> LeaveRequestOut:
        fields: dict[str, Any] = {**request, "status": request["status"].value}
        return cls(**fields)


class LeaveBalanceOut(BaseModel):
    year: int
    service_years: Decimal = Field(description="Cumulative years of service on the day")
    entitlement: int = Field(
        description="The year's days: pro rata for a joiner or leaver (实施办法 Art. 5, 12)"
    )
    used: int = Field(description="Days requested or granted this year (not cancelled)")
    remaining: int


class EmployeeOut(BaseModel):
    id: UUID
    version: int
    status: str
    name: str
    department: Department
    position: str
    manager_id: UUID | None
    hire_date: dt.date
    probation_end: dt.date
    probation_overdue: bool = Field(
        description="Probation has ended and the employee is still not confirmed"
    )
    confirmed_on: dt.date | None
    prior_service_years: Decimal
    birthday: dt.date | None
    trainings: list[dict[str, Any]]
    training_hours: Decimal
    appraisals: list[AppraisalOut]
    outstanding_improvement_plans: list[str]
    rewards: list[dict[str, Any]]
    benefits: list[dict[str, Any]]
    leave_requests: list[LeaveRequestOut]
    leave_balance: LeaveBalanceOut = Field(description="This calendar year's paid annual leave")
    current_leave: UUID | None
    separated_on: dt.date | None
    separation_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, employee: Employee, today: dt.date) -> EmployeeOut:
        return cls(
            id=employee.id,
            version=employee.version,
            status=employee.status.value,
            name=employee.name,
            department=employee.department,
            position=employee.position,
            manager_id=employee.manager_id,
            hire_date=employee.hire_date,
            probation_end=employee.probation_end,
            probation_overdue=employee.probation_overdue(today),
            confirmed_on=employee.confirmed_on,
            prior_service_years=employee.prior_service_years,
            birthday=employee.birthday,
            trainings=[_plain(t) for t in employee.trainings],
            training_hours=sum((Decimal(str(t["hours"])) for t in employee.trainings), Decimal(0)),
            appraisals=[AppraisalOut.of(a) for a in employee.appraisals.values()],
            outstanding_improvement_plans=employee.outstanding_improvement_plans,
            rewards=[_plain(r) for r in employee.rewards],
            benefits=[_plain(b) for b in employee.benefits],
            leave_requests=[LeaveRequestOut.of(r) for r in employee.leave_requests.values()],
            leave_balance=leave_balance(employee, today),
            current_leave=employee.current_leave,
            separated_on=employee.separated_on,
            separation_reason=employee.separation_reason,
            created_at=employee.created_on,
            updated_at=employee.modified_on,
        )


def leave_balance(employee: Employee, today: dt.date) -> LeaveBalanceOut:
    return LeaveBalanceOut(
        year=today.year,
        service_years=employee.service_years(today).quantize(Decimal("0.01")),
        entitlement=employee.leave_entitlement(today.year),
        used=employee.leave_used(today.year),
        remaining=employee.leave_balance(today.year),
    )


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = plain(record)
    return result
