"""GET /dashboards/budgets and GET /budgets (§7.1 budget vs actual, §7.2 cost control)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from api.schemas.reads.common import (
    Absent,
    MoneyText,
    Processed,
    Rate,
    ReadOut,
    ReadPageOut,
    UtcText,
)
from domain.budget import BudgetControl, BudgetLineCategory, BudgetStatus
from domain.vocabulary import Department

CATEGORY_KEYS = "revenue, cost, expense, and spending (cost plus expense)"


class BudgetFiguresOut(ReadOut):
    """Budget vs actual for a group of lines; budget = planned plus approved adjustments."""

    budget: MoneyText
    actual: MoneyText
    variance: MoneyText = Field(description="budget - actual")
    variance_percent: float | None = Field(description="variance ÷ budget x 100 (2 places)")
    favourable: bool = Field(description="Spending at or under budget, revenue at or over it")
    utilisation: Rate = Field(description="actual ÷ budget")
    burn_index: float | None = Field(
        description="utilisation ÷ the elapsed share of the year (4 places); above 1: "
        "faster than planned"
    )
    forecast: MoneyText | None = Field(description="actual ÷ elapsed share: the year-end run rate")
    forecast_variance: MoneyText | None = Field(description="budget - forecast")
    open_warnings: int


class BudgetOpenWarningOut(ReadOut):
    budget_id: UUID
    department: Department
    line: str = Field(description="The line's code")
    category: BudgetLineCategory
    kind: Literal["overrun", "threshold"]
    threshold: int | None = Field(description="The percent reached; null for an overrun")
    amount: MoneyText = Field(description="The overrun, or the actual when the threshold was hit")
    raised_at: UtcText


class BudgetWarningsOut(ReadOut):
    raised: int
    open: int = Field(description="Warnings whose condition still holds on an unclosed budget")
    open_items: list[BudgetOpenWarningOut]


class BudgetAdjustmentTotalOut(ReadOut):
    count: int
    amount: MoneyText


class BudgetAdjustmentsOut(ReadOut):
    pending: BudgetAdjustmentTotalOut
    approved: BudgetAdjustmentTotalOut
    rejected: BudgetAdjustmentTotalOut


class BudgetStageTotalOut(ReadOut):
    """The consolidated budget of the budgets at one stage; a category filtered out is absent."""

    budgets: int
    revenue: MoneyText | Absent = None
    cost: MoneyText | Absent = None
    expense: MoneyText | Absent = None
    spending: MoneyText | Absent = Field(default=None, description="cost plus expense")


class BudgetsByStageOut(ReadOut):
    draft: BudgetStageTotalOut
    submitted: BudgetStageTotalOut
    finance_reviewed: BudgetStageTotalOut
    management_approved: BudgetStageTotalOut
    board_approved: BudgetStageTotalOut
    closed: BudgetStageTotalOut


class BudgetCycleTimeOut(ReadOut):
    budgets: int = Field(description="Budgets that reached the approval")
    median_days: float | None = Field(description="Median days from first submission")


class BudgetApprovalCycleTimesOut(ReadOut):
    finance_reviewed: BudgetCycleTimeOut
    management_approved: BudgetCycleTimeOut
    board_approved: BudgetCycleTimeOut


class BudgetDashboardOut(ReadOut):
    fiscal_year: int
    as_of: UtcText
    elapsed_share: float = Field(description="Share of the fiscal year elapsed (4 places)")
    budgets: int
    executing_budgets: int = Field(description="Board-approved or closed budgets")
    by_department: dict[str, dict[str, BudgetFiguresOut]] = Field(
        description=f"Department -> category ({CATEGORY_KEYS}) -> figures, executing budgets"
    )
    by_category: dict[str, BudgetFiguresOut] = Field(
        description=f"Category ({CATEGORY_KEYS}) -> figures, executing budgets"
    )
    warnings: BudgetWarningsOut
    adjustments: BudgetAdjustmentsOut
    by_stage: BudgetsByStageOut
    approval_cycle_time: BudgetApprovalCycleTimesOut
    processed: Processed


class BudgetListItemOut(ReadOut):
    id: UUID
    version: int
    status: BudgetStatus
    department: Department
    fiscal_year: int
    control: BudgetControl
    lines: int
    revenue_budget: MoneyText
    revenue_actual: MoneyText
    spending_budget: MoneyText = Field(description="Cost and expense lines")
    spending_actual: MoneyText
    pending_adjustments: int
    returns: int = Field(description="Times returned to draft")
    drafted_at: UtcText
    submitted_at: UtcText | None
    finance_reviewed_at: UtcText | None
    management_approved_at: UtcText | None
    board_approved_at: UtcText | None
    closed_at: UtcText | None


class BudgetPageOut(ReadPageOut):
    items: list[BudgetListItemOut]
