"""/customers: the customer lifecycle (§3.2, §5.3)."""

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
from api.schemas.customers import (
    AnswerSurveyIn,
    AssignSegmentIn,
    ChangeConsentIn,
    CustomerOut,
    LogFollowUpIn,
    MakeOfferIn,
    ReasonIn,
    RecordPurchaseIn,
    RegisterCustomerIn,
    UpgradeMembershipIn,
)
from application.context import CommandContext
from domain.customer import Customer
from domain.vocabulary import Role

router = APIRouter(prefix="/customers", tags=["customers"], responses=PROBLEM_RESPONSES)

Marketing = Annotated[CommandContext, Depends(commanded_by(Role.MARKETING))]
Operations = Annotated[CommandContext, Depends(commanded_by(Role.OPERATIONS))]
Sales = Annotated[CommandContext, Depends(commanded_by(Role.SALES))]
CustomerService = Annotated[CommandContext, Depends(commanded_by(Role.CUSTOMER_SERVICE))]
CustomerCare = Annotated[
    CommandContext, Depends(commanded_by(Role.OPERATIONS, Role.CUSTOMER_SERVICE))
]
ConsentKeepers = Annotated[
    CommandContext, Depends(commanded_by(Role.MARKETING, Role.OPERATIONS, Role.CUSTOMER_SERVICE))
]


@router.post("", status_code=201, response_model=CommandOut)
def register_customer(
    body: RegisterCustomerIn,
    ctx: Marketing,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Register a customer (marketing); the welcome message is sent with it."""
    result = services.customers.register_customer(**body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.get("/{customer_id}", response_model=CustomerOut)
def get_customer(
    customer_id: UUID,
    _: Caller,
    services: ServicesDep,
    response: Response,
    version: VersionQuery = None,
    as_of: AsOfQuery = None,
) -> CustomerOut:
    customers = services.customers
    customer = read_state(
        version,
        as_of,
        lambda v: customers.get_customer(customer_id, v),
        lambda t: customers.customer_as_of(customer_id, t),
    )
    return read_answer(CustomerOut.of(customer), customer.version, response)


@router.get("/{customer_id}/events", response_model=EventsOut)
def customer_events(
    customer_id: UUID, _: Caller, services: ServicesDep, response: Response
) -> EventsOut:
    return events_answer(customer_id, services.customers.history(customer_id, Customer), response)


@router.post("/{customer_id}/activate", response_model=CommandOut)
def activate_customer(
    customer_id: UUID,
    ctx: Operations,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: EmptyIn | None = None,
) -> CommandOut:
    result = services.customers.activate_customer(customer_id, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{customer_id}/purchases", response_model=CommandOut)
def record_purchase(
    customer_id: UUID,
    body: RecordPurchaseIn,
    ctx: Sales,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.customers.record_purchase(customer_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{customer_id}/membership", response_model=CommandOut)
def upgrade_membership(
    customer_id: UUID,
    body: UpgradeMembershipIn,
    ctx: Sales,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.customers.upgrade_membership(customer_id, tier=body.tier, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{customer_id}/segment", response_model=CommandOut)
def assign_segment(
    customer_id: UUID,
    body: AssignSegmentIn,
    ctx: Operations,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.customers.assign_segment(customer_id, segment=body.segment, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{customer_id}/offers", response_model=CommandOut)
def make_offer(
    customer_id: UUID,
    body: MakeOfferIn,
    ctx: Operations,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.customers.make_offer(customer_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{customer_id}/consent", response_model=CommandOut)
def change_consent(
    customer_id: UUID,
    body: ChangeConsentIn,
    ctx: ConsentKeepers,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.customers.change_consent(customer_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{customer_id}/surveys", response_model=CommandOut)
def answer_survey(
    customer_id: UUID,
    body: AnswerSurveyIn,
    ctx: CustomerService,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.customers.answer_survey(customer_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{customer_id}/follow-ups", response_model=CommandOut)
def log_follow_up(
    customer_id: UUID,
    body: LogFollowUpIn,
    ctx: CustomerCare,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.customers.log_follow_up(customer_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{customer_id}/at-risk", response_model=CommandOut)
def flag_customer_at_risk(
    customer_id: UUID,
    body: ReasonIn,
    ctx: Operations,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.customers.flag_customer_at_risk(customer_id, reason=body.reason, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{customer_id}/churn", response_model=CommandOut)
def churn_customer(
    customer_id: UUID,
    body: ReasonIn,
    ctx: Operations,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.customers.churn_customer(customer_id, reason=body.reason, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{customer_id}/reactivate", response_model=CommandOut)
def reactivate_customer(
    customer_id: UUID,
    body: ReasonIn,
    ctx: Operations,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.customers.reactivate_customer(customer_id, reason=body.reason, ctx=ctx)
    return command_answer(result, request, response)
