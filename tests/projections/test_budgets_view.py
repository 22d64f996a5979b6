"""The budgets read model: dashboard figures checked against hand-computed values,
incremental equals rebuilt, and the list's filters and paging."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from application.context import Actor
from application.services import Services
from application.store import StoreConfig
from domain.budget import BudgetControl, BudgetLineCategory, PlannedLine
from domain.vocabulary import Department, Role
from projections.budgets import BudgetsView
from projections.listing import page
from projections.queries.budgets import (
    BudgetFilter,
    budget_dashboard,
    budget_items,
    budget_listing,
    elapsed_share,
)
from projections.runner import ProjectionRunner
from projections.store import ReadModelStore
from tests.application.support import as_
from tests.projections.support import small_pools
from tests.support.clock import Clock

SALES_HEAD = Actor("head.sales", frozenset({Role.SALES}))
MARKETING_HEAD = Actor("head.marketing", frozenset({Role.MARKETING}))
HR_HEAD = Actor("head.hr", frozenset({Role.HR}))
FINANCE_HEAD = Actor("head.finance", frozenset({Role.FINANCE}))
TECH_HEAD = Actor("head.tech", frozenset({Role.TECHNOLOGY}))
FIN = Actor("fin.chen", frozenset({Role.FINANCE}))
BOOKKEEPER = Actor("fin.wang", frozenset({Role.FINANCE}))
MGR = Actor("mgr.zhao", frozenset({Role.MANAGEMENT}))
BOARD = Actor("board.li", frozenset({Role.BOARD}))

REVENUE = BudgetLineCategory.REVENUE
COST = BudgetLineCategory.COST
EXPENSE = BudgetLineCategory.EXPENSE

# The dashboard's moment: 2025-07-02 12:00 UTC is 182.5 of 365 days into 2025,
# an elapsed share of exactly 0.5.
NOW = datetime(2025, 7, 2, 12, 0, tzinfo=UTC)
NAME = BudgetsView.name


def line(code: str, category: BudgetLineCategory, amount: str) -> PlannedLine:
    return PlannedLine(code=code, category=category, amount=Decimal(amount))


@pytest.fixture
def runner(services: Services, store_config: StoreConfig) -> Iterator[ProjectionRunner]:
    opened = ProjectionRunner(services, small_pools(store_config), [BudgetsView()])
    try:
        yield opened
    finally:
        opened.close()


class History:
    """A small known history, written through the Budgets application's commands."""

    def __init__(self, services: Services) -> None:
        self.app = services.budgets
        self.clock = Clock(datetime(2023, 12, 1, 9, 0, tzinfo=UTC))
        self.app.clock = self.clock
        self.ids: dict[str, UUID] = {}

    def at(self, moment: datetime) -> None:
        self.clock.now = moment

    def draft(
        self,
        key: str,
        department: Department,
        year: int,
        head: Actor,
        lines: list[PlannedLine],
        control: BudgetControl = BudgetControl.STOP,
    ) -> UUID:
        self.ids[key] = self.app.draft_budget(
            department=department, fiscal_year=year, lines=lines, control=control, ctx=as_(head)
        ).id
        return self.ids[key]

    def actual(self, key: str, code: str, amount: str, ref: str, on: date) -> None:
        self.app.record_actual(
            self.ids[key],
            line=code,
            amount=Decimal(amount),
            document_ref=ref,
            date=on,
            ctx=as_(FIN),
        )

    def last_year(self) -> None:
        """Sales 2024 (warn): approved, one actual at 90 % (an 80 % warning), closed."""
        self.at(datetime(2023, 12, 1, 9, 0, tzinfo=UTC))
        s24 = self.draft(
            "sales_2024",
            Department.SALES,
            2024,
            SALES_HEAD,
            [line("X1", EXPENSE, "10000.00")],
            BudgetControl.WARN,
        )
        self.at(datetime(2023, 12, 2, 9, 0, tzinfo=UTC))
        self.app.submit_budget(s24, ctx=as_(SALES_HEAD))
        self.at(datetime(2023, 12, 3, 9, 0, tzinfo=UTC))  # +1 day
        self.app.review_budget(s24, approved=True, ctx=as_(FIN))
        self.at(datetime(2023, 12, 5, 9, 0, tzinfo=UTC))  # +3 days
        self.app.approve_budget_by_management(s24, approved=True, ctx=as_(MGR))
        self.at(datetime(2023, 12, 9, 9, 0, tzinfo=UTC))  # +7 days
        self.app.approve_budget_by_board(s24, approved=True, ctx=as_(BOARD))
        self.at(datetime(2024, 6, 30, 9, 0, tzinfo=UTC))
        self.actual("sales_2024", "X1", "9000.00", "INV-24-1", date(2024, 6, 30))
        self.at(datetime(2025, 1, 8, 9, 0, tzinfo=UTC))
        self.app.close_budget(s24, ctx=as_(FIN))

    def cycle(self) -> None:
        """Fiscal year 2025 up to approvals; technology 2026 drafted."""
        self.at(datetime(2024, 12, 2, 9, 0, tzinfo=UTC))
        sales = self.draft(
            "sales",
            Department.SALES,
            2025,
            SALES_HEAD,
            [
                line("R1", REVENUE, "1000000.00"),
                line("E1", EXPENSE, "100000.00"),
                line("E2", EXPENSE, "50000.00"),
            ],
            BudgetControl.WARN,
        )
        marketing = self.draft(
            "marketing",
            Department.MARKETING,
            2025,
            MARKETING_HEAD,
            [line("M1", EXPENSE, "200000.00"), line("C1", COST, "300000.00")],
        )
        hr = self.draft("hr", Department.HR, 2025, HR_HEAD, [line("H1", EXPENSE, "80000.00")])
        self.draft(
            "finance", Department.FINANCE, 2025, FINANCE_HEAD, [line("F1", EXPENSE, "40000.00")]
        )
        self.draft(
            "technology", Department.TECHNOLOGY, 2026, TECH_HEAD, [line("T1", EXPENSE, "10000.00")]
        )
        day = datetime(2024, 12, 1, 9, 0, tzinfo=UTC)  # day + n = December n+1, 09:00
        self.at(day + timedelta(days=2))  # Dec 3
        self.app.submit_budget(sales, ctx=as_(SALES_HEAD))
        self.app.submit_budget(hr, ctx=as_(HR_HEAD))
        self.at(day + timedelta(days=3))  # Dec 4
        self.app.submit_budget(marketing, ctx=as_(MARKETING_HEAD))
        self.at(day + timedelta(days=4))  # Dec 5
        self.app.review_budget(sales, approved=True, ctx=as_(FIN))  # 2 days after submission
        self.app.review_budget(marketing, approved=True, ctx=as_(FIN))  # 1 day
        self.app.review_budget(hr, approved=False, reason="missing quotes", ctx=as_(FIN))
        self.at(day + timedelta(days=5))  # Dec 6
        self.app.replace_budget_lines(hr, lines=[line("H1", EXPENSE, "90000.00")], ctx=as_(HR_HEAD))
        self.at(day + timedelta(days=6))  # Dec 7
        self.app.submit_budget(hr, ctx=as_(HR_HEAD))
        self.at(day + timedelta(days=8))  # Dec 9: 6 days after hr's first submission
        self.app.review_budget(hr, approved=True, ctx=as_(FIN))
        self.at(day + timedelta(days=9))  # Dec 10
        self.app.approve_budget_by_management(sales, approved=True, ctx=as_(MGR))  # 7 days
        self.app.approve_budget_by_management(marketing, approved=True, ctx=as_(MGR))  # 6 days
        self.at(day + timedelta(days=15))  # Dec 16
        self.app.approve_budget_by_board(sales, approved=True, ctx=as_(BOARD))  # 13 days
        self.app.approve_budget_by_board(marketing, approved=True, ctx=as_(BOARD))  # 12 days

    def execution(self) -> None:
        """Actuals, warnings and adjustments of 2025."""
        self.at(datetime(2025, 6, 30, 10, 0, tzinfo=UTC))
        on = date(2025, 6, 30)
        self.actual("sales", "R1", "400000.00", "SO-1", on)
        self.actual("sales", "E1", "85000.00", "INV-1", on)  # 85 %: the 80 % warning
        # 120 % under warn: an overrun of 10000.00, the 80 % and the 100 % warnings.
        self.actual("sales", "E2", "60000.00", "INV-2", on)
        self.actual("marketing", "M1", "170000.00", "INV-3", on)  # 85 %: the 80 % warning
        self.actual("marketing", "C1", "90000.00", "INV-4", on)  # 30 %
        self.at(datetime(2025, 7, 1, 10, 0, tzinfo=UTC))
        apps = self.app
        sales, marketing = self.ids["sales"], self.ids["marketing"]
        # Sales E1 +10000.00, approved: E1 110000.00, 85000 is 77.3 %: its warning closes.
        raise_e1 = apps.request_adjustment(
            sales, to_line="E1", amount=Decimal("10000.00"), reason="more", ctx=as_(SALES_HEAD)
        )
        apps.approve_adjustment(sales, UUID(raise_e1.extra["adjustment_id"]), ctx=as_(FIN))
        # Sales E2 +20000.00, beyond finance's 15000.00 (10 % of the spending): rejected
        # by management.
        raise_e2 = apps.request_adjustment(
            sales, to_line="E2", amount=Decimal("20000.00"), reason="more", ctx=as_(SALES_HEAD)
        )
        apps.reject_adjustment(
            sales, UUID(raise_e2.extra["adjustment_id"]), reason="no", ctx=as_(MGR)
        )
        # Marketing C1 -> M1 10000.00, approved: M1 210000.00 (80.95 %: still warned),
        # C1 290000.00.
        move = apps.request_adjustment(
            marketing,
            from_line="C1",
            to_line="M1",
            amount=Decimal("10000.00"),
            reason="events",
            ctx=as_(MARKETING_HEAD),
        )
        apps.approve_adjustment(marketing, UUID(move.extra["adjustment_id"]), ctx=as_(FIN))
        # Marketing C1 +5000.00, left pending.
        apps.request_adjustment(
            marketing, to_line="C1", amount=Decimal("5000.00"), reason="x", ctx=as_(MARKETING_HEAD)
        )

    def everything(self) -> None:
        self.last_year()
        self.cycle()
        self.execution()


