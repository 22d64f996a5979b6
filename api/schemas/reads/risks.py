"""GET /dashboards/risks and GET /risks (§8)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from api.schemas.reads.common import DayText, Processed, Rate, ReadOut, ReadPageOut, UtcText
from domain.risk import (
    KriDirection,
    KriStatus,
    RiskActionStatus,
    RiskCategory,
    RiskLevel,
    RiskStatus,
    TreatmentStrategy,
)
from domain.vocabulary import Department

DecimalText = Annotated[str, Field(description="A decimal number as a string")]


class _RiskHeatMapAxes(ReadOut):
    rows: str = Field(description="What the rows are: likelihood 1..5")
    columns: str = Field(description="What the columns are: impact 1..5")
    risks: int = Field(description="Open risks assessed")


class RiskInherentHeatMapOut(_RiskHeatMapAxes):
    counts: list[list[int]] = Field(description="counts[likelihood - 1][impact - 1]")


class RiskResidualHeatMapOut(_RiskHeatMapAxes):
    residual_assessed: int = Field(description="Of those, risks with a residual assessment")
    counts: list[list[int]] = Field(
        description="counts[likelihood - 1][impact - 1], by the residual score where "
        "assessed, else the inherent one"
    )


class RiskHeatMapsOut(ReadOut):
    inherent: RiskInherentHeatMapOut
    residual: RiskResidualHeatMapOut


class RiskOpenClosedOut(ReadOut):
    open: int
    closed: int
    total: int


class RiskRegisterOut(ReadOut):
    risks: int
    open: int
    closed: int
    by_level: dict[str, RiskOpenClosedOut] = Field(
        description="Current level (low, medium, high, critical, unassessed) -> counts"
    )
    by_category: dict[str, RiskOpenClosedOut]
    by_status: dict[str, int]


class RiskAppetiteOut(ReadOut):
    appetite: RiskLevel = Field(description="The highest level within appetite")
    open_risks: int
    unassessed: int
    above_appetite: int
    share_above_appetite: Rate = Field(description="above appetite ÷ open risks")


class RiskOverdueActionOut(ReadOut):
    risk_id: UUID
    risk_title: str
    action_id: UUID
    title: str
    owner: str
    status: RiskActionStatus
    due: DayText
    days_overdue: int


class RiskOverdueActionsOut(ReadOut):
    count: int = Field(description="Every overdue action (items hold at most 100)")
    items: list[RiskOverdueActionOut]


class RiskReviewDueOut(ReadOut):
    risk_id: UUID
    title: str
    owner: str
    level: RiskLevel | None
    last_reviewed_on: DayText | None
    next_review_due: DayText
    days_overdue: int


class RiskReviewBacklogOut(ReadOut):
    count: int = Field(description="Every open risk past its review date (items: at most 100)")
    by_level: dict[str, int]
    items: list[RiskReviewDueOut]


class RiskKriCountsOut(ReadOut):
    green: int
    amber: int
    red: int


class RiskKriOut(ReadOut):
    risk_id: UUID
    risk_title: str
    kri_id: UUID
    name: str
    metric: str
    direction: KriDirection
    amber: DecimalText
    red: DecimalText
    unit: str | None
    status: KriStatus
    readings: int
    last_value: DecimalText | None
    last_observed_at: UtcText | None


class RiskKriStatusOut(ReadOut):
    count: int
    by_status: RiskKriCountsOut
    kris: list[RiskKriOut] = Field(description="The KRIs of open risks")


class RiskEarlyWarningItemOut(ReadOut):
    risk_id: UUID
    risk_title: str
    kri_id: UUID
    kri_name: str
    value: DecimalText
    threshold: DecimalText
    unit: str | None
    raised_at: UtcText


class RiskEarlyWarningsOut(ReadOut):
    open: int = Field(description="Every open early warning (items hold at most 100)")
    items: list[RiskEarlyWarningItemOut]


class RiskAcceptanceDueOut(ReadOut):
    risk_id: UUID
    title: str
    owner: str
    level: RiskLevel | None = Field(description="The level accepted")
    approved_by: str | None
    expires_on: DayText
    days_left: int = Field(description="Days until it expires; 0 or less: expired")


class RiskAcceptancesOut(ReadOut):
    accepted: int = Field(description="Open risks with an acceptance")
    expiring_within_days: int
    expiring: list[RiskAcceptanceDueOut]
    expired: list[RiskAcceptanceDueOut] = Field(
        description="Lapsed at their expiry date: the risks await reassessment"
    )


class RiskDashboardOut(ReadOut):
    as_of: DayText = Field(description="The day (UTC) due dates are judged at")
    heat_maps: RiskHeatMapsOut
    # `register` would shadow pydantic's (ABCMeta's) register.
    register_: RiskRegisterOut = Field(alias="register")
    appetite: RiskAppetiteOut
    overdue_actions: RiskOverdueActionsOut
    review_backlog: RiskReviewBacklogOut
    kri_status: RiskKriStatusOut
    early_warnings: RiskEarlyWarningsOut
    acceptances: RiskAcceptancesOut
    processed: Processed


class RiskScoresOut(ReadOut):
    likelihood: int
    impact: int
    score: int = Field(description="likelihood x impact")
    level: RiskLevel


class RiskListItemOut(ReadOut):
    id: UUID
    version: int
    status: RiskStatus
    category: RiskCategory
    title: str
    owner: str
    department: Department | None
    level: RiskLevel | None = Field(description="Residual where assessed, else inherent")
    inherent: RiskScoresOut | None
    residual: RiskScoresOut | None
    above_appetite: bool
    strategy: TreatmentStrategy | None
    open_actions: int
    open_early_warnings: int
    acceptance_expires_on: DayText | None
    acceptance_lapsed: bool = Field(
        description="As of today: the acceptance reached its expiry date and the risk awaits "
        "reassessment"
    )
    next_review_due: DayText | None
    review_overdue: bool
    identified_at: UtcText
    closed_at: UtcText | None


class RiskPageOut(ReadPageOut):
    items: list[RiskListItemOut]
