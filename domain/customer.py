"""Customer: the user lifecycle of §3.2 and the satisfaction and loyalty of §5.3."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.clock import check_happened
from domain.errors import InvalidValue, RuleViolation
from domain.money import positive_money
from domain.personal import FreeText, PersonalText
from domain.vocabulary import AcquisitionChannel, MembershipTier, ServiceChannel


class CustomerStatus(Enum):
    REGISTERED = "registered"
    ACTIVATED = "activated"
    CONVERTED = "converted"
    LOYAL = "loyal"
    AT_RISK = "at_risk"
    CHURNED = "churned"
    REACTIVATED = "reactivated"


ENGAGED = frozenset(
    {
        CustomerStatus.ACTIVATED,
        CustomerStatus.CONVERTED,
        CustomerStatus.LOYAL,
        CustomerStatus.REACTIVATED,
    }
)


@dataclass(frozen=True)
class PersonalData:
    """Who the customer is: name and contacts, kept together so that a PIPL
    erasure request has one thing to make unreadable. ``subject`` is the customer's id."""

    subject: UUID
    name: str | None
    email: str | None
    phone: str | None

    @classmethod
    def erased_for(cls, subject: UUID) -> PersonalData:
        return cls(subject=subject, name=None, email=None, phone=None)

    @property
    def erased(self) -> bool:
        return self.name is None and self.email is None and self.phone is None


class ContactRequired(InvalidValue):
    slug = "contact-required"
    title = "A customer needs at least one contact: phone or email"


class CustomerErased(RuleViolation):
    slug = "customer-erased"
    title = "The customer's personal data was erased: only reads are accepted"


class WelcomeAlreadySent(RuleViolation):
    slug = "welcome-already-sent"
    title = "The welcome message is sent once, on registration"


class CustomerAlreadyActivated(RuleViolation):
    slug = "customer-already-activated"
    title = "A customer is activated only once"


class CustomerChurned(RuleViolation):
    slug = "customer-churned"
    title = "The customer has churned: reactivate them first"


class DuplicateOrderRef(RuleViolation):
    slug = "duplicate-order-ref"
    title = "An order reference is recorded once per customer"


class MembershipNotUpward(RuleViolation):
    slug = "membership-not-upward"
    title = "A membership tier only changes upward"


class CustomerNotSegmented(RuleViolation):
    slug = "customer-not-segmented"
    title = "An offer needs a segment assigned first"


class NoMarketingConsent(RuleViolation):
    slug = "no-marketing-consent"
    title = "An offer needs the customer's marketing consent"


class NoServiceConsent(RuleViolation):
    slug = "no-service-consent"
    title = "Surveys and follow-up visits need the customer's service consent"


class SurveyAlreadyAnswered(RuleViolation):
    slug = "survey-already-answered"
    title = "A customer answers each survey once"


class SurveyAnswerEmpty(InvalidValue):
    slug = "survey-answer-empty"
    title = "A survey answer needs a CSAT score, an NPS score, or both"


class CsatOutOfRange(InvalidValue):
    slug = "csat-out-of-range"
    title = "CSAT is scored 1 to 5"


class NpsOutOfRange(InvalidValue):
    slug = "nps-out-of-range"
    title = "NPS is scored 0 to 10"


class CustomerNotEngaged(RuleViolation):
    slug = "customer-not-engaged"
    title = "Only an activated, converted, loyal or reactivated customer can be flagged at risk"


class CustomerAlreadyChurned(RuleViolation):
    slug = "customer-already-churned"
    title = "The customer has churned already"


class CustomerNotLapsed(RuleViolation):
    slug = "customer-not-lapsed"
    title = "Only a churned or at-risk customer can be reactivated"


