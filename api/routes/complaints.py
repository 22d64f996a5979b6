"""/complaints: complaint handling (§5.1, §5.2)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.commands import CommandRoutes
from api.consistency import MinPosition
from api.csv_export import CSV_RESPONSE, FormatDep, csv_response
from api.deps import Caller, ReadModelsDep
from api.paging import Cursor, Limit, decode_cursor, encode_cursor
from api.schemas.common import PROBLEM_RESPONSES, Moment
from api.schemas.complaints import (
    ComplaintAcknowledgeRequest,
    ComplaintAssessRequest,
    ComplaintAssignRequest,
    ComplaintCloseRequest,
    ComplaintCustomerDecisionRequest,
    ComplaintFinalDecisionRequest,
    ComplaintOut,
    ComplaintProposeResolutionRequest,
    ComplaintReassessRequest,
    ComplaintReceiveRequest,
    ComplaintRespondRequest,
)
from api.schemas.customers import ReasonRequest
from api.schemas.reads.complaints import ComplaintListItemOut, ComplaintPageOut
from application.complaints import Complaints
from domain.clock import utc
from domain.complaint import Complaint, ComplaintStatus
from domain.vocabulary import ComplaintCategory, Department, Role, ServiceChannel
from projections.queries.complaints import ComplaintFilter, complaint_listing
from projections.queries.read_models import COMPLAINTS

router = APIRouter(prefix="/complaints", tags=["complaints"], responses=PROBLEM_RESPONSES)
routes = CommandRoutes(router, Complaints, lambda services: services.complaints)

CS, MANAGEMENT = Role.CUSTOMER_SERVICE, Role.MANAGEMENT

routes.create("receive_complaint", CS, body=ComplaintReceiveRequest)
routes.reads(Complaint, ComplaintOut.of, ComplaintOut)
routes.on("/acknowledge", "acknowledge_complaint", CS, body=ComplaintAcknowledgeRequest)
routes.on("/assess", "assess_complaint", CS, body=ComplaintAssessRequest)
routes.on("/reassess", "reassess_complaint", CS, body=ComplaintReassessRequest)
routes.on("/assign", "assign_complaint", CS, body=ComplaintAssignRequest)
routes.on("/propose-resolution", "propose_resolution", CS, body=ComplaintProposeResolutionRequest)
routes.on("/approve-resolution", "approve_resolution", MANAGEMENT, CS)
routes.on("/respond", "respond_to_complaint", CS, body=ComplaintRespondRequest)
routes.on(
    "/customer-decision", "record_customer_decision", CS, body=ComplaintCustomerDecisionRequest
)
routes.on(
    "/final-decision", "record_final_decision", MANAGEMENT, CS, body=ComplaintFinalDecisionRequest
)
routes.on("/close", "close_complaint", CS, body=ComplaintCloseRequest)
routes.on("/reopen", "reopen_complaint", CS, body=ReasonRequest)
routes.on("/wait-for-customer", "wait_for_customer", CS, body=ReasonRequest)
routes.on("/resume", "resume_complaint", CS)
routes.on("/withdraw", "withdraw_complaint", CS, body=ReasonRequest)


@router.get("", response_model=ComplaintPageOut, responses=CSV_RESPONSE)
def list_complaints(
    _: Caller,
    read_models: ReadModelsDep,
    fmt: FormatDep,
    status: ComplaintStatus | None = None,
    channel: ServiceChannel | None = None,
    category: ComplaintCategory | None = None,
    department: Department | None = None,
    severity: Annotated[int | None, Query(ge=1, le=4)] = None,
    customer_id: UUID | None = None,
    received_from: Moment | None = None,
    received_until: Moment | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    min_position: Annotated[str | None, MinPosition(COMPLAINTS)] = None,
) -> dict[str, Any] | Response:
    """Complaints from the read model (it may lag: see min_position), oldest first."""
    filters = ComplaintFilter(
        channel=channel.value if channel else None,
        category=category.value if category else None,
        department=department.value if department else None,
        severity=severity,
        received_from=utc(received_from) if received_from else None,
        received_until=utc(received_until) if received_until else None,
    )
    listing = complaint_listing(
        filters,
        status=status.value if status else None,
        customer_id=str(customer_id) if customer_id else None,
    )
    fetch = partial(read_models.complaints, listing, now=datetime.now(UTC))
    after = decode_cursor(cursor, str, str)
    if fmt.csv:
        return csv_response(ComplaintListItemOut, fetch, after=after, fmt=fmt, name="complaints")
    items, next_key = fetch(limit=limit, after=after)
    return {
        "items": items,
        "next_cursor": encode_cursor(next_key),
        "processed": read_models.processed(COMPLAINTS),
    }
