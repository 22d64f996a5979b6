"""The three cross-department loops of the policy (DOMAIN.md, "Policies that act"),
as process managers (``projections.policy``): each follows the logs exactly once and
sends commands as itself, the triggering event as the cause.

- ``DetractorReopen``: a detractor's survey answer about a closed complaint reopens
  it within the reopen window, and alerts customer service after it.
- ``CompensationBudget``: a compensation proposed above what the compensation line
  has available under ``warn`` alerts (under ``stop`` the proposal is refused when
  made: ``Complaints.propose_resolution``); the customer's acceptance books it as an
  actual on that line, ``document_ref`` = the complaint's id, once.
- ``RecurringRootCause``: a root cause on 3 complaints within 30 days raises, once,
  an operational risk with a KRI of that count (amber 3, red 5), and records a
  reading whenever the count changes; the KRI's early warning does the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.errors import AggregateNotFound
from domain.complaint import REOPEN_WINDOW, Complaint, ComplaintStatus
from domain.customer import Customer
from domain.risk import KriDirection, RiskCategory
from domain.vocabulary import Department, Role
from projections.policy import Policy
from projections.projection import Delivery, events_of, handles, utc_text
from projections.store import ReadCursor

ComplaintEvents, CustomerEvents = events_of(Complaint), events_of(Customer)

DETRACTOR_NPS = 6
DETRACTOR_CSAT = 2
RECURRENCE = 3
RECURRENCE_WINDOW = timedelta(days=30)
KRI_AMBER, KRI_RED = Decimal(3), Decimal(5)


def is_detractor(nps: int | None, csat: int | None) -> bool:
    return (nps is not None and nps <= DETRACTOR_NPS) or (
        csat is not None and csat <= DETRACTOR_CSAT
    )


class DetractorReopen(Policy):
    name = "detractor_reopen"
    principal = "policy:detractor_reopen"
    roles = frozenset({Role.CUSTOMER_SERVICE})

    def __init__(self, services: Any) -> None:
        super().__init__(services)
        self.sources = ("customers",)

    @handles(CustomerEvents.SurveyAnswered)
    def on_survey_answered(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        complaint_id = getattr(event, "complaint_id", None)
        if complaint_id is None or not is_detractor(event.nps, event.csat):
            return
        try:
            complaint = self.services.complaints.get_complaint(UUID(str(complaint_id)))
        except AggregateNotFound:
            return
        if complaint.customer_id != event.originator_id:
            return  # a survey names only its own customer's complaints
        if complaint.status != ComplaintStatus.CLOSED or complaint.closed_at is None:
            return
        score = f"NPS {event.nps}" if event.nps is not None else f"CSAT {event.csat}"
        # The window is judged by the business clock, as the reopening itself is.
        if self.services.complaints.clock() - complaint.closed_at <= REOPEN_WINDOW:
            self.attempt(
                "reopen",
                self.services.complaints.reopen_complaint,
                complaint.id,
                reason=f"detractor survey answer ({score}) on survey {event.survey!r}",
                ctx=self.context(delivery, "reopen"),
            )
            return
        self.services.alerts.raise_alert(
            kind="detractor_after_window",
            key=f"{delivery.log}:{delivery.position}",
            subject_type="complaint",
            subject_id=complaint.id,
            summary=f"A detractor ({score}) answered about complaint {complaint.id}, closed "
            f"{complaint.closed_at.date().isoformat()}: past the reopen window",
            ctx=self.context(delivery, "alert"),
        )


class CompensationBudget(Policy):
    name = "compensation_budget"
    principal = "policy:compensation_budget"
    roles = frozenset({Role.FINANCE})

    def __init__(self, services: Any) -> None:
        super().__init__(services)
        self.sources = ("complaints",)

    def _alert(self, delivery: Delivery, summary: str) -> None:
        self.services.alerts.raise_alert(
            kind="compensation_over_budget",
            key=f"{delivery.log}:{delivery.position}",
            subject_type="complaint",
            subject_id=UUID(str(delivery.notification.originator_id)),
            summary=summary,
            ctx=self.context(delivery, "alert"),
        )

    @handles(ComplaintEvents.ResolutionProposed)
    def on_proposed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        amount = event.compensation
        if not amount:
            return
        checked = self.attempt("check", self.services.complaints.check_compensation, amount)
        if checked is None:
            return
        budget, line, available = checked
        if Decimal(amount) > available:  # under warn: a stop budget refused it already
            self._alert(
                delivery,
                f"A compensation of {amount} CNY proposed on complaint {event.originator_id} "
                f"exceeds the {available} available on line {line} of budget "
                f"{budget.department.value} {budget.fiscal_year}",
            )

    @handles(ComplaintEvents.CustomerAccepted)
    def on_accepted(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        complaint = self.services.complaints.get_complaint(
            UUID(str(event.originator_id)), version=event.originator_version
        )
        amount = (complaint.proposal or {}).get("compensation")
        if not amount:
            return
        budget = self.services.complaints.compensation_budget()
        line = None if budget is None else budget.compensation_line
        if budget is None or line is None or not budget.is_active:
            self._alert(delivery, f"No active customer_service budget books the {amount} CNY "
                        f"compensation of complaint {complaint.id}")  # fmt: skip
            return
        booked = self.attempt(
            "book",
            self.services.budgets.record_actual,
            budget.id,
            line=line,
            amount=Decimal(amount),
            document_ref=str(complaint.id),
            date=event.at.date(),
            description=f"compensation of complaint {complaint.id}",
            ctx=self.context(delivery, "book"),
        )
        if booked is None and str(complaint.id) not in budget.document_refs:
            self._alert(delivery, f"The {amount} CNY compensation of complaint {complaint.id} "
                        f"could not be booked on line {line}")  # fmt: skip


class RecurringRootCause(Policy):
    name = "recurring_root_cause"
    principal = "policy:recurring_root_cause"
    roles = frozenset({Role.CUSTOMER_SERVICE, Role.MANAGEMENT})
    tables = (
        # The root cause each complaint's current proposal names, and since when.
        "CREATE TABLE IF NOT EXISTS root_cause_complaints ("
        "complaint_id TEXT PRIMARY KEY, root_cause TEXT NOT NULL, proposed_at TEXT NOT NULL)",
        # The risk raised for a root cause, its KRI, and the count last read.
        "CREATE TABLE IF NOT EXISTS root_cause_risks ("
        "root_cause TEXT PRIMARY KEY, risk_id TEXT NOT NULL, kri_id TEXT NOT NULL, "
        "last_count INTEGER NOT NULL)",
    )
    table_names = ("root_cause_complaints", "root_cause_risks")

    def __init__(self, services: Any) -> None:
        super().__init__(services)
        self.sources = ("complaints",)

    @staticmethod
    def _count(cursor: ReadCursor, root_cause: str, now: datetime) -> int:
        row = cursor.execute(
            "SELECT COUNT(*) AS n FROM root_cause_complaints WHERE root_cause = ? "
            "AND proposed_at >= ? AND proposed_at <= ?",
            (root_cause, utc_text(now - RECURRENCE_WINDOW), utc_text(now)),
        ).fetchone()
        return int(row["n"]) if row else 0

    @handles(ComplaintEvents.ResolutionProposed)
    def on_proposed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        complaint_id, now = str(event.originator_id), event.timestamp
        root_cause = getattr(event.root_cause, "value", event.root_cause)
        before = cursor.execute(
            "SELECT root_cause FROM root_cause_complaints WHERE complaint_id = ?", (complaint_id,)
        ).fetchone()
        cursor.execute("DELETE FROM root_cause_complaints WHERE complaint_id = ?", (complaint_id,))
        cursor.execute(
            "INSERT INTO root_cause_complaints VALUES (?, ?, ?)",
            (complaint_id, root_cause, utc_text(now)),
        )
        if before is not None and before["root_cause"] != root_cause:
            self._read(cursor, delivery, before["root_cause"], now, "was")
        self._read(cursor, delivery, root_cause, now, "is", proposer=event.proposed_by)

    def _read(
        self,
        cursor: ReadCursor,
        delivery: Delivery,
        root_cause: str,
        now: datetime,
        tag: str,
        proposer: str | None = None,
    ) -> None:
        """Raise the risk when the count first reaches 3; read the KRI when it changed."""
        count = self._count(cursor, root_cause, now)
        row = cursor.execute(
            "SELECT * FROM root_cause_risks WHERE root_cause = ?", (root_cause,)
        ).fetchone()
        if row is None:
            if count < RECURRENCE or proposer is None:
                return
            risk_id, kri_id = self._raise_risk(delivery, root_cause, proposer)
            cursor.execute(
                "INSERT INTO root_cause_risks VALUES (?, ?, ?, 0)", (root_cause, risk_id, kri_id)
            )
            row = {"risk_id": risk_id, "kri_id": kri_id, "last_count": 0}
        if int(row["last_count"]) == count:
            return
        self.attempt(
            "reading",
            self.services.risks.record_kri_reading,
            UUID(row["risk_id"]),
            kri_id=UUID(row["kri_id"]),
            value=Decimal(count),
            observed_at=now,
            ctx=self.context(delivery, f"reading-{tag}"),
        )
        cursor.execute(
            "UPDATE root_cause_risks SET last_count = ? WHERE root_cause = ?", (count, root_cause)
        )

    def _raise_risk(self, delivery: Delivery, root_cause: str, owner: str) -> tuple[str, str]:
        risks = self.services.risks
        title = f"Recurring complaint root cause: {root_cause}"
        identified = risks.identify_risk(
            category=RiskCategory.OPERATIONAL,
            title=title,
            description=f"Root cause {root_cause!r} on {RECURRENCE} or more complaints within "
            f"30 days (§5.2, §8.1)",
            owner=owner,
            department=Department.CUSTOMER_SERVICE,
            ctx=self.context(delivery, "identify"),
        )
        kri = risks.define_kri(
            identified.id,
            name=f"complaints with root cause {root_cause} in 30 days",
            metric="complaints",
            direction=KriDirection.ABOVE,
            amber=KRI_AMBER,
            red=KRI_RED,
            unit="complaints",
            reporter=self.principal,
            ctx=self.context(delivery, "kri"),
        )
        return str(identified.id), str(kri.extra["kri_id"])
