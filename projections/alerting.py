"""The alerting policy: every early warning, breach and lapse becomes an alert for
those who must act, and the alert resolves itself when its cause is gone.

It follows the alerts log too, to learn of alerts raised elsewhere (by the deadline
scheduler, the webhooks, other policies): its table ``alerting_open`` holds each
open alert by subject, kind and scope, so that the event that ends a cause (a KRI
back to green, a complaint responded, a risk reviewed) finds the alerts it ends.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.alert import Alert, recipients_of
from domain.budget import Budget
from domain.complaint import Complaint
from domain.employee import Employee
from domain.risk import Risk, RiskLevel
from projections.policy import Policy
from projections.projection import Delivery, events_of, handles
from projections.store import ReadCursor

AlertEvents, RiskEvents = events_of(Alert), events_of(Risk)
EmployeeEvents = events_of(Employee)
BudgetEvents, ComplaintEvents = events_of(Budget), events_of(Complaint)

ANY = None


class Alerting(Policy):
    name = "alerting"
    principal = "policy:alerting"
    follows = ()
    tables = (
        "CREATE TABLE IF NOT EXISTS alerting_open ("
        "alert_id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "scope TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS alerting_open_subject ON alerting_open (subject_id, kind)",
    )
    table_names = ("alerting_open",)

    def __init__(self, services: Any) -> None:
        super().__init__(services)
        self.sources = ("alerts", "risks", "budgets", "complaints", "employees")

    # Raising.

    def _raise(
        self,
        cursor: ReadCursor,
        delivery: Delivery,
        *,
        kind: str,
        subject_type: str,
        summary: str,
        scope: str = "",
        for_principals: tuple[str, ...] = (),
        department: Any = None,
        board: bool = False,
    ) -> None:
        subject_id = UUID(str(delivery.notification.originator_id))
        roles = recipients_of(kind, department) + (["board"] if board else [])
        result = self.services.alerts.raise_alert(
            kind=kind,
            key=f"{delivery.log}:{delivery.position}",
            subject_type=subject_type,
            subject_id=subject_id,
            summary=summary,
            for_roles=list(dict.fromkeys(roles)),
            for_principals=for_principals,
            scope=scope,
            ctx=self.context(delivery, f"raise-{kind}"),
        )
        self._remember(cursor, result.id, subject_id, kind, scope)

    @staticmethod
    def _remember(cursor: ReadCursor, alert_id: UUID, subject: UUID, kind: str, scope: str) -> None:
        cursor.execute(
            "INSERT INTO alerting_open VALUES (?, ?, ?, ?) ON CONFLICT (alert_id) DO NOTHING",
            (str(alert_id), str(subject), kind, scope),
        )

    def _risk_owner(self, risk_id: UUID) -> tuple[str, ...]:
        return (self.services.risks.get_risk(risk_id).owner,)

    @handles(AlertEvents.Raised)
    def on_alert_raised(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        scope = getattr(event, "scope", "") or ""
        self._remember(cursor, event.originator_id, event.subject_id, event.kind, scope)

    @handles(AlertEvents.Resolved)
    def on_alert_resolved(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        cursor.execute("DELETE FROM alerting_open WHERE alert_id = ?", (str(event.originator_id),))

    @handles(RiskEvents.EarlyWarningRaised)
    def on_early_warning(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        risk = self.services.risks.get_risk(event.originator_id)
        name = risk.kris.get(str(event.kri_id), {}).get("name", "a KRI")
        self._raise(
            cursor,
            delivery,
            kind="kri_red",
            subject_type="risk",
            summary=f"KRI {name!r} of risk {risk.title!r} is red: {event.value} "
            f"past {event.threshold}",
            scope=str(event.kri_id),
            for_principals=(risk.owner,),
            department=risk.department,
            # The board holds the authority over high and critical risks (§8.2.4).
            board=risk.current_level in (RiskLevel.HIGH, RiskLevel.CRITICAL),
        )

    @handles(RiskEvents.AcceptanceLapsed)
    def on_acceptance_lapsed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        risk = self.services.risks.get_risk(event.originator_id)
        self._raise(
            cursor,
            delivery,
            kind="acceptance_lapsed",
            subject_type="risk",
            summary=f"The acceptance of risk {risk.title!r} lapsed on {event.expires_on}: "
            "reassess it",
            for_principals=(risk.owner,),
            department=risk.department,
        )

    @handles(
        BudgetEvents.ThresholdReached, BudgetEvents.OverrunWarned, BudgetEvents.MonthlyOverrunWarned
    )
    def on_budget_warning(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        budget = self.services.budgets.get_budget(event.originator_id)
        what = {
            "ThresholdReached": f"reached {getattr(event, 'threshold', '')} %",
            "OverrunWarned": "overran its available amount",
            "MonthlyOverrunWarned": "overran its accumulated monthly budget",
        }[delivery.type]
        self._raise(
            cursor,
            delivery,
            kind="budget_warning",
            subject_type="budget",
            summary=f"Budget {budget.department.value} {budget.fiscal_year}: line "
            f"{event.line} {what}",
            scope=str(event.line),
            department=budget.department,
        )

    @handles(ComplaintEvents.SlaBreached)
    def on_sla_breached(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        what = "first response" if event.clock == "first_response" else "resolution"
        self._raise(
            cursor,
            delivery,
            kind="sla_breached",
            subject_type="complaint",
            summary=f"Complaint {event.originator_id}: {what} was due {event.due.isoformat()}; "
            f"escalated to level {event.escalation_level}",
            scope=event.clock,
        )

    # Resolving: the cause is gone.

    def _resolve(
        self,
        cursor: ReadCursor,
        delivery: Delivery,
        kinds: tuple[str, ...],
        reason: str,
        scopes: tuple[str, ...] | None = ANY,
    ) -> None:
        subject = str(delivery.notification.originator_id)
        marks = ", ".join("?" * len(kinds))
        rows = cursor.execute(
            f"SELECT alert_id, scope FROM alerting_open WHERE subject_id = ? AND kind IN ({marks})",
            (subject, *kinds),
        ).fetchall()
        ctx = self.context(delivery, "resolve")
        for row in rows:
            if scopes is not ANY and row["scope"] not in scopes:
                continue
            self.services.alerts.resolve_if_open(UUID(row["alert_id"]), reason=reason, ctx=ctx)
            cursor.execute("DELETE FROM alerting_open WHERE alert_id = ?", (row["alert_id"],))

    @handles(RiskEvents.KriBackToNormal, RiskEvents.KriWatchRaised)
    def on_kri_out_of_red(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._resolve(cursor, delivery, ("kri_red",), "the KRI left red", (str(event.kri_id),))

    @handles(RiskEvents.Assessed, RiskEvents.AcceptanceApproved)
    def on_risk_reassessed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._resolve(cursor, delivery, ("acceptance_lapsed",), "the risk was reassessed")

    @handles(RiskEvents.Reviewed)
    def on_risk_reviewed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._resolve(cursor, delivery, ("review_overdue",), "the risk was reviewed")

    @handles(RiskEvents.ActionCompleted)
    def on_action_completed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._resolve(
            cursor,
            delivery,
            ("action_overdue",),
            "the action was completed",
            (str(event.action_id),),
        )

    @handles(RiskEvents.Closed)
    def on_risk_closed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        kinds = ("kri_red", "acceptance_lapsed", "review_overdue", "action_overdue")
        self._resolve(cursor, delivery, kinds, "the risk was closed")

    @handles(ComplaintEvents.Acknowledged)
    def on_acknowledged(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._resolve(
            cursor, delivery, ("sla_breached",), "first response given", ("first_response",)
        )

    @handles(ComplaintEvents.Responded)
    def on_responded(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._resolve(cursor, delivery, ("sla_breached",), "the complaint was responded")

    @handles(ComplaintEvents.Closed, ComplaintEvents.Withdrawn)
    def on_complaint_ended(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._resolve(cursor, delivery, ("sla_breached",), "the complaint ended")

    @handles(BudgetEvents.Closed)
    def on_budget_closed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._resolve(cursor, delivery, ("budget_warning", "year_end"), "the budget was closed")

    @handles(EmployeeEvents.Confirmed, EmployeeEvents.Separated)
    def on_probation_ended(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._resolve(cursor, delivery, ("probation_due",), "the probation ended")
