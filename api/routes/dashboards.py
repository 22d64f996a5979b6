"""/dashboards: read models for reporting consumers (they may lag; see min_position)."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.as_of import AsOfQuery, dashboard_read_models
from api.consistency import MinPosition
from api.deps import Caller, Now, ReadModelsDep
from api.schemas.common import PROBLEM_RESPONSES, Moment
from api.schemas.reads.complaints import ComplaintDashboardOut
from api.schemas.reads.customers import CustomerDashboardOut
from domain.clock import utc
from domain.vocabulary import AcquisitionChannel, ComplaintCategory, Department, ServiceChannel
from projections.projection import utc_text
from projections.queries.complaints import ComplaintFilter
from projections.queries.customers import CustomerFilter
from projections.queries.read_models import COMPLAINTS, CUSTOMERS

router = APIRouter(prefix="/dashboards", tags=["dashboards"], responses=PROBLEM_RESPONSES)


def _utc(moment: datetime | None) -> datetime | None:
    return utc(moment) if moment else None


@router.get("/customers", response_model=CustomerDashboardOut)
def customers_dashboard(
    _: Caller,
    read_models: ReadModelsDep,
    now: Now,
    channel: AcquisitionChannel | None = None,
    campaign: str | None = None,
    registered_from: Moment | None = None,
    registered_until: Moment | None = None,
    as_of: AsOfQuery = None,
    min_position: Annotated[str | None, MinPosition(CUSTOMERS)] = None,
) -> dict[str, Any]:
    """Funnel per channel and registration month, activation, conversion, repeat
    purchase, churn, revenue per channel, CSAT % and NPS (§3.2, §5.3); `as_of`: as
    they stood then."""
    filters = CustomerFilter(
        channel=channel.value if channel else None,
        campaign=campaign,
        registered_from=_utc(registered_from),
        registered_until=_utc(registered_until),
    )
    with dashboard_read_models(
        read_models, (CUSTOMERS,), as_of=as_of, min_position=min_position, now=now
    ) as (models, moment):
        return {
            "as_of": utc_text(moment),
            **models.customers_dashboard(filters),
            "processed": models.processed(CUSTOMERS),
        }


@router.get("/complaints", response_model=ComplaintDashboardOut)
def complaints_dashboard(
    _: Caller,
    read_models: ReadModelsDep,
    now: Now,
    channel: ServiceChannel | None = None,
    category: ComplaintCategory | None = None,
    department: Department | None = None,
    severity: Annotated[int | None, Query(ge=1, le=4)] = None,
    received_from: Moment | None = None,
    received_until: Moment | None = None,
    as_of: AsOfQuery = None,
    min_position: Annotated[str | None, MinPosition(COMPLAINTS)] = None,
) -> dict[str, Any]:
    """Backlog by status and age, first-response and resolution times (net of time
    waiting on the customer), SLA attainment and breaches as of now (or `as_of`), reopen
    and escalation rates, by channel and category, root-cause Pareto (§5.1, §5.2)."""
    filters = ComplaintFilter(
        channel=channel.value if channel else None,
        category=category.value if category else None,
        department=department.value if department else None,
        severity=severity,
        received_from=_utc(received_from),
        received_until=_utc(received_until),
    )
    with dashboard_read_models(
        read_models,
        (COMPLAINTS, CUSTOMERS),
        as_of=as_of,
        min_position=min_position,
        now=now,
    ) as (models, moment):
        dashboard = models.complaints_dashboard(filters, now=moment)
        progress = {**models.processed(COMPLAINTS), **models.processed(CUSTOMERS)}
    return {**dashboard, "processed": progress}
