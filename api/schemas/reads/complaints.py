"""GET /dashboards/complaints and GET /complaints (§5.1, §5.2)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from api.schemas.reads.common import MoneyText, Processed, Rate, ReadOut, ReadPageOut, UtcText
from domain.complaint import ComplaintStatus
from domain.vocabulary import ComplaintCategory, Department, RootCause, ServiceChannel


class ComplaintDurationOut(ReadOut):
    """A time taken, over the complaints that have taken it (net of time waiting on the
    customer, for the resolution)."""

    count: int
    median_hours: float | None
    p90_hours: float | None


class ComplaintSlaOut(ReadOut):
    """An SLA as of now: met, breached (including running late), and met ÷ decided."""

    met: int
    breached: int
    attainment: Rate


class ComplaintFiguresOut(ReadOut):
    """The figures of a set of complaints."""

    complaints: int
    open: int = Field(description="Neither closed nor withdrawn")
    first_response: ComplaintDurationOut
    resolution: ComplaintDurationOut
    sla_first_response: ComplaintSlaOut
    sla_resolution: ComplaintSlaOut
    reopen_rate: Rate = Field(description="Reopened ÷ ever closed")
    escalation_rate: Rate = Field(description="Escalated ÷ complaints")


class ComplaintBacklogOut(ReadOut):
    by_status: dict[str, int] = Field(description="Open complaints by status")
    by_age: dict[str, int] = Field(
        description="Open complaints by age: under_1_day, 1_to_3_days, 3_to_7_days, "
        "7_to_30_days, over_30_days (empty buckets left out)"
    )


class ComplaintRootCauseOut(ReadOut):
    root_cause: RootCause
    count: int
    cumulative_share: float = Field(description="Share of root causes up to this one")


class _JudgedAt(ReadOut):
    as_of: UtcText = Field(description="The moment SLAs and ages are judged at")


class ComplaintDashboardOut(ComplaintFiguresOut, _JudgedAt):
    """The figures of every complaint that passes the filters (as_of first), then the
    backlog, the breakdowns and the rates."""

    backlog: ComplaintBacklogOut
    by_channel: dict[str, ComplaintFiguresOut]
    by_category: dict[str, ComplaintFiguresOut]
    root_cause_pareto: list[ComplaintRootCauseOut] = Field(description="Most frequent first")
    compensation_proposed: MoneyText
    active_customers: int = Field(description="Activated customers not churned or at risk")
    per_1000_active_customers: float | None = Field(
        description="Complaints per 1,000 active customers (2 places)"
    )
    processed: Processed


class ComplaintListItemOut(ReadOut):
    id: UUID
    version: int
    status: ComplaintStatus
    customer_id: UUID
    channel: ServiceChannel
    category: ComplaintCategory
    severity: int | None = Field(description="1 (highest) to 4; null until assessed")
    department: Department | None
    assignee: str | None
    received_at: UtcText
    first_response_due: UtcText | None
    resolution_due: UtcText | None
    escalation_level: int
    reopen_count: int
    root_cause: RootCause | None
    compensation: MoneyText | None
    first_response_breached: bool = Field(description="As of now")
    resolution_breached: bool = Field(description="As of now")


class ComplaintPageOut(ReadPageOut):
    items: list[ComplaintListItemOut]