def figures(
    budget: str,
    actual: str,
    variance: str,
    variance_percent: float | None,
    favourable: bool,
    utilisation: float | None,
    burn_index: float | None,
    forecast: str | None,
    forecast_variance: str | None,
    open_warnings: int,
) -> dict[str, Any]:
    return {
        "budget": budget,
        "actual": actual,
        "variance": variance,
        "variance_percent": variance_percent,
        "favourable": favourable,
        "utilisation": utilisation,
        "burn_index": burn_index,
        "forecast": forecast,
        "forecast_variance": forecast_variance,
        "open_warnings": open_warnings,
    }


# Hand-computed at an elapsed share of 0.5 (forecast = actual x 2).
SALES_REVENUE = figures(
    # 1000000 budget, 400000 actual: variance 600000 = 60 % of budget; utilisation
    # 0.4, burn 0.4 / 0.5 = 0.8; forecast 800000, 200000 short of budget: unfavourable.
    "1000000.00", "400000.00", "600000.00", 60.0, False, 0.4, 0.8, "800000.00", "200000.00", 0
)  # fmt: skip
SALES_EXPENSE = figures(
    # E1 110000 + E2 50000 = 160000 budget; 85000 + 60000 = 145000 actual; variance
    # 15000 = 9.375 % -> 9.38; utilisation 0.90625 -> 0.9063; burn 1.8125; forecast
    # 290000, 130000 over; open warnings: E2's overrun, 80 % and 100 % (E1's closed).
    "160000.00", "145000.00", "15000.00", 9.38, True, 0.9063, 1.8125, "290000.00",
    "-130000.00", 3,
)  # fmt: skip
MARKETING_COST = figures(
    # C1 300000 - 10000 moved = 290000; actual 90000; variance 200000 = 68.9655 %;
    # utilisation 0.310345; burn 0.620690; forecast 180000, 110000 under.
    "290000.00", "90000.00", "200000.00", 68.97, True, 0.3103, 0.6207, "180000.00",
    "110000.00", 0,
)  # fmt: skip
MARKETING_EXPENSE = figures(
    # M1 200000 + 10000 = 210000; actual 170000; variance 40000 = 19.0476 %;
    # utilisation 0.809524; burn 1.619048; forecast 340000, 130000 over; its 80 % open.
    "210000.00", "170000.00", "40000.00", 19.05, True, 0.8095, 1.619, "340000.00",
    "-130000.00", 1,
)  # fmt: skip
MARKETING_SPENDING = figures(
    # 290000 + 210000 = 500000; 90000 + 170000 = 260000; variance 240000 = 48 %;
    # utilisation 0.52; burn 1.04; forecast 520000, 20000 over.
    "500000.00", "260000.00", "240000.00", 48.0, True, 0.52, 1.04, "520000.00", "-20000.00", 1
)  # fmt: skip
COMPANY_EXPENSE = figures(
    # 160000 + 210000 = 370000; 145000 + 170000 = 315000; variance 55000 = 14.8649 %;
    # utilisation 0.851351; burn 1.702703; forecast 630000, 260000 over; 3 + 1 open.
    "370000.00", "315000.00", "55000.00", 14.86, True, 0.8514, 1.7027, "630000.00",
    "-260000.00", 4,
)  # fmt: skip
COMPANY_SPENDING = figures(
    # 160000 + 500000 = 660000; 145000 + 260000 = 405000; variance 255000 = 38.6364 %;
    # utilisation 0.613636; burn 1.227273; forecast 810000, 150000 over.
    "660000.00", "405000.00", "255000.00", 38.64, True, 0.6136, 1.2273, "810000.00",
    "-150000.00", 4,
)  # fmt: skip