class Customer(Aggregate):
    """A customer, from registration to loyalty (or churn)."""

    @staticmethod
    def create_id(personal: PersonalData) -> UUID:
        return personal.subject

    @event("Registered")
    def __init__(
        self,
        personal: PersonalData,
        channel: AcquisitionChannel,
        campaign: str | None,
        service_consent: bool,
        marketing_consent: bool,
        registered_at: datetime,
    ) -> None:
        self.personal = personal
        self.registered_at = registered_at
        self.channel = channel
        self.campaign = campaign
        self.service_consent = service_consent
        self.marketing_consent = marketing_consent
        self.status = CustomerStatus.REGISTERED
        self.welcome_sent = False
        self.activated = False
        self.order_refs: list[str] = []
        self.revenue = Decimal("0.00")
        self.tier = MembershipTier.STANDARD
        self.segment: str | None = None
        self.surveys: dict[str, dict[str, Any]] = {}
        self.follow_ups = 0
        self.offers = 0
        self.erased = False

    @classmethod
    def register(
        cls,
        *,
        name: str,
        email: str | None,
        phone: str | None,
        channel: AcquisitionChannel,
        campaign: str | None = None,
        registered_at: datetime,
        service_consent: bool = True,
        marketing_consent: bool = False,
    ) -> Customer:
        """Register a customer and send the welcome message (§3.2.2)."""
        if not (email or phone):
            raise ContactRequired(
                "give at least one contact: email or phone", fields=("email", "phone")
            )
        customer = cls(
            personal=PersonalData(subject=uuid4(), name=name, email=email, phone=phone),
            channel=channel,
            campaign=campaign,
            service_consent=service_consent,
            marketing_consent=marketing_consent,
            registered_at=registered_at,
        )
        customer.send_welcome()
        return customer

    # Checks shared by commands.

    def _check_not_erased(self) -> None:
        if self.erased:
            raise CustomerErased(f"customer {self.id} was erased")

    def _check_service_consent(self, what: str) -> None:
        if not self.service_consent:
            raise NoServiceConsent(f"customer {self.id} has not consented to {what}")

    def _about(self, text: str) -> PersonalText:
        """Words written about this customer, to be sealed with their key."""
        return PersonalText(subject=self.id, text=text)

    def _check_not_churned(self) -> None:
        self._check_not_erased()
        if self.status == CustomerStatus.CHURNED:
            raise CustomerChurned(f"customer {self.id} has churned; reactivate first")

    # Commands.

    def send_welcome(self) -> None:
        self._check_not_erased()
        if self.welcome_sent:
            raise WelcomeAlreadySent(f"customer {self.id} was welcomed already")
        self._welcome_sent()

    @event("WelcomeSent")
    def _welcome_sent(self) -> None:
        self.welcome_sent = True

    def activate(self) -> None:
        self._check_not_churned()
        if self.activated:
            raise CustomerAlreadyActivated(f"customer {self.id} is activated already")
        self._activated()

    @event("Activated")
    def _activated(self) -> None:
        self.activated = True
        if self.status == CustomerStatus.REGISTERED:
            self.status = CustomerStatus.ACTIVATED

    def record_purchase(
        self, amount: Decimal, order_ref: str, purchased_at: datetime, now: datetime
    ) -> None:
        self._check_not_churned()
        amount = positive_money(amount)
        check_happened(purchased_at, now, "purchased_at")
        if order_ref in self.order_refs:
            raise DuplicateOrderRef(
                f"order {order_ref!r} is recorded already for this customer",
                fields=("order_ref",),
            )
        self._purchase_recorded(amount=amount, order_ref=order_ref, purchased_at=purchased_at)

    @event("PurchaseRecorded")
    def _purchase_recorded(self, amount: Decimal, order_ref: str, purchased_at: datetime) -> None:
        self.order_refs.append(order_ref)
        self.revenue += amount
        # First purchase converts; a repeat purchase makes a loyal customer (§5.3.3).
        first = len(self.order_refs) == 1
        self.status = CustomerStatus.CONVERTED if first else CustomerStatus.LOYAL

    def upgrade_membership(self, tier: MembershipTier) -> None:
        self._check_not_churned()
        if tier.rank <= self.tier.rank:
            raise MembershipNotUpward(
                f"tier {tier.value} is not above the current tier {self.tier.value}",
                fields=("tier",),
            )
        self._membership_upgraded(tier=tier, previous=self.tier)

    @event("MembershipUpgraded")
    def _membership_upgraded(self, tier: MembershipTier, previous: MembershipTier) -> None:
        self.tier = tier

    def assign_segment(self, segment: str) -> None:
        self._check_not_erased()
        self._segment_assigned(segment=segment, previous=self.segment)

    @event("SegmentAssigned")
    def _segment_assigned(self, segment: str, previous: str | None) -> None:
        self.segment = segment

    def make_offer(self, offer: str, channel: ServiceChannel | None) -> None:
        self._check_not_churned()
        if self.segment is None:
            raise CustomerNotSegmented(f"customer {self.id} has no segment")
        if not self.marketing_consent:
            raise NoMarketingConsent(f"customer {self.id} has not consented to marketing")
        self._offer_made(offer=offer, channel=channel, segment=self.segment)

    @event("OfferMade")
    def _offer_made(self, offer: str, channel: ServiceChannel | None, segment: str) -> None:
        self.offers += 1

    def change_consent(self, *, service: bool | None, marketing: bool | None) -> None:
        self._check_not_erased()
        self._consent_changed(
            service=self.service_consent if service is None else service,
            marketing=self.marketing_consent if marketing is None else marketing,
        )

    @event("ConsentChanged")
    def _consent_changed(self, service: bool, marketing: bool) -> None:
        self.service_consent = service
        self.marketing_consent = marketing

    def answer_survey(
        self,
        survey: str,
        csat: int | None,
        nps: int | None,
        comment: str | None,
        complaint_id: UUID | None = None,
    ) -> None:
        self._check_not_erased()
        self._check_service_consent("surveys")
        if csat is None and nps is None:
            raise SurveyAnswerEmpty("give csat, nps or both", fields=("csat", "nps"))
        if csat is not None and not 1 <= csat <= 5:
            raise CsatOutOfRange(f"csat {csat} is not between 1 and 5", fields=("csat",))
        if nps is not None and not 0 <= nps <= 10:
            raise NpsOutOfRange(f"nps {nps} is not between 0 and 10", fields=("nps",))
        if survey in self.surveys:
            raise SurveyAlreadyAnswered(
                f"survey {survey!r} was answered already", fields=("survey",)
            )
        self._survey_answered(
            survey=survey,
            csat=csat,
            nps=nps,
            comment=PersonalText.about(self.id, comment),
            complaint_id=complaint_id,
        )

    @event("SurveyAnswered")
    def _survey_answered(
        self,
        survey: str,
        csat: int | None,
        nps: int | None,
        comment: FreeText | None,
        complaint_id: UUID | None = None,
    ) -> None:
        # complaint_id: the complaint the survey asks about (None before issue 13).
        self.surveys[survey] = {"csat": csat, "nps": nps}

    def log_follow_up(self, channel: ServiceChannel, note: str) -> None:
        self._check_not_erased()
        self._check_service_consent("follow-up visits")
        self._follow_up_logged(channel=channel, note=self._about(note))

    @event("FollowUpLogged")
    def _follow_up_logged(self, channel: ServiceChannel, note: FreeText) -> None:
        self.follow_ups += 1

    def flag_at_risk(self, reason: str) -> None:
        self._check_not_erased()
        if self.status not in ENGAGED:
            raise CustomerNotEngaged(f"customer {self.id} is {self.status.value}")
        self._flagged_at_risk(reason=self._about(reason))

    @event("FlaggedAtRisk")
    def _flagged_at_risk(self, reason: FreeText) -> None:
        self.status = CustomerStatus.AT_RISK

    def churn(self, reason: str) -> None:
        self._check_not_erased()
        if self.status == CustomerStatus.CHURNED:
            raise CustomerAlreadyChurned(f"customer {self.id} has churned already")
        self._churned(reason=self._about(reason))

    @event("Churned")
    def _churned(self, reason: FreeText) -> None:
        self.status = CustomerStatus.CHURNED

    def reactivate(self, reason: str) -> None:
        self._check_not_erased()
        if self.status not in (CustomerStatus.CHURNED, CustomerStatus.AT_RISK):
            raise CustomerNotLapsed(f"customer {self.id} is {self.status.value}")
        self._reactivated(reason=self._about(reason))

    @event("Reactivated")
    def _reactivated(self, reason: FreeText) -> None:
        self.status = CustomerStatus.REACTIVATED

    def erase_personal_data(self, reason: str) -> None:
        """A PIPL erasure request: name, contacts and every word written about the
        customer go, the business facts stay. The reason is words about them too: it
        is sealed with the key the erasure destroys, so it is never readable."""
        self._check_not_erased()
        self._personal_data_erased(reason=self._about(reason))

    @event("PersonalDataErased")
    def _personal_data_erased(self, reason: FreeText) -> None:
        self.personal = PersonalData.erased_for(self.id)
        self.erased = True
