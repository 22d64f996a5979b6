"""The Complaints application on the real stores: handling, the clock, guards, snapshots."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from application.base import SNAPSHOT_INTERVAL
from application.complaints import Complaints
from application.errors import (
    AggregateNotFound,
    IdempotencyKeyReused,
    ReferencedAggregateNotFound,
    VersionMismatch,
)
from application.services import Services
from application.store import StoreConfig
from domain.complaint import (
    Complaint,
    ComplaintClosed,
    ComplaintNotResponded,
    ComplaintStatus,
    ComplaintWithdrawn,
    ReopenWindowExpired,
    RootCauseRequired,
)
from domain.errors import DomainError, FourEyesViolation
from domain.money import AmountNegative
from domain.vocabulary import ComplaintCategory, Department, RootCause, ServiceChannel
from tests.application.support import (
    AGENT,
    MANAGER,
    OTHER_AGENT,
    as_,
    investigating,
    open_services,
    propose,
    receive,
    register,
    replayed,
    state_of,
)
from tests.support.clock import T0, Clock
from tests.support.refusals import stored_event_count


def close_resolved(services: Services, severity: int = 3) -> Any:
    """A complaint handled to the end; returns its id once closed."""
    complaints = services.complaints
    complaint_id = investigating(services, severity)
    propose(services, complaint_id)
    if severity <= 2:
        complaints.approve_resolution(complaint_id, ctx=as_(MANAGER))
    complaints.respond_to_complaint(complaint_id, message="new parcel ships", ctx=as_(AGENT))
    complaints.record_customer_decision(complaint_id, accepted=True, ctx=as_(AGENT))
    complaints.close_complaint(complaint_id, knowledge_article="KB-42", ctx=as_(AGENT))
    return complaint_id


def test_complaint_for_an_unknown_customer_is_refused(services: Services) -> None:
    register(services)

    with pytest.raises(ReferencedAggregateNotFound) as raised:
        receive(services, uuid4())

    assert raised.value.field == "customer_id"
    assert raised.value.slug == "referenced-resource-not-found"
    assert stored_event_count(services.complaints) == 0


def test_complaint_is_received_for_a_known_customer(services: Services, clock: Clock) -> None:
    customer_id = register(services)

    result = services.complaints.receive_complaint(
        customer_id=customer_id,
        channel=ServiceChannel.EMAIL,
        category=ComplaintCategory.BILLING,
        description="charged twice",
        ctx=as_(AGENT, request_id="req-receive"),
    )

    complaint = services.complaints.get_complaint(result.id)
    assert (result.created, result.version) == (True, 1)
    assert result.position.startswith("complaints:")
    assert complaint.customer_id == customer_id
    assert complaint.received_at == T0
    assert complaint.status == ComplaintStatus.RECEIVED
    (received,) = services.complaints.history(result.id, Complaint)
    assert received.type == "Received"
    assert received.metadata == {
        "principal": "cs.li",
        "roles": ["customer_service"],
        "request_id": "req-receive",
        "command": "receive_complaint",
        "on_behalf_of": None,
    }
    assert received.payload["category"] == ComplaintCategory.BILLING


def test_full_handling_records_every_step_with_its_actor(
    services: Services, store_config: StoreConfig, clock: Clock
) -> None:
    complaints = services.complaints
    complaint_id = receive(services, register(services))
    clock.advance(minutes=20)
    complaints.acknowledge_complaint(complaint_id, message="on it", ctx=as_(AGENT))
    complaints.assess_complaint(
        complaint_id,
        severity=1,
        department=Department.CUSTOMER_SERVICE,
        assignee="cs.wang",
        ctx=as_(OTHER_AGENT),
    )
    complaints.propose_resolution(
        complaint_id,
        root_cause=RootCause.PRODUCT_DEFECT,
        analysis="batch 7 hinges",
        plan="replace and refund shipping",
        compensation=Decimal("35.50"),
        ctx=as_(OTHER_AGENT),
    )
    complaints.approve_resolution(complaint_id, ctx=as_(MANAGER, request_id="req-approve"))
    clock.advance(hours=5)
    complaints.respond_to_complaint(complaint_id, message="replacement ships", ctx=as_(AGENT))
    clock.advance(hours=1)
    complaints.record_customer_decision(complaint_id, accepted=True, ctx=as_(AGENT))
    clock.advance(days=2)
    complaints.close_complaint(
        complaint_id, note="asked for opinion", knowledge_article="KB-7", ctx=as_(AGENT)
    )

    history = complaints.history(complaint_id, Complaint)
    assert [(e.type, e.metadata["command"], e.metadata["principal"]) for e in history] == [
        ("Received", "receive_complaint", "cs.li"),
        ("Acknowledged", "acknowledge_complaint", "cs.li"),
        ("Assessed", "assess_complaint", "cs.wang"),
        ("ResolutionProposed", "propose_resolution", "cs.wang"),
        ("ResolutionApproved", "approve_resolution", "mgr.zhao"),
        ("Responded", "respond_to_complaint", "cs.li"),
        ("CustomerAccepted", "record_customer_decision", "cs.li"),
        ("Closed", "close_complaint", "cs.li"),
    ]
    assert [e.version for e in history] == list(range(1, 9))
    assert history[4].metadata["roles"] == ["customer_service", "management"]
    assert history[4].metadata["request_id"] == "req-approve"
    assert history[3].payload["compensation"] == Decimal("35.50")
    assert history[3].payload["root_cause"] == RootCause.PRODUCT_DEFECT

    reopened = open_services(store_config)
    try:
        complaint = reopened.complaints.get_complaint(complaint_id)
    finally:
        reopened.close()
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.acknowledged_at == T0 + timedelta(minutes=20)
    assert complaint.first_response_due == T0 + timedelta(hours=1)
    assert complaint.resolution_due == T0 + timedelta(hours=24)
    assert complaint.proposal is not None
    assert complaint.proposal["proposed_by"] == "cs.wang"
    assert complaint.approved_by == "mgr.zhao"
    assert complaint.responded_at == T0 + timedelta(hours=5, minutes=20)
    assert complaint.closed_at == T0 + timedelta(days=2, hours=6, minutes=20)
    assert complaint.knowledge_article == "KB-7"
    assert state_of(complaint) == state_of(replayed(complaints, complaint_id))


@pytest.mark.parametrize(
    ("severity", "respond_within", "resolve_within"),
    [
        (1, timedelta(hours=1), timedelta(hours=24)),
        (4, timedelta(hours=24), timedelta(days=10)),
    ],
)
def test_due_times_run_from_receipt_on_the_application_clock(
    services: Services,
    clock: Clock,
    severity: int,
    respond_within: timedelta,
    resolve_within: timedelta,
) -> None:
    complaint_id = receive(services, register(services))
    clock.advance(hours=3)

    services.complaints.assess_complaint(
        complaint_id,
        severity=severity,
        department=Department.SALES,
        assignee="s.chen",
        ctx=as_(AGENT),
    )

    complaint = services.complaints.get_complaint(complaint_id)
    assert complaint.first_response_due == T0 + respond_within
    assert complaint.resolution_due == T0 + resolve_within


def test_proposer_cannot_approve_but_another_agent_can(services: Services) -> None:
    complaints = services.complaints
    complaint_id = investigating(services, severity=2)
    propose(services, complaint_id, actor=AGENT)
    history = complaints.history(complaint_id, Complaint)

    with pytest.raises(FourEyesViolation):
        complaints.approve_resolution(complaint_id, ctx=as_(AGENT))

    assert complaints.history(complaint_id, Complaint) == history
    complaints.approve_resolution(complaint_id, ctx=as_(OTHER_AGENT))
    assert complaints.get_complaint(complaint_id).approved_by == "cs.wang"


def test_rejection_escalates_and_is_read_back(services: Services) -> None:
    complaints = services.complaints
    complaint_id = investigating(services, severity=3)
    propose(services, complaint_id)
    complaints.respond_to_complaint(complaint_id, message="refund", ctx=as_(AGENT))

    complaints.record_customer_decision(
        complaint_id, accepted=False, comment="not enough", ctx=as_(AGENT)
    )

    complaint = complaints.get_complaint(complaint_id)
    assert complaint.status == ComplaintStatus.INVESTIGATING
    assert complaint.escalation_level == 1
    assert complaint.proposal is None


def test_reopen_window_is_counted_on_the_application_clock(
    services: Services, clock: Clock
) -> None:
    complaints = services.complaints
    in_time = close_resolved(services)
    too_late = close_resolved(services)
    closed_at = complaints.get_complaint(in_time).closed_at
    assert closed_at == T0

    clock.advance(days=30)
    complaints.reopen_complaint(in_time, reason="broke again", ctx=as_(AGENT))
    clock.advance(seconds=1)
    history = complaints.history(too_late, Complaint)
    with pytest.raises(ReopenWindowExpired):
        complaints.reopen_complaint(too_late, reason="broke again", ctx=as_(AGENT))

    reopened = complaints.get_complaint(in_time)
    assert (reopened.status, reopened.reopen_count) == (ComplaintStatus.INVESTIGATING, 1)
    assert complaints.history(too_late, Complaint) == history
    assert complaints.get_complaint(too_late).status == ComplaintStatus.CLOSED


def test_waiting_on_the_customer_moves_the_resolution_due_time(
    services: Services, clock: Clock
) -> None:
    complaints = services.complaints
    complaint_id = investigating(services, severity=2)
    clock.advance(hours=1)
    complaints.wait_for_customer(complaint_id, reason="photos requested", ctx=as_(AGENT))
    assert complaints.get_complaint(complaint_id).status == ComplaintStatus.PENDING_CUSTOMER
    clock.advance(hours=5, minutes=30)

    complaints.resume_complaint(complaint_id, ctx=as_(AGENT))

    complaint = complaints.get_complaint(complaint_id)
    assert complaint.status == ComplaintStatus.INVESTIGATING
    assert complaint.paused_seconds == 5.5 * 3600
    assert complaint.effective_resolution_due == T0 + timedelta(hours=72 + 5.5)


def test_get_at_a_version_and_as_of_a_moment_read_the_past(services: Services) -> None:
    complaints = services.complaints
    complaint_id = receive(services, register(services))
    time.sleep(0.002)
    after_receipt = datetime.now(UTC)
    time.sleep(0.002)
    complaints.acknowledge_complaint(complaint_id, ctx=as_(AGENT))
    complaints.assess_complaint(
        complaint_id, severity=3, department=Department.SALES, assignee="s.chen", ctx=as_(AGENT)
    )
    time.sleep(0.002)
    after_assessment = datetime.now(UTC)
    time.sleep(0.002)
    complaints.withdraw_complaint(complaint_id, reason="found it", ctx=as_(AGENT))

    assert complaints.get_complaint(complaint_id, version=1).status == ComplaintStatus.RECEIVED
    assert complaints.get_complaint(complaint_id, version=2).status == ComplaintStatus.ACKNOWLEDGED
    assert complaints.get_complaint(complaint_id, version=3).severity == 3
    assert complaints.get_complaint(complaint_id).status == ComplaintStatus.WITHDRAWN
    as_received = complaints.complaint_as_of(complaint_id, after_receipt)
    as_assessed = complaints.complaint_as_of(complaint_id, after_assessment)
    assert (as_received.version, as_received.status) == (1, ComplaintStatus.RECEIVED)
    assert (as_assessed.version, as_assessed.status) == (3, ComplaintStatus.INVESTIGATING)
    with pytest.raises(AggregateNotFound):
        complaints.complaint_as_of(complaint_id, after_receipt - timedelta(seconds=5))
    with pytest.raises(AggregateNotFound):
        complaints.get_complaint(complaint_id, version=5)


REFUSALS: list[Any] = [
    pytest.param(
        lambda app, cid: app.propose_resolution(
            cid, root_cause=None, plan="refund", ctx=as_(AGENT)
        ),
        RootCauseRequired,
        id="no-root-cause",
    ),
    pytest.param(
        lambda app, cid: app.propose_resolution(
            cid,
            root_cause=RootCause.OTHER,
            plan="refund",
            compensation=Decimal("-1.00"),
            ctx=as_(AGENT),
        ),
        AmountNegative,
        id="negative-compensation",
    ),
    pytest.param(
        lambda app, cid: app.close_complaint(cid, ctx=as_(AGENT)),
        ComplaintNotResponded,
        id="close-without-response",
    ),
    pytest.param(
        lambda app, cid: app.record_customer_decision(cid, accepted=True, ctx=as_(AGENT)),
        ComplaintNotResponded,
        id="decision-without-response",
    ),
]


@pytest.mark.parametrize(("act", "error"), REFUSALS)
def test_refused_command_leaves_the_stored_history_unchanged(
    services: Services, act: Callable[[Complaints, Any], Any], error: type[DomainError]
) -> None:
    complaints = services.complaints
    complaint_id = investigating(services)
    before = complaints.history(complaint_id, Complaint)
    count = stored_event_count(complaints)

    with pytest.raises(error):
        act(complaints, complaint_id)

    assert complaints.history(complaint_id, Complaint) == before
    assert stored_event_count(complaints) == count


WITHDRAWN_REFUSES: list[Any] = [
    pytest.param(lambda app, cid: app.acknowledge_complaint(cid, ctx=as_(AGENT)), id="ack"),
    pytest.param(
        lambda app, cid: app.assign_complaint(
            cid, department=Department.SALES, assignee="s", ctx=as_(AGENT)
        ),
        id="assign",
    ),
    pytest.param(lambda app, cid: propose_via(app, cid), id="propose"),
    pytest.param(
        lambda app, cid: app.reopen_complaint(cid, reason="r", ctx=as_(AGENT)), id="reopen"
    ),
    pytest.param(
        lambda app, cid: app.wait_for_customer(cid, reason="r", ctx=as_(AGENT)), id="wait"
    ),
    pytest.param(
        lambda app, cid: app.withdraw_complaint(cid, reason="r", ctx=as_(AGENT)), id="again"
    ),
]


def propose_via(complaints: Complaints, complaint_id: Any) -> Any:
    return complaints.propose_resolution(
        complaint_id, root_cause=RootCause.OTHER, plan="p", ctx=as_(AGENT)
    )


@pytest.mark.parametrize("act", WITHDRAWN_REFUSES)
def test_withdrawn_complaint_refuses_commands_and_stores_nothing(
    services: Services, act: Callable[[Complaints, Any], Any]
) -> None:
    complaints = services.complaints
    complaint_id = investigating(services)
    complaints.withdraw_complaint(complaint_id, reason="solved elsewhere", ctx=as_(AGENT))
    history = complaints.history(complaint_id, Complaint)

    with pytest.raises(ComplaintWithdrawn):
        act(complaints, complaint_id)

    assert complaints.history(complaint_id, Complaint) == history


def test_closed_complaint_refuses_edits_through_the_application(services: Services) -> None:
    complaints = services.complaints
    complaint_id = close_resolved(services)
    history = complaints.history(complaint_id, Complaint)

    with pytest.raises(ComplaintClosed):
        complaints.assign_complaint(
            complaint_id, department=Department.SALES, assignee="s", ctx=as_(AGENT)
        )

    assert complaints.history(complaint_id, Complaint) == history


def test_if_match_with_a_stale_version_is_refused(services: Services) -> None:
    complaints = services.complaints
    complaint_id = investigating(services)
    history = complaints.history(complaint_id, Complaint)

    with pytest.raises(VersionMismatch) as raised:
        complaints.assign_complaint(
            complaint_id,
            department=Department.SALES,
            assignee="s.chen",
            ctx=as_(AGENT, expected_version=2),
        )

    assert raised.value.current_version == 3
    assert complaints.history(complaint_id, Complaint) == history
    result = complaints.assign_complaint(
        complaint_id,
        department=Department.SALES,
        assignee="s.chen",
        ctx=as_(AGENT, expected_version=3),
    )
    assert result.version == 4


def test_unknown_complaint_is_not_found(services: Services) -> None:
    complaints = services.complaints
    unknown = uuid4()
    customer_id = register(services)

    with pytest.raises(AggregateNotFound):
        complaints.get_complaint(unknown)
    with pytest.raises(AggregateNotFound):
        complaints.acknowledge_complaint(unknown, ctx=as_(AGENT))
    with pytest.raises(AggregateNotFound):
        complaints.history(unknown, Complaint)
    # A customer's id names no complaint.
    with pytest.raises(AggregateNotFound):
        complaints.acknowledge_complaint(customer_id, ctx=as_(AGENT))
    assert stored_event_count(complaints) == 0


def test_repeated_receipt_with_the_same_key_files_one_complaint(services: Services) -> None:
    complaints = services.complaints
    customer_id = register(services)

    first = receive(services, customer_id, ctx=as_(AGENT, key="call-1"))
    again = receive(services, customer_id, ctx=as_(AGENT, key="call-1"))
    with pytest.raises(IdempotencyKeyReused):
        receive(services, customer_id, ctx=as_(AGENT, key="call-1", fingerprint="other"))

    assert again == first
    assert stored_event_count(complaints) == 1


def test_repeated_acknowledgement_with_the_same_key_answers_the_same(services: Services) -> None:
    complaints = services.complaints
    complaint_id = receive(services, register(services))

    first = complaints.acknowledge_complaint(complaint_id, ctx=as_(AGENT, key="ack-1"))
    again = complaints.acknowledge_complaint(complaint_id, ctx=as_(AGENT, key="ack-1"))

    assert again == first
    assert first.version == 2
    assert len(complaints.history(complaint_id, Complaint)) == 2


def test_long_history_loads_through_snapshots_to_the_same_state(
    services: Services, store_config: StoreConfig, clock: Clock
) -> None:
    complaints = services.complaints
    complaint_id = investigating(services, severity=2)
    propose(services, complaint_id)
    # 27 pauses and resumes while the proposal waits: 2 events each.
    for _ in range(27):
        clock.advance(minutes=10)
        complaints.wait_for_customer(complaint_id, reason="call back", ctx=as_(AGENT))
        clock.advance(minutes=20)
        complaints.resume_complaint(complaint_id, ctx=as_(AGENT))
    complaints.approve_resolution(complaint_id, ctx=as_(MANAGER))
    final_version = 4 + 54 + 1
    assert final_version > SNAPSHOT_INTERVAL

    assert complaints.snapshots is not None
    snapshots = list(complaints.snapshots.get(complaint_id))
    assert [s.originator_version for s in snapshots] == [SNAPSHOT_INTERVAL]
    from_snapshot = snapshots[0].mutate(None)  # type: ignore[attr-defined]
    assert state_of(from_snapshot) == state_of(
        replayed(complaints, complaint_id, SNAPSHOT_INTERVAL)
    )

    reopened = open_services(store_config)
    try:
        loaded = reopened.complaints.get_complaint(complaint_id)
        at_51 = reopened.complaints.get_complaint(complaint_id, version=51)
    finally:
        reopened.close()
    assert loaded.version == final_version
    assert state_of(loaded) == state_of(replayed(complaints, complaint_id))
    assert state_of(at_51) == state_of(replayed(complaints, complaint_id, 51))
    assert loaded.status == ComplaintStatus.RESOLUTION_PROPOSED
    assert loaded.paused_seconds == 27 * 20 * 60
    assert loaded.proposal is not None
    assert loaded.proposal["compensation"] == Decimal("20.00")
    assert loaded.proposal["root_cause"] == RootCause.THIRD_PARTY
    assert loaded.approved_by == "mgr.zhao"
    assert loaded.effective_resolution_due == T0 + timedelta(hours=72 + 9)
