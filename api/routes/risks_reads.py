"""The risk register's read models: GET /dashboards/risks and GET /risks (§8).

Both come from the risks projection and may lag: see min_position. Whatever
depends on today (overdue actions, the review backlog, acceptances expiring) is
judged when asked. Every authenticated role reads.
"""

from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.as_of import AsOfQuery, dashboard_read_models
from api.consistency import MinPosition
from api.csv_export import CSV_RESPONSE, FormatDep, csv_response
from api.deps import Caller, Now, ReadModelsDep
from api.paging import Cursor, Limit, decode_cursor, encode_cursor
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.reads.risks import RiskDashboardOut, RiskListItemOut, RiskPageOut
from domain.risk import RiskCategory, RiskLevel, RiskStatus
from domain.vocabulary import Department
from projections.queries.read_models import RISKS
from projections.queries.risks import ACCEPTANCE_WARNING_DAYS, RiskFilter, risk_listing

router = APIRouter(tags=["risks"], responses=PROBLEM_RESPONSES)
Owner = Annotated[
    str | None,
    Query(min_length=1, max_length=200, description="The owning principal's name, exactly"),
]


def _filters(
    category: RiskCategory | None,
    level: RiskLevel | None,
    department: Department | None,
    owner: str | None,
) -> RiskFilter:
    return RiskFilter(
        category=category.value if category else None,
        level=level.value if level else None,
        department=department.value if department else None,
        owner=owner,
    )


@router.get("/dashboards/risks", tags=["dashboards"], response_model=RiskDashboardOut)
def risks_dashboard(
    _: Caller,
    read_models: ReadModelsDep,
    now: Now,
    category: RiskCategory | None = None,
    level: Annotated[
        RiskLevel | None,
        Query(description="The current level: residual where assessed, else inherent"),
    ] = None,
    department: Department | None = None,
    owner: Owner = None,
    expiring_within_days: Annotated[
        int, Query(ge=1, le=366, description="How far ahead an acceptance counts as expiring")
    ] = ACCEPTANCE_WARNING_DAYS,
    as_of: AsOfQuery = None,
    min_position: Annotated[str | None, MinPosition(RISKS)] = None,
) -> dict[str, Any]:
    """5x5 heat maps of open risks (inherent; residual, or inherent where no residual
    is assessed), the register by level and category (open and closed), the share of
    open risks above appetite, overdue actions, the review backlog, each KRI's status
    with its last reading, open early warnings, acceptances expiring or expired."""
    filters = _filters(category, level, department, owner)
    with dashboard_read_models(
        read_models, (RISKS,), as_of=as_of, min_position=min_position, now=now
    ) as (models, moment):
        dashboard = models.risks_dashboard(
            filters, today=moment.date(), expiring_within_days=expiring_within_days
        )
        return {**dashboard, "processed": models.processed(RISKS)}


@router.get("/risks", response_model=RiskPageOut, responses=CSV_RESPONSE)
def list_risks(
    _: Caller,
    read_models: ReadModelsDep,
    fmt: FormatDep,
    status: RiskStatus | None = None,
    level: Annotated[
        RiskLevel | None,
        Query(description="The current level: residual where assessed, else inherent"),
    ] = None,
    category: RiskCategory | None = None,
    department: Department | None = None,
    owner: Owner = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in the title (any case)")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    min_position: Annotated[str | None, MinPosition(RISKS)] = None,
) -> dict[str, Any] | Response:
    """Risks from the read model (it may lag: see min_position), oldest first."""
    listing = risk_listing(
        _filters(category, level, department, owner),
        status=status.value if status else None,
        text=q,
    )
    fetch = partial(read_models.risks, listing, today=datetime.now(UTC).date())
    after = decode_cursor(cursor, str, str)
    if fmt.csv:
        return csv_response(RiskListItemOut, fetch, after=after, fmt=fmt, name="risks")
    items, next_key = fetch(limit=limit, after=after)
    return {
        "items": items,
        "next_cursor": encode_cursor(next_key),
        "processed": read_models.processed(RISKS),
    }
