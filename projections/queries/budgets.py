"""The budget read model's queries: the dashboard (§7.1 budget vs actual, §7.2 cost
control) and the list.

What depends on "now" -- the share of the fiscal year that has elapsed, the burn
index and the forecast at year end -- is computed when asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Any

from projections.listing import Listing, where
from projections.projection import money_text, parse_utc, utc_text
from projections.store import ReadModelStore

STAGES = (
    "draft",
    "submitted",
    "finance_reviewed",
    "management_approved",
    "board_approved",
    "closed",
)
# Budgets spent against: their figures make the budget-vs-actual table.
EXECUTING = ("board_approved", "closed")
CATEGORIES = ("revenue", "cost", "expense")
SPENDING = ("cost", "expense")
# The approvals whose time from submission the dashboard reports, with their columns.
APPROVALS = (
    ("finance_reviewed", "finance_reviewed_at"),
    ("management_approved", "management_approved_at"),
    ("board_approved", "board_approved_at"),
)


# Figures.


@dataclass(frozen=True)
class BudgetFilter:
    fiscal_year: int | None = None
    department: str | None = None
    category: str | None = None
    status: str | None = None
    control: str | None = None


def elapsed_share(fiscal_year: int, now: datetime) -> Decimal:
    """The share of the fiscal year (the calendar year, UTC) that lies before ``now``."""
    start = datetime(fiscal_year, 1, 1, tzinfo=UTC)
    end = datetime(fiscal_year + 1, 1, 1, tzinfo=UTC)
    if now <= start:
        return Decimal(0)
    if now >= end:
        return Decimal(1)
    passed = now - start
    whole = end - start
    micro = 1_000_000
    return Decimal(
        passed.days * 86_400 * micro + passed.seconds * micro + passed.microseconds
    ) / Decimal(whole.days * 86_400 * micro)


def _round(value: Decimal | None, places: int) -> float | None:
    if value is None:
        return None
    return float(value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def _money(value: Decimal) -> str:
    return money_text(int(value.quantize(Decimal(1), ROUND_HALF_UP)))


def figures(
    budget_cents: int,
    actual_cents: int,
    elapsed: Decimal,
    category: str,
    open_warnings: int = 0,
) -> dict[str, Any]:
    """Budget vs actual for a group of lines, judged at the fiscal year's ``elapsed`` share.

    variance = budget - actual; variance % = variance / budget x 100;
    utilisation = actual / budget; burn index = utilisation / elapsed share;
    forecast = actual / elapsed share (linear run rate to year end).
    Favourable: spending at or under budget, revenue at or over it.
    """
    budget, actual = Decimal(budget_cents), Decimal(actual_cents)
    variance = budget - actual
    utilisation = None if budget == 0 else actual / budget
    burn = None if utilisation is None or elapsed == 0 else utilisation / elapsed
    forecast = None if elapsed == 0 else actual / elapsed
    favourable = variance <= 0 if category == "revenue" else variance >= 0
    return {
        "budget": money_text(budget_cents),
        "actual": money_text(actual_cents),
        "variance": money_text(budget_cents - actual_cents),
        "variance_percent": None if budget == 0 else _round(variance * 100 / budget, 2),
        "favourable": favourable,
        "utilisation": _round(utilisation, 4),
        "burn_index": _round(burn, 4),
        "forecast": None if forecast is None else _money(forecast),
        "forecast_variance": None if forecast is None else _money(budget - forecast),
        "open_warnings": open_warnings,
    }


def _budget_rows(store: ReadModelStore, filters: BudgetFilter) -> list[dict[str, Any]]:
    clause, params = where(budget_listing(filters))
    return store.read("SELECT * FROM budget_rows" + clause + " ORDER BY department, id", params)


def _children(
    store: ReadModelStore, table: str, ids: list[str], extra: str = ""
) -> list[dict[str, Any]]:
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    return store.read(f"SELECT * FROM {table} WHERE budget_id IN ({marks}){extra}", ids)


def _line_budget(line: dict[str, Any]) -> int:
    """A line's budget in cents: its planned amount plus its approved adjustments."""
    return int(line["planned_cents"]) + int(line["adjusted_cents"])


