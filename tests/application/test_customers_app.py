"""The Customers application on the real stores: metadata, the past, guards, snapshots."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from application.base import SNAPSHOT_INTERVAL
from application.context import Actor
from application.customers import Customers
from application.errors import (
    AggregateNotFound,
    IdempotencyKeyReused,
    VersionMismatch,
)
from application.services import Services
from application.store import StoreConfig
from domain.clock import DateInFuture
from domain.complaint import Complaint
from domain.customer import (
    ContactRequired,
    Customer,
    CustomerAlreadyActivated,
    CustomerErased,
    CustomerNotSegmented,
    CustomerStatus,
    DuplicateOrderRef,
    PersonalData,
)
from domain.errors import DomainError
from domain.money import InvalidMoneyAmount
from domain.vocabulary import AcquisitionChannel, MembershipTier, Role, ServiceChannel
from tests.application.support import (
    MARKETING,
    OPERATIONS,
    SALES,
    as_,
    open_services,
    register,
    replayed,
    state_of,
)
from tests.support.refusals import stored_event_count


def buy(
    customers: Customers, customer_id: Any, order_ref: str, amount: str = "99.00", **ctx: Any
) -> Any:
    return customers.record_purchase(
        customer_id, amount=Decimal(amount), order_ref=order_ref, ctx=as_(SALES, **ctx)
    )


def test_registration_stores_its_events_with_the_command_metadata(services: Services) -> None:
    result = services.customers.register_customer(
        name="Wang Fang",
        email="wang.fang@example.com",
        phone=None,
        channel=AcquisitionChannel.CAMPAIGN,
        campaign="spring-2025",
        ctx=as_(MARKETING, request_id="req-register-1"),
    )

    assert result.created is True
    assert result.version == 2
    assert re.fullmatch(r"customers:\d+", result.position)
    history = services.customers.history(result.id, Customer)
    assert [(e.type, e.version) for e in history] == [("Registered", 1), ("WelcomeSent", 2)]
    for recorded in history:
        assert recorded.metadata == {
            "principal": "mei.marketing",
            "roles": ["marketing"],
            "request_id": "req-register-1",
            "command": "register_customer",
            "on_behalf_of": None,
        }
    assert history[0].payload["personal"] == PersonalData(
        subject=result.id, name="Wang Fang", email="wang.fang@example.com", phone=None
    )
    assert history[0].payload["channel"] == AcquisitionChannel.CAMPAIGN
    assert history[0].payload["campaign"] == "spring-2025"


def test_each_command_records_who_asked_in_which_request(services: Services) -> None:
    customers = services.customers
    customer_id = register(services)

    customers.activate_customer(customer_id, ctx=as_(OPERATIONS, request_id="req-activate"))
    customers.record_purchase(
        customer_id,
        amount=Decimal("120.50"),
        order_ref="SO-1",
        ctx=as_(SALES, request_id="req-buy", on_behalf_of="store-7"),
    )

    activated, purchased = customers.history(customer_id, Customer)[2:]
    assert activated.type == "Activated"
    assert activated.metadata["principal"] == "oscar.ops"
    assert activated.metadata["roles"] == ["operations"]
    assert activated.metadata["request_id"] == "req-activate"
    assert activated.metadata["command"] == "activate_customer"
    assert purchased.type == "PurchaseRecorded"
    assert purchased.metadata == {
        "principal": "sam.sales",
        "roles": ["sales"],
        "request_id": "req-buy",
        "command": "record_purchase",
        "on_behalf_of": "store-7",
    }
    assert purchased.payload["amount"] == Decimal("120.50")
    assert isinstance(purchased.payload["amount"], Decimal)
    assert purchased.payload["order_ref"] == "SO-1"
    assert purchased.timestamp.tzinfo is not None


def test_results_carry_the_new_version_and_an_advancing_log_position(services: Services) -> None:
    customers = services.customers
    customer_id = register(services)

    first = customers.activate_customer(customer_id, ctx=as_(OPERATIONS))
    second = buy(customers, customer_id, "SO-1")

    assert (first.id, first.version, first.created) == (customer_id, 3, False)
    assert second.version == 4
    assert int(second.position.split(":")[1]) > int(first.position.split(":")[1])


def test_lifecycle_is_read_back_from_a_reopened_store(
    services: Services, store_config: StoreConfig
) -> None:
    customers = services.customers
    customer_id = register(services, marketing_consent=False)
    customers.activate_customer(customer_id, ctx=as_(OPERATIONS))
    buy(customers, customer_id, "SO-1", "120.50")
    assert customers.get_customer(customer_id).status == CustomerStatus.CONVERTED
    buy(customers, customer_id, "SO-2", "79.50")
    customers.upgrade_membership(customer_id, tier=MembershipTier.GOLD, ctx=as_(SALES))
    customers.assign_segment(customer_id, segment="champions", ctx=as_(OPERATIONS))
    customers.change_consent(customer_id, marketing=True, ctx=as_(OPERATIONS))
    customers.make_offer(customer_id, offer="coupon-20", ctx=as_(OPERATIONS))
    customers.answer_survey(customer_id, survey="2025-Q2", csat=5, nps=9, ctx=as_(OPERATIONS))
    customers.log_follow_up(
        customer_id, channel=ServiceChannel.PHONE, note="called", ctx=as_(OPERATIONS)
    )

    reopened = open_services(store_config)
    try:
        customer = reopened.customers.get_customer(customer_id)
    finally:
        reopened.close()

    assert customer.status == CustomerStatus.LOYAL
    assert customer.revenue == Decimal("200.00")
    assert customer.tier == MembershipTier.GOLD
    assert customer.segment == "champions"
    assert customer.marketing_consent is True
    assert customer.offers == 1
    assert customer.surveys == {"2025-Q2": {"csat": 5, "nps": 9}}
    assert customer.follow_ups == 1
    assert customer.version == 11
    assert state_of(customer) == state_of(customers.get_customer(customer_id))


def test_get_at_a_version_reads_the_past(services: Services) -> None:
    customers = services.customers
    customer_id = register(services)
    customers.activate_customer(customer_id, ctx=as_(OPERATIONS))
    buy(customers, customer_id, "SO-1")
    buy(customers, customer_id, "SO-2")

    statuses = [customers.get_customer(customer_id, version=v).status for v in (1, 2, 3, 4, 5)]

    assert statuses == [
        CustomerStatus.REGISTERED,
        CustomerStatus.REGISTERED,
        CustomerStatus.ACTIVATED,
        CustomerStatus.CONVERTED,
        CustomerStatus.LOYAL,
    ]
    assert customers.get_customer(customer_id, version=1).welcome_sent is False
    assert customers.get_customer(customer_id, version=4).version == 4


@pytest.mark.parametrize("version", [0, 3, 99])
def test_version_that_never_existed_is_not_found(services: Services, version: int) -> None:
    customer_id = register(services)

    with pytest.raises(AggregateNotFound):
        services.customers.get_customer(customer_id, version=version)


def test_customer_as_of_a_moment_reads_the_past(services: Services) -> None:
    customers = services.customers
    before_registration = datetime.now(UTC)
    time.sleep(0.002)
    customer_id = register(services)
    time.sleep(0.002)
    after_registration = datetime.now(UTC)
    time.sleep(0.002)
    customers.activate_customer(customer_id, ctx=as_(OPERATIONS))
    time.sleep(0.002)
    after_activation = datetime.now(UTC)
    time.sleep(0.002)
    buy(customers, customer_id, "SO-1")

    registered = customers.customer_as_of(customer_id, after_registration)
    activated = customers.customer_as_of(customer_id, after_activation)
    with pytest.raises(AggregateNotFound):
        customers.customer_as_of(customer_id, before_registration)

    assert (registered.version, registered.status) == (2, CustomerStatus.REGISTERED)
    assert (activated.version, activated.status) == (3, CustomerStatus.ACTIVATED)
    assert customers.customer_as_of(customer_id, datetime.now(UTC)).version == 4


def test_moment_of_an_event_includes_it(services: Services) -> None:
    customers = services.customers
    customer_id = register(services)
    customers.activate_customer(customer_id, ctx=as_(OPERATIONS))
    activated_at = customers.history(customer_id, Customer)[2].timestamp

    assert customers.customer_as_of(customer_id, activated_at).version == 3
    earlier = customers.customer_as_of(customer_id, activated_at - timedelta(microseconds=1))
    assert earlier.version == 2


REFUSALS: list[Any] = [
    pytest.param(
        lambda app, cid: app.activate_customer(cid, ctx=as_(OPERATIONS)),
        CustomerAlreadyActivated,
        id="activate-twice",
    ),
    pytest.param(
        lambda app, cid: app.record_purchase(cid, amount=12.5, order_ref="SO-9", ctx=as_(SALES)),
        InvalidMoneyAmount,
        id="float-amount",
    ),
    pytest.param(
        lambda app, cid: app.record_purchase(
            cid, amount=Decimal("1.005"), order_ref="SO-9", ctx=as_(SALES)
        ),
        InvalidMoneyAmount,
        id="three-decimals",
    ),
    pytest.param(
        lambda app, cid: app.record_purchase(
            cid,
            amount=Decimal("10.00"),
            order_ref="SO-9",
            purchased_at=datetime.now(UTC) + timedelta(hours=1),
            ctx=as_(SALES),
        ),
        DateInFuture,
        id="future-purchase",
    ),
    pytest.param(
        lambda app, cid: app.record_purchase(
            cid, amount=Decimal("10.00"), order_ref="SO-1", ctx=as_(SALES)
        ),
        DuplicateOrderRef,
        id="duplicate-order",
    ),
    pytest.param(
        lambda app, cid: app.make_offer(cid, offer="coupon", ctx=as_(OPERATIONS)),
        CustomerNotSegmented,
        id="offer-without-segment",
    ),
]


@pytest.mark.parametrize(("act", "error"), REFUSALS)
def test_refused_command_leaves_the_stored_history_unchanged(
    services: Services,
    act: Callable[[Customers, Any], Any],
    error: type[DomainError],
) -> None:
    customers = services.customers
    customer_id = register(services)
    customers.activate_customer(customer_id, ctx=as_(OPERATIONS))
    buy(customers, customer_id, "SO-1")
    before = customers.history(customer_id, Customer)
    count = stored_event_count(customers)

    with pytest.raises(error):
        act(customers, customer_id)

    assert customers.history(customer_id, Customer) == before
    assert stored_event_count(customers) == count
    assert customers.get_customer(customer_id).version == 4


def test_registration_without_a_contact_stores_nothing(services: Services) -> None:
    register(services)
    count = stored_event_count(services.customers)

    with pytest.raises(ContactRequired):
        register(services, email=None, phone=None)

    assert stored_event_count(services.customers) == count


def test_if_match_with_a_stale_version_is_refused(services: Services) -> None:
    customers = services.customers
    customer_id = register(services)
    customers.activate_customer(customer_id, ctx=as_(OPERATIONS))
    before = customers.history(customer_id, Customer)

    with pytest.raises(VersionMismatch) as raised:
        buy(customers, customer_id, "SO-1", expected_version=2)

    assert raised.value.current_version == 3
    assert raised.value.slug == "version-mismatch"
    assert customers.history(customer_id, Customer) == before
    assert buy(customers, customer_id, "SO-1", expected_version=3).version == 4


def test_unknown_customer_is_not_found(services: Services) -> None:
    customers = services.customers
    unknown = uuid4()

    with pytest.raises(AggregateNotFound):
        customers.get_customer(unknown)
    with pytest.raises(AggregateNotFound):
        customers.history(unknown, Customer)
    with pytest.raises(AggregateNotFound):
        customers.customer_as_of(unknown, datetime.now(UTC))
    with pytest.raises(AggregateNotFound):
        customers.activate_customer(unknown, ctx=as_(OPERATIONS))
    assert stored_event_count(customers) == 0


def test_customer_id_is_not_a_complaint(services: Services) -> None:
    customer_id = register(services)

    with pytest.raises(AggregateNotFound):
        services.complaints.get_complaint(customer_id)
    with pytest.raises(AggregateNotFound):
        services.customers.history(customer_id, Complaint)


# Idempotency-Key.


def test_repeated_registration_with_the_same_key_answers_the_same_and_writes_nothing(
    services: Services, store_config: StoreConfig
) -> None:
    customers = services.customers
    first = customers.register_customer(
        name="Li Lei",
        email="li@example.com",
        phone=None,
        channel=AcquisitionChannel.SEARCH,
        ctx=as_(MARKETING, key="reg-1"),
    )
    count = stored_event_count(customers)

    again = customers.register_customer(
        name="Li Lei",
        email="li@example.com",
        phone=None,
        channel=AcquisitionChannel.SEARCH,
        ctx=as_(MARKETING, key="reg-1"),
    )
    other_process = open_services(store_config)
    try:
        from_elsewhere = other_process.customers.register_customer(
            name="Li Lei",
            email="li@example.com",
            phone=None,
            channel=AcquisitionChannel.SEARCH,
            ctx=as_(MARKETING, key="reg-1"),
        )
    finally:
        other_process.close()

    assert again == first
    assert from_elsewhere == first
    assert first.created is True
    assert stored_event_count(customers) == count == 2


def test_repeated_change_with_the_same_key_answers_the_same_and_writes_nothing(
    services: Services,
) -> None:
    customers = services.customers
    customer_id = register(services)
    first = buy(customers, customer_id, "SO-1", key="buy-1")
    history = customers.history(customer_id, Customer)

    again = buy(customers, customer_id, "SO-1", key="buy-1")

    assert again == first
    assert first.version == 3
    assert customers.history(customer_id, Customer) == history


def test_same_key_with_another_request_is_refused(services: Services) -> None:
    customers = services.customers
    customer_id = register(services)
    buy(customers, customer_id, "SO-1", key="buy-1", fingerprint="fp-A")
    history = customers.history(customer_id, Customer)

    with pytest.raises(IdempotencyKeyReused) as raised:
        buy(customers, customer_id, "SO-2", key="buy-1", fingerprint="fp-B")

    assert raised.value.slug == "idempotency-key-reused"
    assert customers.history(customer_id, Customer) == history


def test_idempotency_keys_belong_to_their_principal(services: Services) -> None:
    customers = services.customers
    customer_id = register(services)
    mine = buy(customers, customer_id, "SO-1", key="k")
    colleague = Actor("sue.sales", frozenset({Role.SALES}))
    theirs = customers.record_purchase(
        customer_id, amount=Decimal("5.00"), order_ref="SO-2", ctx=as_(colleague, key="k")
    )

    assert (mine.version, theirs.version) == (3, 4)
    assert len(customers.history(customer_id, Customer)) == 4


def test_retry_after_the_customer_moved_on_gets_the_first_answer_not_a_mismatch(
    services: Services,
) -> None:
    customers = services.customers
    customer_id = register(services)
    first = buy(customers, customer_id, "SO-1", key="buy-1", expected_version=2)
    buy(customers, customer_id, "SO-2")

    retried = buy(customers, customer_id, "SO-1", key="buy-1", expected_version=2)

    assert retried == first
    assert len(customers.history(customer_id, Customer)) == 4


def test_refused_request_remembers_nothing_under_its_key(services: Services) -> None:
    customers = services.customers
    customer_id = register(services)
    buy(customers, customer_id, "SO-1")
    history = customers.history(customer_id, Customer)

    for _ in range(2):
        with pytest.raises(DuplicateOrderRef):
            buy(customers, customer_id, "SO-1", key="dup")

    assert customers.history(customer_id, Customer) == history


# Snapshots.


def test_long_history_loads_through_snapshots_to_the_same_state(
    services: Services, store_config: StoreConfig
) -> None:
    customers = services.customers
    customer_id = register(services, marketing_consent=True)
    customers.activate_customer(customer_id, ctx=as_(OPERATIONS))
    customers.assign_segment(customer_id, segment="champions", ctx=as_(OPERATIONS))
    customers.upgrade_membership(customer_id, tier=MembershipTier.SILVER, ctx=as_(SALES))
    for n in range(1, 61):
        if n % 3 == 0:
            buy(customers, customer_id, f"SO-{n}", f"{n}.25")
        elif n % 3 == 1:
            customers.answer_survey(
                customer_id, survey=f"S-{n}", csat=n % 5 + 1, nps=n % 11, ctx=as_(OPERATIONS)
            )
        else:
            customers.log_follow_up(
                customer_id, channel=ServiceChannel.EMAIL, note=f"n{n}", ctx=as_(OPERATIONS)
            )
    final_version = 65
    assert final_version > SNAPSHOT_INTERVAL

    assert customers.snapshots is not None
    snapshots = list(customers.snapshots.get(customer_id))
    assert [s.originator_version for s in snapshots] == [SNAPSHOT_INTERVAL]
    from_snapshot = snapshots[0].mutate(None)  # type: ignore[attr-defined]
    assert state_of(from_snapshot) == state_of(replayed(customers, customer_id, SNAPSHOT_INTERVAL))

    reopened = open_services(store_config)
    try:
        loaded = reopened.customers.get_customer(customer_id)
        past = {
            v: reopened.customers.get_customer(customer_id, version=v)
            for v in (10, SNAPSHOT_INTERVAL, 55)
        }
    finally:
        reopened.close()

    assert loaded.version == final_version
    assert state_of(loaded) == state_of(replayed(customers, customer_id))
    assert loaded.revenue == sum(Decimal(f"{n}.25") for n in range(3, 61, 3))
    assert loaded.tier == MembershipTier.SILVER
    assert len(loaded.surveys) == 20
    assert loaded.follow_ups == 20
    for version, customer in past.items():
        assert customer.version == version
        assert state_of(customer) == state_of(replayed(customers, customer_id, version))


# Erasure (PIPL): name and contacts unreadable everywhere, business facts kept.

NAME, EMAIL, PHONE = "Zhang Xiuying", "zhang.xiuying@example.com", "13912345678"


def raw_states(customers: Customers, customer_id: Any) -> list[bytes]:
    """The stored bytes of the customer's events and snapshots, as a backup would hold them."""
    assert customers.snapshots is not None
    stored = [
        *customers.recorder.select_events(customer_id),
        *customers.snapshots.recorder.select_events(customer_id),
    ]
    return [bytes(s.state) for s in stored]