def stage(budgets: int, revenue: str, cost: str, expense: str, spending: str) -> dict[str, Any]:
    return {
        "budgets": budgets,
        "revenue": revenue,
        "cost": cost,
        "expense": expense,
        "spending": spending,
    }


NONE = stage(0, "0.00", "0.00", "0.00", "0.00")


def built(services: Services, runner: ProjectionRunner) -> ReadModelStore:
    History(services).everything()
    runner.catch_up()
    return runner.store(NAME)


def test_elapsed_share_of_the_fiscal_year() -> None:
    # 2024 is a leap year: July 2 00:00 is 183 of 366 days in.
    assert elapsed_share(2024, datetime(2024, 7, 2, tzinfo=UTC)) == Decimal("0.5")
    assert elapsed_share(2025, NOW) == Decimal("0.5")
    assert elapsed_share(2025, datetime(2024, 12, 31, tzinfo=UTC)) == 0
    assert elapsed_share(2025, datetime(2026, 1, 1, tzinfo=UTC)) == 1
    # 2025-01-10 12:00 is 9.5 of 365 days in.
    assert elapsed_share(2025, datetime(2025, 1, 10, 12, tzinfo=UTC)) == Decimal(19) / 730


def test_the_dashboard_s_figures_match_hand_computed_values(
    services: Services, runner: ProjectionRunner
) -> None:
    store = built(services, runner)
    board = budget_dashboard(store, BudgetFilter(fiscal_year=2025), NOW)

    assert board["fiscal_year"] == 2025
    assert board["as_of"] == "2025-07-02T12:00:00.000000Z"
    assert board["elapsed_share"] == 0.5
    assert board["budgets"] == 4  # sales, marketing, hr, finance (not technology 2026)
    assert board["executing_budgets"] == 2
    # Only board-approved and closed budgets are in the budget-vs-actual figures.
    assert board["by_department"] == {
        "marketing": {
            "cost": MARKETING_COST,
            "expense": MARKETING_EXPENSE,
            "spending": MARKETING_SPENDING,
        },
        "sales": {"revenue": SALES_REVENUE, "expense": SALES_EXPENSE, "spending": SALES_EXPENSE},
    }
    assert board["by_category"] == {
        "revenue": SALES_REVENUE,
        "cost": MARKETING_COST,
        "expense": COMPANY_EXPENSE,
        "spending": COMPANY_SPENDING,
    }
    warnings = board["warnings"]
    assert warnings["raised"] == 5  # E1 80 %; E2 overrun, 80 %, 100 %; M1 80 %
    assert warnings["open"] == 4
    open_items = {
        (w["department"], w["line"], w["kind"], w["threshold"], w["amount"], w["category"])
        for w in warnings["open_items"]
    }
    assert open_items == {
        ("sales", "E2", "overrun", None, "10000.00", "expense"),
        ("sales", "E2", "threshold", 80, "60000.00", "expense"),
        ("sales", "E2", "threshold", 100, "60000.00", "expense"),
        ("marketing", "M1", "threshold", 80, "170000.00", "expense"),
    }
    assert all(w["raised_at"] == "2025-06-30T10:00:00.000000Z" for w in warnings["open_items"])
    assert board["adjustments"] == {
        "pending": {"count": 1, "amount": "5000.00"},
        "approved": {"count": 2, "amount": "20000.00"},
        "rejected": {"count": 1, "amount": "20000.00"},
    }
    assert board["by_stage"] == {
        "draft": stage(1, "0.00", "0.00", "40000.00", "40000.00"),  # finance
        "submitted": NONE,
        "finance_reviewed": stage(1, "0.00", "0.00", "90000.00", "90000.00"),  # hr, revised
        "management_approved": NONE,
        # Sales 1000000 revenue, 160000 expense; marketing 290000 cost, 210000 expense.
        "board_approved": stage(2, "1000000.00", "290000.00", "370000.00", "660000.00"),
        "closed": NONE,
    }
    assert board["approval_cycle_time"] == {
        # sales 2, marketing 1, hr 6 days (from its first submission): median 2.
        "finance_reviewed": {"budgets": 3, "median_days": 2.0},
        # sales 7, marketing 6: median 6.5.
        "management_approved": {"budgets": 2, "median_days": 6.5},
        # sales 13, marketing 12: median 12.5.
        "board_approved": {"budgets": 2, "median_days": 12.5},
    }


