"""The demo budgets: every department at a believable stage, loaded once however often run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from application.services import Services
from demo import load_budgets_demo
from domain.budget import BudgetAdjustmentStatus, BudgetStatus
from domain.vocabulary import Department

NOW = datetime(2025, 9, 14, 9, 30, tzinfo=UTC)


def event_count(services: Services) -> int:
    return services.budgets.recorder.max_notification_id() or 0


def test_demo_budgets_load_once_however_often_run(services: Services) -> None:
    made = load_budgets_demo(services, now=NOW)

    assert made == 10
    year = {b.department: b for b in services.budgets.budgets_of_year(NOW.year)}
    assert set(year) == set(Department)
    statuses = {d: b.status for d, b in year.items()}
    assert statuses[Department.SALES] == BudgetStatus.BOARD_APPROVED
    assert statuses[Department.FINANCE] == BudgetStatus.MANAGEMENT_APPROVED
    assert statuses[Department.HR] == BudgetStatus.FINANCE_REVIEWED
    assert statuses[Department.ADMINISTRATION] == BudgetStatus.SUBMITTED
    assert year[Department.ADMINISTRATION].returns  # returned once, then resubmitted
    assert sum(1 for s in statuses.values() if s == BudgetStatus.BOARD_APPROVED) == 5
    (next_year,) = services.budgets.budgets_of_year(NOW.year + 1)
    assert next_year.status == BudgetStatus.DRAFT
    (last_year,) = services.budgets.budgets_of_year(NOW.year - 1)
    assert last_year.status == BudgetStatus.CLOSED
    assert len(last_year.document_refs) == 12 * 4

    # Months of actuals, a few overruns and warnings; stop budgets never overspend.
    for budget in year.values():
        if budget.is_active:
            assert len(budget.document_refs) == 10 * len(budget.lines)
            assert any(w["kind"] == "threshold" for w in budget.warnings)
    overruns = [w for b in year.values() for w in b.warnings if w["kind"] == "overrun"]
    assert overruns
    assert {year[d].control.value for d in (Department.SALES, Department.MARKETING)} == {"warn"}
    for department in (Department.OPERATIONS, Department.TECHNOLOGY):
        assert all(year[department].available(code) >= 0 for code in year[department].lines)
    adjustments = [a["status"] for b in year.values() for a in b.adjustments.values()]
    assert sorted(s.value for s in adjustments) == ["approved", "approved", "pending", "rejected"]
    assert BudgetAdjustmentStatus.PENDING in adjustments
    # The applications' clocks are back to normal.
    assert "clock" not in vars(services.budgets)

    before = event_count(services)
    assert load_budgets_demo(services, now=NOW + timedelta(days=3, hours=5)) == 10
    assert event_count(services) == before


def test_demo_budgets_early_in_the_year(services: Services) -> None:
    early = datetime(2025, 1, 2, 8, 0, tzinfo=UTC)

    assert load_budgets_demo(services, now=early) == 10
    sales = services.budgets.find_budget(Department.SALES, 2025)
    assert sales is not None and sales.is_active
    assert all(ref for ref in sales.document_refs)


@pytest.mark.parametrize(
    "day", [(1, 31), (2, 28), (5, 31), (7, 30), (12, 31)], ids=lambda d: f"{d[0]:02d}-{d[1]:02d}"
)
def test_demo_stop_budgets_keep_their_monthly_split_whatever_the_day(
    services: Services, day: tuple[int, int]
) -> None:
    now = datetime(2024, *day, 22, 0, tzinfo=UTC)  # 2024: a leap year

    assert load_budgets_demo(services, now=now) == 10
    for budget in services.budgets.budgets_of_year(2024):
        for code, line in budget.lines.items():
            if budget.is_active and line["monthly"] is not None:
                assert budget.spent_through(code, 12) == line["actual"]
                for month in range(1, 13):
                    limit = budget.monthly_budget(code, month)
                    assert limit is not None
                    if budget.control.value == "stop":
                        assert budget.spent_through(code, month) <= limit
