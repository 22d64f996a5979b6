"""The risk read model's queries: the dashboard (§8) and the list.

Whatever depends on "today" (an action overdue, a review due, an acceptance
expired) is judged here, from the stored dates.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from domain.risk import RISK_APPETITE, SCALE, RiskCategory, RiskLevel, RiskStatus
from projections.listing import Listing, where
from projections.risks import UNFINISHED
from projections.store import ReadModelStore

UNASSESSED = "unassessed"
ACCEPTANCE_WARNING_DAYS = 30
"""By default an acceptance expiring within this many days shows as expiring."""
DASHBOARD_ITEMS = 100
"""At most this many items in each of the dashboard's lists (their counts are complete)."""


# --------------------------------------------------------------------------
# The dashboard.


@dataclass(frozen=True)
class RiskFilter:
    category: str | None = None
    level: str | None = None
    """The current level: the residual one where assessed, else the inherent one."""
    department: str | None = None
    owner: str | None = None


def _where(filters: RiskFilter, alias: str = "") -> tuple[str, list[Any]]:
    return where(risk_listing(filters), f"{alias}." if alias else "")


def _joined(
    filters: RiskFilter, child: str, condition: str = "", kri: bool = False
) -> tuple[str, list[Any]]:
    """Rows of a child table whose risk is open and passes the filters (with the KRI's
    name and unit when ``kri``)."""
    where, params = _where(filters, "r")
    where = (where + " AND " if where else " WHERE ") + "r.status <> 'closed'"
    if condition:
        where += f" AND {condition}"
    kri_columns = ", k.name AS kri_name, k.unit AS kri_unit" if kri else ""
    kri_join = " JOIN risk_kris k ON k.kri_id = c.kri_id" if kri else ""
    sql = (
        f"SELECT c.*, r.title AS risk_title{kri_columns} "
        f"FROM {child} c{kri_join} JOIN risk_rows r ON r.id = c.risk_id{where}"
    )
    return sql, params


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _is_open(row: dict[str, Any]) -> bool:
    return bool(row["status"] != RiskStatus.CLOSED.value)


def _above_appetite(level: str | None) -> bool:
    return level is not None and RiskLevel(level).rank > RISK_APPETITE.rank


def _heat_map(rows: list[dict[str, Any]], prefix: str, fallback: str | None = None) -> list[Any]:
    """counts[likelihood - 1][impact - 1]: open risks in each cell of the 5x5 grid."""
    grid = [[0 for _ in SCALE] for _ in SCALE]
    for row in rows:
        likelihood, impact = row[f"{prefix}_likelihood"], row[f"{prefix}_impact"]
        if likelihood is None and fallback is not None:
            likelihood, impact = row[f"{fallback}_likelihood"], row[f"{fallback}_impact"]
        if likelihood is not None and impact is not None:
            grid[int(likelihood) - 1][int(impact) - 1] += 1
    return grid


def _heat_maps(open_rows: list[dict[str, Any]]) -> dict[str, Any]:
    assessed = [r for r in open_rows if r["inherent_score"] is not None]
    axes = {"rows": "likelihood 1..5", "columns": "impact 1..5"}
    return {
        "inherent": {**axes, "risks": len(assessed), "counts": _heat_map(assessed, "inherent")},
        # A risk not yet assessed after treatment sits where its inherent score put it.
        "residual": {
            **axes,
            "risks": len(assessed),
            "residual_assessed": sum(1 for r in assessed if r["residual_score"] is not None),
            "counts": _heat_map(assessed, "residual", fallback="inherent"),
        },
    }


def _open_closed(rows: list[dict[str, Any]], column: str, keys: list[str]) -> dict[str, Any]:
    counts = {key: {"open": 0, "closed": 0, "total": 0} for key in keys}
    for row in rows:
        key = row[column] if row[column] is not None else UNASSESSED
        cell = counts.setdefault(str(key), {"open": 0, "closed": 0, "total": 0})
        cell["open" if _is_open(row) else "closed"] += 1
        cell["total"] += 1
    return counts


