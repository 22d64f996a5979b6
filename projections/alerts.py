"""The alerts read model: one row per alert, and who it is for (GET /alerts, the inbox).

Recipients are rows of their own (``role:finance``, ``principal:alice``) so that
"the open alerts for this caller" is one indexed join. Summaries name aggregates
and rules, never a customer's personal data.
"""

from __future__ import annotations

import json
from typing import Any

from domain.alert import Alert
from projections.projection import Delivery, RowProjection, events_of, handles, utc_text
from projections.store import ReadCursor

AlertEvents = events_of(Alert)


def recipients(for_roles: list[str], for_principals: list[str]) -> list[str]:
    return [f"role:{r}" for r in for_roles] + [f"principal:{p}" for p in for_principals]


class AlertsView(RowProjection):
    name = "alerts_view"
    row_table = "alert_rows"
    follows = (Alert,)
    table_names = ("alert_rows", "alert_recipients")
    tables = (
        "CREATE TABLE IF NOT EXISTS alert_rows ("
        "id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, "
        "subject_type TEXT NOT NULL, subject_id TEXT NOT NULL, summary TEXT NOT NULL, "
        "for_roles TEXT NOT NULL, for_principals TEXT NOT NULL, raised_at TEXT NOT NULL, "
        "acknowledged_by TEXT, acknowledged_at TEXT, resolved_by TEXT, resolved_at TEXT, "
        "resolution TEXT, automatic INTEGER NOT NULL, cause_log TEXT, cause_position BIGINT, "
        "position BIGINT NOT NULL, version BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS alert_rows_raised ON alert_rows (raised_at, id)",
        "CREATE INDEX IF NOT EXISTS alert_rows_subject ON alert_rows (subject_id)",
        "CREATE TABLE IF NOT EXISTS alert_recipients ("
        "alert_id TEXT NOT NULL, recipient TEXT NOT NULL, PRIMARY KEY (recipient, alert_id))",
    )

    def __init__(self) -> None:
        self.sources = ("alerts",)

    @handles(AlertEvents.Raised)
    def on_raised(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        alert_id = str(event.originator_id)
        cursor.execute(
            "INSERT INTO alert_rows VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, "
            "NULL, NULL, 0, ?, ?, ?, ?, ?)",
            (
                alert_id,
                event.kind,
                event.subject_type,
                str(event.subject_id),
                event.summary,
                json.dumps(list(event.for_roles)),
                json.dumps(list(event.for_principals)),
                utc_text(event.raised_at),
                event.cause_log,
                event.cause_position,
                delivery.position,
                event.originator_version,
                utc_text(event.timestamp),
            ),
        )
        cursor.executemany(
            "INSERT INTO alert_recipients VALUES (?, ?)",
            [
                (alert_id, recipient)
                for recipient in dict.fromkeys(
                    recipients(list(event.for_roles), list(event.for_principals))
                )
            ],
        )

    @handles(AlertEvents.Acknowledged)
    def on_acknowledged(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "status = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?",
            event.acknowledged_by,
            utc_text(event.at),
        )

    @handles(AlertEvents.Resolved)
    def on_resolved(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "status = 'resolved', resolved_by = ?, resolved_at = ?, resolution = ?, automatic = ?",
            event.resolved_by,
            utc_text(event.at),
            event.note,
            1 if event.automatic else 0,
        )
