"""/employees over HTTP by the statute (issue 12): probation ends and overdue
confirmations, leave cancelled, transfers within a department, appraisal cycles,
and no principal deciding about their own employee record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.vocabulary import Role
from tests.api.support import Api

pytestmark = pytest.mark.shared_app

HR = Role.HR
FAR = "2030"  # leave far ahead: weekends-only year, not begun


def hire(api: Api, name: str = "Zhou Min", **overrides: Any) -> str:
    body: dict[str, Any] = {
        "name": name,
        "department": "operations",
        "position": "operations specialist",
        "hire_date": "2018-04-02",
        "prior_service_years": "1",
        **overrides,
    }
    return str(api.ok("/employees", body, who=HR)["id"])


def linked(api: Api, name: str, employee_id: str, *roles: Role) -> dict[str, str]:
    token = api.tokens.store.issue(name, roles or (Role.OPERATIONS,), employee_id=UUID(employee_id))
    return {"Authorization": f"Bearer {token}"}


def test_probation_ends_by_six_months_at_most(api: Api) -> None:
    default = api.state("employees", hire(api, hire_date="2025-08-31"))
    assert default["probation_end"] == "2026-02-28"
    shorter = api.state("employees", hire(api, hire_date="2025-08-01", probation_end="2025-10-31"))
    assert shorter["probation_end"] == "2025-10-31"
    problem = api.refused(
        "POST", "/employees", 422, "probation-too-long", who=HR, fields=("probation_end",),
        json={"name": "Long", "department": "hr", "position": "officer",
              "hire_date": "2025-08-01", "probation_end": "2026-02-02"},
    )  # fmt: skip
    assert problem["latest"] == "2026-02-01"
    api.refused(
        "POST", "/employees", 422, "probation-end-before-hire", who=HR,
        json={"name": "Odd", "department": "hr", "position": "officer",
              "hire_date": "2025-08-01", "probation_end": "2025-07-31"},
    )  # fmt: skip


def test_an_overdue_confirmation_shows_on_the_record_and_the_dashboard(api: Api) -> None:
    today = datetime.now(UTC).date()
    hired_on = (today - timedelta(days=400)).isoformat()
    late = hire(api, "Late Confirm", department="technology", hire_date=hired_on)
    recent = hire(api, "New Start", department="technology", hire_date=today.isoformat())
    assert api.state("employees", late)["probation_overdue"] is True
    assert api.state("employees", recent)["probation_overdue"] is False

    answer = api.ok(f"/employees/{recent}/transfer", {"position": "engineer"}, who=HR)
    board = api.get(
        "/dashboards/workforce",
        params={"department": "technology", "min_position": answer["position"]},
    ).json()
    overdue = board["probation"]
    assert overdue["overdue"] == len(overdue["overdue_list"]) >= 1
    (mine,) = [p for p in overdue["overdue_list"] if p["employee_id"] == late]
    assert mine["days_overdue"] > 200
    assert recent not in {p["employee_id"] for p in overdue["overdue_list"]}
    listed = api.get("/employees", params={"q": "Late Confirm"}).json()["items"]
    assert {item["probation_end"] for item in listed} == {mine["probation_end"]}

    confirmed = api.ok(f"/employees/{late}/confirm", {}, who=HR)
    board = api.get(
        "/dashboards/workforce",
        params={"department": "technology", "min_position": confirmed["position"]},
    ).json()
    assert late not in {p["employee_id"] for p in board["probation"]["overdue_list"]}


def test_leave_is_cancelled_before_it_begins_by_the_employee_or_hr(api: Api) -> None:
    boss = hire(api, "Boss Bai", department="customer_service")
    worker = hire(api, "Worker Wei", manager_id=boss, department="customer_service")
    as_worker = linked(api, "wei", worker)
    as_boss = linked(api, "bai", boss, Role.MANAGEMENT)
    path = f"/employees/{worker}/leave-requests"
    first = api.post(path, {"start": f"{FAR}-07-01", "end": f"{FAR}-07-05"}, who=None,
                     headers=as_worker).json()["leave_request_id"]  # fmt: skip
    second = api.post(path, {"start": f"{FAR}-08-05", "end": f"{FAR}-08-05"}, who=None,
                      headers=as_worker).json()["leave_request_id"]  # fmt: skip
    approved = api.post(f"{path}/{first}/approve", None, who=None, headers=as_boss)
    assert approved.status_code == 200, approved.text
    assert leave_figures(api, approved.json()["position"]) == (5, 1)

    # The manager decides, but does not cancel; the employee and hr do.
    api.refused(
        "POST", f"{path}/{first}/cancel", 403, "no-employee-identity", who=None,
        headers=as_boss,
    )  # fmt: skip
    done = api.post(f"{path}/{first}/cancel", None, who=None, headers=as_worker)
    assert done.status_code == 200, done.text
    assert api.get(f"{path}/{first}").json()["status"] == "cancelled"
    api.refused("POST", f"{path}/{first}/cancel", 409, "leave-not-cancellable", who=HR)
    cancelled = api.post(f"{path}/{second}/cancel", None, who=HR)
    assert cancelled.status_code == 200
    assert leave_figures(api, cancelled.json()["position"]) == (0, 0)
    services = api.client.app.state.services  # type: ignore[attr-defined]
    assert services.employees.get_employee(UUID(worker)).leave_used(int(FAR)) == 0


def leave_figures(api: Api, position: str) -> tuple[int, int]:
    """Customer service's booked and pending leave days in FAR, on the dashboard."""
    params = {"department": "customer_service", "from": f"{FAR}-01-01", "until": f"{FAR}-12-31"}
    board = api.get("/dashboards/workforce", params={**params, "min_position": position})
    assert board.status_code == 200, board.text
    figures = board.json()["annual_leave"]
    return figures["days_booked"], figures["days_pending"]