def _register(rows: list[dict[str, Any]]) -> dict[str, Any]:
    open_count = sum(1 for r in rows if _is_open(r))
    return {
        "risks": len(rows),
        "open": open_count,
        "closed": len(rows) - open_count,
        "by_level": _open_closed(rows, "level", [*(lv.value for lv in RiskLevel), UNASSESSED]),
        "by_category": _open_closed(rows, "category", [c.value for c in RiskCategory]),
        "by_status": dict(sorted(Counter(str(r["status"]) for r in rows).items())),
    }


def _appetite(open_rows: list[dict[str, Any]]) -> dict[str, Any]:
    above = sum(1 for r in open_rows if _above_appetite(r["level"]))
    return {
        "appetite": RISK_APPETITE.value,
        "open_risks": len(open_rows),
        "unassessed": sum(1 for r in open_rows if r["level"] is None),
        "above_appetite": above,
        "share_above_appetite": _ratio(above, len(open_rows)),
    }


def _days_between(later: date, earlier: str) -> int:
    return (later - date.fromisoformat(earlier)).days


def _overdue_actions(store: ReadModelStore, filters: RiskFilter, today: date) -> dict[str, Any]:
    sql, params = _joined(filters, "risk_actions", "c.status IN (?, ?) AND c.due < ?")
    rows = store.read(
        sql + " ORDER BY c.due, c.action_id", [*params, *UNFINISHED, today.isoformat()]
    )
    return {
        "count": len(rows),
        "items": [
            {
                "risk_id": r["risk_id"],
                "risk_title": r["risk_title"],
                "action_id": r["action_id"],
                "title": r["title"],
                "owner": r["owner"],
                "status": r["status"],
                "due": r["due"],
                "days_overdue": _days_between(today, r["due"]),
            }
            for r in rows[:DASHBOARD_ITEMS]
        ],
    }


def _review_backlog(open_rows: list[dict[str, Any]], today: date) -> dict[str, Any]:
    iso = today.isoformat()
    due = sorted(
        (r for r in open_rows if r["next_review_due"] is not None and r["next_review_due"] < iso),
        key=lambda r: (r["next_review_due"], r["id"]),
    )
    return {
        "count": len(due),
        "by_level": dict(sorted(Counter(str(r["level"]) for r in due).items())),
        "items": [
            {
                "risk_id": r["id"],
                "title": r["title"],
                "owner": r["owner"],
                "level": r["level"],
                "last_reviewed_on": r["last_reviewed_on"],
                "next_review_due": r["next_review_due"],
                "days_overdue": _days_between(today, r["next_review_due"]),
            }
            for r in due[:DASHBOARD_ITEMS]
        ],
    }


def _kri_status(store: ReadModelStore, filters: RiskFilter) -> dict[str, Any]:
    sql, params = _joined(filters, "risk_kris")
    rows = store.read(sql + " ORDER BY r.identified_at, c.risk_id, c.name, c.kri_id", params)
    by_status = {"green": 0, "amber": 0, "red": 0}
    for row in rows:
        by_status[str(row["status"])] += 1
    return {
        "count": len(rows),
        "by_status": by_status,
        "kris": [
            {
                "risk_id": r["risk_id"],
                "risk_title": r["risk_title"],
                "kri_id": r["kri_id"],
                "name": r["name"],
                "metric": r["metric"],
                "direction": r["direction"],
                "amber": r["amber"],
                "red": r["red"],
                "unit": r["unit"],
                "status": r["status"],
                "readings": int(r["readings"]),
                "last_value": r["last_value"],
                "last_observed_at": r["last_observed_at"],
            }
            for r in rows
        ],
    }


def _early_warnings(store: ReadModelStore, filters: RiskFilter) -> dict[str, Any]:
    sql, params = _joined(filters, "risk_warnings", "c.cleared_at IS NULL", kri=True)
    rows = store.read(sql + " ORDER BY c.raised_at, c.position", params)
    return {
        "open": len(rows),
        "items": [
            {
                "risk_id": r["risk_id"],
                "risk_title": r["risk_title"],
                "kri_id": r["kri_id"],
                "kri_name": r["kri_name"],
                "value": r["value"],
                "threshold": r["threshold"],
                "unit": r["kri_unit"],
                "raised_at": r["raised_at"],
            }
            for r in rows[:DASHBOARD_ITEMS]
        ],
    }


