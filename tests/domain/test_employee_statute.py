"""Employee rules by the statute (issue 12): probation (劳动合同法 Art. 19), leave
counted in working days of the company calendar, cancellation, appraisal cycles."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.calendar import SHIPPED, Schedule, WorkingCalendar, shipped_days
from domain.employee import (
    AppraisalPeriodOutsideCycle,
    Employee,
    LeaveBalanceExceeded,
    LeaveDaysMismatch,
    LeaveHasNoWorkingDays,
    LeaveNotCancellable,
    LeaveStatus,
    ProbationEndBeforeHire,
    ProbationTooLong,
    add_months,
    cycle_period,
    probation_limit,
)
from domain.vocabulary import Department
from tests.domain.support import assert_refused, settled

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


def calendar_2026() -> Schedule:
    found = shipped_days(2026)
    assert found is not None
    holidays, working, source = found
    return WorkingCalendar.load(2026, holidays, working, SHIPPED, source).schedule()


CAL = calendar_2026()


def hired(**overrides: Any) -> Employee:
    fields: dict[str, Any] = {
        "name": "Wang Fang",
        "department": Department.FINANCE,
        "position": "accountant",
        "manager_id": None,
        "hire_date": date(2015, 3, 1),
        "prior_service_years": Decimal("3"),
        "now": NOW,
    }
    fields.update(overrides)
    return settled(Employee.hire(**fields))


# Probation.


def test_probation_ends_six_months_after_hire_by_default() -> None:
    employee = hired(hire_date=date(2026, 2, 28))
    assert employee.probation_end == date(2026, 8, 28)
    assert probation_limit(date(2025, 8, 31)) == date(2026, 2, 28)
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)


def test_a_shorter_probation_is_kept_and_a_longer_one_refused() -> None:
    assert hired(hire_date=date(2026, 1, 5), probation_end=date(2026, 3, 4)).probation_end == (
        date(2026, 3, 4)
    )
    with pytest.raises(ProbationTooLong) as raised:
        hired(hire_date=date(2026, 1, 5), probation_end=date(2026, 7, 6))
    assert raised.value.figures == {"probation_end": "2026-07-06", "latest": "2026-07-05"}
    with pytest.raises(ProbationEndBeforeHire):
        hired(hire_date=date(2026, 1, 5), probation_end=date(2026, 1, 5))


def test_an_unconfirmed_probation_past_its_end_is_overdue() -> None:
    employee = hired(hire_date=date(2025, 11, 3))  # probation ends 2026-05-03
    assert not employee.probation_overdue(date(2026, 5, 3))
    assert employee.probation_overdue(date(2026, 5, 4))
    employee.confirm(date(2026, 5, 20), NOW)
    assert not employee.probation_overdue(date(2026, 6, 1))


# Leave in working days.


def test_the_server_counts_working_days_by_the_calendar() -> None:
    employee = hired()
    request_id = uuid4()
    # 28 September to 9 October 2026: National Day inside, 3 + 2 working days.
    employee.request_leave(request_id, date(2026, 9, 28), date(2026, 10, 9), None, "wf", CAL)
    assert employee.leave_request(request_id)["days"] == 5


def test_a_days_figure_that_disagrees_is_refused_with_both_figures() -> None:
    error = assert_refused(
        hired(),
        LeaveDaysMismatch,
        lambda e: e.request_leave(uuid4(), date(2026, 10, 1), date(2026, 10, 9), 7, "wf", CAL),
    )
    assert error.figures == {"days_sent": 7, "working_days": 2, "calendar": "shipped"}
    assert error.fields == ("days",)


def test_a_holiday_is_not_leave() -> None:
    assert_refused(
        hired(),
        LeaveHasNoWorkingDays,
        lambda e: e.request_leave(uuid4(), date(2026, 10, 1), date(2026, 10, 7), None, "wf", CAL),
    )


def test_an_adjusted_working_day_is_leave() -> None:
    employee = hired()
    employee.request_leave(uuid4(), date(2026, 10, 10), date(2026, 10, 10), 1, "wf", CAL)
    assert employee.leave_used(2026) == 1


def test_the_balance_is_the_years_whatever_the_day() -> None:
    employee = hired()  # 3 + 11 years: 10 days
    employee.request_leave(uuid4(), date(2026, 3, 2), date(2026, 3, 13), None, "wf", CAL)
    assert employee.leave_balance(2026) == 0
    assert_refused(
        settled(employee),
        LeaveBalanceExceeded,
        lambda e: e.request_leave(uuid4(), date(2026, 11, 2), date(2026, 11, 2), 1, "wf", CAL),
    )


def test_cancelled_leave_returns_its_days() -> None:
    employee = hired()
    request_id = uuid4()
    employee.request_leave(request_id, date(2026, 7, 6), date(2026, 7, 10), 5, "wf", CAL)
    employee.approve_leave(request_id, "boss", None)
    employee.cancel_leave(request_id, "wf", date(2026, 7, 5))

    assert employee.leave_request(request_id)["status"] == LeaveStatus.CANCELLED
    assert employee.leave_balance(2026) == 10
    assert_refused(
        settled(employee),
        LeaveNotCancellable,
        lambda e: e.cancel_leave(request_id, "wf", date(2026, 7, 5)),
    )


def test_leave_that_has_begun_cannot_be_cancelled() -> None:
    employee = hired()
    request_id = uuid4()
    employee.request_leave(request_id, date(2026, 6, 8), date(2026, 6, 12), 5, "wf", CAL)
    employee.approve_leave(request_id, "boss", None)
    assert_refused(
        settled(employee),
        LeaveNotCancellable,
        lambda e: e.cancel_leave(request_id, "hr", date(2026, 6, 8)),
    )
    employee.start_leave(request_id, date(2026, 6, 8), NOW)
    assert_refused(
        settled(employee),
        LeaveNotCancellable,
        lambda e: e.cancel_leave(request_id, "hr", date(2026, 6, 1)),
    )


# Appraisal cycles.


@pytest.mark.parametrize(
    ("cycle", "first", "last"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
    ],
)
def test_a_cycle_names_its_period(cycle: str, first: date, last: date) -> None:
    assert cycle_period(cycle) == (first, last)


@pytest.mark.parametrize(
    ("cycle", "start", "end"),
    [
        ("2026", date(2025, 12, 1), date(2026, 11, 30)),
        ("2026", date(2026, 1, 1), date(2027, 1, 1)),
        ("2026-H1", date(2026, 1, 1), date(2026, 7, 31)),
        ("2026-Q3", date(2026, 6, 30), date(2026, 9, 30)),
    ],
)
def test_the_appraisal_period_lies_inside_its_cycle(cycle: str, start: date, end: date) -> None:
    goal: Any = {
        "title": "Close",
        "metric": "days",
        "target": Decimal("5"),
        "unit": "d",
        "deadline": start,
        "weight": 100,
    }
    assert_refused(
        hired(), AppraisalPeriodOutsideCycle, lambda e: e.set_goals(cycle, start, end, [goal])
    )


# Events and snapshots written before version 2 still load.


def test_a_version_1_snapshot_gets_the_default_probation_end() -> None:
    employee = hired(hire_date=date(2025, 8, 31))
    snapshot = Employee.Snapshot.take(employee)
    state = snapshot.state
    del state["probation_end"], state["class_version"]
    Employee.upcast_v1_v2(state)
    assert state["probation_end"] == date(2026, 2, 28)