def _warning_is_open(warning: dict[str, Any], line: dict[str, Any] | None, closed: bool) -> bool:
    """A warning stays open while its budget is not closed and what it warned of still
    holds on the line as it stands: actual at or above the threshold share of the line's
    budget (planned plus approved adjustments), or actual above that budget (overrun)."""
    if closed or line is None:
        return False
    budget = _line_budget(line)
    actual = int(line["actual_cents"])
    if warning["kind"] == "overrun":
        return actual > budget
    if warning["kind"] == "monthly_overrun":  # of a month gone by: raised, not held open
        return False
    return actual * 100 >= budget * int(warning["threshold"])


@dataclass
class _Group:
    budget: int = 0
    actual: int = 0
    warnings: int = 0

    def add(self, line: dict[str, Any], warnings: int) -> None:
        self.budget += _line_budget(line)
        self.actual += int(line["actual_cents"])
        self.warnings += warnings


def _days(seconds: list[float]) -> dict[str, Any]:
    return {
        "budgets": len(seconds),
        "median_days": None if not seconds else round(median(seconds) / 86_400, 2),
    }


def _cycle_times(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per approval stage: the median time from a budget's first submission to that
    approval, across the budgets that have it (returns to draft included in the time)."""
    out = {}
    for stage, column in APPROVALS:
        seconds = []
        for row in rows:
            submitted, approved = parse_utc(row["first_submitted_at"]), parse_utc(row[column])
            if submitted is not None and approved is not None:
                seconds.append((approved - submitted).total_seconds())
        out[stage] = _days(seconds)
    return out


def _by_stage(
    rows: list[dict[str, Any]], lines: list[dict[str, Any]], categories: tuple[str, ...]
) -> dict[str, Any]:
    """The consolidated company budget (sum of the departments' budgets) per stage."""
    status_of = {row["id"]: row["status"] for row in rows}
    totals = {stage: dict.fromkeys(categories, 0) for stage in STAGES}
    for line in lines:
        totals[status_of[line["budget_id"]]][line["category"]] += _line_budget(line)
    counts = {stage: sum(1 for row in rows if row["status"] == stage) for stage in STAGES}
    out: dict[str, Any] = {}
    for stage in STAGES:
        entry: dict[str, Any] = {"budgets": counts[stage]}
        entry.update({c: money_text(totals[stage][c]) for c in categories})
        if any(c in SPENDING for c in categories):
            entry["spending"] = money_text(
                sum(totals[stage][c] for c in categories if c in SPENDING)
            )
        out[stage] = entry
    return out


def budget_dashboard(store: ReadModelStore, filters: BudgetFilter, now: datetime) -> dict[str, Any]:
    """Budget vs actual per department and category for one fiscal year (§7.1, §7.2)."""
    if filters.fiscal_year is None:
        raise ValueError("the budget dashboard is for one fiscal year")
    categories = (filters.category,) if filters.category else CATEGORIES
    elapsed = elapsed_share(filters.fiscal_year, now)
    rows = _budget_rows(store, filters)
    ids = [row["id"] for row in rows]
    lines = [
        line
        for line in _children(store, "budget_lines", ids, " ORDER BY budget_id, code")
        if line["category"] in categories
    ]
    row_of = {row["id"]: row for row in rows}
    line_of = {(line["budget_id"], line["code"]): line for line in lines}
    warnings = [
        w
        for w in _children(store, "budget_warnings", ids, " ORDER BY raised_at, budget_id, version")
        if (w["budget_id"], w["line"]) in line_of
    ]
    open_warnings = [
        w
        for w in warnings
        if _warning_is_open(
            w,
            line_of.get((w["budget_id"], w["line"])),
            row_of[w["budget_id"]]["status"] == "closed",
        )
    ]
    open_per_line: dict[tuple[str, str], int] = {}
    for w in open_warnings:
        key = (w["budget_id"], w["line"])
        open_per_line[key] = open_per_line.get(key, 0) + 1

    by_department: dict[str, dict[str, _Group]] = {}
    by_category: dict[str, _Group] = {}
    for line in lines:
        row = row_of[line["budget_id"]]
        if row["status"] not in EXECUTING:
            continue
        groups = by_department.setdefault(row["department"], {})
        n = open_per_line.get((line["budget_id"], line["code"]), 0)
        for key in (line["category"], *(("spending",) if line["category"] in SPENDING else ())):
            groups.setdefault(key, _Group()).add(line, n)
            by_category.setdefault(key, _Group()).add(line, n)

    def table(groups: dict[str, _Group]) -> dict[str, Any]:
        order = [*CATEGORIES, "spending"]
        return {
            key: figures(g.budget, g.actual, elapsed, key, g.warnings)
            for key, g in sorted(groups.items(), key=lambda item: order.index(item[0]))
        }

    adjustments = _children(store, "budget_adjustments", ids)
    return {
        "fiscal_year": filters.fiscal_year,
        "as_of": utc_text(now),
        "elapsed_share": _round(elapsed, 4),
        "budgets": len(rows),
        "executing_budgets": sum(1 for row in rows if row["status"] in EXECUTING),
        "by_department": {d: table(g) for d, g in sorted(by_department.items())},
        "by_category": table(by_category),
        "warnings": {
            "raised": len(warnings),
            "open": len(open_warnings),
            "open_items": [
                {
                    "budget_id": w["budget_id"],
                    "department": row_of[w["budget_id"]]["department"],
                    "line": w["line"],
                    "category": line_of[(w["budget_id"], w["line"])]["category"],
                    "kind": w["kind"],
                    "threshold": w["threshold"],
                    "amount": money_text(int(w["amount_cents"])),
                    "raised_at": w["raised_at"],
                }
                for w in open_warnings
            ],
        },
        "adjustments": {
            status: {
                "count": sum(1 for a in adjustments if a["status"] == status),
                "amount": money_text(  # cuts are kept negative: count what they moved
                    sum(abs(int(a["amount_cents"])) for a in adjustments if a["status"] == status)
                ),
            }
            for status in ("pending", "approved", "rejected")
        },
        "by_stage": _by_stage(rows, lines, categories),
        "approval_cycle_time": _cycle_times(rows),
    }


# The list.


def budget_listing(filters: BudgetFilter) -> Listing:
    return Listing(
        table="budget_rows",
        order=("fiscal_year", "department", "id"),
        equal={
            "fiscal_year": filters.fiscal_year,
            "department": filters.department,
            "status": filters.status,
            "control": filters.control,
        },
    )


def budget_items(store: ReadModelStore, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The list's items: each budget with its totals per category (budget and actual)."""
    ids = [row["id"] for row in rows]
    totals: dict[str, dict[str, list[int]]] = {}
    for line in _children(store, "budget_lines", ids):
        per = totals.setdefault(line["budget_id"], {}).setdefault(line["category"], [0, 0, 0])
        per[0] += _line_budget(line)
        per[1] += int(line["actual_cents"])
        per[2] += 1
    pending: dict[str, int] = {}
    for adjustment in _children(store, "budget_adjustments", ids, " AND status = 'pending'"):
        pending[adjustment["budget_id"]] = pending.get(adjustment["budget_id"], 0) + 1
    return [_item(row, totals.get(row["id"], {}), pending.get(row["id"], 0)) for row in rows]


def _item(row: dict[str, Any], totals: dict[str, list[int]], pending: int) -> dict[str, Any]:
    def total(categories: tuple[str, ...], index: int) -> str:
        return money_text(sum(totals.get(c, [0, 0, 0])[index] for c in categories))

    return {
        "id": row["id"],
        "version": int(row["version"]),
        "status": row["status"],
        "department": row["department"],
        "fiscal_year": int(row["fiscal_year"]),
        "control": row["control"],
        "lines": sum(per[2] for per in totals.values()),
        "revenue_budget": total(("revenue",), 0),
        "revenue_actual": total(("revenue",), 1),
        "spending_budget": total(SPENDING, 0),
        "spending_actual": total(SPENDING, 1),
        "pending_adjustments": pending,
        "returns": int(row["returns"]),
        "drafted_at": row["drafted_at"],
        "submitted_at": row["submitted_at"],
        "finance_reviewed_at": row["finance_reviewed_at"],
        "management_approved_at": row["management_approved_at"],
        "board_approved_at": row["board_approved_at"],
        "closed_at": row["closed_at"],
    }
