"""The alerts read model's queries: the list (GET /alerts) and a caller's open alerts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from projections.alerts import recipients
from projections.listing import Listing
from projections.store import ReadModelStore


@dataclass(frozen=True)
class AlertFilter:
    kind: str | None = None
    status: str | None = None
    since: str | None = None
    """Raised at or after this moment (UTC text)."""
    subject_id: str | None = None


def alert_listing(filters: AlertFilter) -> Listing:
    return Listing(
        table="alert_rows",
        order=("raised_at", "id"),
        equal={"kind": filters.kind, "status": filters.status, "subject_id": filters.subject_id},
        at_least={"raised_at": filters.since},
    )


def alert_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "version": int(row["version"]),
        "kind": row["kind"],
        "status": row["status"],
        "subject_type": row["subject_type"],
        "subject_id": row["subject_id"],
        "summary": row["summary"],
        "for_roles": json.loads(row["for_roles"]),
        "for_principals": json.loads(row["for_principals"]),
        "raised_at": row["raised_at"],
        "acknowledged_by": row["acknowledged_by"],
        "acknowledged_at": row["acknowledged_at"],
        "resolved_by": row["resolved_by"],
        "resolved_at": row["resolved_at"],
        "resolution": row["resolution"],
        "resolved_automatically": bool(row["automatic"]),
        "cause_log": row["cause_log"],
        "cause_position": None if row["cause_position"] is None else int(row["cause_position"]),
    }


def open_alerts_for(
    store: ReadModelStore, principal: str, roles: Iterable[str]
) -> list[dict[str, Any]]:
    """The alerts not resolved yet that are for the principal or one of its roles."""
    wanted = recipients(sorted(roles), [principal])
    marks = ", ".join("?" * len(wanted))
    rows = store.read(
        "SELECT * FROM alert_rows WHERE status <> 'resolved' AND id IN "
        f"(SELECT alert_id FROM alert_recipients WHERE recipient IN ({marks})) "
        "ORDER BY raised_at, id",
        wanted,
    )
    return [alert_item(row) for row in rows]
