"""The complaint read model's queries: the dashboard and the list.

Times that depend on "now" (SLA breaches, ages) are computed when asked, from
the stored due times (§5.2).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from projections.listing import Listing, where
from projections.projection import money_text, parse_utc, utc_text
from projections.store import ReadModelStore

OPEN_EXCLUDED = ("closed", "withdrawn")
AGE_BUCKETS = (
    ("under_1_day", timedelta(days=1)),
    ("1_to_3_days", timedelta(days=3)),
    ("3_to_7_days", timedelta(days=7)),
    ("7_to_30_days", timedelta(days=30)),
)


@dataclass(frozen=True)
class ComplaintFilter:
    channel: str | None = None
    category: str | None = None
    department: str | None = None
    severity: int | None = None
    received_from: datetime | None = None
    received_until: datetime | None = None


def percentile(values: list[float], share: float) -> float | None:
    """Linear interpolation between closest ranks (as numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = share * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _hours(seconds: list[float]) -> dict[str, float | None]:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value / 3600, 2)

    return {
        "count": len(seconds),
        "median_hours": rounded(percentile(seconds, 0.5)),
        "p90_hours": rounded(percentile(seconds, 0.9)),
    }


@dataclass(frozen=True)
class ComplaintFacts:
    """One complaint's row, with its times parsed, judged against a moment."""

    row: dict[str, Any]
    now: datetime

    def time(self, column: str) -> datetime | None:
        return parse_utc(self.row[column])

    @property
    def is_open(self) -> bool:
        return self.row["status"] not in OPEN_EXCLUDED

    @property
    def paused_seconds(self) -> float:
        """Time waiting on the customer, the current pause included."""
        since = self.time("paused_since")
        ongoing = (self.now - since).total_seconds() if since else 0.0
        return float(self.row["paused_seconds"]) + ongoing

    def first_response_met(self) -> bool | None:
        """True/False once decided; None while the clock still runs (or no SLA yet)."""
        due, done = self.time("first_response_due"), self.time("acknowledged_at")
        if due is None:
            return None
        if done is not None:
            return done <= due
        if self.row["status"] == "withdrawn":
            return None  # withdrawn before any response: not this SLA's to judge
        return False if self.now > due else None

    def resolution_met(self) -> bool | None:
        base = self.time("resolution_due")
        if base is None or self.row["status"] == "withdrawn":
            return None
        due = base + timedelta(seconds=self.paused_seconds)
        done = self.time("resolved_at")
        if done is not None:
            return done <= due
        return False if self.now > due else None

    def first_response_seconds(self) -> float | None:
        done = self.time("acknowledged_at")
        received = self.time("received_at")
        return None if done is None or received is None else (done - received).total_seconds()

    def resolution_seconds(self) -> float | None:
        done, received = self.time("resolved_at"), self.time("received_at")
        if done is None or received is None:
            return None
        return (done - received).total_seconds() - float(self.row["paused_seconds"])


def _attainment(results: list[bool | None]) -> dict[str, Any]:
    met = sum(1 for r in results if r is True)
    breached = sum(1 for r in results if r is False)
    decided = met + breached
    return {
        "met": met,
        "breached": breached,
        "attainment": None if decided == 0 else round(met / decided, 4),
    }


def _summary(facts: list[ComplaintFacts]) -> dict[str, Any]:
    total = len(facts)
    ever_closed = [f for f in facts if f.row["closed_at"] or f.row["reopen_count"]]
    return {
        "complaints": total,
        "open": sum(1 for f in facts if f.is_open),
        "first_response": _hours(
            [s for f in facts if (s := f.first_response_seconds()) is not None]
        ),
        "resolution": _hours([s for f in facts if (s := f.resolution_seconds()) is not None]),
        "sla_first_response": _attainment([f.first_response_met() for f in facts]),
        "sla_resolution": _attainment([f.resolution_met() for f in facts]),
        "reopen_rate": None
        if not ever_closed
        else round(sum(1 for f in ever_closed if f.row["reopen_count"]) / len(ever_closed), 4),
        "escalation_rate": None
        if not total
        else round(sum(1 for f in facts if f.row["escalation_level"]) / total, 4),
    }


