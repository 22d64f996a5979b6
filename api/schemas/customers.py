"""Customer requests and responses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import Code, CommandIn, Email, Moment, Money, Name, Phone, Text, plain
from domain.customer import Customer
from domain.vocabulary import AcquisitionChannel, MembershipTier, ServiceChannel


class CustomerRegisterRequest(CommandIn):
    name: Name
    email: Email | None = None
    phone: Phone | None = None
    channel: AcquisitionChannel
    campaign: Code | None = None
    marketing_consent: bool = False
    service_consent: bool = True


class CustomerPurchaseRequest(CommandIn):
    amount: Money = Field(gt=Decimal("0"))
    order_ref: Code
    purchased_at: Moment | None = Field(default=None, description="Default: now")


class CustomerMembershipRequest(CommandIn):
    tier: MembershipTier


class CustomerSegmentRequest(CommandIn):
    segment: Code


class CustomerOfferRequest(CommandIn):
    offer: Name
    channel: ServiceChannel | None = None


class CustomerConsentRequest(CommandIn):
    service: bool | None = None
    marketing: bool | None = None


class CustomerSurveyRequest(CommandIn):
    survey: Code
    csat: int | None = Field(default=None, ge=1, le=5)
    nps: int | None = Field(default=None, ge=0, le=10)
    comment: Text | None = None
    complaint_id: UUID | None = Field(
        default=None, description="The complaint the survey asks about (a detractor reopens it)"
    )


class CustomerFollowUpRequest(CommandIn):
    channel: ServiceChannel
    note: Text


class ReasonRequest(CommandIn):
    reason: Text


class CustomerOut(BaseModel):
    id: UUID
    version: int
    status: str
    name: str | None
    email: str | None
    phone: str | None
    channel: AcquisitionChannel
    campaign: str | None
    service_consent: bool
    marketing_consent: bool
    welcome_sent: bool
    activated: bool
    purchases: int
    revenue: Decimal
    tier: MembershipTier
    segment: str | None
    surveys: dict[str, Any]
    follow_ups: int
    offers: int
    erased: bool
    registered_at: datetime
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, customer: Customer) -> CustomerOut:
        return cls(
            id=customer.id,
            version=customer.version,
            status=customer.status.value,
            name=customer.personal.name,
            email=customer.personal.email,
            phone=customer.personal.phone,
            channel=customer.channel,
            campaign=customer.campaign,
            service_consent=customer.service_consent,
            marketing_consent=customer.marketing_consent,
            welcome_sent=customer.welcome_sent,
            activated=customer.activated,
            purchases=len(customer.order_refs),
            revenue=customer.revenue,
            tier=customer.tier,
            segment=customer.segment,
            surveys=plain(customer.surveys),
            follow_ups=customer.follow_ups,
            offers=customer.offers,
            erased=customer.erased,
            registered_at=customer.registered_at,
            created_at=customer.created_on,
            updated_at=customer.modified_on,
        )
