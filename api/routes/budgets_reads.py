"""Budgets from the read model: the dashboard and the list (they may lag; see min_position).

No `from __future__ import annotations`: FastAPI reads these annotations.
"""

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.as_of import AsOfQuery, dashboard_read_models
from api.consistency import MinPosition
from api.csv_export import CSV_RESPONSE, FormatDep, csv_response
from api.deps import Caller, Now, ReadModelsDep
from api.paging import Cursor, Limit, decode_cursor, encode_cursor
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.reads.budgets import BudgetDashboardOut, BudgetListItemOut, BudgetPageOut
from domain.budget import (
    FIRST_FISCAL_YEAR,
    LAST_FISCAL_YEAR,
    BudgetControl,
    BudgetLineCategory,
    BudgetStatus,
)
from domain.vocabulary import Department
from projections.queries.budgets import BudgetFilter, budget_listing
from projections.queries.read_models import BUDGETS

router = APIRouter(tags=["budgets"], responses=PROBLEM_RESPONSES)
FiscalYearQuery = Annotated[
    int | None,
    Query(
        ge=FIRST_FISCAL_YEAR,
        le=LAST_FISCAL_YEAR,
        description="The fiscal year (the calendar year); the dashboard defaults to the "
        "current year (UTC)",
    ),
]


@router.get(
    "/dashboards/budgets",
    tags=["dashboards"],
    response_model=BudgetDashboardOut,
    # A stage's total of a category filtered out is absent, not null.
    response_model_exclude_unset=True,
)
def budgets_dashboard(
    _: Caller,
    read_models: ReadModelsDep,
    now: Now,
    fiscal_year: FiscalYearQuery = None,
    department: Department | None = None,
    category: BudgetLineCategory | None = None,
    as_of: AsOfQuery = None,
    min_position: Annotated[str | None, MinPosition(BUDGETS)] = None,
) -> dict[str, Any]:
    """Budget vs actual per department and category of one fiscal year (board-approved
    and closed budgets): budget (planned plus approved adjustments), actual, variance,
    variance %, utilisation, burn index against the elapsed share of the year, forecast
    at year end, open warnings; the consolidated budget per stage; approval cycle times
    (§7.1, §7.2). Without `fiscal_year`, the current year (`as_of`'s year with it)."""
    with dashboard_read_models(
        read_models, (BUDGETS,), as_of=as_of, min_position=min_position, now=now
    ) as (models, moment):
        filters = BudgetFilter(
            fiscal_year=fiscal_year if fiscal_year is not None else moment.year,
            department=department.value if department else None,
            category=category.value if category else None,
        )
        return {
            **models.budgets_dashboard(filters, moment),
            "processed": models.processed(BUDGETS),
        }


@router.get("/budgets", response_model=BudgetPageOut, responses=CSV_RESPONSE)
def list_budgets(
    _: Caller,
    read_models: ReadModelsDep,
    fmt: FormatDep,
    fiscal_year: FiscalYearQuery = None,
    department: Department | None = None,
    status: BudgetStatus | None = None,
    control: BudgetControl | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    min_position: Annotated[str | None, MinPosition(BUDGETS)] = None,
) -> dict[str, Any] | Response:
    """Budgets from the read model (it may lag: see min_position), by fiscal year and
    department; every year unless `fiscal_year` is given."""
    filters = BudgetFilter(
        fiscal_year=fiscal_year,
        department=department.value if department else None,
        status=status.value if status else None,
        control=control.value if control else None,
    )
    fetch = partial(read_models.budgets, budget_listing(filters))
    after = decode_cursor(cursor, int, str, str)
    if fmt.csv:
        return csv_response(BudgetListItemOut, fetch, after=after, fmt=fmt, name="budgets")
    items, next_key = fetch(limit=limit, after=after)
    return {
        "items": items,
        "next_cursor": encode_cursor(next_key),
        "processed": read_models.processed(BUDGETS),
    }
