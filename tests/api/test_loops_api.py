"""The three cross-department loops over HTTP, with an injected clock: a detractor
reopens a closed complaint (or alerts after the window), a compensation is checked
against the customer_service budget and booked on acceptance, a recurring root cause
raises a risk whose KRI follows the count. Each reaction names its policy and cause,
and happens once, also when the policy applies the same event again (a restart)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain.vocabulary import Role
from projections.projection import Delivery
from tests.api.policy_support import about, alerts, runner_of, settle
from tests.api.support import CS_A, Api, assert_problem
from tests.support.clock import Clock

pytestmark = pytest.mark.shared_app


def replay(api: Api, policy: str, position: str) -> None:
    """Apply the event at ``position`` to ``policy`` again, as a policy restarted after
    acting but before its tracking committed would."""
    runner = runner_of(api)
    log, number = position.split(":")
    app = runner.apps[log]
    (notification,) = app.recorder.select_notifications(start=int(number), limit=1)
    delivery = Delivery(log, notification, app.mapper.to_domain_event(notification))
    with runner.stores[policy].transaction(commit=True) as cursor:
        runner.projection(policy).apply(cursor, delivery)


def resolved(api: Api, root_cause: str = "other", compensation: str | None = None) -> str:
    complaint_id = api.investigating_complaint(severity=3)
    body: dict[str, Any] = {"root_cause": root_cause, "plan": "redeliver"}
    if compensation is not None:
        body["compensation"] = compensation
    api.ok(f"/complaints/{complaint_id}/propose-resolution", body, who=CS_A)
    api.ok(f"/complaints/{complaint_id}/respond", {"message": "we redeliver"}, who=CS_A)
    return complaint_id


def closed(api: Api) -> tuple[str, str]:
    complaint_id = resolved(api)
    api.ok(f"/complaints/{complaint_id}/customer-decision", {"accepted": True}, who=CS_A)
    api.ok(f"/complaints/{complaint_id}/close", who=CS_A)
    return complaint_id, api.state("complaints", complaint_id)["customer_id"]


def survey(api: Api, customer_id: str, complaint_id: str, name: str, **scores: int) -> str:
    body = {"survey": name, "complaint_id": complaint_id, **scores}
    return str(api.ok(f"/customers/{customer_id}/surveys", body, who=CS_A)["position"])


def test_a_detractor_reopens_a_closed_complaint_once(api: Api, clock: Clock) -> None:
    complaint_id, customer_id = closed(api)
    survey(api, customer_id, complaint_id, "promoter", nps=9)
    settle(api)
    assert api.state("complaints", complaint_id)["status"] == "closed"
    position = survey(api, customer_id, complaint_id, "detractor", nps=3)
    settle(api)
    state = api.state("complaints", complaint_id)
    assert state["status"] == "investigating" and state["reopen_count"] == 1
    reopened = api.events("complaints", complaint_id)[-1]
    assert reopened["type"] == "Reopened"
    assert reopened["metadata"]["principal"] == "policy:detractor_reopen"
    cause = reopened["metadata"]["cause"]
    assert f"{cause['log']}:{cause['position']}" == position
    assert cause["type"] == "SurveyAnswered" and cause["aggregate_id"] == customer_id
    version = state["version"]
    replay(api, "detractor_reopen", position)
    assert api.state("complaints", complaint_id)["version"] == version


def test_a_detractor_after_the_window_alerts_customer_service(api: Api, clock: Clock) -> None:
    complaint_id, customer_id = closed(api)
    clock.advance(days=31)
    survey(api, customer_id, complaint_id, "late", csat=1)
    (alert,) = about(alerts(api, kind="detractor_after_window"), complaint_id)
    assert alert["for_roles"] == ["customer_service"]
    assert api.state("complaints", complaint_id)["status"] == "closed"


def test_the_survey_names_a_complaint_optionally(api: Api) -> None:
    customer_id = api.register_customer()
    api.ok(f"/customers/{customer_id}/surveys", {"survey": "plain", "nps": 2}, who=CS_A)
    response = api.post(
        f"/customers/{customer_id}/surveys",
        {"survey": "bad", "nps": 2, "complaint_id": "nope"},
        who=CS_A,
    )
    assert_problem(response, 422, fields=("complaint_id",))


def budget(api: Api, year: int, control: str) -> str:
    lines = [
        {"code": "6601", "category": "expense", "amount": "1000.00"},
        {"code": "6609", "category": "expense", "amount": "50.00", "compensation": True},
    ]
    body = {"department": "customer_service", "fiscal_year": year, "control": control,
            "lines": lines}  # fmt: skip
    budget_id = str(api.ok("/budgets", body, who="cs-bo")["id"])
    api.ok(f"/budgets/{budget_id}/submit", who="cs-bo")
    for stage, who in (("finance-review", Role.FINANCE), ("management-approval", Role.MANAGEMENT),
                       ("board-approval", Role.BOARD)):  # fmt: skip
        api.ok(f"/budgets/{budget_id}/{stage}", {"approved": True}, who=who)
    return budget_id


def line(api: Api, budget_id: str, code: str) -> dict[str, Any]:
    lines: list[dict[str, Any]] = api.state("budgets", budget_id)["lines"]
    return next(item for item in lines if item["code"] == code)


def test_a_compensation_is_refused_over_a_stop_line_and_booked_once_on_acceptance(
    api: Api, clock: Clock
) -> None:
    budget_id = budget(api, clock.now.year, "stop")
    complaint_id = api.investigating_complaint(severity=3)
    body = {"root_cause": "policy_unclear", "plan": "refund", "compensation": "80.00"}
    refused = api.refused(
        "POST", f"/complaints/{complaint_id}/propose-resolution", 409,
        "compensation-over-budget", who=CS_A, json=body,
    )  # fmt: skip
    assert refused["available"] == "50.00" and refused["line"] == "6609"
    api.ok(f"/complaints/{complaint_id}/propose-resolution", {**body, "compensation": "30.00"},
           who=CS_A)  # fmt: skip
    api.ok(f"/complaints/{complaint_id}/respond", {"message": "refund"}, who=CS_A)
    position = api.ok(
        f"/complaints/{complaint_id}/customer-decision", {"accepted": True}, who=CS_A
    )["position"]
    settle(api)
    assert line(api, budget_id, "6609")["actual"] == "30.00"
    booked = [e for e in api.events("budgets", budget_id) if e["type"] == "ActualRecorded"]
    assert [e["payload"]["document_ref"] for e in booked] == [complaint_id]
    assert booked[0]["metadata"]["principal"] == "policy:compensation_budget"
    assert booked[0]["metadata"]["cause"]["position"] == int(position.split(":")[1])
    replay(api, "compensation_budget", position)
    settle(api)
    assert line(api, budget_id, "6609")["actual"] == "30.00"


def test_a_compensation_over_a_warn_line_alerts(api: Api, clock: Clock) -> None:
    clock.now = datetime(clock.now.year + 1, 2, 1, 9, tzinfo=UTC)
    budget(api, clock.now.year, "warn")
    complaint_id = resolved(api, "policy_unclear", compensation="70.00")
    (alert,) = about(alerts(api, kind="compensation_over_budget"), complaint_id)
    assert "50.00 available" in alert["summary"]
    assert set(alert["for_roles"]) == {"customer_service", "finance"}


def test_a_recurring_root_cause_raises_one_risk_whose_kri_follows_the_count(api: Api) -> None:
    complaints = [resolved(api, "system_failure") for _ in range(2)]
    settle(api)
    found = api.get("/risks", params={"q": "system_failure"}).json()["items"]
    assert found == []
    complaints += [resolved(api, "system_failure")]
    settle(api)
    (risk,) = api.get("/risks", params={"q": "system_failure"}).json()["items"]
    state = api.state("risks", risk["id"])
    assert state["category"] == "operational" and state["department"] == "customer_service"
    (kri,) = state["kris"]
    assert (kri["amber"], kri["red"], kri["status"]) == ("3", "5", "amber")
    assert api.events("risks", risk["id"])[0]["metadata"]["principal"] == (
        "policy:recurring_root_cause"
    )
    complaints += [resolved(api, "system_failure") for _ in range(2)]
    settle(api)
    assert len(api.get("/risks", params={"q": "system_failure"}).json()["items"]) == 1
    state = api.state("risks", risk["id"])
    assert state["kris"][0]["status"] == "red" and state["open_early_warnings"] == 1
    readings = [e for e in api.events("risks", risk["id"]) if e["type"] == "KriReadingRecorded"]
    assert [e["payload"]["value"] for e in readings] == ["3", "4", "5"]
    assert about(alerts(api, kind="kri_red"), risk["id"])
    assert len(complaints) == 5
