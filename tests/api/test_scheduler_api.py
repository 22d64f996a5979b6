"""The deadline scheduler with an injected clock: each deadline passing is recorded once,
also by two schedulers (two server processes) and after a restart; the time a
complaint waits on the customer moves its resolution target; alerts follow."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from api.settings import Settings
from domain.vocabulary import Role
from projections.runner import ProjectionRunner
from projections.scheduler import DeadlineScheduler
from tests.api.policy_support import about, alerts, runner_of, settle
from tests.api.support import CS_A, Api
from tests.support.clock import Clock

pytestmark = pytest.mark.shared_app


def schedulers(api: Api) -> tuple[DeadlineScheduler, DeadlineScheduler]:
    """The app's scheduler, and a second one as another server process would run it."""
    runner: ProjectionRunner = runner_of(api)
    services = api.client.app.state.services  # type: ignore[attr-defined]
    return api.client.app.state.scheduler, DeadlineScheduler(services, runner.stores)  # type: ignore[attr-defined]


def tick(api: Api) -> list[str]:
    settle(api)
    first, second = schedulers(api)
    recorded = first.tick() + second.tick() + DeadlineScheduler(first.services, first.stores).tick()
    settle(api)
    return recorded


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def breaches(api: Api, complaint_id: str) -> list[dict[str, Any]]:
    return [e for e in api.events("complaints", complaint_id) if e["type"] == "SlaBreached"]


def test_a_first_response_breach_is_recorded_once_escalates_and_alerts(
    api: Api, clock: Clock
) -> None:
    complaint_id = api.receive_complaint()
    due = moment(api.state("complaints", complaint_id)["first_response_due"])
    clock.now = due - timedelta(seconds=1)
    assert [r for r in tick(api) if complaint_id in r] == []
    clock.now = due + timedelta(seconds=1)
    assert [r for r in tick(api) if complaint_id in r] == [
        f"sla_breached:{complaint_id}:first_response"
    ]
    assert [r for r in tick(api) if complaint_id in r] == []
    (breach,) = breaches(api, complaint_id)
    assert breach["payload"]["clock"] == "first_response"
    assert breach["metadata"]["principal"] == "policy:scheduler"
    assert breach["metadata"]["cause"]["deadline"] == "sla_first_response"
    assert api.state("complaints", complaint_id)["escalation_level"] == 1

    (alert,) = about(alerts(api, kind="sla_breached"), complaint_id)
    assert alert["status"] == "open" and "management" in alert["for_roles"]
    api.ok(f"/complaints/{complaint_id}/acknowledge", {"message": "sorry"}, who=CS_A)
    (alert,) = about(alerts(api, kind="sla_breached"), complaint_id)
    assert alert["status"] == "resolved" and alert["resolved_automatically"]


def test_waiting_on_the_customer_moves_the_resolution_target(api: Api, clock: Clock) -> None:
    complaint_id = api.investigating_complaint(severity=3)
    due = moment(api.state("complaints", complaint_id)["resolution_due"])
    api.ok(f"/complaints/{complaint_id}/wait-for-customer", {"reason": "photos"}, who=CS_A)
    clock.now = due + timedelta(hours=1)
    tick(api)
    assert breaches(api, complaint_id) == []  # no clock runs while it waits
    api.ok(f"/complaints/{complaint_id}/resume", who=CS_A)
    # Waited from the start until an hour past the old target: the target moved on so.
    paused = clock.now - moment(api.events("complaints", complaint_id)[-2]["payload"]["at"])
    clock.now = due + paused - timedelta(seconds=5)
    tick(api)
    assert breaches(api, complaint_id) == []
    clock.now = due + paused + timedelta(seconds=5)
    assert f"sla_breached:{complaint_id}:resolution" in tick(api)
    assert len(breaches(api, complaint_id)) == 1


def test_an_acceptance_lapses_once_at_its_expiry_and_alerts(api: Api, clock: Clock) -> None:
    owner = "tech-tang"
    body = {"category": "technical", "title": "Legacy API", "description": "d", "owner": owner}
    risk_id = api.ok("/risks", body, who=owner)["id"]
    api.ok(f"/risks/{risk_id}/assess", {"likelihood": 1, "impact": 2}, who=owner)
    api.ok(f"/risks/{risk_id}/treatment", {"strategy": "accept", "actions": []}, who=owner)
    expires = (clock.now + timedelta(days=30)).date()
    api.ok(
        f"/risks/{risk_id}/acceptance",
        {"approved": True, "expires_on": expires.isoformat()},
        who=Role.MANAGEMENT,
    )
    clock.now += timedelta(days=29)
    assert [r for r in tick(api) if risk_id in r] == []
    clock.now += timedelta(days=1)
    assert f"acceptance_lapsed:{risk_id}" in tick(api)
    tick(api)
    lapses = [e for e in api.events("risks", risk_id) if e["type"] == "AcceptanceLapsed"]
    assert len(lapses) == 1 and lapses[0]["metadata"]["principal"] == "policy:scheduler"
    (alert,) = about(alerts(api, kind="acceptance_lapsed"), risk_id)
    assert owner in alert["for_principals"]


