"""Customer rules (docs/domain.md §3.2, §5.3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from domain.clock import DateInFuture
from domain.customer import (
    ContactRequired,
    CsatOutOfRange,
    Customer,
    CustomerAlreadyActivated,
    CustomerAlreadyChurned,
    CustomerChurned,
    CustomerErased,
    CustomerNotEngaged,
    CustomerNotLapsed,
    CustomerNotSegmented,
    CustomerStatus,
    DuplicateOrderRef,
    MembershipNotUpward,
    NoMarketingConsent,
    NoServiceConsent,
    NpsOutOfRange,
    PersonalData,
    SurveyAlreadyAnswered,
    SurveyAnswerEmpty,
    WelcomeAlreadySent,
)
from domain.errors import DomainError, InvalidValue, RuleViolation
from domain.money import AmountNotPositive, InvalidMoneyAmount
from domain.personal import PersonalText
from domain.vocabulary import AcquisitionChannel, MembershipTier, ServiceChannel
from tests.domain.support import assert_refused, assert_replays_to_same_state, settled

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))


def registered(**overrides: Any) -> Customer:
    fields: dict[str, Any] = {
        "name": "Wang Fang",
        "email": "wang.fang@example.com",
        "phone": None,
        "channel": AcquisitionChannel.SEARCH,
        "campaign": None,
        "service_consent": True,
        "marketing_consent": True,
        "registered_at": NOW - timedelta(days=30),
    }
    fields.update(overrides)
    return settled(Customer.register(**fields))


def purchase(customer: Customer, order_ref: str, amount: str = "99.00") -> None:
    customer.record_purchase(Decimal(amount), order_ref, NOW - timedelta(days=1), NOW)


def activated() -> Customer:
    customer = registered()
    customer.activate()
    return settled(customer)


def converted() -> Customer:
    customer = activated()
    purchase(customer, "SO-1")
    return settled(customer)


def loyal() -> Customer:
    customer = converted()
    purchase(customer, "SO-2")
    return settled(customer)


def churned() -> Customer:
    customer = converted()
    customer.churn("no purchase in 12 months")
    return settled(customer)


def at_risk() -> Customer:
    customer = converted()
    customer.flag_at_risk("no login for 60 days")
    return settled(customer)


def reactivated() -> Customer:
    customer = churned()
    customer.reactivate("won back by campaign")
    return settled(customer)


def event_names(customer: Customer) -> list[str]:
    return [type(e).__name__ for e in customer.pending_events]


# Registration and the welcome message (§3.2.2).


def test_registration_records_the_customer_and_sends_the_welcome_once() -> None:
    customer = Customer.register(
        name="Wang Fang",
        email="wang.fang@example.com",
        phone="+86 138 0000 0000",
        channel=AcquisitionChannel.CAMPAIGN,
        campaign="spring-2025",
        service_consent=True,
        marketing_consent=False,
        registered_at=NOW,
    )

    assert event_names(customer) == ["Registered", "WelcomeSent"]
    assert customer.version == 2
    assert customer.status == CustomerStatus.REGISTERED
    assert customer.welcome_sent is True
    assert customer.personal == PersonalData(
        subject=customer.id,
        name="Wang Fang",
        email="wang.fang@example.com",
        phone="+86 138 0000 0000",
    )
    assert customer.erased is False
    assert customer.channel == AcquisitionChannel.CAMPAIGN
    assert customer.campaign == "spring-2025"
    assert (customer.service_consent, customer.marketing_consent) == (True, False)
    assert customer.revenue == Decimal("0.00")
    assert customer.tier == MembershipTier.STANDARD


@pytest.mark.parametrize(("email", "phone"), [(None, "13800000000"), ("a@example.com", None)])
def test_one_contact_is_enough_to_register(email: str | None, phone: str | None) -> None:
    customer = registered(email=email, phone=phone)

    assert (customer.personal.email, customer.personal.phone) == (email, phone)


@pytest.mark.parametrize(("email", "phone"), [(None, None), ("", ""), ("", None)])
def test_cannot_register_without_a_contact(email: str | None, phone: str | None) -> None:
    with pytest.raises(ContactRequired) as raised:
        Customer.register(
            name="Nobody",
            email=email,
            phone=phone,
            channel=AcquisitionChannel.SOCIAL,
            registered_at=NOW,
        )

    assert raised.value.slug == "contact-required"
    assert set(raised.value.fields) == {"email", "phone"}
    assert isinstance(raised.value, InvalidValue)


def test_cannot_send_the_welcome_twice() -> None:
    customer = registered()

    error = assert_refused(customer, WelcomeAlreadySent, lambda c: c.send_welcome())

    assert error.slug == "welcome-already-sent"
    assert isinstance(error, RuleViolation)


# The funnel: registered → activated → converted → loyal (§3.2, §5.3.3).


def test_lifecycle_registered_activated_converted_loyal() -> None:
    customer = registered()

    customer.activate()
    assert customer.status == CustomerStatus.ACTIVATED
    assert customer.activated is True

    purchase(customer, "SO-1", "120.50")
    assert customer.status == CustomerStatus.CONVERTED

    purchase(customer, "SO-2", "79.50")
    assert customer.status == CustomerStatus.LOYAL
    assert customer.revenue == Decimal("200.00")
    assert customer.order_refs == ["SO-1", "SO-2"]
    assert event_names(customer) == ["Activated", "PurchaseRecorded", "PurchaseRecorded"]
    assert customer.version == 5


def test_third_purchase_keeps_a_loyal_customer_loyal() -> None:
    customer = loyal()

    purchase(customer, "SO-3")

    assert customer.status == CustomerStatus.LOYAL
    assert len(customer.order_refs) == 3


def test_cannot_activate_twice() -> None:
    customer = activated()

    error = assert_refused(customer, CustomerAlreadyActivated, lambda c: c.activate())

    assert error.slug == "customer-already-activated"


def test_activating_after_a_first_purchase_keeps_the_customer_converted() -> None:
    customer = registered()
    purchase(customer, "SO-1")

    customer.activate()

    assert customer.activated is True
    assert customer.status == CustomerStatus.CONVERTED


@pytest.mark.parametrize(
    "act",
    [
        pytest.param(lambda c: c.activate(), id="activate"),
        pytest.param(
            lambda c: c.record_purchase(Decimal("10.00"), "SO-9", NOW, NOW), id="record_purchase"
        ),
        pytest.param(lambda c: c.upgrade_membership(MembershipTier.GOLD), id="upgrade_membership"),
        pytest.param(lambda c: c.make_offer("coupon-10", None), id="make_offer"),
    ],
)
def test_churned_customer_must_be_reactivated_first(act: Callable[[Customer], Any]) -> None:
    customer = churned()
    customer.assign_segment("hibernating")
    settled(customer)

    assert_refused(customer, CustomerChurned, act)


# Purchases: money and dates.


def test_purchase_amount_is_kept_as_two_place_decimal() -> None:
    customer = registered()

    customer.record_purchase(Decimal("10"), "SO-1", NOW, NOW)
    customer.record_purchase(7, "SO-2", NOW, NOW)  # type: ignore[arg-type]
    customer.record_purchase("0.5", "SO-3", NOW, NOW)  # type: ignore[arg-type]

    amounts = [e.amount for e in customer.pending_events]  # type: ignore[attr-defined]
    assert amounts == [Decimal("10.00"), Decimal("7.00"), Decimal("0.50")]
    assert [a.as_tuple().exponent for a in amounts] == [-2, -2, -2]
    assert customer.revenue == Decimal("17.50")


@pytest.mark.parametrize("amount", [10.5, 0.1, 100.0])
def test_purchase_amount_cannot_be_a_float(amount: float) -> None:
    customer = registered()

    error = assert_refused(
        customer,
        InvalidMoneyAmount,
        lambda c: c.record_purchase(amount, "SO-1", NOW, NOW),  # type: ignore[arg-type]
    )

    assert error.slug == "invalid-money-amount"
    assert error.fields == ("amount",)


@pytest.mark.parametrize("amount", ["10.005", "0.001", "99.999"])
def test_purchase_amount_cannot_have_three_decimals(amount: str) -> None:
    customer = registered()

    assert_refused(
        customer, InvalidMoneyAmount, lambda c: c.record_purchase(Decimal(amount), "SO-1", NOW, NOW)
    )


@pytest.mark.parametrize("amount", ["abc", "", "NaN", "Infinity", "-Infinity", "1e30"])
def test_purchase_amount_must_be_a_finite_number(amount: str) -> None:
    customer = registered()

    assert_refused(
        customer,
        InvalidMoneyAmount,
        lambda c: c.record_purchase(amount, "SO-1", NOW, NOW),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("amount", ["0", "0.00", "-0.01", "-100"])
def test_purchase_amount_must_be_positive(amount: str) -> None:
    customer = registered()

    error = assert_refused(
        customer, AmountNotPositive, lambda c: c.record_purchase(Decimal(amount), "SO-1", NOW, NOW)
    )

    assert error.slug == "amount-not-positive"


def test_purchase_may_be_dated_now_or_earlier() -> None:
    customer = registered()

    customer.record_purchase(Decimal("1.00"), "SO-1", NOW, NOW)
    customer.record_purchase(Decimal("1.00"), "SO-2", NOW - timedelta(days=400), NOW)

    assert customer.order_refs == ["SO-1", "SO-2"]


@pytest.mark.parametrize(
    "purchased_at",
    [
        pytest.param(NOW + timedelta(seconds=1), id="one-second-ahead"),
        pytest.param(NOW + timedelta(days=3), id="days-ahead"),
        pytest.param(datetime(2025, 6, 1, 12, 0, 1), id="naive-taken-as-utc"),
        pytest.param(datetime(2025, 6, 1, 20, 1, tzinfo=BEIJING), id="beijing-time-ahead"),
        pytest.param(date(2025, 6, 2), id="tomorrow-as-a-date"),
    ],
)
def test_purchase_cannot_lie_in_the_future(purchased_at: datetime) -> None:
    customer = registered()

    error = assert_refused(
        customer,
        DateInFuture,
        lambda c: c.record_purchase(Decimal("5.00"), "SO-1", purchased_at, NOW),
    )

    assert error.slug == "date-in-future"
    assert error.fields == ("purchased_at",)


def test_purchase_time_in_another_zone_is_compared_in_utc() -> None:
    customer = registered()

    # 19:59 in Beijing (UTC+8) is 11:59 UTC: one minute before NOW.
    customer.record_purchase(
        Decimal("5.00"), "SO-1", datetime(2025, 6, 1, 19, 59, tzinfo=BEIJING), NOW
    )

    assert customer.order_refs == ["SO-1"]


def test_order_reference_is_recorded_once_per_customer() -> None:
    customer = converted()

    error = assert_refused(
        customer,
        DuplicateOrderRef,
        lambda c: c.record_purchase(Decimal("5.00"), "SO-1", NOW, NOW),
    )

    assert error.fields == ("order_ref",)
    # Another customer may use the same order reference.
    other = registered()
    other.record_purchase(Decimal("5.00"), "SO-1", NOW, NOW)
    assert other.order_refs == ["SO-1"]


# Membership, segments, offers, consent.


def test_membership_tier_moves_upward() -> None:
    customer = converted()

    customer.upgrade_membership(MembershipTier.SILVER)
    customer.upgrade_membership(MembershipTier.PLATINUM)

    assert customer.tier == MembershipTier.PLATINUM
    previous = [e.previous for e in customer.pending_events]  # type: ignore[attr-defined]
    assert previous == [MembershipTier.STANDARD, MembershipTier.SILVER]


@pytest.mark.parametrize(
    "tier", [MembershipTier.GOLD, MembershipTier.SILVER, MembershipTier.STANDARD]
)
def test_membership_tier_cannot_stay_or_move_down(tier: MembershipTier) -> None:
    customer = converted()
    customer.upgrade_membership(MembershipTier.GOLD)
    settled(customer)

    error = assert_refused(customer, MembershipNotUpward, lambda c: c.upgrade_membership(tier))

    assert error.slug == "membership-not-upward"


def test_segment_is_reassigned_with_the_previous_one_recorded() -> None:
    customer = registered()

    customer.assign_segment("new")
    customer.assign_segment("champions")

    assert customer.segment == "champions"
    previous = [e.previous for e in customer.pending_events]  # type: ignore[attr-defined]
    assert previous == [None, "new"]


def test_cannot_make_an_offer_without_a_segment() -> None:
    customer = registered(marketing_consent=True)

    error = assert_refused(customer, CustomerNotSegmented, lambda c: c.make_offer("coupon", None))

    assert error.slug == "customer-not-segmented"


def test_cannot_make_an_offer_without_marketing_consent() -> None:
    customer = registered(marketing_consent=False)
    customer.assign_segment("champions")
    settled(customer)

    assert_refused(customer, NoMarketingConsent, lambda c: c.make_offer("coupon", None))


def test_offer_is_made_to_a_segmented_consenting_customer() -> None:
    customer = registered(marketing_consent=False)
    customer.assign_segment("champions")
    customer.change_consent(service=None, marketing=True)

    customer.make_offer("coupon-20", ServiceChannel.EMAIL)

    assert customer.offers == 1
    offer = customer.pending_events[-1]
    assert offer.segment == "champions"  # type: ignore[attr-defined]
    assert offer.channel == ServiceChannel.EMAIL  # type: ignore[attr-defined]


def test_withdrawn_marketing_consent_stops_offers() -> None:
    customer = registered(marketing_consent=True)
    customer.assign_segment("champions")
    customer.change_consent(service=None, marketing=False)
    settled(customer)

    assert_refused(customer, NoMarketingConsent, lambda c: c.make_offer("coupon", None))


def test_consent_change_keeps_what_is_not_given() -> None:
    customer = registered(service_consent=True, marketing_consent=False)

    customer.change_consent(service=None, marketing=True)
    assert (customer.service_consent, customer.marketing_consent) == (True, True)

    customer.change_consent(service=False, marketing=None)
    assert (customer.service_consent, customer.marketing_consent) == (False, True)


@pytest.mark.parametrize(
    "act",
    [
        pytest.param(lambda c: c.answer_survey("q1", 5, None, "fine"), id="survey"),
        pytest.param(lambda c: c.log_follow_up(ServiceChannel.PHONE, "called"), id="follow-up"),
    ],
)
def test_surveys_and_follow_ups_need_service_consent(act: Callable[[Customer], Any]) -> None:
    customer = registered(service_consent=False, marketing_consent=True)

    error = assert_refused(customer, NoServiceConsent, act)

    assert error.slug == "no-service-consent"
    customer.change_consent(service=True, marketing=None)
    act(customer)  # given again: accepted


def test_withdrawn_service_consent_stops_surveys_but_not_offers() -> None:
    customer = registered(marketing_consent=True)
    customer.assign_segment("champions")
    customer.change_consent(service=False, marketing=None)
    settled(customer)

    assert_refused(customer, NoServiceConsent, lambda c: c.answer_survey("q1", 4, None, None))
    customer.make_offer("coupon", None)  # marketing consent is a consent of its own


def test_words_about_the_customer_are_tagged_as_theirs_to_be_sealed() -> None:
    customer = registered()
    customer.log_follow_up(ServiceChannel.PHONE, "prefers calls after 6pm")
    customer.answer_survey("q1", 2, None, "rude courier")
    customer.erase_personal_data("asked by phone")

    follow_up, survey, erased = customer.collect_events()[-3:]
    for event, words in ((follow_up, "prefers calls after 6pm"), (survey, "rude courier")):
        value = vars(event).get("note") or vars(event)["comment"]
        assert value == PersonalText(subject=customer.id, text=words)
    assert vars(erased)["reason"] == PersonalText(subject=customer.id, text="asked by phone")
    assert "6pm" not in repr(follow_up)  # no log line or traceback shows the words


# Surveys (§5.3.1).


@pytest.mark.parametrize(("csat", "nps"), [(1, None), (5, None), (None, 0), (None, 10), (4, 9)])
def test_survey_answer_within_the_scales_is_recorded(csat: int | None, nps: int | None) -> None:
    customer = converted()

    customer.answer_survey("2025-Q2", csat, nps, "fine")

    assert customer.surveys == {"2025-Q2": {"csat": csat, "nps": nps}}


def test_survey_answer_needs_a_score() -> None:
    customer = converted()

    error = assert_refused(
        customer, SurveyAnswerEmpty, lambda c: c.answer_survey("2025-Q2", None, None, "hi")
    )

    assert set(error.fields) == {"csat", "nps"}


@pytest.mark.parametrize("csat", [0, 6, -1, 10])
def test_csat_is_scored_1_to_5(csat: int) -> None:
    customer = converted()

    error = assert_refused(
        customer, CsatOutOfRange, lambda c: c.answer_survey("2025-Q2", csat, None, None)
    )

    assert error.slug == "csat-out-of-range"


@pytest.mark.parametrize("nps", [-1, 11, 100])
def test_nps_is_scored_0_to_10(nps: int) -> None:
    customer = converted()

    error = assert_refused(
        customer, NpsOutOfRange, lambda c: c.answer_survey("2025-Q2", 5, nps, None)
    )

    assert error.slug == "nps-out-of-range"


def test_each_survey_is_answered_once() -> None:
    customer = converted()
    customer.answer_survey("2025-Q2", 5, None, None)
    settled(customer)

    error = assert_refused(
        customer, SurveyAlreadyAnswered, lambda c: c.answer_survey("2025-Q2", 1, 0, None)
    )

    assert error.fields == ("survey",)
    customer.answer_survey("2025-Q3", 4, 8, None)
    assert set(customer.surveys) == {"2025-Q2", "2025-Q3"}


def test_follow_up_visits_are_counted() -> None:
    customer = converted()

    customer.log_follow_up(ServiceChannel.PHONE, "called after delivery")
    customer.log_follow_up(ServiceChannel.EMAIL, "asked about the refund")

    assert customer.follow_ups == 2


# At risk, churn and reactivation.


@pytest.mark.parametrize("make", [activated, converted, loyal, reactivated])
def test_engaged_customer_can_be_flagged_at_risk(make: Callable[[], Customer]) -> None:
    customer = make()

    customer.flag_at_risk("no login for 60 days")

    assert customer.status == CustomerStatus.AT_RISK


@pytest.mark.parametrize("make", [registered, at_risk, churned])
def test_only_an_engaged_customer_can_be_flagged_at_risk(make: Callable[[], Customer]) -> None:
    customer = make()

    error = assert_refused(customer, CustomerNotEngaged, lambda c: c.flag_at_risk("quiet"))

    assert error.slug == "customer-not-engaged"


@pytest.mark.parametrize("make", [registered, activated, converted, loyal, at_risk, reactivated])
def test_customer_can_churn_from_any_live_status(make: Callable[[], Customer]) -> None:
    customer = make()

    customer.churn("closed the account")

    assert customer.status == CustomerStatus.CHURNED


def test_cannot_churn_twice() -> None:
    customer = churned()

    error = assert_refused(customer, CustomerAlreadyChurned, lambda c: c.churn("again"))

    assert error.slug == "customer-already-churned"


@pytest.mark.parametrize("make", [churned, at_risk])
def test_lapsed_customer_is_reactivated(make: Callable[[], Customer]) -> None:
    customer = make()

    customer.reactivate("won back")

    assert customer.status == CustomerStatus.REACTIVATED


@pytest.mark.parametrize("make", [registered, activated, converted, loyal, reactivated])
def test_only_a_lapsed_customer_can_be_reactivated(make: Callable[[], Customer]) -> None:
    customer = make()

    error = assert_refused(customer, CustomerNotLapsed, lambda c: c.reactivate("why"))

    assert error.slug == "customer-not-lapsed"


def test_reactivated_customer_buys_again() -> None:
    customer = reactivated()

    purchase(customer, "SO-2")

    assert customer.status == CustomerStatus.LOYAL
    assert customer.revenue == Decimal("198.00")


# Erasure (PIPL): after it, nothing but reads.


def test_erasure_removes_name_and_contacts_and_keeps_the_business_facts() -> None:
    customer = loyal()
    customer.answer_survey("2025-Q2", 5, 10, None)
    settled(customer)

    customer.erase_personal_data("PIPL request 2025-117")

    assert event_names(customer) == ["PersonalDataErased"]
    assert customer.erased is True
    assert customer.personal == PersonalData(subject=customer.id, name=None, email=None, phone=None)
    assert customer.personal.erased
    assert customer.status == CustomerStatus.LOYAL
    assert customer.order_refs == ["SO-1", "SO-2"]
    assert customer.revenue == Decimal("198.00")
    assert customer.surveys == {"2025-Q2": {"csat": 5, "nps": 10}}


ALL_COMMANDS: list[Any] = [
    pytest.param(lambda c: c.send_welcome(), id="send_welcome"),
    pytest.param(lambda c: c.activate(), id="activate"),
    pytest.param(lambda c: c.record_purchase(Decimal("1.00"), "SO-9", NOW, NOW), id="purchase"),
    pytest.param(lambda c: c.upgrade_membership(MembershipTier.GOLD), id="upgrade_membership"),
    pytest.param(lambda c: c.assign_segment("champions"), id="assign_segment"),
    pytest.param(lambda c: c.make_offer("coupon", None), id="make_offer"),
    pytest.param(lambda c: c.change_consent(service=False, marketing=None), id="change_consent"),
    pytest.param(lambda c: c.answer_survey("S", 5, None, None), id="answer_survey"),
    pytest.param(lambda c: c.log_follow_up(ServiceChannel.PHONE, "hi"), id="log_follow_up"),
    pytest.param(lambda c: c.flag_at_risk("quiet"), id="flag_at_risk"),
    pytest.param(lambda c: c.churn("gone"), id="churn"),
    pytest.param(lambda c: c.reactivate("back"), id="reactivate"),
    pytest.param(lambda c: c.erase_personal_data("again"), id="erase_again"),
]


@pytest.mark.parametrize("act", ALL_COMMANDS)
def test_erased_customer_accepts_no_command(act: Callable[[Customer], Any]) -> None:
    customer = registered()
    customer.erase_personal_data("PIPL request")
    settled(customer)

    error = assert_refused(customer, CustomerErased, act)

    assert error.slug == "customer-erased"


def test_every_refusal_is_a_domain_error_with_a_kebab_case_slug() -> None:
    errors = [
        ContactRequired,
        CustomerErased,
        WelcomeAlreadySent,
        CustomerAlreadyActivated,
        CustomerChurned,
        DuplicateOrderRef,
        MembershipNotUpward,
        CustomerNotSegmented,
        NoMarketingConsent,
        NoServiceConsent,
        SurveyAlreadyAnswered,
        SurveyAnswerEmpty,
        CsatOutOfRange,
        NpsOutOfRange,
        CustomerNotEngaged,
        CustomerAlreadyChurned,
        CustomerNotLapsed,
    ]
    slugs = {error.slug for error in errors}

    assert all(issubclass(error, DomainError) for error in errors)
    assert len(slugs) == len(errors)
    assert CustomerNotLapsed.slug == "customer-not-lapsed"
    assert NoMarketingConsent.title == "An offer needs the customer's marketing consent"


# Replay.


def test_every_event_replays_to_the_same_state() -> None:
    customer = Customer.register(
        name="Wang Fang",
        email=None,
        phone="13800000000",
        channel=AcquisitionChannel.REFERRAL,
        marketing_consent=False,
        registered_at=NOW,
    )
    customer.activate()
    customer.record_purchase(Decimal("120.50"), "SO-1", NOW - timedelta(days=2), NOW)
    customer.record_purchase(Decimal("79.50"), "SO-2", NOW - timedelta(days=1), NOW)
    customer.upgrade_membership(MembershipTier.SILVER)
    customer.assign_segment("potential-loyalist")
    customer.change_consent(service=None, marketing=True)
    customer.make_offer("coupon-20", ServiceChannel.EMAIL)
    customer.answer_survey("2025-Q2", 4, 9, "quick delivery")
    customer.answer_survey("2025-Q3", None, 6, None)
    customer.log_follow_up(ServiceChannel.PHONE, "called")
    customer.flag_at_risk("no login for 60 days")
    customer.churn("closed account")
    customer.reactivate("campaign")
    customer.record_purchase(Decimal("15.00"), "SO-3", NOW, NOW)
    customer.erase_personal_data("PIPL request")
    assert customer.version == 17

    assert_replays_to_same_state(customer)
