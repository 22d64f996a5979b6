"""The employees read model: one row per employee, with their postings (department
over time), trainings, appraisals and leave requests.

Feeds the workforce dashboard (§6: headcount, hires and separations, turnover,
appraisal completion, rating distribution, self-vs-manager gap, improvement
plans, training hours per head, annual-leave use) and the employee list.

Names are kept: employees have no erasure command (their personal data is part
of the employment record); birthdays are not stored, nothing here needs them.

Every event of the Employee aggregate is handled. ``BenefitRecorded`` and the
bonus/title of ``Rewarded`` show in no metric: they only move the row's version
(a promotion in ``Rewarded`` changes the position).

Everything that depends on the day asked about (headcount on a day, average
headcount, service years and leave entitlement) is computed at query time from
the stored dates, never stored.

The queries that read this model are in ``projections.queries.employees``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.employee import (
    AppraisalReviewKind,
    Employee,
    probation_limit,
)
from projections.projection import Delivery, RowProjection, events_of, handles, utc_text
from projections.store import ReadCursor

EmployeeEvents = events_of(Employee)
"""Employee's event classes, for ``@handles``."""


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


class EmployeesView(RowProjection):
    name = "employees_view"
    row_table = "employee_rows"
    follows = (Employee,)
    table_names = (
        "employee_rows",
        "employee_postings",
        "employee_trainings",
        "employee_appraisals",
        "employee_leave",
        "employee_probation",
    )
    tables = (
        "CREATE TABLE IF NOT EXISTS employee_rows ("
        "id TEXT PRIMARY KEY, name TEXT NOT NULL, department TEXT NOT NULL, "
        "position TEXT NOT NULL, manager_id TEXT, status TEXT NOT NULL, "
        "status_before_leave TEXT, hire_date TEXT NOT NULL, confirmed_on TEXT, "
        "separated_on TEXT, prior_service_years TEXT NOT NULL, "
        "version BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS employee_rows_hired ON employee_rows (hire_date, id)",
        "CREATE INDEX IF NOT EXISTS employee_rows_department ON employee_rows (department)",
        # A posting: from ``since`` the employee works in ``department`` (hire, transfers).
        "CREATE TABLE IF NOT EXISTS employee_postings ("
        "employee_id TEXT NOT NULL, version BIGINT NOT NULL, department TEXT NOT NULL, "
        "since TEXT NOT NULL, PRIMARY KEY (employee_id, version))",
        "CREATE TABLE IF NOT EXISTS employee_trainings ("
        "employee_id TEXT NOT NULL, version BIGINT NOT NULL, course TEXT NOT NULL, "
        "kind TEXT NOT NULL, hours TEXT NOT NULL, completed_on TEXT NOT NULL, "
        "plan_year INTEGER NOT NULL, PRIMARY KEY (employee_id, version))",
        "CREATE TABLE IF NOT EXISTS employee_appraisals ("
        "employee_id TEXT NOT NULL, cycle TEXT NOT NULL, period_start TEXT NOT NULL, "
        "period_end TEXT NOT NULL, status TEXT NOT NULL, self_score INTEGER, "
        "manager_score INTEGER, peer_reviews INTEGER NOT NULL, rating INTEGER, "
        "finalized_on TEXT, improvement_plan INTEGER NOT NULL, improvement_plan_due TEXT, "
        "PRIMARY KEY (employee_id, cycle))",
        "CREATE TABLE IF NOT EXISTS employee_leave ("
        "id TEXT PRIMARY KEY, employee_id TEXT NOT NULL, start_on TEXT NOT NULL, "
        "end_on TEXT NOT NULL, days INTEGER NOT NULL, status TEXT NOT NULL, "
        "started_on TEXT, returned_on TEXT)",
        # The probation's last day, kept beside the row (so that a store made before it
        # existed needs no new column); an employee without a row here, hired before
        # probation ends were recorded, has the six-month default.
        "CREATE TABLE IF NOT EXISTS employee_probation ("
        "employee_id TEXT PRIMARY KEY, probation_end TEXT NOT NULL)",
    )

    def __init__(self) -> None:
        self.sources = ("employees",)

    # Employment.

    @handles(EmployeeEvents.Hired)
    def on_hired(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        employee_id = str(event.originator_id)
        cursor.execute(
            "INSERT INTO employee_rows VALUES "
            "(?, ?, ?, ?, ?, 'hired', NULL, ?, NULL, NULL, ?, ?, ?)",
            (
                employee_id,
                event.name,
                event.department.value,
                event.position,
                None if event.manager_id is None else str(event.manager_id),
                _day(event.hire_date),
                str(event.prior_service_years),
                event.originator_version,
                utc_text(event.timestamp),
            ),
        )
        cursor.execute(
            "INSERT INTO employee_postings VALUES (?, ?, ?, ?)",
            (employee_id, event.originator_version, event.department.value, _day(event.hire_date)),
        )
        probation_end = getattr(event, "probation_end", None) or probation_limit(event.hire_date)
        cursor.execute(
            "INSERT INTO employee_probation VALUES (?, ?)", (employee_id, _day(probation_end))
        )

    @handles(EmployeeEvents.Confirmed)
    def on_confirmed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "confirmed_on = ?, status = CASE WHEN status = 'hired' THEN 'active' ELSE status END",
            _day(event.on),
        )

    @handles(EmployeeEvents.Transferred)
    def on_transferred(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "department = ?, position = ?, manager_id = ?",
            event.department.value,
            event.position,
            None if event.manager_id is None else str(event.manager_id),
        )
        cursor.execute(
            "INSERT INTO employee_postings VALUES (?, ?, ?, ?)",
            (
                str(event.originator_id),
                event.originator_version,
                event.department.value,
                _day(event.on),
            ),
        )

    @handles(EmployeeEvents.Separated)
    def on_separated(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "status = 'separated', status_before_leave = NULL, separated_on = ?",
            _day(event.on),
        )

    @handles(EmployeeEvents.Rewarded)
    def on_rewarded(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        if event.promotion_to is None:
            self._set(cursor, delivery)
        else:
            self._set(cursor, delivery, "position = ?", event.promotion_to)

    @handles(EmployeeEvents.BenefitRecorded)
    def on_benefit_recorded(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery)  # deliberately in no metric

    # Training.

    @handles(EmployeeEvents.TrainingCompleted)
    def on_training_completed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        cursor.execute(
            "INSERT INTO employee_trainings VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                str(event.originator_id),
                event.originator_version,
                event.course,
                event.kind.value,
                str(event.hours),
                _day(event.completed_on),
                event.plan_year,
            ),
        )
        self._set(cursor, delivery)

    # Appraisals.

    @handles(EmployeeEvents.GoalsSet)
    def on_goals_set(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        cursor.execute(
            "INSERT INTO employee_appraisals VALUES "
            "(?, ?, ?, ?, 'goals_set', NULL, NULL, 0, NULL, NULL, 0, NULL)",
            (
                str(event.originator_id),
                event.cycle,
                _day(event.period_start),
                _day(event.period_end),
            ),
        )
        self._set(cursor, delivery)

    def _appraisal(self, cursor: ReadCursor, event: Any, assignments: str, *values: Any) -> None:
        cursor.execute(
            f"UPDATE employee_appraisals SET {assignments} WHERE employee_id = ? AND cycle = ?",
            (*values, str(event.originator_id), event.cycle),
        )

    @handles(EmployeeEvents.ReviewSubmitted)
    def on_review_submitted(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        kind = event.kind
        if kind == AppraisalReviewKind.SELF:
            self._appraisal(
                cursor, event, "self_score = ?, status = ?", event.score, "self_reviewed"
            )
        elif kind == AppraisalReviewKind.MANAGER:
            self._appraisal(
                cursor, event, "manager_score = ?, status = ?", event.score, "manager_reviewed"
            )
        else:
            self._appraisal(
                cursor,
                event,
                "peer_reviews = peer_reviews + 1, "
                "status = CASE WHEN peer_reviews + 1 >= 2 THEN 'peer_reviewed' ELSE status END",
            )
        self._set(cursor, delivery)

    @handles(EmployeeEvents.AppraisalFinalized)
    def on_appraisal_finalized(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._appraisal(
            cursor,
            event,
            "rating = ?, finalized_on = ?, status = 'finalized'",
            event.rating,
            _day(event.on),
        )
        self._set(cursor, delivery)

    @handles(EmployeeEvents.ImprovementPlanRecorded)
    def on_improvement_plan_recorded(
        self, cursor: ReadCursor, event: Any, delivery: Delivery
    ) -> None:
        self._appraisal(
            cursor, event, "improvement_plan = 1, improvement_plan_due = ?", _day(event.due)
        )
        self._set(cursor, delivery)

    # Leave.

    @handles(EmployeeEvents.LeaveRequested)
    def on_leave_requested(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        cursor.execute(
            "INSERT INTO employee_leave VALUES (?, ?, ?, ?, ?, 'pending', NULL, NULL)",
            (
                str(event.request_id),
                str(event.originator_id),
                _day(event.start),
                _day(event.end),
                event.days,
            ),
        )
        self._set(cursor, delivery)

    @staticmethod
    def _leave(cursor: ReadCursor, event: Any, assignments: str, *values: Any) -> None:
        cursor.execute(
            f"UPDATE employee_leave SET {assignments} WHERE id = ?",
            (*values, str(event.request_id)),
        )

    @handles(EmployeeEvents.LeaveApproved)
    def on_leave_approved(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._leave(cursor, event, "status = 'approved'")
        self._set(cursor, delivery)

    @handles(EmployeeEvents.LeaveRejected)
    def on_leave_rejected(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._leave(cursor, event, "status = 'rejected'")
        self._set(cursor, delivery)

    @handles(EmployeeEvents.LeaveCancelled)
    def on_leave_cancelled(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._leave(cursor, event, "status = 'cancelled'")
        self._set(cursor, delivery)

    @handles(EmployeeEvents.LeaveStarted)
    def on_leave_started(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._leave(cursor, event, "status = 'started', started_on = ?", _day(event.on))
        self._set(cursor, delivery, "status_before_leave = status, status = 'on_leave'")

    @handles(EmployeeEvents.ReturnedFromLeave)
    def on_returned_from_leave(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._leave(cursor, event, "status = 'completed', returned_on = ?", _day(event.on))
        self._set(
            cursor,
            delivery,
            "status = COALESCE(status_before_leave, 'active'), status_before_leave = NULL",
        )
