"""Budget requests and responses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import Code, CommandIn, Money, Text
from domain.budget import (
    Budget,
    BudgetAdjustmentAuthority,
    BudgetAdjustmentStatus,
    BudgetControl,
    BudgetLineCategory,
)
from domain.vocabulary import Department

MAX_LINES = 500


class BudgetLineInput(CommandIn):
    # Amounts are not range-checked here: the domain refuses negative ones and
    # splits that do not sum with errors named after those rules.
    code: Code = Field(description="The line's account code, unique in the budget")
    category: BudgetLineCategory
    amount: Money
    monthly: list[Money] | None = Field(
        default=None, max_length=24, description="Optional: 12 amounts that sum to `amount`"
    )
    description: Text | None = None
    compensation: bool = Field(
        default=False,
        description="Book complaint compensations here (else on the first expense line)",
    )


class BudgetDraftRequest(CommandIn):
    department: Department
    fiscal_year: int = Field(examples=[2026])
    control: BudgetControl = Field(
        default=BudgetControl.STOP,
        description="`stop` refuses spending beyond a line's available amount; `warn` warns",
    )
    lines: list[BudgetLineInput] = Field(max_length=MAX_LINES)


class BudgetLinesRequest(CommandIn):
    lines: list[BudgetLineInput] = Field(max_length=MAX_LINES)


class BudgetReviewRequest(CommandIn):
    approved: bool
    reason: Text | None = Field(default=None, description="Required when returning to draft")


class BudgetActualRequest(CommandIn):
    line: Code = Field(description="The line's account code")
    amount: Money
    document_ref: Code
    date: dt.date = Field(description="The document's date: inside the fiscal year, not future")
    description: Text | None = None


class BudgetActualReversalRequest(CommandIn):
    document_ref: Code = Field(description="The document reference the actual was booked with")
    reason: Text
    amount: Money | None = Field(
        default=None, description="Absent: the whole actual; else a part of it, never more"
    )


class BudgetAdjustmentRequest(CommandIn):
    from_line: Code | None = Field(
        default=None, description="Absent: an increase of to_line; alone: a cut of from_line"
    )
    to_line: Code | None = Field(
        default=None, description="Absent: a cut of from_line; with from_line: a move"
    )
    amount: Money
    reason: Text


class BudgetAdjustmentRejectRequest(CommandIn):
    reason: Text


class BudgetLineOut(BaseModel):
    code: str
    category: BudgetLineCategory
    description: str | None
    planned: Decimal = Field(description="The amount as planned and approved")
    monthly: list[Decimal] | None
    adjustments: Decimal = Field(description="Net of the approved adjustments")
    budget: Decimal = Field(description="planned + adjustments")
    actual: Decimal = Field(description="Net of reversals")
    available: Decimal = Field(description="budget - actual")
    utilisation_percent: Decimal | None
    thresholds_reached: list[int]

    @classmethod
    def of(cls, budget: Budget, code: str) -> BudgetLineOut:
        line = budget.lines[code]
        return cls(
            code=code,
            category=line["category"],
            description=line["description"],
            planned=line["amount"],
            monthly=line["monthly"],
            adjustments=line["adjusted"],
            budget=budget.line_budget(code),
            actual=line["actual"],
            available=budget.available(code),
            utilisation_percent=budget.utilisation(code),
            thresholds_reached=list(line["warned"]),
        )


class AdjustmentOut(BaseModel):
    adjustment_id: UUID
    budget_id: UUID
    from_line: str | None = Field(description="The line money leaves (null: an increase)")
    to_line: str | None = Field(description="The line money goes to (null: a cut)")
    amount: Decimal
    reason: str
    authority: BudgetAdjustmentAuthority = Field(description="Who approves it")
    status: BudgetAdjustmentStatus
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str | None

    @classmethod
    def of(cls, budget_id: UUID, adjustment: dict[str, Any]) -> AdjustmentOut:
        fields = {k: v for k, v in adjustment.items() if k != "id"}
        return cls(adjustment_id=adjustment["id"], budget_id=budget_id, **fields)


class ApprovalOut(BaseModel):
    by: str
    at: dt.datetime


class ReturnOut(BaseModel):
    stage: str
    from_status: str
    by: str
    reason: str
    at: dt.datetime


class ReversalOut(BaseModel):
    document_ref: str = Field(description="The actual reversed")
    line: str
    amount: Decimal
    reason: str
    by: str
    at: dt.datetime


class WarningOut(BaseModel):
    kind: str = Field(
        description="`threshold` (80 % / 100 % of a line), `overrun` (beyond the line's "
        "budget) or `monthly_overrun` (beyond its accumulated monthly budget)"
    )
    line: str
    threshold: int | None
    amount: Decimal = Field(description="The line's actual (threshold) or the overrun")
    at: dt.datetime


class TotalsOut(BaseModel):
    planned: Decimal
    budget: Decimal
    actual: Decimal
    available: Decimal


class BudgetOut(BaseModel):
    id: UUID
    version: int
    status: str
    active: bool
    department: Department
    fiscal_year: int
    control: BudgetControl
    lines: list[BudgetLineOut]
    totals: dict[str, TotalsOut] = Field(description="Per line category")
    finance_approval_limit: Decimal = Field(
        description="What finance approves on its own in the year: 10 % of the planned "
        "spending (cost + expense)"
    )
    finance_approval_used: Decimal = Field(description="The approved adjustments of the year")
    finance_approval_left: Decimal = Field(description="limit - used, never below zero")
    drafted_by: str
    drafted_at: dt.datetime
    submitted_by: str | None
    submitted_at: dt.datetime | None
    approvals: dict[str, ApprovalOut]
    returns: list[ReturnOut]
    adjustments: list[AdjustmentOut]
    warnings: list[WarningOut]
    actuals_recorded: int
    reversals: list[ReversalOut]
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, budget: Budget) -> BudgetOut:
        lines = [BudgetLineOut.of(budget, code) for code in budget.lines]
        return cls(
            id=budget.id,
            version=budget.version,
            status=budget.status.value,
            active=budget.is_active,
            department=budget.department,
            fiscal_year=budget.fiscal_year,
            control=budget.control,
            lines=lines,
            totals=_totals(lines),
            finance_approval_limit=budget.finance_approval_limit,
            finance_approval_used=budget.finance_approval_used,
            finance_approval_left=budget.finance_approval_left,
            drafted_by=budget.drafted_by,
            drafted_at=budget.drafted_at,
            submitted_by=budget.submitted_by,
            submitted_at=budget.submitted_at,
            approvals={k: ApprovalOut(**v) for k, v in budget.approvals.items()},
            returns=[
                ReturnOut(
                    stage=r["stage"].value,
                    from_status=r["from_status"].value,
                    by=r["by"],
                    reason=r["reason"],
                    at=r["at"],
                )
                for r in budget.returns
            ],
            adjustments=[AdjustmentOut.of(budget.id, a) for a in budget.adjustments.values()],
            warnings=[WarningOut(**w) for w in budget.warnings],
            actuals_recorded=len(budget.document_refs),
            reversals=[ReversalOut(**r) for r in budget.reversals],
            closed_at=budget.closed_at,
            created_at=budget.created_on,
            updated_at=budget.modified_on,
        )


def _totals(lines: list[BudgetLineOut]) -> dict[str, TotalsOut]:
    totals: dict[str, TotalsOut] = {}
    for category in BudgetLineCategory:
        mine = [line for line in lines if line.category == category]
        if not mine:
            continue
        totals[category.value] = TotalsOut(
            planned=sum((line.planned for line in mine), Decimal("0.00")),
            budget=sum((line.budget for line in mine), Decimal("0.00")),
            actual=sum((line.actual for line in mine), Decimal("0.00")),
            available=sum((line.available for line in mine), Decimal("0.00")),
        )
    return totals


class BudgetSummaryOut(BaseModel):
    id: UUID
    department: Department
    status: str
    active: bool
    version: int
    control: BudgetControl
    planned_total: Decimal

    @classmethod
    def of(cls, budget: Budget) -> BudgetSummaryOut:
        return cls(
            id=budget.id,
            department=budget.department,
            status=budget.status.value,
            active=budget.is_active,
            version=budget.version,
            control=budget.control,
            planned_total=budget.planned_total,
        )


class FiscalYearOut(BaseModel):
    """The budgets of a fiscal year, read from the event store (always current)."""

    fiscal_year: int
    budgets: list[BudgetSummaryOut]


class ApprovedBudgetOut(BaseModel):
    id: UUID
    department: Department
    version: int


class YearApprovalOut(BaseModel):
    """What a bulk approval answers: every budget it approved, in one transaction."""

    fiscal_year: int
    stage: str
    approved: list[ApprovedBudgetOut]
    position: str = Field(description="Consistency token of the last event written")