def test_a_closed_year_counts_whole_and_has_no_open_warnings(
    services: Services, runner: ProjectionRunner
) -> None:
    store = built(services, runner)
    board = budget_dashboard(store, BudgetFilter(fiscal_year=2024), NOW)

    assert board["elapsed_share"] == 1.0
    # 10000 budget, 9000 actual: variance 1000 = 10 %, utilisation 0.9, burn 0.9 / 1;
    # the year is over: forecast = actual. The 80 % warning closed with the budget.
    closed = figures(
        "10000.00", "9000.00", "1000.00", 10.0, True, 0.9, 0.9, "9000.00", "1000.00", 0
    )
    assert board["by_department"] == {"sales": {"expense": closed, "spending": closed}}
    assert board["warnings"] == {"raised": 1, "open": 0, "open_items": []}
    assert board["by_stage"]["closed"] == stage(1, "0.00", "0.00", "10000.00", "10000.00")
    assert board["approval_cycle_time"] == {
        "finance_reviewed": {"budgets": 1, "median_days": 1.0},
        "management_approved": {"budgets": 1, "median_days": 3.0},
        "board_approved": {"budgets": 1, "median_days": 7.0},
    }


def test_a_year_not_begun_has_no_burn_and_no_forecast(
    services: Services, runner: ProjectionRunner
) -> None:
    store = built(services, runner)
    board = budget_dashboard(store, BudgetFilter(fiscal_year=2026), NOW)
    assert board["elapsed_share"] == 0.0
    assert board["budgets"] == 1
    assert board["by_department"] == {}
    assert board["by_stage"]["draft"] == stage(1, "0.00", "0.00", "10000.00", "10000.00")
    assert board["approval_cycle_time"]["finance_reviewed"] == {"budgets": 0, "median_days": None}
    # A budget active in a year not yet begun would show no burn and no forecast.
    empty = budget_dashboard(
        store, BudgetFilter(fiscal_year=2025), datetime(2024, 12, 20, tzinfo=UTC)
    )
    assert empty["by_category"]["revenue"]["burn_index"] is None
    assert empty["by_category"]["revenue"]["forecast"] is None