def test_personal_data_is_stored_sealed_and_read_back_in_clear(
    services: Services, store_config: StoreConfig
) -> None:
    customer_id = register(services, name=NAME, email=EMAIL, phone=PHONE)

    reopened = open_services(store_config)
    try:
        personal = reopened.customers.get_customer(customer_id).personal
    finally:
        reopened.close()

    assert (personal.name, personal.email, personal.phone) == (NAME, EMAIL, PHONE)
    for state in raw_states(services.customers, customer_id):
        assert NAME.encode() not in state
        assert EMAIL.encode() not in state
        assert PHONE.encode() not in state


def test_erasure_makes_personal_data_unreadable_in_every_version_and_snapshot(
    services: Services, store_config: StoreConfig
) -> None:
    customers = services.customers
    customer_id = register(services, name=NAME, email=EMAIL, phone=PHONE)
    neighbour = register(services, name="Li Lei", email="li@example.com")
    buy(customers, customer_id, "SO-1", "42.00")
    for n in range(SNAPSHOT_INTERVAL - 3):
        customers.log_follow_up(
            customer_id, channel=ServiceChannel.PHONE, note=f"call {n}", ctx=as_(OPERATIONS)
        )
    assert customers.snapshots is not None
    assert len(list(customers.snapshots.get(customer_id))) == 1

    result = customers.erase_customer(
        customer_id, reason="PIPL request 117", ctx=as_(OPERATIONS, request_id="req-erase")
    )

    assert result.version == SNAPSHOT_INTERVAL + 1
    reopened = open_services(store_config)
    try:
        current = reopened.customers.get_customer(customer_id)
        at_registration = reopened.customers.get_customer(customer_id, version=1)
        at_snapshot = reopened.customers.get_customer(customer_id, version=SNAPSHOT_INTERVAL)
        history = reopened.customers.history(customer_id, Customer)
        other = reopened.customers.get_customer(neighbour)
    finally:
        reopened.close()
    erased = PersonalData(subject=customer_id, name=None, email=None, phone=None)
    assert current.erased is True
    assert current.personal == erased
    assert at_registration.personal == erased
    assert at_snapshot.personal == erased
    assert history[0].payload["personal"] == erased
    assert (history[-1].type, history[-1].metadata["command"]) == (
        "PersonalDataErased",
        "erase_customer",
    )
    # The business facts stay for the audit; other customers are untouched.
    assert current.revenue == Decimal("42.00")
    assert current.order_refs == ["SO-1"]
    assert current.follow_ups == SNAPSHOT_INTERVAL - 3
    assert other.personal.name == "Li Lei"


def test_erased_customer_accepts_no_further_command(services: Services) -> None:
    customers = services.customers
    customer_id = register(services)
    customers.erase_customer(customer_id, reason="PIPL", ctx=as_(OPERATIONS))
    history = customers.history(customer_id, Customer)

    with pytest.raises(CustomerErased):
        buy(customers, customer_id, "SO-1")
    with pytest.raises(CustomerErased):
        customers.erase_customer(customer_id, reason="again", ctx=as_(OPERATIONS))

    assert customers.history(customer_id, Customer) == history
