"""Complaint: the service system of §5.1 and the complaint handling of §5.2."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import FourEyesViolation, InvalidValue, RuleViolation
from domain.money import non_negative_money
from domain.personal import FreeText, PersonalText
from domain.vocabulary import ComplaintCategory, Department, RootCause, ServiceChannel


class ComplaintStatus(Enum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    RESOLUTION_PROPOSED = "resolution_proposed"
    RESPONDED = "responded"
    RESOLVED = "resolved"
    CLOSED = "closed"
    PENDING_CUSTOMER = "pending_customer"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ServiceLevel:
    """How fast a complaint of one severity must be answered and resolved."""

    first_response: timedelta
    resolution: timedelta


# The one severity table (1 = most severe). Due times run from receipt; time
# spent waiting on the customer (pending_customer) is added to the resolution due.
SERVICE_LEVELS: dict[int, ServiceLevel] = {
    1: ServiceLevel(first_response=timedelta(hours=1), resolution=timedelta(hours=24)),
    2: ServiceLevel(first_response=timedelta(hours=4), resolution=timedelta(hours=72)),
    3: ServiceLevel(first_response=timedelta(hours=8), resolution=timedelta(days=5)),
    4: ServiceLevel(first_response=timedelta(hours=24), resolution=timedelta(days=10)),
}
# Until triage the SLA runs by the severity-3 targets (DOMAIN "Controls that cannot
# be split around", Complaints; §5.2): first response 8 h and resolution 5 days from receipt.
UNTRIAGED_SEVERITY = 3
SEVERITIES_NEEDING_APPROVAL = frozenset({1, 2})
REOPEN_WINDOW = timedelta(days=30)
PAUSABLE = frozenset(
    {
        ComplaintStatus.ACKNOWLEDGED,
        ComplaintStatus.INVESTIGATING,
        ComplaintStatus.RESOLUTION_PROPOSED,
    }
)


def untriaged_due_times(received_at: datetime) -> tuple[datetime, datetime]:
    """First-response and resolution due times of a complaint not triaged yet."""
    level = SERVICE_LEVELS[UNTRIAGED_SEVERITY]
    return received_at + level.first_response, received_at + level.resolution


class SeverityOutOfRange(InvalidValue):
    slug = "severity-out-of-range"
    title = "Severity runs from 1 (most severe) to 4"


class ComplaintWithdrawn(RuleViolation):
    slug = "complaint-withdrawn"
    title = "The complaint was withdrawn: no command is accepted"


class ComplaintClosed(RuleViolation):
    slug = "complaint-closed"
    title = "The complaint is closed: it can only be reopened"


class ComplaintAlreadyAcknowledged(RuleViolation):
    slug = "complaint-already-acknowledged"
    title = "A complaint is acknowledged (first response) once"


class ComplaintAlreadyAssessed(RuleViolation):
    slug = "complaint-already-assessed"
    title = "The complaint's severity was assessed already; reassign it instead"


class ComplaintNotAssessed(RuleViolation):
    slug = "complaint-not-assessed"
    title = "The complaint needs a severity assessment first"


class ComplaintNotInvestigating(RuleViolation):
    slug = "complaint-not-investigating"
    title = "The command needs the complaint under investigation"


class SeverityUnchanged(RuleViolation):
    slug = "severity-unchanged"
    title = "A reassessment gives the complaint another severity than it has"


class FinalDecisionByHandler(FourEyesViolation):
    slug = "final-decision-by-handler"
    title = (
        "The final decision is taken by management or a second customer_service "
        "principal, never the one who proposed the resolution or responded"
    )


class RootCauseRequired(InvalidValue):
    slug = "root-cause-required"
    title = "A resolution proposal needs a root cause"


class NoResolutionProposed(RuleViolation):
    slug = "no-resolution-proposed"
    title = "There is no resolution proposal awaiting this step"


class ApprovalNotRequired(RuleViolation):
    slug = "approval-not-required"
    title = "Only severity 1-2 resolution plans need approval"


class ResolutionAlreadyApproved(RuleViolation):
    slug = "resolution-already-approved"
    title = "The resolution plan was approved already"


class ResolutionNotApproved(RuleViolation):
    slug = "resolution-not-approved"
    title = "A severity 1-2 resolution plan needs approval before the response"


class ComplaintNotResponded(RuleViolation):
    slug = "complaint-not-responded"
    title = "The decision must be communicated to the customer first"


class ComplaintNotResolved(RuleViolation):
    slug = "complaint-not-resolved"
    title = "Closing needs the customer's acceptance or a recorded final decision"


class ComplaintNotClosed(RuleViolation):
    slug = "complaint-not-closed"
    title = "Only a closed complaint can be reopened"


class ReopenWindowExpired(RuleViolation):
    slug = "reopen-window-expired"
    title = "A closed complaint can be reopened within 30 days of closing"


class ComplaintNotPausable(RuleViolation):
    slug = "complaint-not-pausable"
    title = "Only an acknowledged, investigated or proposed complaint can wait on the customer"


class ComplaintNotPaused(RuleViolation):
    slug = "complaint-not-paused"
    title = "The complaint is not waiting on the customer"


class Complaint(Aggregate):
    """A customer complaint, from receipt to closing (§5.2)."""

    # Set by events added later: snapshots taken before them lack these.
    responded_by: str | None = None
    final_decision_by: str | None = None
    sla_breaches: list[dict[str, Any]] | None = None

    @classmethod
    def receive(
        cls,
        *,
        customer_id: UUID,
        channel: ServiceChannel,
        category: ComplaintCategory,
        description: str,
        remedy_sought: str | None,
        received_at: datetime,
    ) -> Complaint:
        """A complaint as the customer made it; their words are sealed with their key."""
        return cls(
            customer_id=customer_id,
            channel=channel,
            category=category,
            description=PersonalText(subject=customer_id, text=description),
            remedy_sought=PersonalText.about(customer_id, remedy_sought),
            received_at=received_at,
        )

    @event("Received")
    def __init__(
        self,
        customer_id: UUID,
        channel: ServiceChannel,
        category: ComplaintCategory,
        description: FreeText,
        remedy_sought: FreeText | None,
        received_at: datetime,
    ) -> None:
        self.customer_id = customer_id
        self.channel = channel
        self.category = category
        self.description = description
        self.remedy_sought = remedy_sought
        self.received_at = received_at
        self.status = ComplaintStatus.RECEIVED
        self.acknowledged_at: datetime | None = None
        self.severity: int | None = None
        self.department: Department | None = None
        self.assignee: str | None = None
        # The SLA runs from receipt; until triage, by the severity-3 targets.
        first_response_due, resolution_due = untriaged_due_times(received_at)
        self.first_response_due: datetime | None = first_response_due
        self.resolution_due: datetime | None = resolution_due
        self.proposal: dict[str, Any] | None = None
        self.approved_by: str | None = None
        self.responded_at: datetime | None = None
        self.final_decision: FreeText | None = None
        self.resolved_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.knowledge_article: str | None = None
        self.escalation_level = 0
        self.reopen_count = 0
        self.paused_since: datetime | None = None
        self.paused_seconds = 0.0
        self.status_before_pause: ComplaintStatus | None = None

    # Every word written on a complaint is about its customer: sealed with their key.

    def _about(self, text: str) -> PersonalText:
        return PersonalText(subject=self.customer_id, text=text)

    def _maybe_about(self, text: str | None) -> PersonalText | None:
        return PersonalText.about(self.customer_id, text)

    # Checks shared by commands.

    def _check_open(self) -> None:
        if self.status == ComplaintStatus.WITHDRAWN:
            raise ComplaintWithdrawn(f"complaint {self.id} was withdrawn")
        if self.status == ComplaintStatus.CLOSED:
            raise ComplaintClosed(f"complaint {self.id} is closed")

    def _check_status(self, expected: ComplaintStatus, error: type[RuleViolation]) -> None:
        self._check_open()
        if self.status != expected:
            raise error(f"complaint {self.id} is {self.status.value}, not {expected.value}")

    # Commands.

    def acknowledge(self, message: str | None, at: datetime) -> None:
        self._check_open()
        if self.acknowledged_at is not None:
            raise ComplaintAlreadyAcknowledged(f"complaint {self.id} was acknowledged already")
        self._acknowledged(message=self._maybe_about(message), at=at)

    @event("Acknowledged")
    def _acknowledged(self, message: FreeText | None, at: datetime) -> None:
        self.acknowledged_at = at
        self.status = (
            ComplaintStatus.INVESTIGATING if self.severity else ComplaintStatus.ACKNOWLEDGED
        )

    def assess(self, severity: int, department: Department, assignee: str) -> None:
        """Set severity and owner; triage may come before or after the first response."""
        self._check_open()
        if severity not in SERVICE_LEVELS:
            raise SeverityOutOfRange(
                f"severity {severity} is not between 1 and 4", fields=("severity",)
            )
        if self.severity is not None:
            raise ComplaintAlreadyAssessed(f"complaint {self.id} has severity {self.severity}")
        level = SERVICE_LEVELS[severity]
        self._assessed(
            severity=severity,
            department=department,
            assignee=assignee,
            first_response_due=self.received_at + level.first_response,
            resolution_due=self.received_at + level.resolution,
        )

    @event("Assessed")
    def _assessed(
        self,
        severity: int,
        department: Department,
        assignee: str,
        first_response_due: datetime,
        resolution_due: datetime,
    ) -> None:
        self.severity = severity
        self.department = department
        self.assignee = assignee
        self.first_response_due = first_response_due
        self.resolution_due = resolution_due
        # Triage while waiting on the customer keeps the pause: investigation
        # starts when the clock resumes.
        if self.status == ComplaintStatus.ACKNOWLEDGED:
            self.status = ComplaintStatus.INVESTIGATING
        elif self.status_before_pause == ComplaintStatus.ACKNOWLEDGED:
            self.status_before_pause = ComplaintStatus.INVESTIGATING

    def reassess(self, severity: int, reason: str) -> None:
        """Re-grade an assessed, open complaint; its due times follow the new grade.

        The first response is due from receipt; the resolution from receipt, or
        from the last reopening (the resolution target that runs now).
        """
        self._check_open()
        if severity not in SERVICE_LEVELS:
            raise SeverityOutOfRange(
                f"severity {severity} is not between 1 and 4", fields=("severity",)
            )
        if self.severity is None:
            raise ComplaintNotAssessed(f"complaint {self.id} has no severity to reassess yet")
        if severity == self.severity:
            raise SeverityUnchanged(
                f"complaint {self.id} has severity {severity} already", fields=("severity",)
            )
        assert self.resolution_due is not None  # set at receipt, and by the assessment
        old, new = SERVICE_LEVELS[self.severity], SERVICE_LEVELS[severity]
        self._reassessed(
            previous_severity=self.severity,
            severity=severity,
            reason=self._about(reason),
            first_response_due=self.received_at + new.first_response,
            resolution_due=self.resolution_due - old.resolution + new.resolution,
        )

    @event("Reassessed")
    def _reassessed(
        self,
        previous_severity: int,
        severity: int,
        reason: FreeText,
        first_response_due: datetime,
        resolution_due: datetime,
    ) -> None:
        self.severity = severity
        self.first_response_due = first_response_due
        self.resolution_due = resolution_due

    def assign(self, department: Department, assignee: str) -> None:
        self._check_open()
        if self.severity is None:
            raise ComplaintNotAssessed(f"complaint {self.id} has no severity yet")
        self._assigned(department=department, assignee=assignee)

    @event("Assigned")
    def _assigned(self, department: Department, assignee: str) -> None:
        self.department = department
        self.assignee = assignee

    def propose_resolution(
        self,
        root_cause: RootCause | None,
        analysis: str | None,
        plan: str,
        compensation: Decimal | None,
        proposed_by: str,
    ) -> None:
        self._check_status(ComplaintStatus.INVESTIGATING, ComplaintNotInvestigating)
        if root_cause is None:
            raise RootCauseRequired("give the root cause code", fields=("root_cause",))
        if compensation is not None:
            compensation = non_negative_money(compensation, "compensation")
        self._resolution_proposed(
            root_cause=root_cause,
            analysis=self._maybe_about(analysis),
            plan=self._about(plan),
            compensation=compensation,
            proposed_by=proposed_by,
        )

    @event("ResolutionProposed")
    def _resolution_proposed(
        self,
        root_cause: RootCause,
        analysis: FreeText | None,
        plan: FreeText,
        compensation: Decimal | None,
        proposed_by: str,
    ) -> None:
        self.proposal = {
            "root_cause": root_cause,
            "analysis": analysis,
            "plan": plan,
            "compensation": compensation,
            "proposed_by": proposed_by,
        }
        self.approved_by = None
        self.status = ComplaintStatus.RESOLUTION_PROPOSED

    @property
    def needs_approval(self) -> bool:
        return self.severity in SEVERITIES_NEEDING_APPROVAL

    def approve_resolution(self, approver: str) -> None:
        self._check_status(ComplaintStatus.RESOLUTION_PROPOSED, NoResolutionProposed)
        assert self.proposal is not None
        if not self.needs_approval:
            raise ApprovalNotRequired(f"severity {self.severity} plans need no approval")
        if self.approved_by is not None:
            raise ResolutionAlreadyApproved(f"approved by {self.approved_by} already")
        if approver == self.proposal["proposed_by"]:
            raise FourEyesViolation(f"{approver} proposed this plan and cannot approve it")
        self._resolution_approved(approver=approver)

    @event("ResolutionApproved")
    def _resolution_approved(self, approver: str) -> None:
        self.approved_by = approver

    def respond(self, message: str, at: datetime, responded_by: str) -> None:
        self._check_status(ComplaintStatus.RESOLUTION_PROPOSED, NoResolutionProposed)
        if self.needs_approval and self.approved_by is None:
            raise ResolutionNotApproved(
                f"severity {self.severity} plans need approval before the response"
            )
        self._responded(message=self._about(message), at=at, responded_by=responded_by)

    @event("Responded")
    def _responded(self, message: FreeText, at: datetime, responded_by: str | None = None) -> None:
        # responded_by: None in events recorded before it was (issue 11).
        self.responded_at = at
        self.responded_by = responded_by
        self.status = ComplaintStatus.RESPONDED

    def record_customer_decision(self, accepted: bool, comment: str | None, at: datetime) -> None:
        self._check_status(ComplaintStatus.RESPONDED, ComplaintNotResponded)
        if accepted:
            self._customer_accepted(comment=self._maybe_about(comment), at=at)
        else:
            self._customer_rejected(comment=self._maybe_about(comment), at=at)

    @event("CustomerAccepted")
    def _customer_accepted(self, comment: FreeText | None, at: datetime) -> None:
        self.resolved_at = at
        self.status = ComplaintStatus.RESOLVED

    @event("CustomerRejected")
    def _customer_rejected(self, comment: FreeText | None, at: datetime) -> None:
        # Back to investigating one level higher; the rejected plan no longer stands.
        self.escalation_level += 1
        self.proposal = None
        self.approved_by = None
        self.responded_at = None
        self.responded_by = None
        self.status = ComplaintStatus.INVESTIGATING

    def record_final_decision(self, decision: str, at: datetime, decided_by: str) -> None:
        """Record the company's final decision when the customer does not accept.

        It overrides the customer, so it is taken by someone else than the agent
        who proposed the resolution or gave the response (four eyes).
        """
        self._check_status(ComplaintStatus.RESPONDED, ComplaintNotResponded)
        assert self.proposal is not None  # a response answers a proposal
        handlers = {
            "proposed": self.proposal["proposed_by"],
            "responded": self.responded_by,
        }
        acts = [act for act, principal in handlers.items() if principal == decided_by]
        if acts:
            raise FinalDecisionByHandler(
                f"{decided_by} {' and '.join(acts)} on complaint {self.id}: the final "
                "decision is management's or a second customer_service principal's"
            )
        self._final_decision_recorded(decision=self._about(decision), at=at, decided_by=decided_by)

    @event("FinalDecisionRecorded")
    def _final_decision_recorded(
        self, decision: FreeText, at: datetime, decided_by: str | None = None
    ) -> None:
        # decided_by: None in events recorded before it was (issue 11).
        self.final_decision = decision
        self.final_decision_by = decided_by
        self.resolved_at = at
        self.status = ComplaintStatus.RESOLVED

    def close(self, note: str | None, knowledge_article: str | None, at: datetime) -> None:
        """Close after the follow-up asked the customer's opinion (§5.2.3)."""
        self._check_open()
        if self.responded_at is None:
            raise ComplaintNotResponded(f"complaint {self.id} has no response yet")
        if self.status != ComplaintStatus.RESOLVED:
            raise ComplaintNotResolved(
                f"complaint {self.id} is {self.status.value}: record the customer's "
                "acceptance or a final decision first"
            )
        self._closed(note=self._maybe_about(note), knowledge_article=knowledge_article, at=at)

    @event("Closed")
    def _closed(self, note: FreeText | None, knowledge_article: str | None, at: datetime) -> None:
        self.closed_at = at
        self.knowledge_article = knowledge_article
        self.status = ComplaintStatus.CLOSED

    def reopen(self, reason: str, at: datetime) -> None:
        if self.status == ComplaintStatus.WITHDRAWN:
            raise ComplaintWithdrawn(f"complaint {self.id} was withdrawn")
        if self.status != ComplaintStatus.CLOSED or self.closed_at is None:
            raise ComplaintNotClosed(f"complaint {self.id} is {self.status.value}")
        if at - self.closed_at > REOPEN_WINDOW:
            raise ReopenWindowExpired(
                f"complaint {self.id} closed on {self.closed_at.date().isoformat()}, "
                "more than 30 days ago"
            )
        # A fresh resolution target from the reopening, by the current severity.
        assert self.severity is not None  # a closed complaint was assessed
        resolution_due = at + SERVICE_LEVELS[self.severity].resolution
        self._reopened(reason=self._about(reason), at=at, resolution_due=resolution_due)

    @event("Reopened")
    def _reopened(
        self, reason: FreeText, at: datetime, resolution_due: datetime | None = None
    ) -> None:
        # resolution_due: None in events recorded before the fresh target (issue 11),
        # which kept the original one. The time waited on the customer before the
        # reopening does not move the fresh target: it is taken off the stored base,
        # to which effective_resolution_due adds every pause.
        if resolution_due is not None:
            self.resolution_due = resolution_due - timedelta(seconds=self.paused_seconds)
        self.reopen_count += 1
        self.closed_at = None
        self.resolved_at = None
        self.final_decision = None
        self.proposal = None
        self.approved_by = None
        self.responded_at = None
        self.responded_by = None
        self.final_decision_by = None
        self.status = ComplaintStatus.INVESTIGATING

    def wait_for_customer(self, reason: str, at: datetime) -> None:
        """Pause the SLA clock while the company waits on the customer."""
        self._check_open()
        if self.status not in PAUSABLE:
            raise ComplaintNotPausable(f"complaint {self.id} is {self.status.value}")
        self._paused(reason=self._about(reason), at=at)

    @event("Paused")
    def _paused(self, reason: FreeText, at: datetime) -> None:
        self.status_before_pause = self.status
        self.paused_since = at
        self.status = ComplaintStatus.PENDING_CUSTOMER

    def resume(self, at: datetime) -> None:
        self._check_open()
        if self.status != ComplaintStatus.PENDING_CUSTOMER:
            raise ComplaintNotPaused(f"complaint {self.id} is {self.status.value}")
        self._resumed(at=at)

    @event("Resumed")
    def _resumed(self, at: datetime) -> None:
        assert self.status_before_pause is not None
        self.status = self.status_before_pause
        self._end_pause(at)

    def _end_pause(self, at: datetime) -> None:
        """Count the time spent waiting on the customer, if the complaint was waiting."""
        if self.paused_since is not None:
            self.paused_seconds += (at - self.paused_since).total_seconds()
        self.paused_since = None
        self.status_before_pause = None

    def withdraw(self, reason: str, at: datetime) -> None:
        self._check_open()
        self._withdrawn(reason=self._about(reason), at=at)

    @event("Withdrawn")
    def _withdrawn(self, reason: FreeText, at: datetime) -> None:
        self.status = ComplaintStatus.WITHDRAWN
        self._end_pause(at)

    # Deadlines (recorded by the scheduler).

    def sla_due(self, clock: str) -> datetime | None:
        """When the SLA ``clock`` (``first_response`` or ``resolution``) runs out, if it
        runs at all: a clock stops with what it waits for, and while the complaint waits
        on the customer (the time paused moves the resolution target on)."""
        if self.status in (ComplaintStatus.WITHDRAWN, ComplaintStatus.CLOSED):
            return None
        if clock == "first_response":
            return self.first_response_due if self.acknowledged_at is None else None
        if self.responded_at is not None or self.resolved_at is not None:
            return None
        if self.status == ComplaintStatus.PENDING_CUSTOMER:
            return None
        return self.effective_resolution_due

    def record_sla_breach(self, clock: str, now: datetime) -> bool:
        """Record that the SLA ``clock`` ran out, once per clock and (re)opening; it
        raises the escalation level. Whether a breach was recorded."""
        due = self.sla_due(clock)
        if due is None or due > now:
            return False
        if any(
            b["clock"] == clock and b["reopen_count"] == self.reopen_count
            for b in self.sla_breaches or ()
        ):
            return False
        self._sla_breached(clock=clock, due=due, escalation_level=self.escalation_level + 1, at=now)
        return True

    @event("SlaBreached")
    def _sla_breached(self, clock: str, due: datetime, escalation_level: int, at: datetime) -> None:
        self.sla_breaches = [
            *(self.sla_breaches or ()),
            {"clock": clock, "due": due, "reopen_count": self.reopen_count},
        ]
        self.escalation_level = escalation_level

    @property
    def effective_resolution_due(self) -> datetime | None:
        """The resolution due time moved on by the time spent waiting on the customer
        (``resolution_due`` is the base to which every pause is added)."""
        if self.resolution_due is None:
            return None
        return self.resolution_due + timedelta(seconds=self.paused_seconds)