def test_a_transfer_within_the_department(api: Api) -> None:
    boss, other = hire(api, "Boss One"), hire(api, "Boss Two")
    worker = hire(api, "Moving Mo", manager_id=boss)
    api.ok(f"/employees/{worker}/transfer", {"manager_id": other}, who=HR)
    api.ok(
        f"/employees/{worker}/transfer",
        {"position": "senior specialist", "manager_id": other},
        who=HR,
    )
    state = api.state("employees", worker)
    assert (state["department"], state["position"], state["manager_id"]) == (
        "operations",
        "senior specialist",
        other,
    )
    api.refused(
        "POST", f"/employees/{worker}/transfer", 409, "transfer-changes-nothing", who=HR,
        json={"manager_id": other},
    )  # fmt: skip


def test_an_appraisal_period_lies_inside_its_cycle(api: Api) -> None:
    worker = hire(api, "Cycle Cao")
    goal = {"title": "Close", "metric": "days", "target": "5", "unit": "d", "weight": 100}
    api.refused(
        "POST", f"/employees/{worker}/appraisals/2026-H1/goals", 422,
        "appraisal-period-outside-cycle", who=HR, fields=("period_end",),
        json={"period_start": "2026-01-01", "period_end": "2026-12-31",
              "goals": [{**goal, "deadline": "2026-06-30"}]},
    )  # fmt: skip
    api.ok(
        f"/employees/{worker}/appraisals/2026-H1/goals",
        {"period_start": "2026-01-01", "period_end": "2026-06-30",
         "goals": [{**goal, "deadline": "2026-06-30"}]},
        who=HR,
    )  # fmt: skip


def test_nobody_decides_about_their_own_record(api: Api) -> None:
    me = hire(api, "Hr Huang", department="hr", position="hr officer")
    boss = hire(api, "Boss Ba", department="hr")
    as_me = linked(api, "huang", me, Role.HR)
    mine = f"/employees/{me}"
    cases: list[tuple[str, dict[str, Any]]] = [
        ("/transfer", {"manager_id": boss}),
        ("/benefits", {"kind": "holiday_benefit", "date": "2026-02-01",
                       "occasion": "spring_festival", "amount": "99999.00"}),
        ("/confirm", {}),
        ("/separate", {"date": "2026-01-05", "reason": "self"}),
        ("/appraisals/2026/goals", {"period_start": "2026-01-01", "period_end": "2026-12-31",
                                    "goals": [{"title": "Me", "metric": "m", "target": "1",
                                               "unit": "u", "deadline": "2026-12-31",
                                               "weight": 100}]}),
        ("/rewards", {"cycle": "2026", "bonus": "1000.00"}),
    ]  # fmt: skip
    for suffix, body in cases:
        api.refused(
            "POST", f"{mine}{suffix}", 403, "four-eyes-violation", who=None, headers=as_me,
            json=body,
        )  # fmt: skip
    # Their own leave: they ask, they may cancel it, but never decide on it.
    request = api.post(
        f"{mine}/leave-requests", {"start": f"{FAR}-09-02", "end": f"{FAR}-09-03"}, who=None,
        headers=as_me,
    ).json()["leave_request_id"]  # fmt: skip
    for decision, body in (("approve", {}), ("reject", {"reason": "no"})):
        api.refused(
            "POST", f"{mine}/leave-requests/{request}/{decision}", 403, "four-eyes-violation",
            who=None, headers=as_me, json=body,
        )  # fmt: skip
    # Someone else's record they handle as hr.
    other = hire(api, "Other Ou")
    api.ok(f"/employees/{other}/transfer", {"manager_id": boss}, who=None, headers=as_me)
