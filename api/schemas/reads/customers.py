"""GET /dashboards/customers and GET /customers (§3.2 funnel, §5.3 satisfaction)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from api.schemas.reads.common import MoneyText, Processed, Rate, ReadOut, ReadPageOut, UtcText
from domain.customer import CustomerStatus
from domain.vocabulary import AcquisitionChannel, MembershipTier


class CustomerFunnelOut(ReadOut):
    """The funnel of a set of customers: counts at each stage and the rates between them."""

    registered: int
    activated: int = Field(description="Customers who took the key action")
    converted: int = Field(description="Customers with at least one purchase")
    loyal: int = Field(description="Customers with at least two purchases")
    churned: int = Field(description="Customers churned now")
    at_risk: int = Field(description="Customers flagged at risk now")
    activation_rate: Rate = Field(description="activated ÷ registered")
    conversion_rate: Rate = Field(description="converted ÷ registered")
    repeat_purchase_rate: Rate = Field(description="loyal ÷ converted")
    churn_rate: Rate = Field(description="churned ÷ registered")
    revenue: MoneyText = Field(description="Purchases' total")


class CustomerSatisfactionOut(ReadOut):
    csat_answers: int
    csat_percent: float | None = Field(
        description="Share of CSAT answers of 4 or 5, in percent (1 place); null without answers"
    )
    nps_answers: int
    nps: float | None = Field(
        description="Net promoter score: % promoters (9-10) - % detractors (0-6), 1 place; "
        "null without answers"
    )


class CustomerDashboardOut(ReadOut):
    as_of: UtcText = Field(description="The moment the figures stand at (now, or `as_of`)")
    funnel: CustomerFunnelOut
    by_channel: dict[str, CustomerFunnelOut] = Field(description="By acquisition channel")
    by_registration_month: dict[str, CustomerFunnelOut] = Field(
        description="By registration month (`YYYY-MM`, UTC)"
    )
    satisfaction: CustomerSatisfactionOut
    processed: Processed


class CustomerListItemOut(ReadOut):
    """A customer as the read model holds it; name, email and phone are null once erased."""

    id: UUID
    version: int
    status: CustomerStatus
    name: str | None
    email: str | None
    phone: str | None
    channel: AcquisitionChannel
    campaign: str | None
    activated: bool
    purchases: int
    revenue: MoneyText
    tier: MembershipTier
    segment: str | None
    erased: bool
    registered_at: UtcText


class CustomerPageOut(ReadPageOut):
    items: list[CustomerListItemOut]
