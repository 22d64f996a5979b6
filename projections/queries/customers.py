"""The customer read model's queries: the dashboard (§3.2 funnel, §5.3 satisfaction
and loyalty), the active-customer base, and the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.listing import Listing, where
from projections.projection import money_text, utc_text
from projections.store import ReadModelStore


@dataclass(frozen=True)
class CustomerFilter:
    channel: str | None = None
    campaign: str | None = None
    registered_from: datetime | None = None
    registered_until: datetime | None = None


def _where(filters: CustomerFilter, alias: str = "") -> tuple[str, list[Any]]:
    return where(customer_listing(filters), f"{alias}." if alias else "")


FUNNEL_COUNTS = (
    "COUNT(*) AS registered, SUM(activated) AS activated, "
    "SUM(CASE WHEN purchases >= 1 THEN 1 ELSE 0 END) AS converted, "
    "SUM(CASE WHEN purchases >= 2 THEN 1 ELSE 0 END) AS loyal, "
    "SUM(CASE WHEN status = 'churned' THEN 1 ELSE 0 END) AS churned, "
    "SUM(CASE WHEN status = 'at_risk' THEN 1 ELSE 0 END) AS at_risk, "
    "SUM(revenue_cents) AS revenue_cents"
)


def _funnel(
    store: ReadModelStore, where: str, params: list[Any], group: str | None = None
) -> list[dict[str, Any]]:
    """The funnel's counts, overall (always one row) or per value of ``group``."""
    if group is None:
        return store.read(f"SELECT {FUNNEL_COUNTS} FROM customer_rows{where}", params)
    return store.read(
        f"SELECT {group} AS key, {FUNNEL_COUNTS} FROM customer_rows{where} "
        f"GROUP BY {group} ORDER BY {group}",
        params,
    )


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _funnel_row(row: dict[str, Any]) -> dict[str, Any]:
    registered, converted = int(row["registered"]), int(row["converted"] or 0)
    return {
        "registered": registered,
        "activated": int(row["activated"] or 0),
        "converted": converted,
        "loyal": int(row["loyal"] or 0),
        "churned": int(row["churned"] or 0),
        "at_risk": int(row["at_risk"] or 0),
        "activation_rate": _ratio(int(row["activated"] or 0), registered),
        "conversion_rate": _ratio(converted, registered),
        "repeat_purchase_rate": _ratio(int(row["loyal"] or 0), converted),
        "churn_rate": _ratio(int(row["churned"] or 0), registered),
        "revenue": money_text(int(row["revenue_cents"] or 0)),
    }


def _satisfaction(store: ReadModelStore, filters: CustomerFilter) -> dict[str, Any]:
    where, params = _where(filters, "c")
    rows = store.read(
        "SELECT s.csat, s.nps FROM customer_surveys s JOIN customer_rows c ON c.id = s.customer_id"
        + where,
        params,
    )
    csat = [int(r["csat"]) for r in rows if r["csat"] is not None]
    nps = [int(r["nps"]) for r in rows if r["nps"] is not None]
    promoters = sum(1 for score in nps if score >= 9)
    detractors = sum(1 for score in nps if score <= 6)
    return {
        "csat_answers": len(csat),
        "csat_percent": None if not csat else round(100 * sum(s >= 4 for s in csat) / len(csat), 1),
        "nps_answers": len(nps),
        "nps": None if not nps else round(100 * (promoters - detractors) / len(nps), 1),
    }


def customer_dashboard(store: ReadModelStore, filters: CustomerFilter) -> dict[str, Any]:
    where, params = _where(filters)
    by_channel = _funnel(store, where, params, "channel")
    by_month = _funnel(store, where, params, "registered_month")
    return {
        "funnel": _funnel_row(_funnel(store, where, params)[0]),
        "by_channel": {str(r["key"]): _funnel_row(r) for r in by_channel},
        "by_registration_month": {str(r["key"]): _funnel_row(r) for r in by_month},
        "satisfaction": _satisfaction(store, filters),
    }


def active_customers(store: ReadModelStore) -> int:
    """Customers who took a key action and have not lapsed: the base for per-1,000 rates."""
    rows = store.read(
        "SELECT COUNT(*) AS n FROM customer_rows WHERE activated = 1 "
        "AND status NOT IN ('churned', 'at_risk') AND erased = 0"
    )
    return int(rows[0]["n"]) if rows else 0


def customer_listing(
    filters: CustomerFilter,
    *,
    status: str | None = None,
    segment: str | None = None,
    tier: str | None = None,
    text: str | None = None,
) -> Listing:
    return Listing(
        table="customer_rows",
        order=("registered_at", "id"),
        equal={
            "channel": filters.channel,
            "campaign": filters.campaign,
            "status": status,
            "segment": segment,
            "tier": tier,
        },
        at_least={"registered_at": utc_text(filters.registered_from)},
        before={"registered_at": utc_text(filters.registered_until)},
        search=(("name", "email", "phone"), text) if text else None,
    )


def customer_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "version": int(row["version"]),
        "status": row["status"],
        "name": row["name"],
        "email": row["email"],
        "phone": row["phone"],
        "channel": row["channel"],
        "campaign": row["campaign"],
        "activated": bool(row["activated"]),
        "purchases": int(row["purchases"]),
        "revenue": money_text(int(row["revenue_cents"])),
        "tier": row["tier"],
        "segment": row["segment"],
        "erased": bool(row["erased"]),
        "registered_at": row["registered_at"],
    }