def test_overdue_reviews_actions_and_a_year_end_alert_once(api: Api, clock: Clock) -> None:
    owner = "tech-tang"
    body = {"category": "technical", "title": "Backups", "description": "d", "owner": owner}
    risk_id = api.ok("/risks", body, who=owner)["id"]
    api.ok(f"/risks/{risk_id}/assess", {"likelihood": 4, "impact": 5}, who=owner)
    due = (clock.now + timedelta(days=7)).date().isoformat()
    treatment = {
        "strategy": "reduce",
        "actions": [{"title": "restore drill", "owner": "ops-ou", "due": due}],
    }
    api.ok(f"/risks/{risk_id}/treatment", treatment, who=owner)
    year = clock.now.year
    lines = [{"code": "6601", "category": "expense", "amount": "1000.00"}]
    budget_id = api.ok(
        "/budgets", {"department": "technology", "fiscal_year": year, "lines": lines}, who=owner
    )["id"]
    api.ok(f"/budgets/{budget_id}/submit", who=owner)
    for stage, who in (("finance-review", Role.FINANCE), ("management-approval", Role.MANAGEMENT),
                       ("board-approval", Role.BOARD)):  # fmt: skip
        api.ok(f"/budgets/{budget_id}/{stage}", {"approved": True}, who=who)

    clock.now = datetime(year + 1, 1, 2, 9, tzinfo=clock.now.tzinfo)
    recorded = tick(api)
    assert any(r.startswith(f"review_overdue:risk:{risk_id}") for r in recorded)
    assert any(r.startswith(f"action_overdue:risk:{risk_id}") for r in recorded)
    assert f"year_end:budget:{budget_id}:year_end:{year}" in recorded
    assert not [r for r in tick(api) if risk_id in r or budget_id in r]
    found = about(alerts(api), risk_id)
    assert sorted(a["kind"] for a in found) == ["action_overdue", "review_overdue"]
    assert "ops-ou" in next(a for a in found if a["kind"] == "action_overdue")["for_principals"]
    (year_end,) = about(alerts(api, kind="year_end"), budget_id)
    assert year_end["for_roles"] == ["finance", "technology"]  # and the department head


def test_the_default_interval_records_within_a_minute() -> None:
    assert Settings().scheduler_interval <= 60


def test_both_breaches_alert_and_one_event_ending_the_cause_resolves_both(
    api: Api, clock: Clock
) -> None:
    complaint_id = api.receive_complaint()
    clock.advance(days=30)
    recorded = [r for r in tick(api) if complaint_id in r]
    assert sorted(recorded) == [
        f"sla_breached:{complaint_id}:first_response",
        f"sla_breached:{complaint_id}:resolution",
    ]
    assert api.state("complaints", complaint_id)["escalation_level"] == 2
    assert len(about(alerts(api, kind="sla_breached", status="open"), complaint_id)) == 2
    api.ok(f"/complaints/{complaint_id}/withdraw", {"reason": "solved itself"}, who=CS_A)
    found = about(alerts(api, kind="sla_breached"), complaint_id)
    assert [a["status"] for a in found] == ["resolved", "resolved"]


def test_a_probation_past_its_end_alerts_hr_once_until_confirmed(api: Api, clock: Clock) -> None:
    hired = clock.now.date()
    body = {
        "name": "Probation Due",
        "department": "operations",
        "position": "operations specialist",
        "hire_date": hired.isoformat(),
        "probation_end": (hired + timedelta(days=60)).isoformat(),
    }
    employee_id = api.ok("/employees", body, who=Role.HR)["id"]
    clock.advance(days=59)
    assert not [r for r in tick(api) if employee_id in r]
    clock.advance(days=2)
    recorded = [r for r in tick(api) if employee_id in r]
    assert recorded == [f"probation_due:employee:{employee_id}:probation:{body['probation_end']}"]
    assert not [r for r in tick(api) if employee_id in r]
    (alert,) = about(alerts(api, kind="probation_due", status="open"), employee_id)
    assert alert["for_roles"] == ["hr"]
    api.ok(f"/employees/{employee_id}/confirm", who=Role.HR)
    (alert,) = about(alerts(api, kind="probation_due"), employee_id)
    assert alert["status"] == "resolved"
