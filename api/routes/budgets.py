"""/budgets: the annual budget cycle, execution and adjustments (§7.1-§7.3)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Path

from api.commands import CommandRoutes, roles_extra
from api.deps import Caller, ServicesDep, commanded_by
from api.schemas.budgets import (
    AdjustmentOut,
    ApprovedBudgetOut,
    BudgetActualRequest,
    BudgetActualReversalRequest,
    BudgetAdjustmentRejectRequest,
    BudgetAdjustmentRequest,
    BudgetDraftRequest,
    BudgetLinesRequest,
    BudgetOut,
    BudgetReviewRequest,
    BudgetSummaryOut,
    FiscalYearOut,
    YearApprovalOut,
)
from api.schemas.common import PROBLEM_RESPONSES, EmptyRequest
from application.budgets import Budgets
from application.context import CommandContext, CommandResult
from domain.budget import FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR, Budget
from domain.vocabulary import Role

router = APIRouter(prefix="/budgets", tags=["budgets"], responses=PROBLEM_RESPONSES)
routes = CommandRoutes(
    router, Budgets, lambda services: services.budgets, id_name="budget_id", describe=False
)

# Every department head drafts its own budget; which department is checked by
# the application (a role matching the department, management for the others).
HEAD_ROLES = (
    Role.OPERATIONS,
    Role.TECHNOLOGY,
    Role.MARKETING,
    Role.SALES,
    Role.CUSTOMER_SERVICE,
    Role.FINANCE,
    Role.HR,
    Role.MANAGEMENT,
)
FINANCE, MANAGEMENT, BOARD = Role.FINANCE, Role.MANAGEMENT, Role.BOARD
Management = Annotated[CommandContext, Depends(commanded_by(MANAGEMENT))]
Board = Annotated[CommandContext, Depends(commanded_by(BOARD))]
FiscalYear = Annotated[int, Path(ge=FIRST_FISCAL_YEAR, le=LAST_FISCAL_YEAR)]


routes.create(
    "draft_budget",
    *HEAD_ROLES,
    body=BudgetDraftRequest,
    doc="Draft a department's budget for a fiscal year: one per department and year.",
)


def _year_answer(result: CommandResult) -> YearApprovalOut:
    return YearApprovalOut(
        fiscal_year=result.extra["fiscal_year"],
        stage=result.extra["stage"],
        approved=[ApprovedBudgetOut(**b) for b in result.extra["approved"]],
        position=result.position,
    )


@router.get("/fiscal-years/{fiscal_year}", response_model=FiscalYearOut)
def budgets_of_year(fiscal_year: FiscalYear, _: Caller, services: ServicesDep) -> FiscalYearOut:
    """Every department's budget of the year: ids derive from (department, year)."""
    budgets = services.budgets.budgets_of_year(fiscal_year)
    return FiscalYearOut(fiscal_year=fiscal_year, budgets=[BudgetSummaryOut.of(b) for b in budgets])


@router.post(
    "/fiscal-years/{fiscal_year}/management-approval",
    response_model=YearApprovalOut,
    openapi_extra=roles_extra(MANAGEMENT),
)
def approve_fiscal_year_by_management(
    fiscal_year: FiscalYear,
    ctx: Management,
    services: ServicesDep,
    body: EmptyRequest = Body(None),
) -> YearApprovalOut:
    """Approve every finance-reviewed budget of the year at once; refuses the lot if any
    budget of the year is not finance-reviewed yet, naming which."""
    result = services.budgets.approve_fiscal_year_by_management(fiscal_year, ctx=ctx)
    return _year_answer(result)


@router.post(
    "/fiscal-years/{fiscal_year}/board-approval",
    response_model=YearApprovalOut,
    openapi_extra=roles_extra(BOARD),
)
def approve_fiscal_year_by_board(
    fiscal_year: FiscalYear,
    ctx: Board,
    services: ServicesDep,
    body: EmptyRequest = Body(None),
) -> YearApprovalOut:
    """Approve every management-approved budget of the year at once; all or none."""
    result = services.budgets.approve_fiscal_year_by_board(fiscal_year, ctx=ctx)
    return _year_answer(result)


routes.reads(Budget, BudgetOut.of, BudgetOut)


@router.get("/{budget_id}/adjustments/{adjustment_id}", response_model=AdjustmentOut)
def get_adjustment(
    budget_id: UUID, adjustment_id: UUID, _: Caller, services: ServicesDep
) -> AdjustmentOut:
    return AdjustmentOut.of(budget_id, services.budgets.get_adjustment(budget_id, adjustment_id))


routes.on(
    "/lines",
    "replace_budget_lines",
    *HEAD_ROLES,
    body=BudgetLinesRequest,
    doc="Replace every line of a draft; approved lines change only by adjustment.",
)
routes.on(
    "/submit",
    "submit_budget",
    *HEAD_ROLES,
    doc="The department submits its draft for finance review.",
)
routes.on(
    "/finance-review",
    "review_budget",
    FINANCE,
    body=BudgetReviewRequest,
    doc="Finance approves (never the submitter) or returns the budget to draft with a reason.",
)
routes.on(
    "/management-approval", "approve_budget_by_management", MANAGEMENT, body=BudgetReviewRequest
)
routes.on(
    "/board-approval",
    "approve_budget_by_board",
    BOARD,
    body=BudgetReviewRequest,
    doc="Board approval makes the budget active: it can be spent against.",
)
routes.on(
    "/actuals",
    "record_actual",
    FINANCE,
    body=BudgetActualRequest,
    doc="Record spending (or revenue) against a line of an active budget.",
)
routes.on(
    "/reversals",
    "reverse_actual",
    FINANCE,
    body=BudgetActualReversalRequest,
    doc="Reverse a wrongly booked actual, named by its `document_ref`, with a reason: "
    "all of it, or `amount` of it; an actual is reversed once.",
)
routes.on(
    "/adjustments",
    "request_adjustment",
    *HEAD_ROLES,
    body=BudgetAdjustmentRequest,
    status_code=201,
    location="/budgets/{budget_id}/adjustments/{adjustment_id}",
    doc="Request an increase (`to_line`), a cut (`from_line`) or a move between lines "
    "(both); answers its `adjustment_id`.",
)
routes.on(
    "/adjustments/{adjustment_id}/approve",
    "approve_adjustment",
    FINANCE,
    MANAGEMENT,
    doc="Finance approves while the year's adjustments stay within 10 % of the budget's "
    "planned spending (cost + expense), management beyond.",
)
routes.on(
    "/adjustments/{adjustment_id}/reject",
    "reject_adjustment",
    FINANCE,
    MANAGEMENT,
    body=BudgetAdjustmentRejectRequest,
)
routes.on("/close", "close_budget", FINANCE, doc="Year-end close, once the fiscal year is over.")
