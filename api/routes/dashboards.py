"""/dashboards: read models for reporting consumers (they may lag; see min_position)."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.consistency import (
    MinPositionHeader,
    MinPositionQuery,
    get_runner,
    processed,
    wait_for_position,
)
from api.deps import Caller
from api.schemas.common import PROBLEM_RESPONSES, Moment
from domain.clock import utc
from domain.vocabulary import AcquisitionChannel, ComplaintCategory, Department, ServiceChannel
from projections.complaints import ComplaintFilter, complaint_dashboard
from projections.customers import CustomerFilter, active_customers, customer_dashboard
from projections.runner import ProjectionRunner

router = APIRouter(prefix="/dashboards", tags=["dashboards"], responses=PROBLEM_RESPONSES)
Runner = Annotated[ProjectionRunner, Depends(get_runner)]


def _utc(moment: datetime | None) -> datetime | None:
    return utc(moment) if moment else None


@router.get("/customers")
def customers_dashboard(
    _: Caller,
    runner: Runner,
    channel: AcquisitionChannel | None = None,
    campaign: str | None = None,
    registered_from: Moment | None = None,
    registered_until: Moment | None = None,
    min_position: MinPositionQuery = None,
    x_min_position: MinPositionHeader = None,
) -> dict[str, Any]:
    """Funnel per channel and registration month, activation, conversion, repeat
    purchase, churn, revenue per channel, CSAT % and NPS (§3.2, §5.3)."""
    wait_for_position(runner, "customers_view", min_position or x_min_position)
    filters = CustomerFilter(
        channel=channel.value if channel else None,
        campaign=campaign,
        registered_from=_utc(registered_from),
        registered_until=_utc(registered_until),
    )
    return {
        **customer_dashboard(runner.store("customers_view"), filters),
        "processed": processed(runner, "customers_view"),
    }


@router.get("/complaints")
def complaints_dashboard(
    _: Caller,
    runner: Runner,
    channel: ServiceChannel | None = None,
    category: ComplaintCategory | None = None,
    department: Department | None = None,
    severity: Annotated[int | None, Query(ge=1, le=4)] = None,
    received_from: Moment | None = None,
    received_until: Moment | None = None,
    min_position: MinPositionQuery = None,
    x_min_position: MinPositionHeader = None,
) -> dict[str, Any]:
    """Backlog by status and age, first-response and resolution times (net of time
    waiting on the customer), SLA attainment and breaches as of now, reopen and
    escalation rates, by channel and category, root-cause Pareto (§5.1, §5.2)."""
    wait_for_position(runner, "complaints_view", min_position or x_min_position)
    filters = ComplaintFilter(
        channel=channel.value if channel else None,
        category=category.value if category else None,
        department=department.value if department else None,
        severity=severity,
        received_from=_utc(received_from),
        received_until=_utc(received_until),
    )
    dashboard = complaint_dashboard(
        runner.store("complaints_view"),
        filters,
        now=datetime.now(UTC),
        active_customers=active_customers(runner.store("customers_view")),
    )
    progress = {**processed(runner, "complaints_view"), **processed(runner, "customers_view")}
    return {**dashboard, "processed": progress}
