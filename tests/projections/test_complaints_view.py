"""The complaints read model: the dashboard's backlog, response and resolution times,
SLA attainment as of a fixed moment, rates, Pareto and compensation for a small known
history, worked out by hand; the list's filters and paging; incremental equals rebuilt."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest

from application.context import Actor
from application.services import Services
from application.store import StoreConfig
from domain.vocabulary import (
    AcquisitionChannel,
    ComplaintCategory,
    Department,
    Role,
    RootCause,
    ServiceChannel,
)
from projections.complaints import ComplaintsView
from projections.listing import page
from projections.projection import utc_text
from projections.queries.complaints import (
    ComplaintFilter,
    complaint_dashboard,
    complaint_item,
    complaint_listing,
    percentile,
)
from projections.runner import ProjectionRunner
from projections.store import ReadModelStore
from tests.projections.support import ctx, small_pools
from tests.support.clock import Clock

MARKETER = Actor("mkt.mei", frozenset({Role.MARKETING}))
AGENT = Actor("cs.li", frozenset({Role.CUSTOMER_SERVICE}))
MANAGER = Actor("mgr.zhao", frozenset({Role.MANAGEMENT}))

NAME = ComplaintsView.name
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
PHONE, CHAT, EMAIL, SOCIAL = (
    ServiceChannel.PHONE,
    ServiceChannel.ONLINE_CHAT,
    ServiceChannel.EMAIL,
    ServiceChannel.SOCIAL_MEDIA,
)
CS, FINANCE, TECH, OPS = (
    Department.CUSTOMER_SERVICE,
    Department.FINANCE,
    Department.TECHNOLOGY,
    Department.OPERATIONS,
)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def clock_start() -> datetime:
    return at(1, 2, 9)


@pytest.fixture
def view(services: Services, store_config: StoreConfig) -> Iterator[ProjectionRunner]:
    runner = ProjectionRunner(services, small_pools(store_config), [ComplaintsView()])
    try:
        yield runner
    finally:
        runner.close()


class Story:
    """Commands on complaints at given business moments."""

    def __init__(self, services: Services, clock: Clock) -> None:
        self.complaints = services.complaints
        self.customers = services.customers
        self.clock = clock

    def customer(self, name: str) -> UUID:
        return self.customers.register_customer(
            name=name,
            email=f"{name.lower().replace(' ', '.')}@example.cn",
            phone=None,
            channel=AcquisitionChannel.SEARCH,
            ctx=ctx(MARKETER),
        ).id

    def receive(
        self, when: datetime, customer: UUID, channel: ServiceChannel, category: ComplaintCategory
    ) -> UUID:
        self.clock.now = when
        return self.complaints.receive_complaint(
            customer_id=customer,
            channel=channel,
            category=category,
            description="something went wrong",
            remedy_sought="put it right",
            ctx=ctx(AGENT),
        ).id

    def ack(self, k: UUID, when: datetime) -> None:
        self.clock.now = when
        self.complaints.acknowledge_complaint(k, message="we are on it", ctx=ctx(AGENT))

    def assess(self, k: UUID, severity: int, department: Department) -> None:
        self.complaints.assess_complaint(
            k, severity=severity, department=department, assignee="cs.li", ctx=ctx(AGENT)
        )

    def reassess(self, k: UUID, severity: int) -> None:
        self.complaints.reassess_complaint(
            k, severity=severity, reason="worse than it looked", ctx=ctx(AGENT)
        )

    def propose(self, k: UUID, cause: RootCause, compensation: str | None) -> None:
        self.complaints.propose_resolution(
            k,
            root_cause=cause,
            plan="put it right",
            compensation=None if compensation is None else Decimal(compensation),
            ctx=ctx(AGENT),
        )

    def approve(self, k: UUID) -> None:
        self.complaints.approve_resolution(k, ctx=ctx(MANAGER))

    def respond(self, k: UUID, when: datetime) -> None:
        self.clock.now = when
        self.complaints.respond_to_complaint(k, message="here is what we do", ctx=ctx(AGENT))

    def decide(self, k: UUID, when: datetime, accepted: bool = True) -> None:
        self.clock.now = when
        self.complaints.record_customer_decision(k, accepted=accepted, ctx=ctx(AGENT))

    def close(self, k: UUID, when: datetime) -> None:
        self.clock.now = when
        self.complaints.close_complaint(k, note="customer satisfied", ctx=ctx(AGENT))

    def reopen(self, k: UUID, when: datetime) -> None:
        self.clock.now = when
        self.complaints.reopen_complaint(k, reason="it broke again", ctx=ctx(AGENT))

    def pause(self, k: UUID, when: datetime) -> None:
        self.clock.now = when
        self.complaints.wait_for_customer(k, reason="waiting for photos", ctx=ctx(AGENT))

    def resume(self, k: UUID, when: datetime) -> None:
        self.clock.now = when
        self.complaints.resume_complaint(k, ctx=ctx(AGENT))

    def withdraw(self, k: UUID, when: datetime) -> None:
        self.clock.now = when
        self.complaints.withdraw_complaint(k, reason="sorted it out", ctx=ctx(AGENT))


def history(services: Services, clock: Clock, checkpoint: Any = lambda: None) -> dict[Any, UUID]:
    """Two customers A, B and seven complaints (SLA: severity 1 respond 1 h, resolve 24 h;
    2: 4 h / 72 h; 3: 8 h / 5 days; 4: 24 h / 10 days; all from receipt):

    k1 A phone delivery, sev 2 customer_service: received 03-01 09:00, acknowledged 10:00
       (1 h; due 13:00: met). Resolution due 03-04 09:00. product_defect 129.90, approved,
       responded and accepted 03-02 09:00, closed 10:00; reopened 03-03 09:00; proposed
       again (product_defect 129.90), approved, responded and accepted 03-03 15:00
       (54 h from receipt: met), closed 16:00.
    k2 A online_chat billing, sev 3 finance: received 03-02 09:00, acknowledged 12:00 (3 h;
       due 17:00: met); resolution due 03-07 09:00. Waiting on the customer 03-03 09:00 to
       03-05 09:00 (48 h). process_gap 0.10, responded 03-08 09:00, rejected 10:00
       (escalated); process_gap 0.20, responded 14:00, accepted 15:00: 150 h - 48 h paused
       = 102 h; due moved to 03-09 09:00: met (breached without the pause). Closed 03-09.
    k6 B phone billing, sev 3 finance: received 03-02 09:30, acknowledged 10:30 (1 h; met);
       waiting 03-03 09:00, withdrawn while waiting 03-04 21:00 (36 h paused).
    k3 B phone delivery, sev 1 technology: received 03-05 09:00, acknowledged 11:00 (2 h;
       due 10:00: breached); resolution due 03-06 09:00, still investigating: breached.
    k4 B email product_quality, sev 4 customer_service: received 03-09 09:00, acknowledged
       10:00 (1 h; met); resolution due 03-19 09:00: undecided.
    k5 A social_media privacy: received 03-10 11:00, nothing else (no SLA yet).
    k7 A online_chat other, sev 4 operations: received 01-20 09:00, acknowledged 09:30
       (0.5 h; met); resolution due 01-30 09:00; process_gap 0.10 proposed, then waiting
       on the customer since 03-08 12:00 (48 h by NOW): due 02-01 09:00: breached.
    """
    s = Story(services, clock)
    clock.now = at(1, 2, 9)
    a, b = s.customer("Wang Fang"), s.customer("Chen Jing")
    k: dict[Any, UUID] = {"A": a, "B": b}

    k[7] = s.receive(at(1, 20, 9), a, CHAT, ComplaintCategory.OTHER)
    s.ack(k[7], at(1, 20, 9, 30))
    s.assess(k[7], 4, OPS)
    s.propose(k[7], RootCause.PROCESS_GAP, "0.10")
    s.pause(k[7], at(3, 8, 12))

    k[1] = s.receive(at(3, 1, 9), a, PHONE, ComplaintCategory.DELIVERY)
    s.ack(k[1], at(3, 1, 10))
    s.assess(k[1], 2, CS)
    s.propose(k[1], RootCause.PRODUCT_DEFECT, "129.90")
    s.approve(k[1])
    s.respond(k[1], at(3, 2, 9))
    s.decide(k[1], at(3, 2, 9))
    s.close(k[1], at(3, 2, 10))
    checkpoint()
    s.reopen(k[1], at(3, 3, 9))
    s.propose(k[1], RootCause.PRODUCT_DEFECT, "129.90")
    s.approve(k[1])
    s.respond(k[1], at(3, 3, 15))
    s.decide(k[1], at(3, 3, 15))
    s.close(k[1], at(3, 3, 16))

    k[2] = s.receive(at(3, 2, 9), a, CHAT, ComplaintCategory.BILLING)
    s.ack(k[2], at(3, 2, 12))
    s.assess(k[2], 3, FINANCE)
    s.pause(k[2], at(3, 3, 9))
    checkpoint()
    s.resume(k[2], at(3, 5, 9))
    s.clock.now = at(3, 8, 8)
    s.propose(k[2], RootCause.PROCESS_GAP, "0.10")
    s.respond(k[2], at(3, 8, 9))
    s.decide(k[2], at(3, 8, 10), accepted=False)
    s.propose(k[2], RootCause.PROCESS_GAP, "0.20")
    s.respond(k[2], at(3, 8, 14))
    s.decide(k[2], at(3, 8, 15))
    s.close(k[2], at(3, 9, 9))

    k[6] = s.receive(at(3, 2, 9, 30), b, PHONE, ComplaintCategory.BILLING)
    s.ack(k[6], at(3, 2, 10, 30))
    s.assess(k[6], 3, FINANCE)
    s.pause(k[6], at(3, 3, 9))
    checkpoint()
    s.withdraw(k[6], at(3, 4, 21))

    k[3] = s.receive(at(3, 5, 9), b, PHONE, ComplaintCategory.DELIVERY)
    s.ack(k[3], at(3, 5, 11))
    s.assess(k[3], 1, TECH)

    k[4] = s.receive(at(3, 9, 9), b, EMAIL, ComplaintCategory.PRODUCT_QUALITY)
    s.ack(k[4], at(3, 9, 10))
    s.assess(k[4], 4, CS)
    checkpoint()

    k[5] = s.receive(at(3, 10, 11), a, SOCIAL, ComplaintCategory.PRIVACY)
    return k


def built(
    services: Services, clock: Clock, view: ProjectionRunner
) -> tuple[ReadModelStore, dict[Any, UUID]]:
    k = history(services, clock)
    view.catch_up()
    return view.store(NAME), k


def hours(count: int, median: float | None, p90: float | None) -> dict[str, Any]:
    return {"count": count, "median_hours": median, "p90_hours": p90}


def sla(met: int, breached: int, attainment: float | None) -> dict[str, Any]:
    return {"met": met, "breached": breached, "attainment": attainment}


def summary(
    complaints: int,
    open_: int,
    first_response: dict[str, Any],
    resolution: dict[str, Any],
    sla_first_response: dict[str, Any],
    sla_resolution: dict[str, Any],
    reopen_rate: float | None,
    escalation_rate: float | None,
) -> dict[str, Any]:
    return {
        "complaints": complaints,
        "open": open_,
        "first_response": first_response,
        "resolution": resolution,
        "sla_first_response": sla_first_response,
        "sla_resolution": sla_resolution,
        "reopen_rate": reopen_rate,
        "escalation_rate": escalation_rate,
    }


NO_TIMES = hours(0, None, None)
NO_SLA = sla(0, 0, None)

# phone: k1, k3, k6. Open: k3. First responses 1, 2, 1 h -> sorted 1, 1, 2: median 1,
# p90 at rank 1.8: 1 + 0.8 x (2 - 1) = 1.8. Resolution k1 54 h. First response met k1 k6,
# breached k3 (2/3); resolution met k1, breached k3, k6 withdrawn (1/2). Ever closed: k1,
# reopened (1.0). Nobody escalated.
PHONE_ROW = summary(
    3, 1, hours(3, 1.0, 1.8), hours(1, 54.0, 54.0), sla(2, 1, 0.6667), sla(1, 1, 0.5), 1.0, 0.0
)
# online_chat: k2, k7. Open: k7. First responses 3, 0.5 h: median 1.75, p90 at rank 0.9:
# 0.5 + 0.9 x 2.5 = 2.75. Resolution k2 102 h. First response met both; resolution k2
# met, k7 breached. Ever closed k2, not reopened (0.0). k2 escalated: 1/2.
CHAT_ROW = summary(
    2, 1, hours(2, 1.75, 2.75), hours(1, 102.0, 102.0), sla(2, 0, 1.0), sla(1, 1, 0.5), 0.0, 0.5
)
# email: k4, acknowledged in 1 h, resolution not due yet.
EMAIL_ROW = summary(1, 1, hours(1, 1.0, 1.0), NO_TIMES, sla(1, 0, 1.0), NO_SLA, None, 0.0)
# social_media: k5, received only: no time, no SLA.
SOCIAL_ROW = summary(1, 1, NO_TIMES, NO_TIMES, NO_SLA, NO_SLA, None, 0.0)


def test_percentile_interpolates_between_closest_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    # Ranks 0..4 of 10, 20, 30, 40, 50: 0.9 x 4 = 3.6 -> 40 + 0.6 x 10 = 46.
    assert percentile([50.0, 10.0, 40.0, 20.0, 30.0], 0.9) == pytest.approx(46.0)
    assert percentile([3.0, 1.0], 0.5) == 2.0


def test_the_dashboard_s_figures_match_hand_computed_values(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    store, _ = built(services, clock, view)
    board = complaint_dashboard(store, ComplaintFilter(), NOW, active_customers=3)

    assert board["as_of"] == "2025-03-10T12:00:00.000000Z"
    assert board["complaints"] == 7
    # Open: k3 k4 (investigating), k5 (received), k7 (pending_customer); k1 k2 closed,
    # k6 withdrawn.
    assert board["open"] == 4
    assert board["backlog"] == {
        "by_status": {"investigating": 2, "received": 1, "pending_customer": 1},
        # k5 1 h old; k4 27 h; k3 5 d 3 h; k7 49 days.
        "by_age": {"under_1_day": 1, "1_to_3_days": 1, "3_to_7_days": 1, "over_30_days": 1},
    }
    # First responses (h): k7 0.5, k1 1, k6 1, k4 1, k3 2, k2 3 -> ranks 0..5.
    # Median at rank 2.5: between 1 and 1 = 1.0; p90 at rank 4.5: 2 + 0.5 x 1 = 2.5.
    assert board["first_response"] == hours(6, 1.0, 2.5)
    # Resolved: k1 54 h; k2 150 h - 48 h paused = 102 h. Median 78; p90 54 + 0.9 x 48 = 97.2.
    assert board["resolution"] == hours(2, 78.0, 97.2)
    # First response: met k1 k2 k4 k6 k7, breached k3; k5 has no SLA yet: 5/6.
    assert board["sla_first_response"] == sla(5, 1, 0.8333)
    # Resolution: met k1 and k2 (its due moved by the pause); breached k3 (open past its
    # due) and k7 (due plus the 48 h of its current pause is still past); undecided k4
    # (due 03-19), k5 (no SLA), k6 (withdrawn): 2/4.
    assert board["sla_resolution"] == sla(2, 2, 0.5)
    assert board["reopen_rate"] == 0.5  # ever closed k1 k2; k1 reopened
    assert board["escalation_rate"] == 0.1429  # k2 of 7
    assert board["by_channel"] == {
        "email": EMAIL_ROW,
        "online_chat": CHAT_ROW,
        "phone": PHONE_ROW,
        "social_media": SOCIAL_ROW,
    }
    assert list(board["by_category"]) == [
        "billing",
        "delivery",
        "other",
        "privacy",
        "product_quality",
    ]
    # delivery: k1, k3. First responses 1, 2: median 1.5, p90 1.9.
    assert board["by_category"]["delivery"] == summary(
        2, 1, hours(2, 1.5, 1.9), hours(1, 54.0, 54.0), sla(1, 1, 0.5), sla(1, 1, 0.5), 1.0, 0.0
    )
    # billing: k2, k6. First responses 3, 1: median 2.0, p90 1 + 0.9 x 2 = 2.8.
    assert board["by_category"]["billing"] == summary(
        2, 0, hours(2, 2.0, 2.8), hours(1, 102.0, 102.0), sla(2, 0, 1.0), sla(1, 0, 1.0), 0.0, 0.5
    )
    # Root causes (the standing proposal of each): process_gap k2 k7, product_defect k1.
    assert board["root_cause_pareto"] == [
        {"root_cause": "process_gap", "count": 2, "cumulative_share": 0.6667},
        {"root_cause": "product_defect", "count": 1, "cumulative_share": 1.0},
    ]
    # k1 129.90 + k2 0.20 (its standing proposal) + k7 0.10 = 130.20 (floats: 130.2000...03).
    assert board["compensation_proposed"] == "130.20"
    assert board["active_customers"] == 3
    assert board["per_1000_active_customers"] == 2333.33  # 1000 x 7 / 3
    assert (
        complaint_dashboard(store, ComplaintFilter(), NOW, active_customers=0)[
            "per_1000_active_customers"
        ]
        is None
    )


def test_paused_time_is_stored_and_counted_until_now(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    store, k = built(services, clock, view)
    rows = {r["id"]: r for r in store.read("SELECT * FROM complaint_rows")}
    assert float(rows[str(k[2])]["paused_seconds"]) == 172800.0  # 48 h, resumed
    assert float(rows[str(k[6])]["paused_seconds"]) == 129600.0  # 36 h, withdrawn paused
    assert rows[str(k[6])]["paused_since"] is None
    assert float(rows[str(k[7])]["paused_seconds"]) == 0.0  # still waiting
    assert rows[str(k[7])]["paused_since"] == "2025-03-08T12:00:00.000000Z"
    for n in (2, 6, 7):
        assert float(rows[str(k[n])]["paused_seconds"]) == (
            services.complaints.get_complaint(k[n]).paused_seconds
        )
    # Judged at 03-09 12:00, a day into k7's pause: due 01-30 09:00 + 24 h = 01-31 09:00,
    # long past: breached.
    during = complaint_item(rows[str(k[7])], at(3, 9, 12))
    assert during["resolution_breached"] is True
    # k2's due 03-07 09:00 moved by 48 h: met at 03-08 15:00.
    assert complaint_item(rows[str(k[2])], NOW)["resolution_breached"] is False
    # A complaint that waited makes no breach while it is withdrawn.
    assert complaint_item(rows[str(k[6])], NOW)["resolution_breached"] is False


def test_the_dashboard_filters(services: Services, clock: Clock, view: ProjectionRunner) -> None:
    store, _ = built(services, clock, view)

    def board(**filters: Any) -> dict[str, Any]:
        return complaint_dashboard(store, ComplaintFilter(**filters), NOW, active_customers=4)

    phone = board(channel="phone")
    assert {key: phone[key] for key in PHONE_ROW} == PHONE_ROW
    assert list(phone["by_channel"]) == ["phone"]
    assert phone["compensation_proposed"] == "129.90"
    assert phone["per_1000_active_customers"] == 750.0  # 1000 x 3 / 4
    assert phone["backlog"] == {"by_status": {"investigating": 1}, "by_age": {"3_to_7_days": 1}}

    finance = board(department="finance")  # k2, k6
    assert finance["complaints"] == 2
    assert finance["compensation_proposed"] == "0.20"
    assert finance["root_cause_pareto"] == [
        {"root_cause": "process_gap", "count": 1, "cumulative_share": 1.0}
    ]
    severe = board(severity=1)  # k3
    assert (severe["complaints"], severe["sla_resolution"]) == (1, sla(0, 1, 0.0))
    assert board(severity=3)["complaints"] == 2  # k2, k6
    delivery = board(category="delivery")
    assert delivery["complaints"] == 2
    assert list(delivery["by_category"]) == ["delivery"]
    # Received from 03-02 09:30 (inclusive) until 03-09 09:00 (exclusive): k6, k3.
    window = board(received_from=at(3, 2, 9, 30), received_until=at(3, 9, 9))
    assert window["complaints"] == 2
    assert window["first_response"] == hours(2, 1.5, 1.9)  # 1 h and 2 h
    empty = board(channel="email", category="billing")
    assert empty["complaints"] == 0
    assert empty["first_response"] == NO_TIMES
    assert empty["root_cause_pareto"] == []
    assert empty["compensation_proposed"] == "0.00"
    assert (empty["reopen_rate"], empty["escalation_rate"]) == (None, None)


def test_triage_while_waiting_keeps_the_pause(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    s = Story(services, clock)
    clock.now = at(3, 1, 8)
    complaint = s.receive(at(3, 1, 9), s.customer("Liu Yang"), EMAIL, ComplaintCategory.OTHER)
    s.ack(complaint, at(3, 1, 10))
    s.pause(complaint, at(3, 1, 11))
    s.assess(complaint, 3, CS)
    view.catch_up()
    store = view.store(NAME)
    (row,) = store.read("SELECT * FROM complaint_rows")
    domain = services.complaints.get_complaint(complaint)
    assert domain.status.value == "pending_customer"
    assert row["status"] == "pending_customer"
    s.resume(complaint, at(3, 1, 15))
    view.catch_up()
    (row,) = store.read("SELECT * FROM complaint_rows")
    assert services.complaints.get_complaint(complaint).status.value == "investigating"
    assert row["status"] == "investigating"


def test_a_complaint_withdrawn_before_its_first_response_due_is_no_breach(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    s = Story(services, clock)
    clock.now = at(3, 1, 8)
    complaint = s.receive(at(3, 1, 9), s.customer("Liu Yang"), PHONE, ComplaintCategory.OTHER)
    s.assess(complaint, 1, CS)  # respond by 10:00
    s.withdraw(complaint, at(3, 1, 9, 30))  # withdrawn half an hour in, nobody late yet
    view.catch_up()
    store = view.store(NAME)
    board = complaint_dashboard(store, ComplaintFilter(), NOW, active_customers=1)
    assert board["sla_first_response"] == sla(0, 0, None)
    (row,) = store.read("SELECT * FROM complaint_rows")
    assert complaint_item(row, NOW)["first_response_breached"] is False


# The SLA runs from receipt; re-grading and reopening move the stored due times (issue 11).


def the_row(store: ReadModelStore) -> dict[str, Any]:
    (row,) = store.read("SELECT * FROM complaint_rows")
    return row


def test_an_untriaged_complaint_is_judged_by_the_severity_3_targets_from_receipt(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    s = Story(services, clock)
    clock.now = at(3, 1, 8)
    s.receive(at(3, 1, 9), s.customer("Liu Yang"), PHONE, ComplaintCategory.OTHER)
    view.catch_up()
    row = the_row(view.store(NAME))

    assert (row["severity"], row["first_response_due"]) == (None, utc_text(at(3, 1, 17)))
    assert row["resolution_due"] == utc_text(at(3, 6, 9))
    on_time = complaint_item(row, at(3, 1, 16))
    assert (on_time["first_response_breached"], on_time["resolution_breached"]) == (False, False)
    assert complaint_item(row, at(3, 1, 18))["first_response_breached"] is True
    assert complaint_item(row, at(3, 6, 10))["resolution_breached"] is True


def test_a_regraded_complaint_is_due_by_its_new_grade(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    s = Story(services, clock)
    clock.now = at(3, 1, 8)
    k = s.receive(at(3, 1, 9), s.customer("Liu Yang"), PHONE, ComplaintCategory.OTHER)
    s.assess(k, 3, CS)
    s.reassess(k, 1)
    view.catch_up()
    row = the_row(view.store(NAME))

    assert row["severity"] == 1
    assert row["first_response_due"] == utc_text(at(3, 1, 10))
    assert row["resolution_due"] == utc_text(at(3, 2, 9))
    assert complaint_item(row, at(3, 1, 11))["first_response_breached"] is True


def test_a_reopened_complaint_is_due_afresh_and_not_in_breach_at_once(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    s = Story(services, clock)
    clock.now = at(3, 1, 8)
    k = s.receive(at(3, 1, 9), s.customer("Liu Yang"), PHONE, ComplaintCategory.OTHER)
    s.ack(k, at(3, 1, 9, 30))
    s.assess(k, 3, CS)
    s.pause(k, at(3, 1, 10))
    s.resume(k, at(3, 1, 14))  # 4 h waited on the customer before the first resolution
    s.propose(k, RootCause.THIRD_PARTY, None)
    s.respond(k, at(3, 2, 9))
    s.decide(k, at(3, 2, 10))
    s.close(k, at(3, 2, 11))
    s.reopen(k, at(3, 20, 9))  # long after the first target (3-06 13:00)
    view.catch_up()
    row = the_row(view.store(NAME))

    due = services.complaints.get_complaint(k).effective_resolution_due
    assert due == at(3, 25, 9)  # 5 days from the reopening, the earlier pause not counted
    assert complaint_item(row, at(3, 20, 10))["resolution_breached"] is False
    assert complaint_item(row, at(3, 25, 8))["resolution_breached"] is False
    assert complaint_item(row, at(3, 25, 10))["resolution_breached"] is True


def drop_field(config: StoreConfig, topic_end: str, field: str) -> None:
    """Rewrite the stored complaint events of one type without ``field``, as they
    were stored before the field was added."""
    conn: Any
    if config.database_url is None:
        conn = sqlite3.connect(config.sqlite_path("complaints"))
        table, key, mark = "stored_events", "rowid", "?"
    else:
        assert config.postgres is not None
        conn = psycopg.connect(config.postgres.conninfo())
        table, key, mark = "complaints_events", "notification_id", "%s"
    try:
        found = conn.execute(f"SELECT {key}, topic, state FROM {table}").fetchall()
        old = [(n, json.loads(state)) for n, topic, state in found if topic.endswith(topic_end)]
        for n, state in old:
            del state[field]
            conn.execute(
                f"UPDATE {table} SET state = {mark} WHERE {key} = {mark}",
                (json.dumps(state).encode(), n),
            )
        conn.commit()
    finally:
        conn.close()
    assert len(old) == 1


def test_a_reopening_stored_before_the_fresh_target_keeps_the_original_one(
    services: Services, clock: Clock, view: ProjectionRunner, store_config: StoreConfig
) -> None:
    s = Story(services, clock)
    clock.now = at(3, 1, 8)
    k = s.receive(at(3, 1, 9), s.customer("Liu Yang"), PHONE, ComplaintCategory.OTHER)
    s.ack(k, at(3, 1, 9, 30))
    s.assess(k, 3, CS)
    s.propose(k, RootCause.THIRD_PARTY, None)
    s.respond(k, at(3, 2, 9))
    s.decide(k, at(3, 2, 10))
    s.close(k, at(3, 2, 11))
    s.reopen(k, at(3, 4, 9))
    drop_field(store_config, "Complaint.Reopened", "resolution_due")
    view.catch_up()
    row = the_row(view.store(NAME))

    assert row["reopen_count"] == 1
    assert row["resolution_due"] == utc_text(at(3, 6, 9))  # 5 days from receipt, as it was


# The list.


def _all(store: ReadModelStore, size: int = 500, **kwargs: Any) -> list[dict[str, Any]]:
    filters = kwargs.pop("filters", ComplaintFilter())
    items: list[dict[str, Any]] = []
    after = None
    for _ in range(50):
        rows, after = page(store, complaint_listing(filters, **kwargs), limit=size, after=after)
        items += [complaint_item(row, NOW) for row in rows]
        if after is None:
            return items
    raise AssertionError("paging did not end")


def test_the_list_s_items_and_filters(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    store, k = built(services, clock, view)
    number = {str(complaint_id): n for n, complaint_id in k.items() if isinstance(n, int)}

    def ns(**kwargs: Any) -> list[int]:
        return [number[i["id"]] for i in _all(store, **kwargs)]

    items = _all(store)
    assert [number[i["id"]] for i in items] == [7, 1, 2, 6, 3, 4, 5]  # by receipt
    for item in items:
        domain = services.complaints.get_complaint(UUID(item["id"]))
        assert (item["version"], item["status"]) == (domain.version, domain.status.value)
    by_n = {number[i["id"]]: i for i in items}
    assert by_n[3] == {
        "id": str(k[3]),
        "version": services.complaints.get_complaint(k[3]).version,
        "status": "investigating",
        "customer_id": str(k["B"]),
        "channel": "phone",
        "category": "delivery",
        "severity": 1,
        "department": "technology",
        "assignee": "cs.li",
        "received_at": "2025-03-05T09:00:00.000000Z",
        "first_response_due": "2025-03-05T10:00:00.000000Z",
        "resolution_due": "2025-03-06T09:00:00.000000Z",
        "escalation_level": 0,
        "reopen_count": 0,
        "root_cause": None,
        "compensation": None,
        "first_response_breached": True,
        "resolution_breached": True,
    }
    assert (by_n[1]["compensation"], by_n[1]["reopen_count"]) == ("129.90", 1)
    assert (by_n[2]["compensation"], by_n[2]["escalation_level"]) == ("0.20", 1)
    assert (by_n[7]["first_response_breached"], by_n[7]["resolution_breached"]) == (False, True)
    assert (by_n[5]["severity"], by_n[5]["first_response_breached"]) == (None, False)

    assert ns(status="investigating") == [3, 4]
    assert ns(status="closed") == [1, 2]
    assert ns(status="withdrawn") == [6]
    assert ns(status="pending_customer") == [7]
    assert ns(filters=ComplaintFilter(channel="phone")) == [1, 6, 3]
    assert ns(filters=ComplaintFilter(category="billing")) == [2, 6]
    assert ns(filters=ComplaintFilter(department="customer_service")) == [1, 4]
    assert ns(filters=ComplaintFilter(severity=4)) == [7, 4]
    assert ns(customer_id=str(k["B"])) == [6, 3, 4]
    assert ns(customer_id=str(k["A"]), status="closed") == [1, 2]
    assert ns(filters=ComplaintFilter(received_from=at(3, 2, 9), received_until=at(3, 5, 9))) == [
        2,
        6,
    ]
    assert ns(filters=ComplaintFilter(received_until=at(3, 1, 9))) == [7]
    assert ns(filters=ComplaintFilter(channel="email", severity=1)) == []


@pytest.mark.parametrize("size", [1, 2, 7])
def test_paging_lists_every_complaint_exactly_once(
    services: Services, clock: Clock, view: ProjectionRunner, size: int
) -> None:
    store, k = built(services, clock, view)
    everything = _all(store)
    paged = _all(store, size)
    assert paged == everything
    assert len({i["id"] for i in paged}) == len(paged) == 7
    of_b = _all(store, size, customer_id=str(k["B"]))
    assert [i["id"] for i in of_b] == [str(k[6]), str(k[3]), str(k[4])]


def test_incremental_equals_rebuilt(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    history(services, clock, checkpoint=view.catch_up)
    view.catch_up()
    store = view.store(NAME)
    incremental = store.read("SELECT * FROM complaint_rows ORDER BY id")
    assert len(incremental) == 7

    assert view.rebuild(NAME) > 0
    assert store.read("SELECT * FROM complaint_rows ORDER BY id") == incremental
    assert store.position("complaints") == services.complaints.recorder.max_notification_id()
