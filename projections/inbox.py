"""The inbox read model: what awaits someone's approval or decision, for whom, and who
may not act on it (four eyes: the proposer, the earlier stages, the employee).

An item is opened by the event that makes it await someone (a budget submitted, a
plan proposed, a leave request made) and removed by the event that ends the wait.
Recipients are ``role:<role>``, ``principal:<name>`` or ``employee:<id>`` (a token
linked to that employee); exclusions are principals and employees. Overdue items
and open alerts come from the complaints, risks and alerts read models, judged when
asked (``projections.queries.inbox``).
"""

from __future__ import annotations

import json
from typing import Any

from domain.budget import Budget
from domain.complaint import Complaint
from domain.employee import Employee
from domain.risk import Risk, RiskLevel
from domain.vocabulary import Role
from projections.projection import Delivery, Projection, events_of, handles, utc_text
from projections.store import ReadCursor

BudgetEvents, ComplaintEvents = events_of(Budget), events_of(Complaint)
EmployeeEvents, RiskEvents = events_of(Employee), events_of(Risk)

STAFF = [role.value for role in Role if role != Role.AUDITOR]
HIGH_LEVELS = (RiskLevel.HIGH.value, RiskLevel.CRITICAL.value)


def action(name: str, path: str, *roles: str) -> dict[str, Any]:
    return {"name": name, "method": "POST", "path": path, "roles": list(roles)}


