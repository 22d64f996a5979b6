"""/complaints: complaint handling (§5.1, §5.2)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from api.answers import (
    AsOfQuery,
    VersionQuery,
    command_answer,
    events_answer,
    read_answer,
    read_state,
)
from api.deps import Caller, ServicesDep, commanded_by
from api.schemas.common import PROBLEM_RESPONSES, CommandOut, EmptyIn, EventsOut
from api.schemas.complaints import (
    AcknowledgeIn,
    AssessIn,
    AssignIn,
    CloseIn,
    ComplaintOut,
    CustomerDecisionIn,
    FinalDecisionIn,
    ProposeResolutionIn,
    ReceiveComplaintIn,
    RespondIn,
)
from api.schemas.customers import ReasonIn
from application.context import CommandContext
from domain.complaint import Complaint
from domain.vocabulary import Role

router = APIRouter(prefix="/complaints", tags=["complaints"], responses=PROBLEM_RESPONSES)

CustomerService = Annotated[CommandContext, Depends(commanded_by(Role.CUSTOMER_SERVICE))]
Approver = Annotated[CommandContext, Depends(commanded_by(Role.MANAGEMENT, Role.CUSTOMER_SERVICE))]


@router.post("", status_code=201, response_model=CommandOut)
def receive_complaint(
    body: ReceiveComplaintIn,
    ctx: CustomerService,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.complaints.receive_complaint(**body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.get("/{complaint_id}", response_model=ComplaintOut)
def get_complaint(
    complaint_id: UUID,
    _: Caller,
    services: ServicesDep,
    response: Response,
    version: VersionQuery = None,
    as_of: AsOfQuery = None,
) -> ComplaintOut:
    complaints = services.complaints
    complaint = read_state(
        version,
        as_of,
        lambda v: complaints.get_complaint(complaint_id, v),
        lambda t: complaints.complaint_as_of(complaint_id, t),
    )
    return read_answer(ComplaintOut.of(complaint), complaint.version, response)


@router.get("/{complaint_id}/events", response_model=EventsOut)
def complaint_events(
    complaint_id: UUID, _: Caller, services: ServicesDep, response: Response
) -> EventsOut:
    return events_answer(
        complaint_id, services.complaints.history(complaint_id, Complaint), response
    )


@router.post("/{complaint_id}/acknowledge", response_model=CommandOut)
def acknowledge_complaint(
    complaint_id: UUID,
    ctx: CustomerService,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: AcknowledgeIn | None = None,
) -> CommandOut:
    """The first response to the customer: stops the first-response clock."""
    message = body.message if body else None
    result = services.complaints.acknowledge_complaint(complaint_id, message=message, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{complaint_id}/assess", response_model=CommandOut)
def assess_complaint(
    complaint_id: UUID,
    body: AssessIn,
    ctx: CustomerService,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Set severity, owning department and assignee; sets the SLA due times."""
    result = services.complaints.assess_complaint(complaint_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{complaint_id}/assign", response_model=CommandOut)
def assign_complaint(
    complaint_id: UUID,
    body: AssignIn,
    ctx: CustomerService,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Reassign an assessed complaint to another department or person."""
    result = services.complaints.assign_complaint(complaint_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{complaint_id}/propose-resolution", response_model=CommandOut)
def propose_resolution(
    complaint_id: UUID,
    body: ProposeResolutionIn,
    ctx: CustomerService,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.complaints.propose_resolution(complaint_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{complaint_id}/approve-resolution", response_model=CommandOut)
def approve_resolution(
    complaint_id: UUID,
    ctx: Approver,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: EmptyIn | None = None,
) -> CommandOut:
    """Approve a severity 1-2 plan: management, or customer service other than the proposer."""
    result = services.complaints.approve_resolution(complaint_id, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{complaint_id}/respond", response_model=CommandOut)
def respond_to_complaint(
    complaint_id: UUID,
    body: RespondIn,
    ctx: CustomerService,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """The decision is communicated to the customer (§5.2.2)."""
    result = services.complaints.respond_to_complaint(complaint_id, message=body.message, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{complaint_id}/customer-decision", response_model=CommandOut)
def record_customer_decision(
    complaint_id: UUID,
    body: CustomerDecisionIn,
    ctx: CustomerService,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Accepted: resolved. Rejected: back to investigating, one escalation level up."""
    result = services.complaints.record_customer_decision(
        complaint_id, **body.model_dump(), ctx=ctx
    )
    return command_answer(result, request, response)


@router.post("/{complaint_id}/final-decision", response_model=CommandOut)
def record_final_decision(
    complaint_id: UUID,
    body: FinalDecisionIn,
    ctx: Approver,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Record the company's final decision when the customer does not accept."""
    result = services.complaints.record_final_decision(
        complaint_id, decision=body.decision, ctx=ctx
    )
    return command_answer(result, request, response)


@router.post("/{complaint_id}/close", response_model=CommandOut)
def close_complaint(
    complaint_id: UUID,
    ctx: CustomerService,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: CloseIn | None = None,
) -> CommandOut:
    """Close after the follow-up asked the customer's opinion (§5.2.3)."""
    fields = body.model_dump() if body else {}
    result = services.complaints.close_complaint(complaint_id, **fields, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{complaint_id}/reopen", response_model=CommandOut)
def reopen_complaint(
    complaint_id: UUID,
    body: ReasonIn,
    ctx: CustomerService,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Reopen within 30 days of closing: back to investigating."""
    result = services.complaints.reopen_complaint(complaint_id, reason=body.reason, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{complaint_id}/wait-for-customer", response_model=CommandOut)
def wait_for_customer(
    complaint_id: UUID,
    body: ReasonIn,
    ctx: CustomerService,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Pending on the customer: pauses the SLA clock."""
    result = services.complaints.wait_for_customer(complaint_id, reason=body.reason, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{complaint_id}/resume", response_model=CommandOut)
def resume_complaint(
    complaint_id: UUID,
    ctx: CustomerService,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: EmptyIn | None = None,
) -> CommandOut:
    result = services.complaints.resume_complaint(complaint_id, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{complaint_id}/withdraw", response_model=CommandOut)
def withdraw_complaint(
    complaint_id: UUID,
    body: ReasonIn,
    ctx: CustomerService,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.complaints.withdraw_complaint(complaint_id, reason=body.reason, ctx=ctx)
    return command_answer(result, request, response)
