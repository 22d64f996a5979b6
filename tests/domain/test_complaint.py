"""Complaint rules (docs/domain.md §5.1-§5.2)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.complaint import (
    REOPEN_WINDOW,
    SERVICE_LEVELS,
    UNTRIAGED_SEVERITY,
    ApprovalNotRequired,
    Complaint,
    ComplaintAlreadyAcknowledged,
    ComplaintAlreadyAssessed,
    ComplaintClosed,
    ComplaintNotAssessed,
    ComplaintNotClosed,
    ComplaintNotInvestigating,
    ComplaintNotPausable,
    ComplaintNotPaused,
    ComplaintNotResolved,
    ComplaintNotResponded,
    ComplaintStatus,
    ComplaintWithdrawn,
    FinalDecisionByHandler,
    NoResolutionProposed,
    ReopenWindowExpired,
    ResolutionAlreadyApproved,
    ResolutionNotApproved,
    RootCauseRequired,
    SeverityOutOfRange,
    SeverityUnchanged,
)
from domain.errors import DomainError, FourEyesViolation, NotPermitted
from domain.money import AmountNegative, InvalidMoneyAmount
from domain.vocabulary import ComplaintCategory, Department, RootCause, ServiceChannel
from tests.domain.support import assert_refused, assert_replays_to_same_state, settled, words

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
CUSTOMER = UUID("00000000-0000-4000-8000-000000000001")
PROPOSER = "cs.li"
APPROVER = "mgr.zhao"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def received() -> Complaint:
    return settled(
        Complaint(
            customer_id=CUSTOMER,
            channel=ServiceChannel.ONLINE_CHAT,
            category=ComplaintCategory.DELIVERY,
            description="parcel arrived broken",
            remedy_sought="replacement",
            received_at=T0,
        )
    )


def acknowledged() -> Complaint:
    complaint = received()
    complaint.acknowledge("we are on it", at(0.5))
    return settled(complaint)


def investigating(severity: int = 3) -> Complaint:
    complaint = acknowledged()
    complaint.assess(severity, Department.CUSTOMER_SERVICE, "cs.wang")
    return settled(complaint)


def propose(complaint: Complaint, compensation: Decimal | None = None) -> None:
    complaint.propose_resolution(
        RootCause.THIRD_PARTY, "courier dropped it", "send a new one", compensation, PROPOSER
    )


def proposed(severity: int = 3) -> Complaint:
    complaint = investigating(severity)
    propose(complaint, Decimal("20.00"))
    return settled(complaint)


def approved(severity: int = 1) -> Complaint:
    complaint = proposed(severity)
    complaint.approve_resolution(APPROVER)
    return settled(complaint)


def responded(severity: int = 3) -> Complaint:
    complaint = approved(severity) if severity <= 2 else proposed(severity)
    complaint.respond("a new parcel ships today", at(3), PROPOSER)
    return settled(complaint)


def resolved(severity: int = 3) -> Complaint:
    complaint = responded(severity)
    complaint.record_customer_decision(True, "thanks", at(4))
    return settled(complaint)


CLOSED_AT = at(5)


def closed(severity: int = 3) -> Complaint:
    complaint = resolved(severity)
    complaint.close("customer satisfied", "KB-42", CLOSED_AT)
    return settled(complaint)


def paused() -> Complaint:
    complaint = investigating()
    complaint.wait_for_customer("photos of the damage requested", at(1))
    return settled(complaint)


def withdrawn() -> Complaint:
    complaint = investigating()
    complaint.withdraw("customer found the parcel", at(1))
    return settled(complaint)


def event_names(complaint: Complaint) -> list[str]:
    return [type(e).__name__ for e in complaint.pending_events]


# Every command, for "refuses everything" checks.
ALL_COMMANDS: list[Any] = [
    pytest.param(lambda c: c.acknowledge("hello", at(6)), id="acknowledge"),
    pytest.param(lambda c: c.assess(2, Department.SALES, "s.chen"), id="assess"),
    pytest.param(lambda c: c.reassess(1, "worse than it looked"), id="reassess"),
    pytest.param(lambda c: c.assign(Department.SALES, "s.chen"), id="assign"),
    pytest.param(
        lambda c: c.propose_resolution(RootCause.OTHER, "a", "p", None, "x"), id="propose"
    ),
    pytest.param(lambda c: c.approve_resolution("boss"), id="approve"),
    pytest.param(lambda c: c.respond("m", at(6), PROPOSER), id="respond"),
    pytest.param(lambda c: c.record_customer_decision(True, None, at(6)), id="accept"),
    pytest.param(lambda c: c.record_customer_decision(False, None, at(6)), id="reject"),
    pytest.param(lambda c: c.record_final_decision("final", at(6), APPROVER), id="final_decision"),
    pytest.param(lambda c: c.close(None, None, at(6)), id="close"),
    pytest.param(lambda c: c.wait_for_customer("r", at(6)), id="wait_for_customer"),
    pytest.param(lambda c: c.resume(at(6)), id="resume"),
    pytest.param(lambda c: c.withdraw("r", at(6)), id="withdraw"),
]


# Receipt and first response.


def test_received_complaint_waits_for_a_first_response() -> None:
    complaint = Complaint(
        customer_id=CUSTOMER,
        channel=ServiceChannel.PHONE,
        category=ComplaintCategory.BILLING,
        description="charged twice",
        remedy_sought=None,
        received_at=T0,
    )

    assert event_names(complaint) == ["Received"]
    assert complaint.status == ComplaintStatus.RECEIVED
    assert complaint.customer_id == CUSTOMER
    assert complaint.received_at == T0
    assert complaint.acknowledged_at is None
    assert complaint.severity is None
    # The SLA runs from receipt: until triage, by the severity-3 targets.
    assert complaint.first_response_due == T0 + timedelta(hours=8)
    assert complaint.effective_resolution_due == T0 + timedelta(days=5)


def test_acknowledgement_records_the_first_response() -> None:
    complaint = received()

    complaint.acknowledge("we are looking into it", at(0.25))

    assert complaint.status == ComplaintStatus.ACKNOWLEDGED
    assert complaint.acknowledged_at == at(0.25)
    assert event_names(complaint) == ["Acknowledged"]


def test_cannot_acknowledge_twice() -> None:
    complaint = acknowledged()

    error = assert_refused(
        complaint, ComplaintAlreadyAcknowledged, lambda c: c.acknowledge("again", at(1))
    )

    assert error.slug == "complaint-already-acknowledged"


# Assessment and the service levels (§5.1).


@pytest.mark.parametrize(
    ("severity", "respond_within", "resolve_within"),
    [
        (1, timedelta(hours=1), timedelta(hours=24)),
        (2, timedelta(hours=4), timedelta(hours=72)),
        (3, timedelta(hours=8), timedelta(days=5)),
        (4, timedelta(hours=24), timedelta(days=10)),
    ],
)
def test_assessment_sets_due_times_from_the_service_levels(
    severity: int, respond_within: timedelta, resolve_within: timedelta
) -> None:
    complaint = acknowledged()

    complaint.assess(severity, Department.SALES, "s.chen")

    level = SERVICE_LEVELS[severity]
    assert (level.first_response, level.resolution) == (respond_within, resolve_within)
    # Due times run from receipt, not from the assessment.
    assert complaint.first_response_due == T0 + respond_within
    assert complaint.resolution_due == T0 + resolve_within
    assert complaint.effective_resolution_due == T0 + resolve_within
    assert complaint.severity == severity
    assert (complaint.department, complaint.assignee) == (Department.SALES, "s.chen")
    assert complaint.status == ComplaintStatus.INVESTIGATING


def test_triage_before_the_first_response_waits_for_it() -> None:
    complaint = received()

    complaint.assess(2, Department.CUSTOMER_SERVICE, "cs.wang")
    assert complaint.status == ComplaintStatus.RECEIVED

    complaint.acknowledge("on it", at(1))
    assert complaint.status == ComplaintStatus.INVESTIGATING


@pytest.mark.parametrize("severity", [0, 5, -1, 10])
def test_severity_runs_from_1_to_4(severity: int) -> None:
    complaint = acknowledged()

    error = assert_refused(
        complaint,
        SeverityOutOfRange,
        lambda c: c.assess(severity, Department.CUSTOMER_SERVICE, "cs.wang"),
    )

    assert error.slug == "severity-out-of-range"
    assert error.fields == ("severity",)


def test_cannot_assess_twice() -> None:
    complaint = investigating(3)

    assert_refused(
        complaint,
        ComplaintAlreadyAssessed,
        lambda c: c.assess(1, Department.CUSTOMER_SERVICE, "cs.wang"),
    )


def test_cannot_assign_before_severity() -> None:
    complaint = acknowledged()

    error = assert_refused(
        complaint, ComplaintNotAssessed, lambda c: c.assign(Department.TECHNOLOGY, "t.sun")
    )

    assert error.slug == "complaint-not-assessed"


def test_assigning_moves_the_complaint_to_another_owner() -> None:
    complaint = investigating(3)
    due = (complaint.first_response_due, complaint.resolution_due)

    complaint.assign(Department.TECHNOLOGY, "t.sun")

    assert (complaint.department, complaint.assignee) == (Department.TECHNOLOGY, "t.sun")
    assert (complaint.first_response_due, complaint.resolution_due) == due
    assert complaint.severity == 3


def test_assessing_while_paused_keeps_the_pause() -> None:
    complaint = acknowledged()
    complaint.wait_for_customer("order number requested", at(1))

    complaint.assess(3, Department.CUSTOMER_SERVICE, "cs.wang")

    assert complaint.status == ComplaintStatus.PENDING_CUSTOMER
    complaint.resume(at(3))
    assert complaint.status == ComplaintStatus.INVESTIGATING
    assert complaint.effective_resolution_due == T0 + timedelta(days=5, hours=2)


# Resolution proposal (§5.2.2).


def test_proposal_records_root_cause_plan_and_compensation() -> None:
    complaint = investigating(3)

    complaint.propose_resolution(
        RootCause.PRODUCT_DEFECT, "hinge cracks", "refund", Decimal("12.5"), PROPOSER
    )

    assert complaint.status == ComplaintStatus.RESOLUTION_PROPOSED
    assert complaint.proposal is not None
    assert {k: words(v) for k, v in complaint.proposal.items()} == {
        "root_cause": RootCause.PRODUCT_DEFECT,
        "analysis": "hinge cracks",
        "plan": "refund",
        "compensation": Decimal("12.50"),
        "proposed_by": PROPOSER,
    }


@pytest.mark.parametrize("compensation", [None, Decimal("0"), Decimal("0.00")])
def test_proposal_without_compensation_or_with_zero_is_accepted(
    compensation: Decimal | None,
) -> None:
    complaint = investigating(3)

    propose(complaint, compensation)

    assert complaint.proposal is not None
    assert complaint.proposal["compensation"] == compensation


def test_cannot_propose_without_root_cause() -> None:
    complaint = investigating(3)

    error = assert_refused(
        complaint,
        RootCauseRequired,
        lambda c: c.propose_resolution(None, "no idea", "refund", None, PROPOSER),
    )

    assert error.slug == "root-cause-required"
    assert error.fields == ("root_cause",)


@pytest.mark.parametrize(
    "make",
    [received, acknowledged, proposed, paused, responded, resolved],
    ids=["received", "acknowledged-not-assessed", "proposed", "paused", "responded", "resolved"],
)
def test_cannot_propose_unless_investigating(make: Callable[[], Complaint]) -> None:
    complaint = make()

    assert_refused(complaint, ComplaintNotInvestigating, lambda c: propose(c))


@pytest.mark.parametrize("compensation", [20.0, 0.5])
def test_compensation_cannot_be_a_float(compensation: float) -> None:
    complaint = investigating(3)

    error = assert_refused(
        complaint,
        InvalidMoneyAmount,
        lambda c: propose(c, compensation),  # type: ignore[arg-type]
    )

    assert error.fields == ("compensation",)


@pytest.mark.parametrize("compensation", ["10.005", "0.001"])
def test_compensation_cannot_have_three_decimals(compensation: str) -> None:
    complaint = investigating(3)

    assert_refused(complaint, InvalidMoneyAmount, lambda c: propose(c, Decimal(compensation)))


@pytest.mark.parametrize("compensation", ["-0.01", "-50"])
def test_compensation_cannot_be_negative(compensation: str) -> None:
    complaint = investigating(3)

    error = assert_refused(complaint, AmountNegative, lambda c: propose(c, Decimal(compensation)))

    assert error.slug == "amount-negative"
    assert error.fields == ("compensation",)


# Approval of severity 1-2 plans: four eyes.


@pytest.mark.parametrize("severity", [1, 2])
def test_severe_plan_needs_approval_before_the_response(severity: int) -> None:
    complaint = proposed(severity)
    assert complaint.needs_approval

    error = assert_refused(
        complaint, ResolutionNotApproved, lambda c: c.respond("m", at(3), PROPOSER)
    )

    assert error.slug == "resolution-not-approved"


@pytest.mark.parametrize("severity", [1, 2])
def test_proposer_cannot_approve_their_own_plan(severity: int) -> None:
    complaint = proposed(severity)

    error = assert_refused(complaint, FourEyesViolation, lambda c: c.approve_resolution(PROPOSER))

    assert error.slug == "four-eyes-violation"
    assert isinstance(error, NotPermitted)


@pytest.mark.parametrize("severity", [1, 2])
def test_another_principal_approves_then_the_customer_is_answered(severity: int) -> None:
    complaint = proposed(severity)

    complaint.approve_resolution(APPROVER)
    complaint.respond("a new parcel ships today", at(3), PROPOSER)

    assert complaint.approved_by == APPROVER
    assert complaint.status == ComplaintStatus.RESPONDED
    assert complaint.responded_at == at(3)
    assert event_names(complaint) == ["ResolutionApproved", "Responded"]


def test_cannot_approve_twice() -> None:
    complaint = approved(1)

    assert_refused(complaint, ResolutionAlreadyApproved, lambda c: c.approve_resolution("ceo"))


@pytest.mark.parametrize("severity", [3, 4])
def test_plans_of_severity_3_and_4_need_no_approval(severity: int) -> None:
    complaint = proposed(severity)
    assert not complaint.needs_approval

    error = assert_refused(complaint, ApprovalNotRequired, lambda c: c.approve_resolution(APPROVER))
    complaint.respond("refund on its way", at(3), PROPOSER)

    assert error.slug == "approval-not-required"
    assert complaint.status == ComplaintStatus.RESPONDED
    assert complaint.approved_by is None


@pytest.mark.parametrize("make", [investigating, responded], ids=["investigating", "responded"])
def test_cannot_approve_without_a_pending_proposal(make: Callable[[], Complaint]) -> None:
    complaint = make()

    assert_refused(complaint, NoResolutionProposed, lambda c: c.approve_resolution(APPROVER))


@pytest.mark.parametrize("make", [investigating, responded], ids=["investigating", "responded"])
def test_cannot_respond_without_a_pending_proposal(make: Callable[[], Complaint]) -> None:
    complaint = make()

    assert_refused(complaint, NoResolutionProposed, lambda c: c.respond("m", at(6), PROPOSER))


# The customer's decision (§5.2.2-3).


def test_customer_accepting_resolves_the_complaint() -> None:
    complaint = responded()

    complaint.record_customer_decision(True, "fine", at(4))

    assert complaint.status == ComplaintStatus.RESOLVED
    assert complaint.resolved_at == at(4)
    assert complaint.escalation_level == 0


def test_customer_rejecting_escalates_and_reopens_the_investigation() -> None:
    complaint = responded(severity=2)

    complaint.record_customer_decision(False, "not enough", at(4))

    assert complaint.status == ComplaintStatus.INVESTIGATING
    assert complaint.escalation_level == 1
    assert complaint.proposal is None
    assert complaint.approved_by is None
    assert complaint.responded_at is None
    assert complaint.resolved_at is None


def test_second_rejection_escalates_again_and_the_new_plan_needs_new_approval() -> None:
    complaint = responded(severity=2)
    complaint.record_customer_decision(False, "not enough", at(4))
    propose(complaint, Decimal("50.00"))
    settled(complaint)

    assert_refused(complaint, ResolutionNotApproved, lambda c: c.respond("m", at(5), PROPOSER))
    complaint.approve_resolution(APPROVER)
    complaint.respond("more compensation", at(5), PROPOSER)
    complaint.record_customer_decision(False, "still not enough", at(6))

    assert complaint.escalation_level == 2
    assert complaint.status == ComplaintStatus.INVESTIGATING


@pytest.mark.parametrize(
    "make",
    [acknowledged, investigating, proposed],
    ids=["acknowledged", "investigating", "proposed"],
)
def test_cannot_record_a_decision_before_the_response(make: Callable[[], Complaint]) -> None:
    complaint = make()

    error = assert_refused(
        complaint, ComplaintNotResponded, lambda c: c.record_customer_decision(True, None, at(6))
    )
    assert_refused(
        complaint,
        ComplaintNotResponded,
        lambda c: c.record_final_decision("final", at(6), APPROVER),
    )

    assert error.slug == "complaint-not-responded"


def test_final_decision_resolves_without_the_customer_accepting() -> None:
    complaint = responded()

    complaint.record_final_decision("refund is final per policy", at(4), APPROVER)

    assert complaint.status == ComplaintStatus.RESOLVED
    assert words(complaint.final_decision) == "refund is final per policy"
    assert complaint.resolved_at == at(4)


# Closing (§5.2.3).


@pytest.mark.parametrize("make", [received, acknowledged, investigating, proposed, approved])
def test_cannot_close_without_response(make: Callable[[], Complaint]) -> None:
    complaint = make()

    error = assert_refused(complaint, ComplaintNotResponded, lambda c: c.close(None, None, at(6)))

    assert error.slug == "complaint-not-responded"


def test_cannot_close_without_acceptance_or_final_decision() -> None:
    complaint = responded()

    error = assert_refused(complaint, ComplaintNotResolved, lambda c: c.close(None, None, at(6)))

    assert error.slug == "complaint-not-resolved"


def test_cannot_close_after_the_customer_rejected() -> None:
    complaint = responded()
    complaint.record_customer_decision(False, "no", at(4))
    settled(complaint)

    assert_refused(complaint, ComplaintNotResponded, lambda c: c.close(None, None, at(6)))


@pytest.mark.parametrize("accepted", [True, False], ids=["accepted", "final-decision"])
def test_resolved_complaint_is_closed_with_a_knowledge_article(accepted: bool) -> None:
    complaint = responded()
    if accepted:
        complaint.record_customer_decision(True, None, at(4))
    else:
        complaint.record_final_decision("final", at(4), APPROVER)

    complaint.close("asked the customer's opinion", "KB-7", at(5))

    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.closed_at == at(5)
    assert complaint.knowledge_article == "KB-7"


@pytest.mark.parametrize("act", ALL_COMMANDS)
def test_closed_complaint_cannot_be_edited(act: Callable[[Complaint], Any]) -> None:
    complaint = closed()

    error = assert_refused(complaint, ComplaintClosed, act)

    assert error.slug == "complaint-closed"


# Reopening within 30 days of closing.


@pytest.mark.parametrize(
    "after",
    [timedelta(0), timedelta(days=1), timedelta(days=30) - timedelta(seconds=1), REOPEN_WINDOW],
    ids=["at-once", "next-day", "just-inside", "exactly-30-days"],
)
def test_closed_complaint_is_reopened_within_30_days(after: timedelta) -> None:
    complaint = closed(severity=1)

    complaint.reopen("the new parcel broke too", CLOSED_AT + after)

    assert complaint.status == ComplaintStatus.INVESTIGATING
    assert complaint.reopen_count == 1
    assert complaint.closed_at is None
    assert complaint.resolved_at is None
    assert complaint.responded_at is None
    assert complaint.proposal is None
    assert complaint.approved_by is None
    assert complaint.final_decision is None
    assert complaint.severity == 1


@pytest.mark.parametrize(
    "after",
    [timedelta(days=30, seconds=1), timedelta(days=31), timedelta(days=365)],
    ids=["30-days-and-a-second", "31-days", "a-year"],
)
def test_cannot_reopen_after_30_days(after: timedelta) -> None:
    complaint = closed()

    error = assert_refused(
        complaint, ReopenWindowExpired, lambda c: c.reopen("too late", CLOSED_AT + after)
    )

    assert error.slug == "reopen-window-expired"


@pytest.mark.parametrize("make", [received, investigating, responded, resolved, paused])
def test_only_a_closed_complaint_can_be_reopened(make: Callable[[], Complaint]) -> None:
    complaint = make()

    error = assert_refused(complaint, ComplaintNotClosed, lambda c: c.reopen("why", at(6)))

    assert error.slug == "complaint-not-closed"


def test_reopened_complaint_runs_the_cycle_again_with_a_fresh_window() -> None:
    complaint = closed(severity=2)
    complaint.reopen("broke again", CLOSED_AT + timedelta(days=20))
    propose(complaint, Decimal("100.00"))
    complaint.approve_resolution(APPROVER)
    complaint.respond("full refund", CLOSED_AT + timedelta(days=21), PROPOSER)
    complaint.record_customer_decision(True, None, CLOSED_AT + timedelta(days=22))
    second_close = CLOSED_AT + timedelta(days=23)
    complaint.close(None, None, second_close)
    settled(complaint)

    # 53 days after the first closing, but within 30 days of the second.
    complaint.reopen("again", second_close + timedelta(days=30))
    assert complaint.reopen_count == 2
    assert complaint.status == ComplaintStatus.INVESTIGATING


# Waiting on the customer pauses the SLA clock.


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (acknowledged, ComplaintStatus.ACKNOWLEDGED),
        (investigating, ComplaintStatus.INVESTIGATING),
        (proposed, ComplaintStatus.RESOLUTION_PROPOSED),
    ],
)
def test_pause_and_resume_return_to_the_same_step(
    make: Callable[[], Complaint], status: ComplaintStatus
) -> None:
    complaint = make()

    complaint.wait_for_customer("need photos", at(1))
    assert complaint.status == ComplaintStatus.PENDING_CUSTOMER
    assert complaint.paused_since == at(1)

    complaint.resume(at(3))
    assert complaint.status == status
    assert complaint.paused_since is None
    assert complaint.paused_seconds == 2 * 3600


def test_paused_time_moves_the_resolution_due_time() -> None:
    complaint = investigating(severity=1)
    assert complaint.effective_resolution_due == T0 + timedelta(hours=24)

    complaint.wait_for_customer("need photos", at(1))
    complaint.resume(at(3))
    complaint.wait_for_customer("need the receipt", at(4))
    complaint.resume(at(4.5))

    assert complaint.paused_seconds == 2.5 * 3600
    assert complaint.resolution_due == T0 + timedelta(hours=24)
    assert complaint.effective_resolution_due == T0 + timedelta(hours=26, minutes=30)
    assert complaint.first_response_due == T0 + timedelta(hours=1)


def test_withdrawing_while_paused_counts_the_time_waited() -> None:
    complaint = paused()  # waiting on the customer since at(1)

    complaint.withdraw("customer stopped answering", at(5))

    assert complaint.status == ComplaintStatus.WITHDRAWN
    assert complaint.paused_since is None
    assert complaint.paused_seconds == 4 * 3600


def test_time_paused_before_assessment_counts_too() -> None:
    complaint = acknowledged()
    complaint.wait_for_customer("which order?", at(1))
    complaint.resume(at(2))

    complaint.assess(4, Department.CUSTOMER_SERVICE, "cs.wang")

    assert complaint.effective_resolution_due == T0 + timedelta(days=10, hours=1)


@pytest.mark.parametrize("make", [received, paused, responded, resolved])
def test_cannot_pause_unless_acknowledged_investigating_or_proposed(
    make: Callable[[], Complaint],
) -> None:
    complaint = make()

    error = assert_refused(
        complaint, ComplaintNotPausable, lambda c: c.wait_for_customer("r", at(6))
    )

    assert error.slug == "complaint-not-pausable"


@pytest.mark.parametrize("make", [received, acknowledged, investigating, proposed, resolved])
def test_cannot_resume_unless_paused(make: Callable[[], Complaint]) -> None:
    complaint = make()

    assert_refused(complaint, ComplaintNotPaused, lambda c: c.resume(at(6)))


def test_paused_complaint_waits_for_resume_before_a_proposal() -> None:
    complaint = paused()

    assert_refused(complaint, ComplaintNotInvestigating, lambda c: propose(c))
    complaint.resume(at(2))
    propose(complaint)

    assert complaint.status == ComplaintStatus.RESOLUTION_PROPOSED


# Withdrawal.


@pytest.mark.parametrize(
    "make", [received, acknowledged, investigating, proposed, paused, resolved]
)
def test_open_complaint_can_be_withdrawn(make: Callable[[], Complaint]) -> None:
    complaint = make()

    complaint.withdraw("customer changed their mind", at(6))

    assert complaint.status == ComplaintStatus.WITHDRAWN


def test_closed_complaint_cannot_be_withdrawn() -> None:
    complaint = closed()

    assert_refused(complaint, ComplaintClosed, lambda c: c.withdraw("r", at(6)))


@pytest.mark.parametrize(
    "act", [*ALL_COMMANDS, pytest.param(lambda c: c.reopen("r", at(6)), id="reopen")]
)
def test_withdrawn_complaint_refuses_everything(act: Callable[[Complaint], Any]) -> None:
    complaint = withdrawn()

    error = assert_refused(complaint, ComplaintWithdrawn, act)

    assert error.slug == "complaint-withdrawn"


def test_every_refusal_is_a_domain_error_with_its_own_slug() -> None:
    errors = [
        SeverityOutOfRange,
        ComplaintWithdrawn,
        ComplaintClosed,
        ComplaintAlreadyAcknowledged,
        ComplaintAlreadyAssessed,
        ComplaintNotAssessed,
        ComplaintNotInvestigating,
        RootCauseRequired,
        NoResolutionProposed,
        ApprovalNotRequired,
        ResolutionAlreadyApproved,
        ResolutionNotApproved,
        ComplaintNotResponded,
        ComplaintNotResolved,
        ComplaintNotClosed,
        ReopenWindowExpired,
        ComplaintNotPausable,
        ComplaintNotPaused,
        SeverityUnchanged,
        FinalDecisionByHandler,
    ]

    assert all(issubclass(error, DomainError) for error in errors)
    assert len({error.slug for error in errors}) == len(errors)
    assert ComplaintNotAssessed.slug == "complaint-not-assessed"


# Controls that cannot be split around (DOMAIN "Complaints", issue 11).


def test_untriaged_severity_is_3() -> None:
    assert UNTRIAGED_SEVERITY == 3
    assert SERVICE_LEVELS[UNTRIAGED_SEVERITY].first_response == timedelta(hours=8)


def test_the_sla_of_an_untriaged_complaint_runs_from_receipt_by_severity_3() -> None:
    complaint = acknowledged()  # acknowledged at(0.5), not triaged
    complaint.wait_for_customer("which order?", at(1))
    complaint.resume(at(3))

    assert complaint.severity is None
    assert complaint.first_response_due == T0 + SERVICE_LEVELS[3].first_response
    assert complaint.effective_resolution_due == T0 + timedelta(days=5, hours=2)


@pytest.mark.parametrize(
    ("first", "second"), [(3, 1), (1, 4), (2, 3), (4, 2)], ids=["3to1", "1to4", "2to3", "4to2"]
)
def test_reassessment_regrades_and_due_times_follow_the_new_grade_from_receipt(
    first: int, second: int
) -> None:
    complaint = investigating(first)

    complaint.reassess(second, "the customer's account was locked too")

    assert event_names(complaint) == ["Reassessed"]
    (event,) = complaint.collect_events()
    assert (event.previous_severity, event.severity) == (first, second)  # type: ignore[attr-defined]
    assert words(event.reason) == "the customer's account was locked too"  # type: ignore[attr-defined]
    assert complaint.severity == second
    assert complaint.first_response_due == T0 + SERVICE_LEVELS[second].first_response
    assert complaint.resolution_due == T0 + SERVICE_LEVELS[second].resolution
    assert complaint.status == ComplaintStatus.INVESTIGATING


def test_reassessment_keeps_the_time_waited_on_the_customer() -> None:
    complaint = paused()  # severity 3, waiting since at(1)
    complaint.reassess(1, "data leak suspected")
    complaint.resume(at(3))

    assert complaint.status == ComplaintStatus.INVESTIGATING
    assert complaint.effective_resolution_due == T0 + timedelta(hours=24 + 2)


def test_a_regraded_severe_plan_needs_approval_before_the_response() -> None:
    complaint = proposed(severity=3)
    complaint.reassess(2, "a second customer is affected")

    assert_refused(complaint, ResolutionNotApproved, lambda c: c.respond("m", at(3), PROPOSER))
    complaint.approve_resolution(APPROVER)
    complaint.respond("m", at(3), PROPOSER)
    assert complaint.status == ComplaintStatus.RESPONDED


def test_reassessment_to_the_same_severity_is_refused() -> None:
    complaint = investigating(2)

    error = assert_refused(complaint, SeverityUnchanged, lambda c: c.reassess(2, "same"))

    assert error.slug == "severity-unchanged"
    assert error.fields == ("severity",)
    assert "severity 2" in error.detail


def test_reassessment_needs_an_assessment_first() -> None:
    complaint = acknowledged()

    error = assert_refused(complaint, ComplaintNotAssessed, lambda c: c.reassess(1, "why"))

    assert error.slug == "complaint-not-assessed"


@pytest.mark.parametrize("severity", [0, 5])
def test_reassessment_severity_runs_from_1_to_4(severity: int) -> None:
    assert_refused(investigating(), SeverityOutOfRange, lambda c: c.reassess(severity, "r"))


@pytest.mark.parametrize("after", [timedelta(0), timedelta(days=29)], ids=["at-once", "day-29"])
def test_reopened_complaint_gets_a_fresh_resolution_target_from_the_reopening(
    after: timedelta,
) -> None:
    complaint = closed(severity=2)  # resolution was due T0 + 72 h, closed at(5)
    reopened_at = CLOSED_AT + after

    complaint.reopen("broke again", reopened_at)

    (event,) = complaint.collect_events()
    assert event.resolution_due == reopened_at + timedelta(hours=72)  # type: ignore[attr-defined]
    assert complaint.effective_resolution_due == reopened_at + timedelta(hours=72)
    assert complaint.first_response_due == T0 + timedelta(hours=4)  # answered once, at receipt


def test_fresh_target_is_not_moved_by_pauses_before_the_reopening_but_by_later_ones() -> None:
    complaint = investigating(severity=1)
    complaint.wait_for_customer("photos", at(1))
    complaint.resume(at(3))  # 2 h waited before the first resolution
    propose(complaint)
    complaint.approve_resolution(APPROVER)
    complaint.respond("refund", at(4), PROPOSER)
    complaint.record_customer_decision(True, None, at(4))
    complaint.close(None, None, CLOSED_AT)
    reopened_at = CLOSED_AT + timedelta(days=2)
    complaint.reopen("no refund arrived", reopened_at)
    assert complaint.effective_resolution_due == reopened_at + timedelta(hours=24)

    complaint.wait_for_customer("bank statement", reopened_at + timedelta(hours=1))
    complaint.resume(reopened_at + timedelta(hours=4))

    assert complaint.effective_resolution_due == reopened_at + timedelta(hours=27)


def test_reassessing_a_reopened_complaint_moves_the_fresh_target() -> None:
    complaint = closed(severity=3)
    reopened_at = CLOSED_AT + timedelta(days=3)
    complaint.reopen("broke again", reopened_at)

    complaint.reassess(1, "the customer was hurt")

    assert complaint.effective_resolution_due == reopened_at + timedelta(hours=24)
    assert complaint.first_response_due == T0 + timedelta(hours=1)


@pytest.mark.parametrize(
    ("responder", "decider", "acts"),
    [
        (PROPOSER, PROPOSER, "proposed and responded"),
        ("cs.zhou", "cs.zhou", "responded"),
        ("cs.zhou", PROPOSER, "proposed"),
    ],
)
def test_final_decision_is_never_by_who_proposed_or_responded(
    responder: str, decider: str, acts: str
) -> None:
    complaint = proposed()  # proposed by PROPOSER
    complaint.respond("a new parcel ships today", at(3), responder)
    settled(complaint)

    error = assert_refused(
        complaint, FinalDecisionByHandler, lambda c: c.record_final_decision("x", at(4), decider)
    )

    assert isinstance(error, FourEyesViolation)
    assert error.slug == "final-decision-by-handler"
    assert error.detail.startswith(f"{decider} {acts} on complaint")


def test_final_decision_by_a_second_principal_is_recorded_with_who_took_it() -> None:
    complaint = responded()  # proposed and responded by cs.li

    complaint.record_final_decision("refund is final", at(4), "cs.zhou")

    assert complaint.status == ComplaintStatus.RESOLVED
    assert complaint.final_decision_by == "cs.zhou"
    assert complaint.responded_by == PROPOSER


def test_events_recorded_before_the_controls_still_replay() -> None:
    """Responded, FinalDecisionRecorded and Reopened as they were stored before
    issue 11, without the fields added since (Received never had due times)."""
    source = Complaint(
        customer_id=CUSTOMER,
        channel=ServiceChannel.PHONE,
        category=ComplaintCategory.BILLING,
        description="charged twice",
        remedy_sought=None,
        received_at=T0,
    )
    source.acknowledge("hi", at(0.5))
    source.assess(2, Department.CUSTOMER_SERVICE, "cs.wang")
    propose(source)
    source.approve_resolution(APPROVER)
    source.respond("m", at(3), PROPOSER)
    source.record_final_decision("final", at(4), APPROVER)
    source.close(None, None, CLOSED_AT)
    source.reopen("again", CLOSED_AT + timedelta(days=1))
    events = source.collect_events()
    dropped = {"Responded": "responded_by", "FinalDecisionRecorded": "decided_by"}
    dropped["Reopened"] = "resolution_due"
    old_events = []
    for event in events:
        state = dict(vars(event))
        state.pop(dropped.get(type(event).__name__, ""), None)
        old = object.__new__(type(event))
        object.__setattr__(old, "__dict__", state)
        old_events.append(old)

    replayed = functools.reduce(lambda a, e: e.mutate(a), old_events, None)

    assert replayed is not None
    assert replayed.first_response_due == T0 + timedelta(hours=4)
    assert replayed.responded_by is None and replayed.final_decision_by is None
    # An old reopening kept its original target, as it was recorded.
    assert replayed.effective_resolution_due == T0 + timedelta(hours=72)


# Replay.


def test_every_event_replays_to_the_same_state() -> None:
    complaint = Complaint(
        customer_id=uuid4(),
        channel=ServiceChannel.EMAIL,
        category=ComplaintCategory.PRODUCT_QUALITY,
        description="screen flickers",
        remedy_sought="repair",
        received_at=T0,
    )
    complaint.assess(2, Department.TECHNOLOGY, "t.sun")
    complaint.acknowledge("received", at(0.5))
    complaint.wait_for_customer("serial number?", at(1))
    complaint.resume(at(2.25))
    complaint.assign(Department.CUSTOMER_SERVICE, "cs.wang")
    propose(complaint, Decimal("30.00"))
    complaint.approve_resolution(APPROVER)
    complaint.respond("repair booked", at(5), PROPOSER)
    complaint.record_customer_decision(False, "want a new one", at(6))
    complaint.propose_resolution(
        RootCause.PRODUCT_DEFECT, "panel batch", "replace", Decimal("0.00"), "cs.wang"
    )
    complaint.wait_for_customer("address?", at(7))
    complaint.resume(at(8))
    complaint.approve_resolution(PROPOSER)
    complaint.respond("replacement ships", at(9), PROPOSER)
    complaint.record_customer_decision(True, "ok", at(10))
    complaint.close("asked", "KB-1", at(11))
    complaint.reopen("replacement flickers too", at(100))
    complaint.propose_resolution(RootCause.OTHER, "unknown", "refund", None, "cs.wang")
    complaint.approve_resolution(APPROVER)
    complaint.respond("refund", at(101), PROPOSER)
    complaint.record_final_decision("refund is final", at(102), "cs.zhou")
    complaint.close(None, None, at(103))
    complaint.reopen("and again", at(104))
    complaint.reassess(1, "a third failure")
    assert complaint.version == 25
    assert complaint.escalation_level == 1
    assert complaint.paused_seconds == 2.25 * 3600

    assert_replays_to_same_state(complaint)


def test_replay_of_a_withdrawn_complaint_gives_the_same_state() -> None:
    complaint = Complaint(
        customer_id=CUSTOMER,
        channel=ServiceChannel.SOCIAL_MEDIA,
        category=ComplaintCategory.PRIVACY,
        description="data shared",
        remedy_sought=None,
        received_at=T0,
    )
    complaint.acknowledge(None, at(0.1))
    complaint.wait_for_customer("which account?", at(1))
    complaint.withdraw("resolved elsewhere", at(2))
    assert complaint.status == ComplaintStatus.WITHDRAWN

    assert_replays_to_same_state(complaint)
