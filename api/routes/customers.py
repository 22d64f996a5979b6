"""/customers: the customer lifecycle (§3.2, §5.3)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.commands import CommandRoutes
from api.consistency import MinPosition
from api.csv_export import CSV_RESPONSE, FormatDep, csv_response
from api.deps import Caller, ReadModelsDep
from api.paging import Cursor, Limit, decode_cursor, encode_cursor
from api.schemas.common import PROBLEM_RESPONSES, Moment
from api.schemas.customers import (
    CustomerConsentRequest,
    CustomerFollowUpRequest,
    CustomerMembershipRequest,
    CustomerOfferRequest,
    CustomerOut,
    CustomerPurchaseRequest,
    CustomerRegisterRequest,
    CustomerSegmentRequest,
    CustomerSurveyRequest,
    ReasonRequest,
)
from api.schemas.reads.customers import CustomerListItemOut, CustomerPageOut
from application.customers import Customers
from domain.clock import utc
from domain.customer import Customer, CustomerStatus
from domain.vocabulary import AcquisitionChannel, MembershipTier, Role
from projections.queries.customers import CustomerFilter, customer_listing
from projections.queries.read_models import CUSTOMERS

router = APIRouter(prefix="/customers", tags=["customers"], responses=PROBLEM_RESPONSES)
routes = CommandRoutes(router, Customers, lambda services: services.customers)

OPERATIONS, SALES, MARKETING = Role.OPERATIONS, Role.SALES, Role.MARKETING
CUSTOMER_SERVICE = Role.CUSTOMER_SERVICE

routes.create("register_customer", MARKETING, body=CustomerRegisterRequest)
routes.reads(Customer, CustomerOut.of, CustomerOut)
routes.on("/activate", "activate_customer", OPERATIONS)
routes.on("/purchases", "record_purchase", SALES, body=CustomerPurchaseRequest)
routes.on("/membership", "upgrade_membership", SALES, body=CustomerMembershipRequest)
routes.on("/segment", "assign_segment", OPERATIONS, body=CustomerSegmentRequest)
routes.on("/offers", "make_offer", OPERATIONS, body=CustomerOfferRequest)
routes.on(
    "/consent",
    "change_consent",
    MARKETING,
    OPERATIONS,
    CUSTOMER_SERVICE,
    body=CustomerConsentRequest,
)
routes.on("/surveys", "answer_survey", CUSTOMER_SERVICE, body=CustomerSurveyRequest)
routes.on(
    "/follow-ups", "log_follow_up", OPERATIONS, CUSTOMER_SERVICE, body=CustomerFollowUpRequest
)
routes.on("/at-risk", "flag_customer_at_risk", OPERATIONS, body=ReasonRequest)
routes.on("/churn", "churn_customer", OPERATIONS, body=ReasonRequest)
routes.on("/reactivate", "reactivate_customer", OPERATIONS, body=ReasonRequest)
routes.on("/erase", "erase_customer", CUSTOMER_SERVICE, Role.MANAGEMENT, body=ReasonRequest)


@router.get("", response_model=CustomerPageOut, responses=CSV_RESPONSE)
def list_customers(
    _: Caller,
    read_models: ReadModelsDep,
    fmt: FormatDep,
    status: CustomerStatus | None = None,
    channel: AcquisitionChannel | None = None,
    campaign: Annotated[str | None, Query(max_length=200)] = None,
    segment: Annotated[str | None, Query(max_length=200)] = None,
    tier: MembershipTier | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in the name, email or phone")
    ] = None,
    registered_from: Moment | None = None,
    registered_until: Moment | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    min_position: Annotated[str | None, MinPosition(CUSTOMERS)] = None,
) -> dict[str, Any] | Response:
    """Customers from the read model (it may lag: see min_position), oldest first."""
    filters = CustomerFilter(
        channel=channel.value if channel else None,
        campaign=campaign,
        registered_from=utc(registered_from) if registered_from else None,
        registered_until=utc(registered_until) if registered_until else None,
    )
    listing = customer_listing(
        filters,
        status=status.value if status else None,
        segment=segment,
        tier=tier.value if tier else None,
        text=q,
    )
    fetch, after = partial(read_models.customers, listing), decode_cursor(cursor, str, str)
    if fmt.csv:
        return csv_response(CustomerListItemOut, fetch, after=after, fmt=fmt, name="customers")
    items, next_key = fetch(limit=limit, after=after)
    return {
        "items": items,
        "next_cursor": encode_cursor(next_key),
        "processed": read_models.processed(CUSTOMERS),
    }
