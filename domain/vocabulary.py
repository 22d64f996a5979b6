"""The enumerations clients send (docs/domain.md, Vocabulary)."""

from __future__ import annotations

from enum import Enum, StrEnum


class Role(StrEnum):
    BOARD = "board"
    MANAGEMENT = "management"
    OPERATIONS = "operations"
    MARKETING = "marketing"
    SALES = "sales"
    CUSTOMER_SERVICE = "customer_service"
    FINANCE = "finance"
    HR = "hr"
    TECHNOLOGY = "technology"
    AUDITOR = "auditor"


class Department(Enum):
    OPERATIONS = "operations"
    TECHNOLOGY = "technology"
    MARKETING = "marketing"
    SALES = "sales"
    CUSTOMER_SERVICE = "customer_service"
    FINANCE = "finance"
    HR = "hr"
    ADMINISTRATION = "administration"


class AcquisitionChannel(Enum):
    SEARCH = "search"
    SOCIAL = "social"
    CONTENT = "content"
    OFFLINE_EVENT = "offline_event"
    REFERRAL = "referral"
    CAMPAIGN = "campaign"


class ServiceChannel(Enum):
    PHONE = "phone"
    ONLINE_CHAT = "online_chat"
    EMAIL = "email"
    SOCIAL_MEDIA = "social_media"


class ComplaintCategory(Enum):
    PRODUCT_QUALITY = "product_quality"
    SERVICE_ATTITUDE = "service_attitude"
    BILLING = "billing"
    DELIVERY = "delivery"
    PRIVACY = "privacy"
    OTHER = "other"


class RootCause(Enum):
    """Root-cause codes for complaint analysis (the dashboard's Pareto)."""

    PRODUCT_DEFECT = "product_defect"
    PROCESS_GAP = "process_gap"
    STAFF_CONDUCT = "staff_conduct"
    SYSTEM_FAILURE = "system_failure"
    THIRD_PARTY = "third_party"
    POLICY_UNCLEAR = "policy_unclear"
    CUSTOMER_MISUNDERSTANDING = "customer_misunderstanding"
    OTHER = "other"


class MembershipTier(Enum):
    """Membership tiers, lowest first: upgrades only move right."""

    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"

    @property
    def rank(self) -> int:
        return list(MembershipTier).index(self)
