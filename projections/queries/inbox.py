"""A caller's inbox: approvals and decisions awaiting them (the inbox read model),
overdue items (complaints past their SLA, risk reviews and actions past due: judged
now from the complaints and risks read models) and their open alerts.

Nothing the caller may not act on: an item is for one of their roles, their
principal or their employee, never for one who proposed or acted on it before,
and only with the actions their roles may take.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.vocabulary import Role
from projections.inbox import STAFF, action
from projections.projection import parse_utc, utc_text
from projections.queries.alerts import open_alerts_for
from projections.risks import UNFINISHED
from projections.store import ReadModelStore

OPEN_COMPLAINT = ("received", "acknowledged", "investigating", "resolution_proposed")


@dataclass(frozen=True)
class InboxCaller:
    principal: str
    roles: frozenset[str]
    employee_id: str | None = None

    def recipients(self) -> list[str]:
        found = [f"role:{r}" for r in sorted(self.roles)] + [f"principal:{self.principal}"]
        return found + ([f"employee:{self.employee_id}"] if self.employee_id else [])

    def identities(self) -> list[str]:
        found = [f"principal:{self.principal}"]
        return found + ([f"employee:{self.employee_id}"] if self.employee_id else [])


def _item(
    item_id: str,
    kind: str,
    aggregate_type: str,
    aggregate_id: str,
    summary: str,
    since: str | None,
    actions: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "id": item_id,
        "kind": kind,
        "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id,
        "summary": summary,
        "since": since,
        "actions": actions,
    }


def _marks(values: list[str]) -> str:
    return ", ".join("?" * len(values))


def awaiting(store: ReadModelStore, caller: InboxCaller) -> list[dict[str, Any]]:
    recipients, identities = caller.recipients(), caller.identities()
    rows = store.read(
        "SELECT * FROM inbox_items WHERE id IN (SELECT item_id FROM inbox_for WHERE "
        f"recipient IN ({_marks(recipients)})) AND id NOT IN (SELECT item_id FROM inbox_not "
        f"WHERE who IN ({_marks(identities)})) ORDER BY since, id",
        [*recipients, *identities],
    )
    return [
        _item(
            row["id"],
            row["kind"],
            row["aggregate_type"],
            row["aggregate_id"],
            row["summary"],
            row["since"],
            json.loads(row["actions"]),
        )
        for row in rows
    ]


def overdue_complaints(
    store: ReadModelStore, caller: InboxCaller, now: datetime
) -> list[dict[str, Any]]:
    if Role.CUSTOMER_SERVICE.value not in caller.roles:
        return []
    rows = store.read(
        f"SELECT * FROM complaint_rows WHERE status IN ({_marks(list(OPEN_COMPLAINT))}) "
        "AND (first_response_due < ? OR resolution_due < ?) ORDER BY received_at, id",
        [*OPEN_COMPLAINT, utc_text(now), utc_text(now)],
    )
    items = []
    for row in rows:
        complaint_id, path = row["id"], f"/complaints/{row['id']}"
        first_due = parse_utc(row["first_response_due"])
        if row["acknowledged_at"] is None and first_due is not None and first_due < now:
            items.append(
                _item(
                    f"overdue:complaint:{complaint_id}:first_response",
                    "overdue",
                    "complaint",
                    complaint_id,
                    "The first response is overdue",
                    row["first_response_due"],
                    [action("acknowledge", f"{path}/acknowledge", "customer_service")],
                )
            )
        base = parse_utc(row["resolution_due"])
        if base is None or row["responded_at"] is not None:
            continue
        due = base + timedelta(seconds=float(row["paused_seconds"]))
        if due >= now:
            continue
        step = {
            "resolution_proposed": ("respond", f"{path}/respond"),
            "investigating": ("propose-resolution", f"{path}/propose-resolution"),
        }.get(row["status"], ("assess", f"{path}/assess"))
        if row["status"] == "acknowledged" and row["severity"] is not None:
            step = ("propose-resolution", f"{path}/propose-resolution")
        items.append(
            _item(
                f"overdue:complaint:{complaint_id}:resolution",
                "overdue",
                "complaint",
                complaint_id,
                f"The resolution is overdue (escalation level {row['escalation_level']})",
                utc_text(due),
                [action(step[0], step[1], "customer_service")],
            )
        )
    return items


def overdue_risk_work(
    store: ReadModelStore, caller: InboxCaller, now: datetime
) -> list[dict[str, Any]]:
    """Reviews and treatment actions past due, for management and their owners."""
    if not caller.roles.intersection(STAFF):
        return []
    today = now.date().isoformat()
    management = Role.MANAGEMENT.value in caller.roles
    who = [caller.principal]
    mine = "" if management else " AND r.owner = ?"
    items = []
    for row in store.read(
        "SELECT r.id, r.title, r.next_review_due FROM risk_rows r WHERE r.status <> 'closed' "
        f"AND r.next_review_due < ?{mine} ORDER BY r.next_review_due, r.id",
        [today, *([] if management else who)],
    ):
        items.append(
            _item(
                f"overdue:risk:{row['id']}:review",
                "overdue",
                "risk",
                row["id"],
                f"The review of risk {row['title']!r} is overdue",
                f"{row['next_review_due']}T00:00:00.000000Z",
                [action("reviews", f"/risks/{row['id']}/reviews", *STAFF)],
            )
        )
    mine = "" if management else " AND (r.owner = ? OR a.owner = ?)"
    for row in store.read(
        "SELECT a.action_id, a.title, a.due, r.id AS risk_id FROM risk_actions a "
        "JOIN risk_rows r ON r.id = a.risk_id WHERE r.status <> 'closed' AND a.due < ? "
        f"AND a.status IN ({_marks(list(UNFINISHED))}){mine} ORDER BY a.due, a.action_id",
        [today, *UNFINISHED, *([] if management else who * 2)],
    ):
        path = f"/risks/{row['risk_id']}/actions/{row['action_id']}/complete"
        items.append(
            _item(
                f"overdue:risk:{row['risk_id']}:action:{row['action_id']}",
                "overdue",
                "risk",
                row["risk_id"],
                f"Treatment action {row['title']!r} was due {row['due']}",
                f"{row['due']}T00:00:00.000000Z",
                [action("complete", path, *STAFF)],
            )
        )
    return items


def alert_items(store: ReadModelStore, caller: InboxCaller) -> list[dict[str, Any]]:
    items = []
    for alert in open_alerts_for(store, caller.principal, caller.roles):
        path = f"/alerts/{alert['id']}"
        actions = [action("resolutions", f"{path}/resolutions", *STAFF)]
        if alert["status"] == "open":
            actions.insert(0, action("acknowledgements", f"{path}/acknowledgements", *STAFF))
        items.append(
            _item(
                f"alert:{alert['id']}",
                "alert",
                "alert",
                alert["id"],
                alert["summary"],
                alert["raised_at"],
                actions,
            )
        )
    return items


def actionable(items: Iterable[dict[str, Any]], caller: InboxCaller) -> list[dict[str, Any]]:
    """Each item with only the actions the caller's roles may take; none without any."""
    kept = []
    for item in items:
        actions = [a for a in item["actions"] if caller.roles.intersection(a["roles"])]
        if actions:
            kept.append({**item, "actions": actions})
    return kept
