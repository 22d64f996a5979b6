"""GET/PUT /calendar/{year}, and leave requests counted by it (issue 12)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain.vocabulary import Role
from tests.api.support import Api, assert_problem

# Each test uses its own years (2026 is only read here, but in one fresh app).
pytestmark = pytest.mark.shared_app

HR = Role.HR


def put(api: Api, year: int, body: dict[str, Any], who: Role = HR, **kwargs: Any) -> Any:
    return api.request("PUT", f"/calendar/{year}", who=who, json=body, **kwargs)


def hire(api: Api, **overrides: Any) -> str:
    body = {
        "name": "Sun Li",
        "department": "finance",
        "position": "accountant",
        "hire_date": "2015-03-02",
        "prior_service_years": "3",
        **overrides,
    }
    return str(api.ok("/employees", body, who=HR)["id"])


def test_2026_ships_from_the_state_councils_notice(api: Api) -> None:
    response = api.get("/calendar/2026")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["calendar"], body["version"], response.headers["etag"]) == ("shipped", 0, '"0"')
    assert len(body["holidays"]) == 33
    assert {"date": "2026-10-01", "name": "国庆节"} in body["holidays"]
    assert body["working_days"][0] == {"date": "2026-01-04", "name": "元旦调休上班"}
    assert body["working_days_in_year"] == 248
    assert body["source"]["title"] == "国务院办公厅关于2026年部分节假日安排的通知"
    assert body["source"]["url"].startswith("https://")
    # Nothing is recorded until someone changes it.
    assert_problem(api.get("/calendar/2026/events"), 404, "not-found")


def test_a_year_without_a_calendar_counts_weekends_only(api: Api) -> None:
    body = api.get("/calendar/2027").json()
    assert (body["calendar"], body["holidays"], body["working_days"]) == ("weekends-only", [], [])
    assert body["working_days_in_year"] == 261
    assert body["source"] is None


@pytest.mark.parametrize(
    ("body", "status", "slug", "field"),
    [
        ({"holidays": [{"date": "2034-01-01", "name": "x"}]}, 422, "calendar-date-outside-year",
         "holidays.0.date"),
        ({"holidays": [{"date": "2033-05-02", "name": "a"}, {"date": "2033-05-02", "name": "b"}]},
         422, "calendar-day-repeated", "holidays.1.date"),
        ({"holidays": [{"date": "2033-10-01", "name": "国庆节"}],
          "working_days": [{"date": "2033-10-01", "name": "x"}]},
         422, "calendar-day-both-holiday-and-working", "working_days"),
        ({"holidays": [], "working_days": [{"date": "2033-10-10", "name": "x"}]},
         422, "adjusted-working-day-not-weekend", "working_days.0.date"),
        ({"holidays": [{"date": "2033-10-01"}]}, 422, "invalid-request", None),
        ({"holidays": [{"date": "2033-10-01", "name": "x"}], "extra": 1}, 422,
         "invalid-request", None),
    ],
)  # fmt: skip
def test_a_calendar_that_makes_no_sense_is_refused(
    api: Api, body: dict[str, Any], status: int, slug: str, field: str | None
) -> None:
    with api.no_new_events():
        problem = assert_problem(put(api, 2033, body), status, slug)
    if field is not None:
        assert field in {e["field"] for e in problem["errors"]}


def test_only_hr_and_management_change_the_calendar(api: Api) -> None:
    body = {"holidays": [{"date": "2034-01-02", "name": "x"}]}
    for who in (Role.SALES, Role.AUDITOR, Role.FINANCE):
        with api.no_new_events():
            assert_problem(put(api, 2034, body, who=who), 403, "role-not-allowed")
    with api.no_new_events():
        assert_problem(put(api, 1999, body), 422)
    assert put(api, 2034, body, who=Role.MANAGEMENT).status_code == 201


def test_a_new_year_is_created_then_changed_and_its_history_kept(api: Api) -> None:
    body = {
        "holidays": [{"date": "2031-01-01", "name": "元旦"}],
        "working_days": [{"date": "2031-01-04", "name": "调休上班"}],
    }
    created = put(api, 2031, body)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/calendar/2031"
    assert created.json()["version"] == 1
    with api.no_new_events():
        again = put(api, 2031, body)  # the same days: nothing to write
    assert (again.status_code, again.json()["version"]) == (200, 1)
    with api.no_new_events():
        stale = put(api, 2031, {"holidays": []}, headers={"If-Match": '"7"'})
    assert_problem(stale, 412, "version-mismatch")
    changed = put(api, 2031, {"holidays": []}, headers={"If-Match": '"1"'})
    assert (changed.status_code, changed.json()["version"]) == (200, 2)

    state = api.get("/calendar/2031").json()
    assert (state["calendar"], state["version"], state["holidays"]) == ("edited", 2, [])
    assert state["working_days_in_year"] == 261
    events = api.get("/calendar/2031/events").json()["events"]
    assert [e["type"] for e in events] == ["Loaded", "Replaced"]
    assert {e["metadata"]["principal"] for e in events} == {api.tokens.principal_of(HR)}


@pytest.mark.fresh_app  # it changes 2026
def test_editing_the_shipped_year_records_it_first_and_leave_follows(api: Api) -> None:
    shipped = api.get("/calendar/2026").json()
    company_day = {"date": "2026-12-24", "name": "company day"}
    answer = put(
        api,
        2026,
        {"holidays": [*shipped["holidays"], company_day], "working_days": shipped["working_days"]},
    )
    assert (answer.status_code, answer.json()["version"]) == (201, 2)
    events = api.get("/calendar/2026/events").json()["events"]
    assert [e["payload"].get("origin") for e in events] == ["shipped", None]
    assert events[0]["payload"]["source"]["date"] == "2025-11-04"
    state = api.get("/calendar/2026").json()
    assert (state["calendar"], state["working_days_in_year"]) == ("edited", 247)

    employee = hire(api)
    leave = api.ok(
        f"/employees/{employee}/leave-requests", {"start": "2026-12-21", "end": "2026-12-25"},
        who=HR,
    )  # fmt: skip
    days = api.get(f"/employees/{employee}/leave-requests/{leave['leave_request_id']}").json()
    assert days["days"] == 4


def test_leave_days_are_counted_by_the_calendar(api: Api) -> None:
    employee = hire(api)
    path = f"/employees/{employee}/leave-requests"
    # 28 September to 9 October 2026: National Day inside, 5 working days.
    counted = api.ok(path, {"start": "2026-09-28", "end": "2026-10-09"}, who=HR)
    request = api.get(f"{path}/{counted['leave_request_id']}").json()
    assert request["days"] == 5
    problem = api.refused(
        "POST", path, 422, "leave-days-mismatch", who=HR, fields=("days",),
        json={"start": "2026-05-04", "end": "2026-05-08", "days": 5},
    )  # fmt: skip
    assert (problem["days_sent"], problem["working_days"], problem["calendar"]) == (
        5,
        3,
        "shipped",
    )
    api.refused(
        "POST", path, 422, "leave-has-no-working-days", who=HR,
        json={"start": "2026-10-01", "end": "2026-10-07"},
    )  # fmt: skip
    # 2027 has no calendar: weekends only, and the refusal says so.
    problem = api.refused(
        "POST", path, 422, "leave-days-mismatch", who=HR,
        json={"start": "2027-10-01", "end": "2027-10-07", "days": 3},
    )  # fmt: skip
    assert (problem["working_days"], problem["calendar"]) == (5, "weekends-only")
    # An adjusted working day (Saturday 10 October 2026) is leave: 1 day.
    api.ok(path, {"start": "2026-10-10", "end": "2026-10-11", "days": 1}, who=HR)
    services = api.client.app.state.services  # type: ignore[attr-defined]
    stored = services.employees.get_employee(UUID(employee))
    assert (stored.leave_entitlement(2026), stored.leave_used(2026)) == (10, 6)
