"""The employees read model over HTTP: GET /dashboards/workforce and the list GET /employees.

Both come from the projection (they may lag: see min_position); any authenticated
principal reads them.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.as_of import AsOfQuery, dashboard_read_models
from api.consistency import MinPosition
from api.csv_export import CSV_RESPONSE, FormatDep, csv_response
from api.deps import Caller, Now, ReadModelsDep
from api.paging import Cursor, Limit, decode_cursor, encode_cursor
from api.problems import Problem
from api.schemas.common import PROBLEM_RESPONSES, Day
from api.schemas.reads.employees import (
    EmployeeListItemOut,
    EmployeePageOut,
    WorkforceDashboardOut,
)
from domain.employee import CYCLE_PATTERN, EmployeeStatus
from domain.vocabulary import Department
from projections.queries.employees import WorkforceFilter, employee_listing
from projections.queries.read_models import EMPLOYEES

router = APIRouter(responses=PROBLEM_RESPONSES)

CycleQuery = Annotated[
    str | None,
    Query(
        pattern=CYCLE_PATTERN.pattern,
        max_length=7,
        description="One appraisal cycle (2026, 2026-H1, 2026-Q3); default: every cycle",
    ),
]
FromQuery = Annotated[
    Day | None,
    Query(
        alias="from",
        description="First day of the period (default: 1 January of the until's year)",
    ),
]
UntilQuery = Annotated[Day | None, Query(description="Last day of the period (default: today)")]
NO_NUL = r"^[^\x00]*$"  # no database text column can hold a NUL character


def _check_order(first: date | None, last: date | None, names: tuple[str, str]) -> None:
    if first is not None and last is not None and last < first:
        raise Problem(
            422,
            "invalid-request",
            "The request has invalid fields",
            f"{names[1]} {last.isoformat()} lies before {names[0]} {first.isoformat()}",
            errors=[{"field": names[1], "message": f"must not lie before {names[0]}"}],
        )


def _after(cursor: str | None) -> tuple[Any, ...] | None:
    """The cursor's (hire date, id); one holding a NUL is none this API gave out."""
    key = decode_cursor(cursor, str, str)
    if key is not None and any("\x00" in value for value in key):
        raise Problem(
            422,
            "invalid-request",
            "The request has invalid fields",
            "cursor is not one this API gave out",
            errors=[{"field": "cursor", "message": "unknown cursor"}],
        )
    return key


@router.get("/dashboards/workforce", tags=["dashboards"], response_model=WorkforceDashboardOut)
def workforce_dashboard(
    _: Caller,
    read_models: ReadModelsDep,
    now: Now,
    department: Department | None = None,
    period_from: FromQuery = None,
    until: UntilQuery = None,
    cycle: CycleQuery = None,
    as_of: AsOfQuery = None,
    min_position: Annotated[str | None, MinPosition(EMPLOYEES)] = None,
) -> dict[str, Any]:
    """Headcount by department and status (probation, active, on leave) as of now;
    hires, separations, average headcount (mean of the daily headcount) and turnover
    (separations ÷ average headcount) in the period; appraisals per cycle: started,
    by stage, completion (finalized ÷ started, ÷ headcount on the cycle's last day),
    rating distribution, mean self - manager score, improvement plans outstanding;
    training hours per head of the average headcount, per kind; annual-leave use
    (working days taken ÷ the year's entitlement of everyone employed in the period,
    pro rata for joiners and leavers); probations past their end date and still not
    confirmed (``probation.overdue`` and its list) (§6).

    The period (``from``..``until``, both days included) applies to hires,
    separations, trainings and leave; ``cycle`` to appraisals; ``department`` to
    everything (the department the employee was in on the day concerned)."""
    _check_order(period_from, until, ("from", "until"))
    filters = WorkforceFilter(
        department=department.value if department else None,
        period_from=period_from,
        period_until=until,
        cycle=cycle,
    )
    with dashboard_read_models(
        read_models, (EMPLOYEES,), as_of=as_of, min_position=min_position, now=now
    ) as (models, moment):
        today = moment.date()
        if until is None and period_from is not None and period_from > today:
            _check_order(period_from, today, ("from", "until"))
        return {
            **models.workforce_dashboard(filters, today),
            "processed": models.processed(EMPLOYEES),
        }


@router.get(
    "/employees", tags=["employees"], response_model=EmployeePageOut, responses=CSV_RESPONSE
)
def list_employees(
    _: Caller,
    read_models: ReadModelsDep,
    fmt: FormatDep,
    department: Department | None = None,
    status: EmployeeStatus | None = None,
    manager_id: UUID | None = None,
    position: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, pattern=NO_NUL, description="Text in the name or the position"),
    ] = None,
    hired_from: Day | None = None,
    hired_until: Annotated[Day | None, Query(description="Last hire day (included)")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    min_position: Annotated[str | None, MinPosition(EMPLOYEES)] = None,
) -> dict[str, Any] | Response:
    """Employees from the read model (it may lag: see min_position), in hire order."""
    _check_order(hired_from, hired_until, ("hired_from", "hired_until"))
    listing = employee_listing(
        department=department.value if department else None,
        status=status.value if status else None,
        manager_id=str(manager_id) if manager_id else None,
        position=position,
        hired_from=hired_from,
        hired_until=hired_until,
        text=q,
    )
    fetch, after = partial(read_models.employees, listing), _after(cursor)
    if fmt.csv:
        return csv_response(EmployeeListItemOut, fetch, after=after, fmt=fmt, name="employees")
    items, next_key = fetch(limit=limit, after=after)
    return {
        "items": items,
        "next_cursor": encode_cursor(next_key),
        "processed": read_models.processed(EMPLOYEES),
    }