def _acceptances(open_rows: list[dict[str, Any]], today: date, within: int) -> dict[str, Any]:
    iso, horizon = today.isoformat(), (today + timedelta(days=within)).isoformat()
    accepted = sorted(
        (r for r in open_rows if r["acceptance_expires_on"] is not None),
        key=lambda r: (r["acceptance_expires_on"], r["id"]),
    )

    def item(r: dict[str, Any]) -> dict[str, Any]:
        return {
            "risk_id": r["id"],
            "title": r["title"],
            "owner": r["owner"],
            "level": r["acceptance_level"],
            "approved_by": r["acceptance_approved_by"],
            "expires_on": r["acceptance_expires_on"],
            "days_left": -_days_between(today, r["acceptance_expires_on"]),
        }

    # Expired on the expiry date itself, as the domain's ``acceptance_expired``: lapsed,
    # awaiting reassessment.
    expired = [r for r in accepted if _acceptance_lapsed(r, today)]
    expiring = [r for r in accepted if iso < r["acceptance_expires_on"] <= horizon]
    return {
        "accepted": len(accepted),
        "expiring_within_days": within,
        "expiring": [item(r) for r in expiring],
        "expired": [item(r) for r in expired],
    }


def risk_rows(store: ReadModelStore, filters: RiskFilter) -> list[dict[str, Any]]:
    where, params = _where(filters)
    return store.read("SELECT * FROM risk_rows" + where + " ORDER BY identified_at, id", params)


def risk_dashboard(
    store: ReadModelStore,
    filters: RiskFilter,
    today: date,
    expiring_within_days: int = ACCEPTANCE_WARNING_DAYS,
) -> dict[str, Any]:
    """The register as of ``today`` (a UTC date, as the domain's review and expiry dates)."""
    rows = risk_rows(store, filters)
    open_rows = [r for r in rows if _is_open(r)]
    return {
        "as_of": today.isoformat(),
        "heat_maps": _heat_maps(open_rows),
        "register": _register(rows),
        "appetite": _appetite(open_rows),
        "overdue_actions": _overdue_actions(store, filters, today),
        "review_backlog": _review_backlog(open_rows, today),
        "kri_status": _kri_status(store, filters),
        "early_warnings": _early_warnings(store, filters),
        "acceptances": _acceptances(open_rows, today, expiring_within_days),
    }


# --------------------------------------------------------------------------
# The list.


def risk_listing(
    filters: RiskFilter, *, status: str | None = None, text: str | None = None
) -> Listing:
    return Listing(
        table="risk_rows",
        order=("identified_at", "id"),
        equal={
            "category": filters.category,
            "level": filters.level,
            "department": filters.department,
            "owner": filters.owner,
            "status": status,
        },
        search=(("title",), text) if text else None,
    )


def _scores(row: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    if row[f"{prefix}_score"] is None:
        return None
    return {
        "likelihood": int(row[f"{prefix}_likelihood"]),
        "impact": int(row[f"{prefix}_impact"]),
        "score": int(row[f"{prefix}_score"]),
        "level": row[f"{prefix}_level"],
    }


def _acceptance_lapsed(row: dict[str, Any], today: date) -> bool:
    """An open risk holding an acceptance at or past its expiry date, whether the lapse is
    recorded yet or not: it awaits reassessment (a reassessment clears the acceptance)."""
    expires_on = row["acceptance_expires_on"]
    return _is_open(row) and expires_on is not None and expires_on <= today.isoformat()


def risk_item(row: dict[str, Any], today: date) -> dict[str, Any]:
    due = row["next_review_due"]
    return {
        "id": row["id"],
        "version": int(row["version"]),
        "status": row["status"],
        "category": row["category"],
        "title": row["title"],
        "owner": row["owner"],
        "department": row["department"],
        "level": row["level"],
        "inherent": _scores(row, "inherent"),
        "residual": _scores(row, "residual"),
        "above_appetite": _above_appetite(row["level"]),
        "strategy": row["strategy"],
        "open_actions": int(row["open_actions"]),
        "open_early_warnings": int(row["open_warnings"]),
        "acceptance_expires_on": row["acceptance_expires_on"],
        "acceptance_lapsed": _acceptance_lapsed(row, today),
        "next_review_due": due,
        "review_overdue": _is_open(row) and due is not None and due < today.isoformat(),
        "identified_at": row["identified_at"],
        "closed_at": row["closed_at"],
    }