class InboxView(Projection):
    name = "inbox_view"
    follows = (Budget, Complaint, Risk, Employee)
    table_names = ("inbox_items", "inbox_for", "inbox_not", "inbox_state")
    tables = (
        "CREATE TABLE IF NOT EXISTS inbox_items ("
        "id TEXT PRIMARY KEY, kind TEXT NOT NULL, aggregate_type TEXT NOT NULL, "
        "aggregate_id TEXT NOT NULL, summary TEXT NOT NULL, since TEXT NOT NULL, "
        "actions TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS inbox_items_aggregate ON inbox_items (aggregate_id)",
        "CREATE TABLE IF NOT EXISTS inbox_for ("
        "item_id TEXT NOT NULL, recipient TEXT NOT NULL, PRIMARY KEY (recipient, item_id))",
        "CREATE TABLE IF NOT EXISTS inbox_not ("
        "item_id TEXT NOT NULL, who TEXT NOT NULL, PRIMARY KEY (item_id, who))",
        # What later items need to know: a budget's actors, a complaint's severity,
        # a risk's levels and scores, an employee's manager.
        "CREATE TABLE IF NOT EXISTS inbox_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    )

    def __init__(self) -> None:
        self.sources = ("budgets", "complaints", "risks", "employees")

    # The item tables.

    @staticmethod
    def _open(
        cursor: ReadCursor,
        delivery: Delivery,
        item_id: str,
        *,
        kind: str,
        aggregate_type: str,
        summary: str,
        actions: list[dict[str, Any]],
        recipients: list[str],
        excluded: tuple[str, ...] | list[str] = (),
    ) -> None:
        InboxView._close(cursor, item_id)
        cursor.execute(
            "INSERT INTO inbox_items VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                item_id,
                kind,
                aggregate_type,
                str(delivery.notification.originator_id),
                summary,
                utc_text(delivery.event.timestamp),
                json.dumps(actions),
            ),
        )
        cursor.executemany(
            "INSERT INTO inbox_for VALUES (?, ?)",
            [(item_id, r) for r in dict.fromkeys(recipients)],
        )
        cursor.executemany(
            "INSERT INTO inbox_not VALUES (?, ?)", [(item_id, w) for w in dict.fromkeys(excluded)]
        )

    @staticmethod
    def _close(cursor: ReadCursor, *item_ids: str) -> None:
        for item_id in item_ids:
            for table, column in (("inbox_items", "id"), ("inbox_for", "item_id")):
                cursor.execute(f"DELETE FROM {table} WHERE {column} = ?", (item_id,))
            cursor.execute("DELETE FROM inbox_not WHERE item_id = ?", (item_id,))

    @staticmethod
    def _close_all(cursor: ReadCursor, aggregate_id: str) -> None:
        rows = cursor.execute(
            "SELECT id FROM inbox_items WHERE aggregate_id = ?", (aggregate_id,)
        ).fetchall()
        InboxView._close(cursor, *(row["id"] for row in rows))

    @staticmethod
    def _get(cursor: ReadCursor, key: str, default: Any = None) -> Any:
        row = cursor.execute("SELECT value FROM inbox_state WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row["value"])

    @staticmethod
    def _put(cursor: ReadCursor, key: str, value: Any) -> None:
        cursor.execute("DELETE FROM inbox_state WHERE key = ?", (key,))
        cursor.execute("INSERT INTO inbox_state VALUES (?, ?)", (key, json.dumps(value)))

    def _acted(self, cursor: ReadCursor, budget_id: str, *principals: str | None) -> list[str]:
        """The budget's actors so far (no principal acts at two stages), with ``principals``."""
        actors: list[str] = self._get(cursor, f"budget:{budget_id}:actors", [])
        actors = list(dict.fromkeys([*actors, *(p for p in principals if p)]))
        self._put(cursor, f"budget:{budget_id}:actors", actors)
        return actors

    # Budgets: the approval stages and adjustments.

    def _stage(
        self, cursor: ReadCursor, delivery: Delivery, stage: str, role: str, actor: str | None
    ) -> None:
        budget_id = str(delivery.notification.originator_id)
        actors = self._acted(cursor, budget_id, actor)
        label = self._get(cursor, f"budget:{budget_id}:label", "a budget")
        self._close_all_stages(cursor, budget_id)
        self._open(
            cursor,
            delivery,
            f"approval:budget:{budget_id}:{stage}",
            kind="approval",
            aggregate_type="budget",
            summary=f"Budget {label} awaits {stage.replace('-', ' ')}",
            actions=[action(stage, f"/budgets/{budget_id}/{stage}", role)],
            recipients=[f"role:{role}"],
            excluded=[f"principal:{p}" for p in actors],
        )

    def _close_all_stages(self, cursor: ReadCursor, budget_id: str) -> None:
        stages = ("finance-review", "management-approval", "board-approval")
        self._close(cursor, *(f"approval:budget:{budget_id}:{s}" for s in stages))

    @handles(BudgetEvents.Drafted)
    def on_drafted(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        budget_id = str(event.originator_id)
        self._put(
            cursor, f"budget:{budget_id}:label", f"{event.department.value} {event.fiscal_year}"
        )
        self._acted(cursor, budget_id, event.drafted_by)

    @handles(BudgetEvents.LinesReplaced)
    def on_lines_replaced(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._acted(cursor, str(event.originator_id), getattr(event, "replaced_by", None))

    @handles(BudgetEvents.Submitted)
    def on_submitted(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._stage(cursor, delivery, "finance-review", "finance", event.submitted_by)

    @handles(BudgetEvents.FinanceReviewed)
    def on_finance_reviewed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._stage(cursor, delivery, "management-approval", "management", event.approved_by)

    @handles(BudgetEvents.ManagementApproved)
    def on_management_approved(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._stage(cursor, delivery, "board-approval", "board", event.approved_by)

    @handles(BudgetEvents.BoardApproved, BudgetEvents.ReturnedToDraft)
    def on_stages_ended(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._close_all_stages(cursor, str(event.originator_id))

    @handles(BudgetEvents.AdjustmentRequested)
    def on_adjustment_requested(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        budget_id = str(event.originator_id)
        actors: list[str] = self._get(cursor, f"budget:{budget_id}:actors", [])
        label = self._get(cursor, f"budget:{budget_id}:label", "a budget")
        role = event.authority.value
        base = f"/budgets/{budget_id}/adjustments/{event.adjustment_id}"
        self._open(
            cursor,
            delivery,
            f"approval:budget:{budget_id}:adjustment:{event.adjustment_id}",
            kind="approval",
            aggregate_type="budget",
            summary=f"Adjustment of {event.amount} CNY to budget {label} awaits {role}",
            actions=[
                action("approve", f"{base}/approve", role),
                action("reject", f"{base}/reject", role),
            ],
            recipients=[f"role:{role}"],
            excluded=[f"principal:{p}" for p in (*actors, event.requested_by)],
        )

    @handles(BudgetEvents.AdjustmentApproved, BudgetEvents.AdjustmentRejected)
    def on_adjustment_decided(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        budget_id = str(event.originator_id)
        self._close(cursor, f"approval:budget:{budget_id}:adjustment:{event.adjustment_id}")

    @handles(BudgetEvents.Closed)
    def on_budget_closed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._close_all(cursor, str(event.originator_id))

    # Complaints: plan approvals and decisions.

    @handles(ComplaintEvents.Assessed, ComplaintEvents.Reassessed)
    def on_graded(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._put(cursor, f"complaint:{event.originator_id}:severity", int(event.severity))

    @handles(ComplaintEvents.ResolutionProposed)
    def on_resolution_proposed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        complaint_id = str(event.originator_id)
        self._put(cursor, f"complaint:{complaint_id}:proposer", event.proposed_by)
        severity = self._get(cursor, f"complaint:{complaint_id}:severity")
        if severity not in (1, 2):
            return
        roles = ("management", "customer_service")
        self._open(
            cursor,
            delivery,
            f"approval:complaint:{complaint_id}:resolution",
            kind="approval",
            aggregate_type="complaint",
            summary=f"A severity {severity} resolution plan awaits approval",
            actions=[
                action(
                    "approve-resolution", f"/complaints/{complaint_id}/approve-resolution", *roles
                )
            ],
            recipients=[f"role:{r}" for r in roles],
            excluded=[f"principal:{event.proposed_by}"],
        )

    @handles(ComplaintEvents.ResolutionApproved)
    def on_resolution_approved(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._close(cursor, f"approval:complaint:{event.originator_id}:resolution")

    @handles(ComplaintEvents.Responded)
    def on_responded(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        complaint_id = str(event.originator_id)
        self._close(cursor, f"approval:complaint:{complaint_id}:resolution")
        proposer = self._get(cursor, f"complaint:{complaint_id}:proposer")
        handlers = [p for p in (proposer, getattr(event, "responded_by", None)) if p]
        path = f"/complaints/{complaint_id}"
        # The customer's answer is recorded by customer service; overriding a customer who
        # does not accept is management's or a second agent's (never a handler's).
        self._open(
            cursor,
            delivery,
            f"decision:complaint:{complaint_id}:customer",
            kind="decision",
            aggregate_type="complaint",
            summary="The customer's decision on the response awaits recording",
            actions=[action("customer-decision", f"{path}/customer-decision", "customer_service")],
            recipients=["role:customer_service"],
        )
        self._open(
            cursor,
            delivery,
            f"decision:complaint:{complaint_id}:final",
            kind="decision",
            aggregate_type="complaint",
            summary="If the customer does not accept, the company's final decision is due",
            actions=[
                action("final-decision", f"{path}/final-decision", "management", "customer_service")
            ],
            recipients=["role:management", "role:customer_service"],
            excluded=[f"principal:{p}" for p in handlers],
        )

    @handles(
        ComplaintEvents.CustomerAccepted,
        ComplaintEvents.CustomerRejected,
        ComplaintEvents.FinalDecisionRecorded,
        ComplaintEvents.Reopened,
    )
    def on_decided(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        complaint_id = str(event.originator_id)
        self._close(
            cursor,
            f"decision:complaint:{complaint_id}:customer",
            f"decision:complaint:{complaint_id}:final",
            f"approval:complaint:{complaint_id}:resolution",
        )

    @handles(ComplaintEvents.Withdrawn, ComplaintEvents.Closed)
    def on_complaint_ended(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._close_all(cursor, str(event.originator_id))

    # Risks: acceptances.

    @handles(RiskEvents.Assessed, RiskEvents.ResidualAssessed)
    def on_risk_assessed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        prefix = "inherent" if delivery.type == "Assessed" else "current"
        scores = {
            "level": event.level.value,
            "likelihood": event.likelihood,
            "impact": event.impact,
        }
        risk_id = str(event.originator_id)
        self._put(cursor, f"risk:{risk_id}:{prefix}", scores)
        if prefix == "inherent":
            self._put(cursor, f"risk:{risk_id}:current", scores)

    @handles(RiskEvents.Identified)
    def on_risk_identified(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._put(cursor, f"risk:{event.originator_id}:title", event.title)

    @handles(RiskEvents.TreatmentPlanned)
    def on_treatment_planned(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        risk_id = str(event.originator_id)
        item = f"approval:risk:{risk_id}:acceptance"
        if event.strategy.value != "accept":
            self._close(cursor, item)
            return
        inherent = self._get(cursor, f"risk:{risk_id}:inherent") or {}
        current = self._get(cursor, f"risk:{risk_id}:current") or inherent
        beyond = current.get("likelihood", 5) > 2 or current.get("impact", 5) > 2
        board_only = beyond or any(s.get("level") in HIGH_LEVELS for s in (inherent, current))
        roles = ("board",) if board_only else ("management", "board")
        title = self._get(cursor, f"risk:{risk_id}:title", "a risk")
        self._open(
            cursor,
            delivery,
            item,
            kind="approval",
            aggregate_type="risk",
            summary=f"Accepting risk {title!r} awaits {' or '.join(roles)}",
            actions=[action("acceptance", f"/risks/{risk_id}/acceptance", *roles)],
            recipients=[f"role:{r}" for r in roles],
            excluded=[f"principal:{event.proposed_by}"],
        )

    @handles(RiskEvents.AcceptanceApproved, RiskEvents.AcceptanceRejected)
    def on_acceptance_decided(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._close(cursor, f"approval:risk:{event.originator_id}:acceptance")

    @handles(RiskEvents.Closed)
    def on_risk_closed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._close_all(cursor, str(event.originator_id))

    # Employees: leave requests.

    @handles(EmployeeEvents.Hired, EmployeeEvents.Transferred)
    def on_manager(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        manager = None if event.manager_id is None else str(event.manager_id)
        self._put(cursor, f"employee:{event.originator_id}:manager", manager)

    @handles(EmployeeEvents.LeaveRequested)
    def on_leave_requested(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        employee_id = str(event.originator_id)
        manager = self._get(cursor, f"employee:{employee_id}:manager")
        base = f"/employees/{employee_id}/leave-requests/{event.request_id}"
        self._open(
            cursor,
            delivery,
            f"approval:employee:{employee_id}:leave:{event.request_id}",
            kind="approval",
            aggregate_type="employee",
            summary=f"Leave of {event.days} days from {event.start} awaits the manager or hr",
            actions=[
                action("approve", f"{base}/approve", *STAFF),
                action("reject", f"{base}/reject", *STAFF),
            ],
            recipients=["role:hr", *([f"employee:{manager}"] if manager else [])],
            excluded=[f"employee:{employee_id}", f"principal:{event.requested_by}"],
        )

    @handles(EmployeeEvents.LeaveApproved, EmployeeEvents.LeaveRejected)
    def on_leave_decided(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        employee_id = str(event.originator_id)
        self._close(cursor, f"approval:employee:{employee_id}:leave:{event.request_id}")

    @handles(EmployeeEvents.Separated)
    def on_separated(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._close_all(cursor, str(event.originator_id))


def _unhandled() -> tuple[Any, ...]:
    """The events that open or end no wait (the rest of the four aggregates')."""
    from eventsourcing.domain import DomainEvent

    found = []
    for aggregate in InboxView.follows:
        bases = {aggregate.Event, aggregate.Created}
        for value in vars(aggregate).values():
            is_event = isinstance(value, type) and issubclass(value, DomainEvent)
            if is_event and value not in bases and value not in InboxView.handlers:
                found.append(value)
    return tuple(found)


InboxView.ignores = _unhandled()
