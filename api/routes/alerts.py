"""/alerts: what the policies and the deadline scheduler raised for people to act on.

Every authenticated role reads the list (it may lag: see min_position) and any
alert; an alert is acknowledged or resolved by those it is for (its roles or its
principals), else 403 `not-alert-recipient`. Alerts also resolve themselves when
their cause is gone (docs/policies.md).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.commands import CommandRoutes
from api.consistency import MinPositionHeader, MinPositionQuery, wait_for_position
from api.csv_export import CSV_RESPONSE, FormatDep, csv_response
from api.deps import Caller, ReadModelsDep
from api.paging import Cursor, Limit, decode_cursor, encode_cursor
from api.schemas.alerts import AlertOut, AlertResolveRequest
from api.schemas.common import PROBLEM_RESPONSES, EmptyRequest, Moment
from api.schemas.reads.alerts import AlertItemOut, AlertPageOut, AlertStatusText
from application.alerts import Alerts
from domain.alert import RECIPIENTS, Alert
from domain.clock import utc
from domain.vocabulary import Role
from projections.projection import utc_text
from projections.queries.alerts import AlertFilter, alert_listing
from projections.queries.read_models import ALERTS

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=PROBLEM_RESPONSES)
routes = CommandRoutes(
    router, Alerts, lambda services: services.alerts, id_name="alert_id", describe=False
)
PEOPLE = tuple(role for role in Role if role != Role.AUDITOR)


@router.get("", response_model=AlertPageOut, responses=CSV_RESPONSE)
def list_alerts(
    _: Caller,
    read_models: ReadModelsDep,
    fmt: FormatDep,
    kind: Annotated[
        str | None, Query(max_length=100, description=f"One of {', '.join(RECIPIENTS)}")
    ] = None,
    status: AlertStatusText | None = None,
    since: Annotated[Moment | None, Query(description="Raised at or after this moment")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    min_position: MinPositionQuery = None,
    x_min_position: MinPositionHeader = None,
) -> dict[str, Any] | Response:
    """Open and past alerts, oldest first."""
    wait_for_position(read_models, ALERTS, min_position or x_min_position)
    listing = alert_listing(
        AlertFilter(kind=kind, status=status, since=utc_text(utc(since)) if since else None)
    )
    fetch = partial(read_models.alerts, listing)
    after = decode_cursor(cursor, str, str)
    if fmt.csv:
        return csv_response(AlertItemOut, fetch, after=after, fmt=fmt, name="alerts")
    items, next_key = fetch(limit=limit, after=after)
    return {
        "items": items,
        "next_cursor": encode_cursor(next_key),
        "processed": read_models.processed(ALERTS),
    }


routes.reads(Alert, AlertOut.of, AlertOut)
routes.on(
    "/acknowledgements",
    "acknowledge_alert",
    *PEOPLE,
    body=EmptyRequest,
    doc="Acknowledge the alert (someone is on it): by a role or principal it is for.",
)
routes.on(
    "/resolutions",
    "resolve_alert",
    *PEOPLE,
    body=AlertResolveRequest,
    doc="Resolve the alert, with an optional note: by a role or principal it is for.",
)
