"""The demo company's people: believable, complete, and loaded only once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from application.services import Services
from demo import load_employees_demo
from demo.employees import STAFF
from domain.employee import (
    AppraisalStatus,
    Employee,
    EmployeeStatus,
    LeaveStatus,
    TrainingKind,
    appraisal_status,
)


def staff(services: Services) -> list[Employee]:
    app = services.employees
    notifications = app.recorder.select_notifications(start=None, limit=1_000_000)
    ids = dict.fromkeys(UUID(str(n.originator_id)) for n in notifications)
    return [app.get_employee(i) for i in ids]


@pytest.mark.parametrize(
    "now",
    [datetime(2026, 6, 15, 9, 30, tzinfo=UTC), datetime(2027, 1, 4, 1, 0, tzinfo=UTC)],
    ids=["mid-year", "early-january"],
)
def test_the_staff_loads_once_however_often_it_is_run(services: Services, now: datetime) -> None:
    made = load_employees_demo(services, now=now)
    app = services.employees
    count = app.recorder.max_notification_id()
    assert "clock" not in vars(app)

    again = load_employees_demo(services, now=now)

    assert made == again == len(STAFF)
    assert app.recorder.max_notification_id() == count
    check_staff(staff(services), now)


def test_a_later_run_only_completes_what_fell_due_since(services: Services) -> None:
    """Holidays and birthdays are calendar dates: a run days later may add what
    became due meanwhile, but never a second copy of anything."""
    now = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)
    load_employees_demo(services, now=now)
    before = {p.id: p.version for p in staff(services)}

    load_employees_demo(services, now=now + timedelta(days=3, hours=5))

    after = staff(services)
    assert {p.id for p in after} == set(before)
    assert sum(p.version for p in after) - sum(before.values()) <= 5
    for person in after:
        trainings = [(t["course"], t["completed_on"]) for t in person.trainings]
        assert len(trainings) == len(set(trainings))


def check_staff(people: list[Employee], now: datetime) -> None:
    assert len(people) == len(STAFF)
    statuses = Counter(p.status for p in people)
    assert statuses[EmployeeStatus.SEPARATED] == 1
    assert statuses[EmployeeStatus.HIRED] == 1  # the newest colleague is on probation
    assert len({p.department for p in people}) == 8

    last, current = str(now.year - 1), str(now.year)
    finalized = [p.appraisals[last] for p in people if last in p.appraisals]
    assert len(finalized) >= 12
    assert all(appraisal_status(a) == AppraisalStatus.FINALIZED for a in finalized)
    ratings = Counter(a["rating"] for a in finalized)
    assert ratings[2] == 2 and ratings[5] >= 2
    assert sum(len(p.outstanding_improvement_plans) for p in people) == 0
    below_three = [a for a in finalized if (a["rating"] or 0) < 3]
    assert below_three and all(a["improvement_plan"] for a in below_three)
    assert sum(len(p.rewards) for p in people) >= 4
    assert any(r["promotion_to"] for p in people for r in p.rewards)

    in_progress = Counter(
        appraisal_status(p.appraisals[current]) for p in people if current in p.appraisals
    )
    assert len(in_progress) >= 3
    assert AppraisalStatus.FINALIZED not in in_progress

    kinds = Counter(t["kind"] for p in people for t in p.trainings)
    assert kinds[TrainingKind.ONBOARDING] == len(STAFF)
    assert kinds[TrainingKind.SKILLS] > 0 and kinds[TrainingKind.MANAGEMENT] > 0
    assert all(len(p.benefits) >= 2 for p in people)

    leave = Counter(r["status"] for p in people for r in p.leave_requests.values())
    assert leave[LeaveStatus.COMPLETED] >= 10
    assert leave[LeaveStatus.PENDING] + leave[LeaveStatus.APPROVED] >= 1
    assert {p.leave_entitlement(now.year) for p in people} >= {0, 5, 10, 15}
