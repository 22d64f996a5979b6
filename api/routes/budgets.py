"""/budgets: the annual budget cycle, execution and adjustments (§7.1-§7.3)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request, Response

from api.answers import (
    AsOfQuery,
    VersionQuery,
    command_answer,
    events_answer,
    read_answer,
    read_state,
)
from api.deps import Caller, ServicesDep, commanded_by
from api.schemas.budgets import (
    AdjustmentOut,
    ApprovedBudgetOut,
    BudgetOut,
    BudgetSummaryOut,
    DraftBudgetIn,
    FiscalYearOut,
    RecordActualIn,
    RejectAdjustmentIn,
    ReplaceLinesIn,
    RequestAdjustmentIn,
    ReviewIn,
    YearApprovalOut,
)
from api.schemas.common import PROBLEM_RESPONSES, CommandOut, EmptyIn, EventsOut
from application.context import CommandContext, CommandResult
from domain.budget import FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR, Budget
from domain.vocabulary import Role

router = APIRouter(prefix="/budgets", tags=["budgets"], responses=PROBLEM_RESPONSES)

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
DepartmentHead = Annotated[CommandContext, Depends(commanded_by(*HEAD_ROLES))]
Finance = Annotated[CommandContext, Depends(commanded_by(Role.FINANCE))]
Management = Annotated[CommandContext, Depends(commanded_by(Role.MANAGEMENT))]
Board = Annotated[CommandContext, Depends(commanded_by(Role.BOARD))]
AdjustmentApprover = Annotated[CommandContext, Depends(commanded_by(Role.FINANCE, Role.MANAGEMENT))]
FiscalYear = Annotated[int, Path(ge=FIRST_FISCAL_YEAR, le=LAST_FISCAL_YEAR)]


@router.post("", status_code=201, response_model=CommandOut)
def draft_budget(
    body: DraftBudgetIn,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Draft a department's budget for a fiscal year: one per department and year."""
    result = services.budgets.draft_budget(**body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


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


@router.post("/fiscal-years/{fiscal_year}/management-approval", response_model=YearApprovalOut)
def approve_fiscal_year_by_management(
    fiscal_year: FiscalYear,
    ctx: Management,
    services: ServicesDep,
    body: EmptyIn | None = None,
) -> YearApprovalOut:
    """Approve every finance-reviewed budget of the year at once; refuses the lot if any
    budget of the year is not finance-reviewed yet, naming which."""
    result = services.budgets.approve_fiscal_year_by_management(fiscal_year, ctx=ctx)
    return _year_answer(result)


@router.post("/fiscal-years/{fiscal_year}/board-approval", response_model=YearApprovalOut)
def approve_fiscal_year_by_board(
    fiscal_year: FiscalYear,
    ctx: Board,
    services: ServicesDep,
    body: EmptyIn | None = None,
) -> YearApprovalOut:
    """Approve every management-approved budget of the year at once; all or none."""
    result = services.budgets.approve_fiscal_year_by_board(fiscal_year, ctx=ctx)
    return _year_answer(result)


@router.get("/{budget_id}", response_model=BudgetOut)
def get_budget(
    budget_id: UUID,
    _: Caller,
    services: ServicesDep,
    response: Response,
    version: VersionQuery = None,
    as_of: AsOfQuery = None,
) -> BudgetOut:
    budgets = services.budgets
    budget = read_state(
        version,
        as_of,
        lambda v: budgets.get_budget(budget_id, v),
        lambda t: budgets.budget_as_of(budget_id, t),
    )
    return read_answer(BudgetOut.of(budget), budget.version, response)


@router.get("/{budget_id}/events", response_model=EventsOut)
def budget_events(
    budget_id: UUID, _: Caller, services: ServicesDep, response: Response
) -> EventsOut:
    return events_answer(budget_id, services.budgets.history(budget_id, Budget), response)


@router.get("/{budget_id}/adjustments/{adjustment_id}", response_model=AdjustmentOut)
def get_adjustment(
    budget_id: UUID, adjustment_id: UUID, _: Caller, services: ServicesDep
) -> AdjustmentOut:
    return AdjustmentOut.of(budget_id, services.budgets.get_adjustment(budget_id, adjustment_id))


@router.post("/{budget_id}/lines", response_model=CommandOut)
def replace_budget_lines(
    budget_id: UUID,
    body: ReplaceLinesIn,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Replace every line of a draft; approved lines change only by adjustment."""
    lines = body.model_dump()["lines"]
    result = services.budgets.replace_budget_lines(budget_id, lines=lines, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{budget_id}/submit", response_model=CommandOut)
def submit_budget(
    budget_id: UUID,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: EmptyIn | None = None,
) -> CommandOut:
    """The department submits its draft for finance review."""
    result = services.budgets.submit_budget(budget_id, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{budget_id}/finance-review", response_model=CommandOut)
def review_budget(
    budget_id: UUID,
    body: ReviewIn,
    ctx: Finance,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Finance approves (never the submitter) or returns the budget to draft with a reason."""
    result = services.budgets.review_budget(budget_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{budget_id}/management-approval", response_model=CommandOut)
def approve_budget_by_management(
    budget_id: UUID,
    body: ReviewIn,
    ctx: Management,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.budgets.approve_budget_by_management(budget_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{budget_id}/board-approval", response_model=CommandOut)
def approve_budget_by_board(
    budget_id: UUID,
    body: ReviewIn,
    ctx: Board,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Board approval makes the budget active: it can be spent against."""
    result = services.budgets.approve_budget_by_board(budget_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{budget_id}/actuals", response_model=CommandOut)
def record_actual(
    budget_id: UUID,
    body: RecordActualIn,
    ctx: Finance,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Record spending (or revenue) against a line of an active budget."""
    result = services.budgets.record_actual(budget_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{budget_id}/adjustments", status_code=201, response_model=CommandOut)
def request_adjustment(
    budget_id: UUID,
    body: RequestAdjustmentIn,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Request a move between lines or an increase; answers its `adjustment_id`."""
    result = services.budgets.request_adjustment(budget_id, **body.model_dump(), ctx=ctx)
    answer = command_answer(result, request, response)
    response.status_code = 201
    response.headers["Location"] = (
        f"/budgets/{budget_id}/adjustments/{result.extra['adjustment_id']}"
    )
    return answer


@router.post("/{budget_id}/adjustments/{adjustment_id}/approve", response_model=CommandOut)
def approve_adjustment(
    budget_id: UUID,
    adjustment_id: UUID,
    ctx: AdjustmentApprover,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: EmptyIn | None = None,
) -> CommandOut:
    """Finance approves up to 10 % of the budget's planned total, management above."""
    result = services.budgets.approve_adjustment(budget_id, adjustment_id, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{budget_id}/adjustments/{adjustment_id}/reject", response_model=CommandOut)
def reject_adjustment(
    budget_id: UUID,
    adjustment_id: UUID,
    body: RejectAdjustmentIn,
    ctx: AdjustmentApprover,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.budgets.reject_adjustment(
        budget_id, adjustment_id, reason=body.reason, ctx=ctx
    )
    return command_answer(result, request, response)


@router.post("/{budget_id}/close", response_model=CommandOut)
def close_budget(
    budget_id: UUID,
    ctx: Finance,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: EmptyIn | None = None,
) -> CommandOut:
    """Year-end close, once the fiscal year is over."""
    result = services.budgets.close_budget(budget_id, ctx=ctx)
    return command_answer(result, request, response)
