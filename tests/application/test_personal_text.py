"""Free text about a customer, sealed with their key: on the real stores (both), with
events recorded before sealing, the key cache, and words written after an erasure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

import application.personal as personal
from application.customers import Customers
from application.errors import ReferencedAggregateNotFound
from application.personal import PersonalDataKeys
from application.services import Services
from application.store import StoreConfig
from domain.complaint import Complaint
from domain.customer import Customer, CustomerErased
from domain.personal import PersonalText
from domain.vocabulary import ComplaintCategory, ServiceChannel
from projections.audit import trail_payload
from tests.application.support import AGENT, OPERATIONS, as_, open_services, receive, register
from tests.support.refusals import stored_event_count

# The tests only add customers of their own; the one that empties the key table
# has a store of its own.
pytestmark = pytest.mark.shared_app


def stored_state(app: Any, aggregate_id: UUID) -> bytes:
    return b"".join(bytes(e.state) for e in app.recorder.select_events(aggregate_id))


def erase(services: Services, customer_id: UUID) -> None:
    services.customers.erase_customer(customer_id, reason="PIPL Art. 47", ctx=as_(AGENT))


def test_words_are_sealed_in_the_store_and_open_only_for_reads(services: Services) -> None:
    customer_id = register(services)
    complaint_id = receive(services, customer_id, description="快递员骂人 courier swore")

    stored = stored_state(services.complaints, complaint_id)
    assert b"courier" not in stored and "快递员".encode() not in stored
    loaded = services.complaints.get_complaint(complaint_id)
    assert isinstance(loaded.description, PersonalText) and loaded.description.text is None
    shown = services.complaints.readable(loaded)
    assert shown.description == PersonalText(customer_id, text="快递员骂人 courier swore")
    assert loaded.description.sealed is not None  # the loaded aggregate stays sealed


def test_snapshots_keep_the_words_sealed(services: Services) -> None:
    customer_id = register(services)
    complaint_id = receive(services, customer_id, description="chipped mug 杯子碎了")
    services.complaints.acknowledge_complaint(complaint_id, message="on it", ctx=as_(AGENT))
    services.complaints.take_snapshot(complaint_id)

    snapshots: Any = services.complaints.snapshots
    (snapshot,) = snapshots.get(complaint_id)
    assert all(
        b"chipped" not in bytes(s.state) for s in snapshots.recorder.select_events(complaint_id)
    )
    assert isinstance(snapshot.state["description"], PersonalText)
    shown = services.complaints.readable(services.complaints.get_complaint(complaint_id))
    assert shown.description == PersonalText(customer_id, text="chipped mug 杯子碎了")


def test_erasure_reaches_the_complaints_words_and_new_words_are_stored_erased(
    services: Services,
) -> None:
    customer_id = register(services)
    complaint_id = receive(services, customer_id)
    erase(services, customer_id)

    shown = services.complaints.readable(services.complaints.get_complaint(complaint_id))
    assert shown.description == PersonalText.erased_for(customer_id)
    # Handling goes on; words written about them now are never stored.
    services.complaints.acknowledge_complaint(complaint_id, message="sorry Ms Wang", ctx=as_(AGENT))
    assert b"Wang" not in stored_state(services.complaints, complaint_id)
    history = services.complaints.history(complaint_id, Complaint)
    assert history[-1].payload["message"] == PersonalText.erased_for(customer_id)
    # No new key was made for them: the tombstone stands.
    assert services.customers.personal_keys.key_for(customer_id) is None


def test_a_complaint_about_an_erased_customer_is_refused(services: Services) -> None:
    customer_id = register(services)
    erase(services, customer_id)
    before = stored_event_count(services.complaints)

    with pytest.raises(CustomerErased):
        receive(services, customer_id)
    with pytest.raises(ReferencedAggregateNotFound):
        receive(services, UUID(int=7))
    assert stored_event_count(services.complaints) == before


def test_events_recorded_before_sealing_read_as_before_and_as_erased_after(
    services: Services,
) -> None:
    """An event of before this change holds its words as a plain string."""
    customer_id = register(services)
    old = Complaint(
        customer_id=customer_id,
        channel=ServiceChannel.EMAIL,
        category=ComplaintCategory.BILLING,
        description="charged twice (recorded in clear)",
        remedy_sought=None,
        received_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    services.complaints.save(old)
    customer = services.customers.get_customer(customer_id)
    customer._follow_up_logged(channel=ServiceChannel.PHONE, note="old note in clear")
    services.customers.save(customer)

    complaint = services.complaints.get_complaint(old.id)
    assert complaint.description == "charged twice (recorded in clear)"
    assert services.complaints.readable(complaint).description == complaint.description
    note = services.customers.history(customer_id, Customer)[-1].payload["note"]
    assert note == "old note in clear"
    # The audit trail never keeps it, sealed or not.
    assert trail_payload("customers", {"note": note}) == {"note": {"redacted": True}}

    erase(services, customer_id)
    shown = services.complaints.readable(services.complaints.get_complaint(old.id))
    assert shown.description == PersonalText.erased_for(customer_id)
    events = services.customers.history(customer_id, Customer)
    assert [e.payload["note"] for e in events if e.type == "FollowUpLogged"] == [
        PersonalText.erased_for(customer_id)
    ]


@pytest.mark.fresh_app
def test_customers_erased_before_tombstones_get_theirs(store_config: StoreConfig) -> None:
    first = open_services(store_config)
    try:
        customer_id = register(first)
        erase(first, customer_id)
        keys = first.customers.personal_keys
        # As an erasure of before this change left it: no row at all, no backfill mark.
        with keys.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM {keys.table}")
    finally:
        first.close()
    again = open_services(store_config)
    try:
        assert again.customers.personal_keys.key_for(customer_id) is None
    finally:
        again.close()


def test_the_key_cache_saves_lookups_and_an_erasure_counts_at_once(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = services.customers.personal_keys
    customer_id = register(services)
    complaint_id = receive(services, customer_id)
    lookups: list[UUID] = []
    lookup = keys._lookup

    def counted(subject: UUID) -> Any:
        lookups.append(subject)
        return lookup(subject)

    monkeypatch.setattr(keys, "_lookup", counted)

    # Sealing with a cached key, and loading sealed words, look nothing up.
    services.complaints.acknowledge_complaint(complaint_id, message="on it", ctx=as_(AGENT))
    services.customers.log_follow_up(
        customer_id, channel=ServiceChannel.PHONE, note="called", ctx=as_(OPERATIONS)
    )
    services.complaints.get_complaint(complaint_id)
    assert lookups == []
    assert keys.get(customer_id) is not None  # opened from the cache too

    erase(services, customer_id)
    assert keys.get(customer_id) is None
    assert keys.key_for(customer_id) is None


def test_another_process_sees_an_erasure_once_its_cached_key_is_old(
    services: Services, store_config: StoreConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = register(services)
    other = Customers(env=store_config.app_env(Customers.name))
    try:
        theirs: PersonalDataKeys = other.personal_keys
        assert theirs.get(customer_id) is not None  # cached over there
        erase(services, customer_id)
        monkeypatch.setattr(personal, "READ_TTL_SECONDS", 0.0)
        assert theirs.get(customer_id) is None
        assert other.get_customer(customer_id).personal.erased
    finally:
        other.close()