def test_the_dashboard_filters_by_department_and_category(
    services: Services, runner: ProjectionRunner
) -> None:
    store = built(services, runner)
    marketing = budget_dashboard(store, BudgetFilter(fiscal_year=2025, department="marketing"), NOW)
    assert marketing["budgets"] == 1
    assert marketing["by_category"] == {
        "cost": MARKETING_COST,
        "expense": MARKETING_EXPENSE,
        "spending": MARKETING_SPENDING,
    }
    assert (marketing["warnings"]["raised"], marketing["warnings"]["open"]) == (1, 1)
    assert marketing["by_stage"]["board_approved"] == stage(
        1, "0.00", "290000.00", "210000.00", "500000.00"
    )
    assert marketing["by_stage"]["draft"] == NONE
    assert marketing["adjustments"]["pending"] == {"count": 1, "amount": "5000.00"}
    assert marketing["approval_cycle_time"]["board_approved"] == {
        "budgets": 1,
        "median_days": 12.0,
    }

    revenue = budget_dashboard(store, BudgetFilter(fiscal_year=2025, category="revenue"), NOW)
    assert revenue["by_category"] == {"revenue": SALES_REVENUE}
    assert revenue["by_department"] == {"sales": {"revenue": SALES_REVENUE}}
    assert revenue["warnings"] == {"raised": 0, "open": 0, "open_items": []}
    assert revenue["by_stage"]["board_approved"] == {"budgets": 2, "revenue": "1000000.00"}
    assert revenue["by_stage"]["draft"] == {"budgets": 1, "revenue": "0.00"}

    expense = budget_dashboard(
        store, BudgetFilter(fiscal_year=2025, department="sales", category="expense"), NOW
    )
    assert expense["by_category"] == {"expense": SALES_EXPENSE, "spending": SALES_EXPENSE}
    assert expense["warnings"]["open"] == 3


