"""The demo company: believable, complete, and loaded only once however often it is run."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from application.services import Services
from demo import DemoSummary, load_demo
from domain.complaint import Complaint, ComplaintStatus
from domain.customer import Customer, CustomerStatus
from domain.vocabulary import (
    AcquisitionChannel,
    ComplaintCategory,
    MembershipTier,
    ServiceChannel,
)

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def positions(services: Services) -> dict[str, int]:
    return {app.name: app.recorder.max_notification_id() or 0 for app in services.all()}


def customers(services: Services, summary: DemoSummary) -> list[Customer]:
    return [services.customers.get_customer(i) for i in summary.customer_ids]


def complaints(services: Services, summary: DemoSummary) -> list[Complaint]:
    return [services.complaints.get_complaint(i) for i in summary.complaint_ids]


def test_the_full_company_loads_once_however_often_it_is_run(services: Services) -> None:
    # One full load per store keeps the suite quick; the checks are split below.
    full = load_demo(services, now=NOW)
    assert full.customers == len(full.customer_ids) == 300
    assert full.complaints == len(full.complaint_ids) == 100
    assert full.events_written == sum(positions(services).values())
    # The Applications' own clocks are back to normal after loading.
    assert "clock" not in vars(services.customers)
    assert "clock" not in vars(services.complaints)

    check_customers(customers(services, full))
    check_complaints(complaints(services, full))

    before = positions(services)
    again = load_demo(services, now=NOW + timedelta(days=3, hours=5))
    assert positions(services) == before
    assert again.events_written == 0
    assert again.customer_ids == full.customer_ids
    assert again.complaint_ids == full.complaint_ids


def check_customers(people: list[Customer]) -> None:
    assert {c.channel for c in people} == set(AcquisitionChannel)
    assert set(CustomerStatus) <= {c.status for c in people}
    consenting = sum(c.marketing_consent for c in people)
    assert 0.35 * len(people) < consenting < 0.65 * len(people)
    assert any(c.campaign for c in people)

    loyal = [c for c in people if c.status == CustomerStatus.LOYAL]
    assert loyal
    assert all(len(c.order_refs) >= 2 for c in loyal)
    assert all(c.revenue > 0 and c.revenue.as_tuple().exponent == -2 for c in loyal)
    assert any(c.tier != MembershipTier.STANDARD for c in people)

    offered = [c for c in people if c.offers]
    assert offered
    assert all(c.segment is not None for c in offered)
    answers = [a for c in people for a in c.surveys.values()]
    assert any(a["csat"] is not None for a in answers)
    assert any(a["nps"] is not None for a in answers)
    assert any(c.follow_ups for c in people)
    # Surveys and follow-up visits only for who gave service consent (PIPL).
    assert any(not c.service_consent for c in people)
    assert all(not (c.surveys or c.follow_ups) for c in people if not c.service_consent)


def check_complaints(cases: list[Complaint]) -> None:
    statuses = Counter(c.status for c in cases)
    assert set(ComplaintStatus) <= set(statuses)
    assert statuses[ComplaintStatus.CLOSED] > len(cases) / 2
    assert {c.channel for c in cases} == set(ServiceChannel)
    assert {c.category for c in cases} == set(ComplaintCategory)
    assert {c.severity for c in cases} >= {1, 2, 3, 4}

    # Reopened and rejected complaints are back under investigation.
    investigating = [c for c in cases if c.status == ComplaintStatus.INVESTIGATING]
    assert any(c.reopen_count > 0 for c in investigating)
    assert any(c.escalation_level > 0 for c in investigating)

    # Severe plans were approved by someone other than their proposer.
    approved = [c for c in cases if c.approved_by is not None]
    assert approved
    for complaint in approved:
        assert complaint.severity in (1, 2)
        assert complaint.proposal is not None
        assert complaint.approved_by != complaint.proposal["proposed_by"]

    # Business times are back-dated over the past months, never in the future.
    received = [c.received_at for c in cases]
    assert max(received) <= NOW
    assert min(received) < NOW - timedelta(days=120)
    assert len({moment.strftime("%Y-%m") for moment in received}) >= 6


def test_a_smaller_company_grows_into_the_larger_one(services: Services) -> None:
    small = load_demo(services, now=NOW, scale=0.2)
    assert (small.customers, small.complaints) == (60, 20)
    assert {c.status for c in complaints(services, small)} >= set(ComplaintStatus)

    larger = load_demo(services, now=NOW + timedelta(days=1), scale=0.3)
    assert larger.customer_ids[:60] == small.customer_ids
    assert larger.complaint_ids[:20] == small.complaint_ids
    assert larger.events_written > 0

    before = positions(services)
    assert load_demo(services, now=NOW + timedelta(days=2), scale=0.3).events_written == 0
    assert positions(services) == before


def test_another_seed_is_another_company(services: Services) -> None:
    first = load_demo(services, now=NOW, scale=0.1)
    other = load_demo(services, now=NOW, scale=0.1, seed=8)
    assert other.events_written > 0
    assert not set(first.customer_ids) & set(other.customer_ids)