def _backlog(facts: list[ComplaintFacts]) -> dict[str, Any]:
    by_status = Counter(f.row["status"] for f in facts if f.is_open)
    by_age: Counter[str] = Counter()
    for f in facts:
        received = f.time("received_at")
        if not f.is_open or received is None:
            continue
        age = f.now - received
        bucket = next((name for name, limit in AGE_BUCKETS if age < limit), "over_30_days")
        by_age[bucket] += 1
    return {"by_status": dict(by_status), "by_age": dict(by_age)}


def _pareto(facts: list[ComplaintFacts]) -> list[dict[str, Any]]:
    counts = Counter(f.row["root_cause"] for f in facts if f.row["root_cause"])
    total = sum(counts.values())
    running = 0
    pareto = []
    for cause, count in counts.most_common():
        running += count
        pareto.append(
            {"root_cause": cause, "count": count, "cumulative_share": round(running / total, 4)}
        )
    return pareto


def _grouped(facts: list[ComplaintFacts], column: str) -> dict[str, Any]:
    groups: dict[str, list[ComplaintFacts]] = {}
    for f in facts:
        groups.setdefault(str(f.row[column]), []).append(f)
    return {key: _summary(members) for key, members in sorted(groups.items())}


def complaint_rows(store: ReadModelStore, filters: ComplaintFilter) -> list[dict[str, Any]]:
    clause, params = where(complaint_listing(filters))
    return store.read("SELECT * FROM complaint_rows" + clause, params)


def complaint_dashboard(
    store: ReadModelStore, filters: ComplaintFilter, now: datetime, active_customers: int
) -> dict[str, Any]:
    facts = [ComplaintFacts(row, now) for row in complaint_rows(store, filters)]
    compensation = sum(int(f.row["compensation_cents"] or 0) for f in facts)
    return {
        "as_of": utc_text(now),
        **_summary(facts),
        "backlog": _backlog(facts),
        "by_channel": _grouped(facts, "channel"),
        "by_category": _grouped(facts, "category"),
        "root_cause_pareto": _pareto(facts),
        "compensation_proposed": money_text(compensation),
        "active_customers": active_customers,
        "per_1000_active_customers": None
        if not active_customers
        else round(1000 * len(facts) / active_customers, 2),
    }


def complaint_listing(
    filters: ComplaintFilter, *, status: str | None = None, customer_id: str | None = None
) -> Listing:
    return Listing(
        table="complaint_rows",
        order=("received_at", "id"),
        equal={
            "channel": filters.channel,
            "category": filters.category,
            "department": filters.department,
            "severity": filters.severity,
            "status": status,
            "customer_id": customer_id,
        },
        at_least={"received_at": utc_text(filters.received_from)},
        before={"received_at": utc_text(filters.received_until)},
    )


def complaint_item(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    facts = ComplaintFacts(row, now)
    compensation = row["compensation_cents"]
    return {
        "id": row["id"],
        "version": int(row["version"]),
        "status": row["status"],
        "customer_id": row["customer_id"],
        "channel": row["channel"],
        "category": row["category"],
        "severity": row["severity"],
        "department": row["department"],
        "assignee": row["assignee"],
        "received_at": row["received_at"],
        "first_response_due": row["first_response_due"],
        "resolution_due": row["resolution_due"],
        "escalation_level": int(row["escalation_level"]),
        "reopen_count": int(row["reopen_count"]),
        "root_cause": row["root_cause"],
        "compensation": None if compensation is None else money_text(int(compensation)),
        "first_response_breached": facts.first_response_met() is False,
        "resolution_breached": facts.resolution_met() is False,
    }