def _table_rows(store: ReadModelStore) -> dict[str, list[dict[str, Any]]]:
    order = {
        "budget_rows": "id",
        "budget_lines": "budget_id, code",
        "budget_adjustments": "budget_id, adjustment_id",
        "budget_warnings": "budget_id, version",
    }
    return {
        table: store.read(f"SELECT * FROM {table} ORDER BY {columns}")
        for table, columns in order.items()
    }


def test_incremental_equals_rebuilt(services: Services, runner: ProjectionRunner) -> None:
    history = History(services)
    history.last_year()
    runner.catch_up()
    history.cycle()
    runner.catch_up()
    history.execution()
    runner.catch_up()
    store = runner.store(NAME)
    incremental = _table_rows(store)
    assert len(incremental["budget_rows"]) == 6
    assert len(incremental["budget_warnings"]) == 6

    assert runner.rebuild(NAME) > 0
    assert _table_rows(store) == incremental
    assert store.position("budgets") == services.budgets.recorder.max_notification_id()


# The list.


def _all(store: ReadModelStore, filters: BudgetFilter, size: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = None
    for _ in range(50):
        rows, after = page(store, budget_listing(filters), limit=size, after=after)
        items += budget_items(store, rows)
        if after is None:
            return items
    raise AssertionError("paging did not end")


def test_the_list_s_filters_and_items(services: Services, runner: ProjectionRunner) -> None:
    store = built(services, runner)
    history_ids = {
        str(b.id): b for b in (services.budgets.get_budget(UUID(i)) for i in _ids(store))
    }
    items = _all(store, BudgetFilter(), 500)
    assert [(i["fiscal_year"], i["department"]) for i in items] == [
        (2024, "sales"),
        (2025, "finance"),
        (2025, "hr"),
        (2025, "marketing"),
        (2025, "sales"),
        (2026, "technology"),
    ]
    for item in items:
        assert item["version"] == history_ids[item["id"]].version
        assert item["status"] == history_ids[item["id"]].status.value
    by_key = {(i["fiscal_year"], i["department"]): i for i in items}
    sales = by_key[(2025, "sales")]
    assert {k: sales[k] for k in sales if k not in ("id", "version")} == {
        "status": "board_approved",
        "department": "sales",
        "fiscal_year": 2025,
        "control": "warn",
        "lines": 3,
        "revenue_budget": "1000000.00",
        "revenue_actual": "400000.00",
        "spending_budget": "160000.00",  # 100000 + 10000 approved + 50000
        "spending_actual": "145000.00",
        "pending_adjustments": 0,
        "returns": 0,
        "drafted_at": "2024-12-02T09:00:00.000000Z",
        "submitted_at": "2024-12-03T09:00:00.000000Z",
        "finance_reviewed_at": "2024-12-05T09:00:00.000000Z",
        "management_approved_at": "2024-12-10T09:00:00.000000Z",
        "board_approved_at": "2024-12-16T09:00:00.000000Z",
        "closed_at": None,
    }
    hr = by_key[(2025, "hr")]
    assert (hr["status"], hr["returns"], hr["lines"], hr["spending_budget"]) == (
        "finance_reviewed",
        1,
        1,
        "90000.00",
    )
    assert hr["submitted_at"] == "2024-12-07T09:00:00.000000Z"
    assert by_key[(2025, "marketing")]["pending_adjustments"] == 1
    assert by_key[(2024, "sales")]["closed_at"] == "2025-01-08T09:00:00.000000Z"

    def keys(filters: BudgetFilter) -> list[tuple[int, str]]:
        return [(i["fiscal_year"], i["department"]) for i in _all(store, filters, 500)]

    assert keys(BudgetFilter(fiscal_year=2025)) == [
        (2025, "finance"),
        (2025, "hr"),
        (2025, "marketing"),
        (2025, "sales"),
    ]
    assert keys(BudgetFilter(department="sales")) == [(2024, "sales"), (2025, "sales")]
    assert keys(BudgetFilter(status="board_approved")) == [(2025, "marketing"), (2025, "sales")]
    assert keys(BudgetFilter(status="closed")) == [(2024, "sales")]
    assert keys(BudgetFilter(control="warn")) == [(2024, "sales"), (2025, "sales")]
    assert keys(BudgetFilter(fiscal_year=2025, control="stop", status="draft")) == [
        (2025, "finance")
    ]
    assert keys(BudgetFilter(fiscal_year=2027)) == []


def _ids(store: ReadModelStore) -> list[str]:
    return [r["id"] for r in store.read("SELECT id FROM budget_rows")]


@pytest.mark.parametrize("size", [1, 2, 7])
def test_paging_lists_every_budget_exactly_once(
    services: Services, runner: ProjectionRunner, size: int
) -> None:
    store = built(services, runner)
    everything = _all(store, BudgetFilter(), 500)
    paged = _all(store, BudgetFilter(), size)
    assert paged == everything
    assert len({i["id"] for i in paged}) == len(paged) == 6
    stop = _all(store, BudgetFilter(control="stop"), size)
    assert [i["department"] for i in stop] == ["finance", "hr", "marketing", "technology"]


# Controls that cannot be split around (issue 11): reversals, cuts, monthly warnings.


def test_reversals_cuts_and_monthly_overruns_in_the_read_model(
    services: Services, runner: ProjectionRunner
) -> None:
    history = History(services)
    history.at(datetime(2024, 12, 2, 9, 0, tzinfo=UTC))
    split = [Decimal("1000.00")] * 12
    ops = history.draft(
        "ops",
        Department.OPERATIONS,
        2025,
        Actor("head.ops", frozenset({Role.OPERATIONS})),
        [
            PlannedLine("O1", EXPENSE, Decimal("12000.00"), split),
            line("O2", COST, "50000.00"),
        ],
        BudgetControl.WARN,
    )
    app = services.budgets
    app.submit_budget(ops, ctx=as_(Actor("head.ops", frozenset({Role.OPERATIONS}))))
    app.review_budget(ops, approved=True, ctx=as_(FIN))
    app.approve_budget_by_management(ops, approved=True, ctx=as_(MGR))
    app.approve_budget_by_board(ops, approved=True, ctx=as_(BOARD))
    history.at(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
    history.actual("ops", "O1", "1500.00", "INV-1", date(2025, 1, 20))  # January: 500 beyond
    history.actual("ops", "O2", "45000.00", "INV-2", date(2025, 2, 1))  # 90 %: the 80 % warning
    runner.catch_up()
    app.reverse_actual(ops, document_ref="INV-2", reason="wrong line", ctx=as_(FIN))
    cut = app.request_adjustment(
        ops, from_line="O2", amount=Decimal("5000.00"), reason="savings", ctx=as_(FIN)
    )
    app.approve_adjustment(ops, UUID(cut.extra["adjustment_id"]), ctx=as_(BOOKKEEPER))
    runner.catch_up()
    store = runner.store(NAME)

    board = budget_dashboard(store, BudgetFilter(fiscal_year=2025), NOW)
    cost = board["by_department"]["operations"]["cost"]
    assert (cost["budget"], cost["actual"]) == ("45000.00", "0.00")  # net of the reversal
    assert board["warnings"]["raised"] == 2  # the monthly overrun and the 80 % warning
    assert board["warnings"]["open"] == 0  # O2 is back below 80 %; a month's overrun is past
    assert board["adjustments"]["approved"] == {"count": 1, "amount": "5000.00"}
    (item,) = _all(store, BudgetFilter(fiscal_year=2025), 10)
    assert (item["spending_budget"], item["spending_actual"]) == ("57000.00", "1500.00")
    rows = _table_rows(store)
    kinds = sorted(w["kind"] for w in rows["budget_warnings"])
    assert kinds == ["monthly_overrun", "threshold"]
    assert runner.rebuild(NAME) > 0
    assert _table_rows(store) == rows
