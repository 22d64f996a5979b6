"""GET /inbox over HTTP: each caller sees what awaits them — budget stages, complaint
plans, risk acceptances, leave requests, decisions, overdue items, alerts — with the
paths to act, and never what they may not act on (roles, four eyes, themselves)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI

from api.deps import get_now
from domain.vocabulary import Role
from tests.api.policy_support import settle
from tests.api.support import CS_A, CS_B, Api

pytestmark = pytest.mark.shared_app
YEAR = datetime.now(UTC).year


def inbox(api: Api, who: Role | str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    settle(api)
    response = api.get("/inbox", who=None if headers else who, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["items"])
    items: list[dict[str, Any]] = body["items"]
    return items


def linked(api: Api, name: str, employee_id: str, role: Role) -> dict[str, str]:
    token = api.tokens.store.issue(name, (role,), employee_id=UUID(employee_id))
    return {"Authorization": f"Bearer {token}"}


def about(items: list[dict[str, Any]], aggregate_id: str) -> list[dict[str, Any]]:
    return [item for item in items if item["aggregate_id"] == aggregate_id]


def paths(items: list[dict[str, Any]]) -> list[str]:
    return [a["path"] for item in items for a in item["actions"]]


def test_a_budget_awaits_each_stage_in_turn_never_its_submitter(api: Api) -> None:
    lines = [{"code": "6601", "category": "expense", "amount": "1000.00"}]
    budget_id = api.ok(
        "/budgets", {"department": "marketing", "fiscal_year": YEAR, "lines": lines}, who="mkt-ma"
    )["id"]
    assert about(inbox(api, "fin-fan"), budget_id) == []
    api.ok(f"/budgets/{budget_id}/submit", who="mkt-ma")
    (item,) = about(inbox(api, "fin-fan"), budget_id)
    assert item["kind"] == "approval" and item["aggregate_type"] == "budget"
    assert item["id"] == f"approval:budget:{budget_id}:finance-review"
    assert item["actions"] == [
        {
            "name": "finance-review",
            "method": "POST",
            "path": f"/budgets/{budget_id}/finance-review",
            "roles": ["finance"],
        }
    ]
    assert about(inbox(api, "mkt-ma"), budget_id) == []
    assert about(inbox(api, Role.AUDITOR), budget_id) == []
    assert about(inbox(api, "mgmt-meng"), budget_id) == []
    api.ok(item["actions"][0]["path"], {"approved": True}, who="fin-fan")
    assert about(inbox(api, "fin-fan"), budget_id) == []
    assert paths(about(inbox(api, "mgmt-meng"), budget_id)) == [
        f"/budgets/{budget_id}/management-approval"
    ]
    # Holding every role does not make the finance reviewer the next approver.
    assert about(inbox(api, "root-all"), budget_id) != []


def test_a_severity_2_plan_awaits_approval_by_anyone_but_its_proposer(api: Api) -> None:
    complaint_id = api.investigating_complaint(severity=2)
    api.ok(
        f"/complaints/{complaint_id}/propose-resolution",
        {"root_cause": "third_party", "plan": "refund shipping", "compensation": "20.00"},
        who=CS_A,
    )
    assert [i["kind"] for i in about(inbox(api, CS_A), complaint_id)] == []
    (item,) = about(inbox(api, CS_B), complaint_id)
    assert item["actions"][0]["path"] == f"/complaints/{complaint_id}/approve-resolution"
    assert len(about(inbox(api, "mgmt-meng"), complaint_id)) == 1
    api.ok(item["actions"][0]["path"], who=CS_B)
    assert about(inbox(api, CS_B), complaint_id) == []
    api.ok(f"/complaints/{complaint_id}/respond", {"message": "we refund"}, who=CS_A)
    decisions = about(inbox(api, CS_B), complaint_id)
    assert sorted(i["kind"] for i in decisions) == ["decision", "decision"]
    # The handler records the customer's answer but never overrides the customer.
    assert [i["actions"][0]["name"] for i in about(inbox(api, CS_A), complaint_id)] == [
        "customer-decision"
    ]


def test_a_risk_acceptance_awaits_management_not_its_proposer(api: Api) -> None:
    owner = "tech-tang"
    body = {"category": "technical", "title": "Old CI", "description": "d", "owner": owner}
    risk_id = api.ok("/risks", body, who=owner)["id"]
    api.ok(f"/risks/{risk_id}/assess", {"likelihood": 1, "impact": 2}, who=owner)
    api.ok(f"/risks/{risk_id}/treatment", {"strategy": "accept", "actions": []}, who=owner)
    assert about(inbox(api, owner), risk_id) == []
    (item,) = about(inbox(api, "mgmt-meng"), risk_id)
    assert item["actions"][0]["path"] == f"/risks/{risk_id}/acceptance"
    assert item["actions"][0]["roles"] == ["management", "board"]


def test_a_leave_request_awaits_the_manager_and_hr_never_the_employee(api: Api) -> None:
    body = {"name": "Wang Fang", "department": "operations", "position": "lead",
            "hire_date": "2015-04-01"}  # fmt: skip
    manager_id = api.ok("/employees", body, who=Role.HR)["id"]
    body = {**body, "name": "Zhao Min", "manager_id": manager_id}
    employee_id = api.ok("/employees", body, who=Role.HR)["id"]
    as_manager = linked(api, "wang", manager_id, Role.OPERATIONS)
    as_employee = linked(api, "zhao", employee_id, Role.HR)
    request = api.client.post(
        f"/employees/{employee_id}/leave-requests",
        json={"start": f"{YEAR + 1}-07-01", "end": f"{YEAR + 1}-07-01", "days": 1},
        headers=as_employee,
    )
    assert request.status_code == 201, request.text
    (item,) = about(inbox(api, "", headers=as_manager), employee_id)
    assert item["actions"][0]["path"].endswith(
        f"/leave-requests/{request.json()['leave_request_id']}/approve"
    )
    assert len(about(inbox(api, Role.HR), employee_id)) == 1
    assert about(inbox(api, "", headers=as_employee), employee_id) == []
    assert about(inbox(api, "sales-su"), employee_id) == []


def test_overdue_complaints_and_open_alerts_show_with_their_actions(api: Api) -> None:
    complaint_id = api.receive_complaint()
    # The complaint's targets pass when "now" (what reads judge by) is far ahead.
    app: FastAPI = api.client.app  # type: ignore[assignment]
    app.dependency_overrides[get_now] = lambda: datetime(2199, 1, 1, tzinfo=UTC)
    try:
        items = about(inbox(api, CS_A), complaint_id)
    finally:
        app.dependency_overrides.pop(get_now)
    assert sorted(i["id"] for i in items) == [
        f"overdue:complaint:{complaint_id}:first_response",
        f"overdue:complaint:{complaint_id}:resolution",
    ]
    assert about(inbox(api, "fin-fan"), complaint_id) == []

    owner = "tech-tang"
    body = {"category": "technical", "title": "Disk full", "description": "d", "owner": owner}
    risk_id = api.ok("/risks", body, who=owner)["id"]
    kri = api.ok(
        f"/risks/{risk_id}/kris",
        {"name": "disk", "metric": "%", "direction": "above", "amber": 80, "red": 90},
        who=owner,
    )
    api.ok(f"/risks/{risk_id}/kri-readings", {"kri_id": kri["kri_id"], "value": 95}, who=owner)
    settle(api)
    (alert,) = [
        i for i in inbox(api, owner) if i["kind"] == "alert" and "Disk full" in i["summary"]
    ]
    assert [a["name"] for a in alert["actions"]] == ["acknowledgements", "resolutions"]
    assert alert["aggregate_type"] == "alert"
    assert alert["id"] == f"alert:{alert['aggregate_id']}"
    assert [i for i in inbox(api, Role.AUDITOR) if i["kind"] == "alert"] == []
    api.ok(alert["actions"][0]["path"], who=owner)
    (again,) = [i for i in inbox(api, owner) if i["id"] == alert["id"]]
    assert [a["name"] for a in again["actions"]] == ["resolutions"]
