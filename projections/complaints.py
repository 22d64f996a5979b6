"""The complaints read model: one row per complaint, for the dashboard and the list.

Times that depend on "now" (SLA breaches, ages) are never stored: the dashboard
computes them when asked, from the stored due times (§5.2).

The queries that read this model are in ``projections.queries.complaints``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.complaint import Complaint, untriaged_due_times
from projections.projection import (
    Delivery,
    RowProjection,
    cents,
    events_of,
    handles,
    parse_utc,
    utc_text,
)
from projections.store import ReadCursor

ComplaintEvents = events_of(Complaint)
"""Complaint's event classes, for ``@handles``."""


class ComplaintsView(RowProjection):
    name = "complaints_view"
    row_table = "complaint_rows"
    follows = (Complaint,)
    table_names = ("complaint_rows",)
    tables = (
        "CREATE TABLE IF NOT EXISTS complaint_rows ("
        "id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, channel TEXT NOT NULL, "
        "category TEXT NOT NULL, status TEXT NOT NULL, status_before_pause TEXT, "
        "severity INTEGER, department TEXT, assignee TEXT, received_at TEXT NOT NULL, "
        "acknowledged_at TEXT, first_response_due TEXT, resolution_due TEXT, "
        "paused_seconds DOUBLE PRECISION NOT NULL, paused_since TEXT, responded_at TEXT, "
        "resolved_at TEXT, closed_at TEXT, escalation_level INTEGER NOT NULL, "
        "reopen_count INTEGER NOT NULL, root_cause TEXT, compensation_cents BIGINT, "
        "version BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS complaint_rows_status ON complaint_rows (status)",
        "CREATE INDEX IF NOT EXISTS complaint_rows_received ON complaint_rows (received_at)",
    )

    def __init__(self) -> None:
        self.sources = ("complaints",)

    @handles(ComplaintEvents.Received)
    def on_received(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        # As the domain: the SLA runs from receipt, by severity 3 until triage.
        first_response_due, resolution_due = untriaged_due_times(event.received_at)
        cursor.execute(
            "INSERT INTO complaint_rows VALUES (?, ?, ?, ?, 'received', NULL, NULL, NULL, NULL, "
            "?, NULL, ?, ?, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, ?, ?)",
            (
                str(event.originator_id),
                str(event.customer_id),
                event.channel.value,
                event.category.value,
                utc_text(event.received_at),
                utc_text(first_response_due),
                utc_text(resolution_due),
                event.originator_version,
                utc_text(event.timestamp),
            ),
        )

    @handles(ComplaintEvents.Acknowledged)
    def on_acknowledged(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "acknowledged_at = ?, status = CASE WHEN severity IS NULL "
            "THEN 'acknowledged' ELSE 'investigating' END",
            utc_text(event.at),
        )

    @handles(ComplaintEvents.Assessed)
    def on_assessed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            # As the domain: triage while waiting on the customer keeps the pause,
            # and the investigation starts when the clock resumes.
            "severity = ?, department = ?, assignee = ?, first_response_due = ?, "
            "resolution_due = ?, "
            "status = CASE WHEN status = 'acknowledged' THEN 'investigating' ELSE status END, "
            "status_before_pause = CASE WHEN status_before_pause = 'acknowledged' "
            "THEN 'investigating' ELSE status_before_pause END",
            event.severity,
            event.department.value,
            event.assignee,
            utc_text(event.first_response_due),
            utc_text(event.resolution_due),
        )

    @handles(ComplaintEvents.Reassessed)
    def on_reassessed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "severity = ?, first_response_due = ?, resolution_due = ?",
            event.severity,
            utc_text(event.first_response_due),
            utc_text(event.resolution_due),
        )

    @handles(ComplaintEvents.SlaBreached)
    def on_sla_breached(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "escalation_level = ?", event.escalation_level)

    @handles(ComplaintEvents.Assigned)
    def on_assigned(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor, delivery, "department = ?, assignee = ?", event.department.value, event.assignee
        )

    @handles(ComplaintEvents.ResolutionProposed)
    def on_resolution_proposed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        compensation = None if event.compensation is None else cents(event.compensation)
        self._set(
            cursor,
            delivery,
            "root_cause = ?, compensation_cents = ?, status = 'resolution_proposed'",
            event.root_cause.value,
            compensation,
        )

    @handles(ComplaintEvents.Responded)
    def on_responded(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "responded_at = ?, status = 'responded'", utc_text(event.at))

    @handles(ComplaintEvents.CustomerAccepted, ComplaintEvents.FinalDecisionRecorded)
    def on_customer_accepted(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "resolved_at = ?, status = 'resolved'", utc_text(event.at))

    @handles(ComplaintEvents.CustomerRejected)
    def on_customer_rejected(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "escalation_level = escalation_level + 1, responded_at = NULL, "
            "status = 'investigating'",
        )

    @handles(ComplaintEvents.Closed)
    def on_closed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "closed_at = ?, status = 'closed'", utc_text(event.at))

    @handles(ComplaintEvents.Reopened)
    def on_reopened(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        # A fresh resolution target (events recorded before it kept the original).
        # As the domain, the stored base is the one every pause is added to, so the
        # pauses before the reopening are taken off it.
        fresh = getattr(event, "resolution_due", None)
        if fresh is not None:
            fresh -= timedelta(seconds=self._paused_seconds(cursor, event))
        self._set(
            cursor,
            delivery,
            "resolution_due = COALESCE(?, resolution_due), reopen_count = reopen_count + 1, "
            "closed_at = NULL, resolved_at = NULL, responded_at = NULL, status = 'investigating'",
            utc_text(fresh),
        )

    @handles(ComplaintEvents.Paused)
    def on_paused(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "status_before_pause = status, paused_since = ?, status = 'pending_customer'",
            utc_text(event.at),
        )

    @staticmethod
    def _paused_seconds(cursor: ReadCursor, event: Any) -> float:
        """The time the complaint has waited on the customer so far (ended pauses)."""
        row = cursor.execute(
            "SELECT paused_seconds FROM complaint_rows WHERE id = ?", (str(event.originator_id),)
        ).fetchone()
        return float(row["paused_seconds"]) if row else 0.0

    @staticmethod
    def _paused_until(cursor: ReadCursor, event: Any) -> float:
        """Seconds of the pause that ends with ``event`` (0 when there was none)."""
        row = cursor.execute(
            "SELECT paused_since FROM complaint_rows WHERE id = ?", (str(event.originator_id),)
        ).fetchone()
        since = parse_utc(row["paused_since"]) if row else None
        return 0.0 if since is None else (event.at - since).total_seconds()

    @handles(ComplaintEvents.Resumed)
    def on_resumed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "paused_seconds = paused_seconds + ?, paused_since = NULL, "
            "status = status_before_pause, status_before_pause = NULL",
            self._paused_until(cursor, event),
        )

    @handles(ComplaintEvents.Withdrawn)
    def on_withdrawn(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "paused_seconds = paused_seconds + ?, paused_since = NULL, "
            "status_before_pause = NULL, status = 'withdrawn'",
            self._paused_until(cursor, event),
        )

    @handles(ComplaintEvents.ResolutionApproved)
    def on_resolution_approved(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery)
