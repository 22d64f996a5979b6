"""GET /dashboards/workforce and GET /employees (§6)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from api.schemas.reads.common import DayText, Processed, Rate, ReadOut, ReadPageOut
from domain.employee import EmployeeStatus
from domain.vocabulary import Department

HoursText = Annotated[
    str, Field(description="Hours as a decimal string, two places", examples=["12.50"])
]


class WorkforcePeriodOut(ReadOut):
    """The period hires, separations, trainings and leave are counted in (days included)."""

    from_: DayText = Field(alias="from")
    until: DayText


class WorkforceHeadcountCountsOut(ReadOut):
    total: int
    probation: int
    active: int
    on_leave: int


class WorkforceHeadcountOut(WorkforceHeadcountCountsOut):
    """Who is on the books now, by status; and by department."""

    by_department: dict[str, WorkforceHeadcountCountsOut]


class WorkforceMovementFiguresOut(ReadOut):
    hires: int
    separations: int
    average_headcount: float = Field(description="Mean of the daily headcount (2 places)")
    turnover: Rate = Field(description="separations ÷ average headcount")


class WorkforceMovementOut(WorkforceMovementFiguresOut):
    """Hires and separations in the period; and by department (the one on the day)."""

    by_department: dict[str, WorkforceMovementFiguresOut]


class WorkforceScoreGapOut(ReadOut):
    appraisals: int = Field(description="Appraisals with both a self and a manager score")
    mean: float | None = Field(description="Mean self score - manager score (2 places)")


class WorkforceAppraisalCycleOut(ReadOut):
    started: int = Field(description="Appraisals with goals set")
    finalized: int
    headcount: int = Field(description="Headcount on the cycle's last day (or today)")
    completion_of_started: Rate = Field(description="finalized ÷ started")
    completion_of_headcount: Rate = Field(description="finalized ÷ headcount")
    by_stage: dict[str, int] = Field(description="Appraisals by status")
    rating_distribution: dict[str, int] = Field(description="Rating ('1'..'5') -> appraisals")
    mean_rating: float | None
    self_manager_gap: WorkforceScoreGapOut
    improvement_plans_outstanding: int


class WorkforceImprovementPlanDueOut(ReadOut):
    employee_id: UUID
    cycle: str
    rating: int
    department: Department


class WorkforceAppraisalsOut(ReadOut):
    by_cycle: dict[str, WorkforceAppraisalCycleOut] = Field(
        description="Appraisal cycle (2026, 2026-H1, 2026-Q3) -> figures"
    )
    improvement_plans_outstanding: list[WorkforceImprovementPlanDueOut] = Field(
        description="Ratings below the bar without an improvement plan, of current employees"
    )


class WorkforceTrainingKindOut(ReadOut):
    trainings: int
    hours: HoursText
    hours_per_head: float | None = Field(description="hours ÷ average headcount (2 places)")


class WorkforceTrainingOut(ReadOut):
    trainings: int
    hours: HoursText
    average_headcount: float
    hours_per_head: float | None = Field(description="hours ÷ average headcount (2 places)")
    by_kind: dict[str, WorkforceTrainingKindOut] = Field(description="Every training kind")


class WorkforceAnnualLeaveOut(ReadOut):
    entitlement_days: int = Field(description="Entitlement of everyone employed in the period")
    days_taken: int = Field(description="Started or completed leave")
    use: Rate = Field(description="days taken ÷ entitlement days")
    days_booked: int = Field(description="Approved, not yet started")
    days_pending: int = Field(description="Awaiting approval")


class WorkforceProbationOverdueOut(ReadOut):
    employee_id: UUID
    name: str
    department: Department
    manager_id: UUID | None
    hire_date: DayText
    probation_end: DayText
    days_overdue: int


class WorkforceProbationOut(ReadOut):
    """Probations past their end date (劳动合同法 Art. 19) without a confirmation."""

    overdue: int
    overdue_list: list[WorkforceProbationOverdueOut] = Field(
        description="Oldest end first: who hr must confirm (or part with)"
    )


class WorkforceDashboardOut(ReadOut):
    as_of: DayText
    period: WorkforcePeriodOut
    department: Department | None
    cycle: str | None
    headcount: WorkforceHeadcountOut
    movement: WorkforceMovementOut
    appraisals: WorkforceAppraisalsOut
    training: WorkforceTrainingOut
    annual_leave: WorkforceAnnualLeaveOut
    probation: WorkforceProbationOut
    processed: Processed


class EmployeeListItemOut(ReadOut):
    id: UUID
    version: int
    status: EmployeeStatus
    name: str
    department: Department
    position: str
    manager_id: UUID | None
    hire_date: DayText
    confirmed_on: DayText | None
    separated_on: DayText | None
    prior_service_years: str = Field(description="Service before hire, in years (decimal)")
    probation_end: DayText = Field(
        description="Probation's last day (劳动合同法 Art. 19); with status hired after it, "
        "the confirmation is overdue"
    )


class EmployeePageOut(ReadPageOut):
    items: list[EmployeeListItemOut]
