"""/employees over HTTP: every route, its statuses, problem types and role checks."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest

from api import cli
from api.tokens import TokenStore
from application.store import StoreConfig
from domain.vocabulary import Role
from tests.api.support import Api, assert_position, assert_problem, some_id

# The tests make aggregates of their own: one store and app for the module.
pytestmark = pytest.mark.shared_app

HR = Role.HR
CYCLE = "2026"
GOALS = {
    "period_start": "2026-01-01",
    "period_end": "2026-12-31",
    "goals": [
        {
            "title": "Raise activation",
            "metric": "activation rate",
            "target": "40",
            "unit": "%",
            "deadline": "2026-12-31",
            "weight": 70,
        },
        {
            "title": "Faster first response",
            "metric": "median first response",
            "target": "2.5",
            "unit": "hours",
            "deadline": "2026-09-30",
            "weight": 30,
        },
    ],
}


def hire(api: Api, name: str, manager_id: str | None = None, **overrides: Any) -> str:
    body: dict[str, Any] = {
        "name": name,
        "department": "operations",
        "position": "operations specialist",
        "hire_date": "2018-04-01",
        "prior_service_years": "1.5",
        "birthday": "1991-08-08",
    }
    if manager_id is not None:
        body["manager_id"] = manager_id
    body.update(overrides)
    return str(api.ok("/employees", body, who=HR)["id"])


def linked(api: Api, name: str, employee_id: str, *roles: Role) -> dict[str, str]:
    """Headers of a principal linked to ``employee_id``."""
    token = api.tokens.store.issue(name, roles or (Role.OPERATIONS,), employee_id=UUID(employee_id))
    return {"Authorization": f"Bearer {token}"}


class Team:
    """A manager, an employee and two peers, each with a linked token."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.boss = hire(api, "Zhao Lei")
        self.chen = hire(api, "Chen Jing", self.boss)
        self.li = hire(api, "Li Na", self.boss)
        self.wu = hire(api, "Wu Gang", self.boss)
        self.as_boss = linked(api, "zhao", self.boss, Role.MANAGEMENT)
        self.as_chen = linked(api, "chen", self.chen)
        self.as_li = linked(api, "li", self.li)
        self.as_wu = linked(api, "wu", self.wu, Role.TECHNOLOGY)

    def path(self, suffix: str = "") -> str:
        return f"/employees/{self.chen}{suffix}"

    def post(self, suffix: str, body: Any, headers: dict[str, str]) -> Any:
        return self.api.post(self.path(suffix), body, who=None, headers=headers)

    def ok(self, suffix: str, body: Any, headers: dict[str, str]) -> dict[str, Any]:
        response = self.post(suffix, body, headers)
        assert response.status_code in (200, 201), response.text
        answer: dict[str, Any] = response.json()
        return answer

    def refused(
        self, suffix: str, body: Any, headers: dict[str, str], status: int, type_: str
    ) -> dict[str, Any]:
        return self.api.refused(
            "POST", self.path(suffix), status, type_, who=None, json=body, headers=headers
        )

    def review(self, kind: str, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
        return self.ok(f"/appraisals/{CYCLE}/reviews", {"kind": kind, "score": 4, **extra}, headers)

    def through_peers(self) -> None:
        self.api.ok(self.path(f"/appraisals/{CYCLE}/goals"), GOALS, who=HR)
        self.review("self", self.as_chen)
        self.review("manager", self.as_boss)
        self.review("peer", self.as_li)
        self.review("peer", self.as_wu)


@pytest.fixture
def team(api: Api) -> Team:
    return Team(api)


# Hiring and reading.


def test_hr_hires_and_everyone_with_a_token_reads(api: Api) -> None:
    response = api.post(
        "/employees",
        {
            "name": "Chen Jing",
            "department": "finance",
            "position": "accountant",
            "hire_date": "2020-03-01",
        },
        who=HR,
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert response.headers["location"] == f"/employees/{answer['id']}"
    assert answer["version"] == 1
    assert_position(answer, "employees")

    state = api.state("employees", answer["id"])
    assert state["status"] == "hired"
    assert state["department"] == "finance"
    assert state["prior_service_years"] == "0.00"
    assert state["leave_balance"]["entitlement"] in (5, 10)  # six-plus years of service


def test_only_hr_hires(api: Api) -> None:
    body = {"name": "X", "department": "sales", "position": "rep", "hire_date": "2024-01-02"}
    for who in (Role.AUDITOR, Role.MANAGEMENT, Role.OPERATIONS):
        api.refused("POST", "/employees", 403, "role-not-allowed", who=who, json=body)
    api.refused("POST", "/employees", 401, "unauthenticated", who=None, json=body)


@pytest.mark.parametrize(
    ("overrides", "status", "type_", "field"),
    [
        ({"hire_date": "2199-01-01"}, 422, "date-in-future", "hire_date"),
        ({"manager_id": "00000000-0000-4000-8000-000000000001"}, 422,
         "referenced-resource-not-found", "manager_id"),
        ({"birthday": "2010-01-01"}, 422, "below-minimum-working-age", "birthday"),
        ({"prior_service_years": "-1"}, 422, "invalid-request", "prior_service_years"),
        ({"department": "legal"}, 422, "invalid-request", "department"),
        ({"salary": "1"}, 422, "invalid-request", "salary"),
    ],
)  # fmt: skip
def test_hiring_refuses_bad_input(
    api: Api, overrides: dict[str, Any], status: int, type_: str, field: str
) -> None:
    body = {"name": "X", "department": "sales", "position": "rep", "hire_date": "2024-01-02"}
    api.refused(
        "POST", "/employees", status, type_, who=HR, json={**body, **overrides}, fields=(field,)
    )


def test_reads_by_version_as_of_and_events(api: Api, team: Team) -> None:
    api.ok(team.path("/confirm"), {"date": "2018-07-01"}, who=HR)
    now = datetime.now(UTC).isoformat()
    assert api.state("employees", team.chen, version=1)["status"] == "hired"
    assert api.state("employees", team.chen, as_of=now)["status"] == "active"
    events = api.events("employees", team.chen)
    assert [e["type"] for e in events] == ["Hired", "Confirmed"]
    assert events[1]["metadata"]["principal"] == "hr-he"
    unknown = some_id()
    assert_problem(api.get(f"/employees/{unknown}"), 404, "not-found")
    assert_problem(api.get(f"/employees/{unknown}/events"), 404, "not-found")


# Employment.


def test_confirm_transfer_and_separate(api: Api, team: Team) -> None:
    api.ok(team.path("/confirm"), None, who=HR)
    api.refused("POST", team.path("/confirm"), 409, "not-on-probation", who=HR, json={})
    api.ok(
        team.path("/transfer"),
        {"department": "sales", "position": "account manager", "manager_id": team.li},
        who=HR,
    )
    api.refused(
        "POST", team.path("/transfer"), 409, "transfer-changes-nothing", who=HR,
        json={"department": "sales", "manager_id": team.li},
    )  # fmt: skip
    state = api.state("employees", team.chen)
    assert (state["status"], state["department"], state["manager_id"]) == (
        "active",
        "sales",
        team.li,
    )
    api.refused(
        "POST", team.path("/separate"), 422, "date-in-future", who=HR,
        json={"date": "2199-01-01", "reason": "resigned"},
    )  # fmt: skip
    api.ok(team.path("/separate"), {"date": "2025-12-31", "reason": "resigned"}, who=HR)
    assert api.state("employees", team.chen)["status"] == "separated"

    for suffix, body in (
        ("/trainings", {"course": "SQL", "kind": "skills", "hours": "4",
                        "completed_on": "2025-01-01"}),
        ("/separate", {"date": "2025-12-31", "reason": "again"}),
        ("/benefits", {"kind": "health_check", "date": "2025-06-01"}),
    ):  # fmt: skip
        api.refused("POST", team.path(suffix), 409, "employee-separated", who=HR, json=body)
    team.refused(
        "/leave-requests", {"start": "2026-07-01", "end": "2026-07-01", "days": 1},
        team.as_chen, 409, "employee-separated",
    )  # fmt: skip


def test_employment_commands_are_hr_only(api: Api, team: Team) -> None:
    for suffix in ("/confirm", "/transfer", "/separate", "/trainings", "/benefits", "/rewards"):
        api.refused("POST", team.path(suffix), 403, "role-not-allowed", who=Role.AUDITOR, json={})
        team.refused(suffix, {}, team.as_boss, 403, "role-not-allowed")


# Training and benefits.


def test_trainings_and_benefits(api: Api, team: Team) -> None:
    training = {
        "course": "Onboarding",
        "kind": "onboarding",
        "hours": "8",
        "completed_on": "2018-04-02",
    }
    api.ok(team.path("/trainings"), training, who=HR)
    api.refused(
        "POST", team.path("/trainings"), 409, "training-already-recorded", who=HR, json=training
    )
    api.refused(
        "POST", team.path("/trainings"), 422, "date-before-hire", who=HR,
        json={**training, "completed_on": "2018-03-01"},
    )  # fmt: skip
    api.ok(team.path("/benefits"), {"kind": "social_insurance", "date": "2018-04-01"}, who=HR)
    api.refused(
        "POST", team.path("/benefits"), 409, "benefit-already-recorded", who=HR,
        json={"kind": "social_insurance", "date": "2019-04-01"},
    )  # fmt: skip
    api.refused(
        "POST", team.path("/benefits"), 422, "holiday-occasion-required", who=HR,
        json={"kind": "holiday_benefit", "date": "2025-01-20"},
    )  # fmt: skip
    api.ok(
        team.path("/benefits"),
        {"kind": "birthday_benefit", "date": "2025-08-08", "amount": "300.00"},
        who=HR,
    )
    state = api.state("employees", team.chen)
    assert state["training_hours"] == "8"
    assert [b["kind"] for b in state["benefits"]] == ["social_insurance", "birthday_benefit"]
    assert state["benefits"][1]["amount"] == "300.00"


# Appraisals.


def test_an_appraisal_cycle_rewards_and_improvement(api: Api, team: Team) -> None:
    team.through_peers()
    appraisal = api.get(team.path(f"/appraisals/{CYCLE}")).json()
    assert appraisal["status"] == "peer_reviewed"
    assert appraisal["peer_reviews"] == 2

    finalize = team.path(f"/appraisals/{CYCLE}/finalize")
    api.refused(
        "POST", finalize, 409, "improvement-plan-required", who=HR,
        json={"rating": 2, "feedback": "Targets missed in Q3"}, fields=("improvement_plan",),
    )  # fmt: skip
    api.ok(
        finalize,
        {
            "rating": 2,
            "feedback": "Targets missed in Q3",
            "improvement_plan": "Weekly coaching with the manager",
            "improvement_plan_due": "2026-12-31",
        },
        who=HR,
    )
    state = api.state("employees", team.chen)
    assert state["outstanding_improvement_plans"] == []
    assert state["appraisals"][0]["improvement_plan"] == "Weekly coaching with the manager"
    api.refused(
        "POST", team.path(f"/appraisals/{CYCLE}/improvement-plan"), 409,
        "improvement-plan-already-recorded", who=HR, json={"plan": "again"},
    )  # fmt: skip
    for reward in ({"bonus": "100.00"}, {"promotion_to": "lead"}, {"honorary_title": "Star"}):
        api.refused(
            "POST", team.path("/rewards"), 409, "reward-needs-rating-three", who=HR,
            json={"cycle": CYCLE, **reward},
        )  # fmt: skip
    assert api.state("employees", team.chen)["rewards"] == []


def test_a_bonus_and_promotion(api: Api, team: Team) -> None:
    team.through_peers()
    api.ok(
        team.path(f"/appraisals/{CYCLE}/finalize"),
        {"rating": 5, "feedback": "Outstanding"},
        who=HR,
    )
    api.ok(
        team.path("/rewards"),
        {"cycle": CYCLE, "bonus": "12000.00", "promotion_to": "senior specialist"},
        who=HR,
    )
    state = api.state("employees", team.chen)
    assert state["position"] == "senior specialist"
    assert state["rewards"][0]["bonus"] == "12000.00"


def test_appraisal_refusals(api: Api, team: Team) -> None:
    goals_path = team.path(f"/appraisals/{CYCLE}/goals")
    bad = {**GOALS, "goals": [{**GOALS["goals"][0], "weight": 50}]}  # type: ignore[dict-item]
    api.refused("POST", goals_path, 422, "goal-weights-not-hundred", who=HR, json=bad)
    late = {**GOALS["goals"][0], "weight": 100, "deadline": "2027-01-15"}  # type: ignore[dict-item]
    api.refused(
        "POST", goals_path, 422, "goal-deadline-outside-period", who=HR,
        json={**GOALS, "goals": [late]},
    )  # fmt: skip
    api.refused(
        "POST", team.path("/appraisals/26/goals"), 422, "invalid-request", who=HR, json=GOALS
    )
    team.refused(
        f"/appraisals/{CYCLE}/reviews",
        {"kind": "self", "score": 3},
        team.as_chen,
        409,
        "appraisal-goals-not-set",
    )
    api.refused(
        "POST", team.path("/rewards"), 409, "appraisal-not-finalized", who=HR,
        json={"cycle": CYCLE, "bonus": "100.00"},
    )  # fmt: skip
    api.ok(goals_path, GOALS, who=HR)
    api.refused("POST", goals_path, 409, "appraisal-already-exists", who=HR, json=GOALS)
    team.refused(
        f"/appraisals/{CYCLE}/reviews", {"kind": "manager", "score": 3}, team.as_boss, 409,
        "self-review-missing",
    )  # fmt: skip
    team.review("self", team.as_chen)
    team.refused(
        f"/appraisals/{CYCLE}/reviews", {"kind": "self", "score": 5}, team.as_chen, 409,
        "review-already-submitted",
    )  # fmt: skip
    team.refused(
        f"/appraisals/{CYCLE}/reviews", {"kind": "peer", "score": 3}, team.as_li, 409,
        "manager-review-missing",
    )  # fmt: skip
    team.refused(
        f"/appraisals/{CYCLE}/reviews", {"kind": "manager", "score": 3}, team.as_li, 403,
        "reviewer-not-manager",
    )  # fmt: skip
    team.review("manager", team.as_boss)
    team.refused(
        f"/appraisals/{CYCLE}/reviews", {"kind": "peer", "score": 3}, team.as_boss, 403,
        "peer-is-manager",
    )  # fmt: skip
    team.refused(
        f"/appraisals/{CYCLE}/reviews", {"kind": "peer", "score": 3}, team.as_chen, 403,
        "peer-is-employee",
    )  # fmt: skip
    team.refused(
        f"/appraisals/{CYCLE}/reviews", {"kind": "peer", "score": 9}, team.as_li, 422,
        "review-score-out-of-range",
    )  # fmt: skip
    team.review("peer", team.as_li)
    api.refused(
        "POST", team.path(f"/appraisals/{CYCLE}/finalize"), 409, "peer-reviews-missing",
        who=HR, json={"rating": 4, "feedback": "good"},
    )  # fmt: skip
    team.review("peer", team.as_wu)
    api.refused(
        "POST", team.path(f"/appraisals/{CYCLE}/finalize"), 422, "rating-out-of-range",
        who=HR, json={"rating": 0, "feedback": "good"},
    )  # fmt: skip
    assert_problem(api.get(team.path("/appraisals/2027")), 404, "not-found")


def test_reviewer_identity_comes_from_the_principal(api: Api, team: Team) -> None:
    api.ok(team.path(f"/appraisals/{CYCLE}/goals"), GOALS, who=HR)
    # Chen names the boss as the reviewer of his self review: refused.
    team.refused(
        f"/appraisals/{CYCLE}/reviews", {"kind": "self", "score": 5, "reviewer_id": team.boss},
        team.as_chen, 403, "acting-for-another",
    )  # fmt: skip
    # Li, linked, cannot write Chen's self review either.
    team.refused(
        f"/appraisals/{CYCLE}/reviews", {"kind": "self", "score": 5, "reviewer_id": team.chen},
        team.as_li, 403, "acting-for-another",
    )  # fmt: skip
    # A principal with no employee and no hr role writes no reviews.
    api.refused(
        "POST", team.path(f"/appraisals/{CYCLE}/reviews"), 403, "no-employee-identity",
        who=Role.OPERATIONS, json={"kind": "self", "score": 5, "reviewer_id": team.chen},
    )  # fmt: skip
    # hr must name the reviewer, and then records on their behalf.
    api.refused(
        "POST", team.path(f"/appraisals/{CYCLE}/reviews"), 422, "reviewer-required",
        who=HR, json={"kind": "self", "score": 5},
    )  # fmt: skip
    api.ok(
        team.path(f"/appraisals/{CYCLE}/reviews"),
        {"kind": "self", "score": 4, "reviewer_id": team.chen, "comment": "dictated to hr"},
        who=HR,
    )
    event = api.events("employees", team.chen)[-1]
    assert event["metadata"]["principal"] == "hr-he"
    assert event["metadata"]["on_behalf_of"] == team.chen
    assert event["payload"]["reviewer_id"] == team.chen


def test_appraisal_commands_by_role(api: Api, team: Team) -> None:
    for suffix in ("goals", "finalize", "improvement-plan"):
        path = f"/appraisals/{CYCLE}/{suffix}"
        team.refused(path, {}, team.as_boss, 403, "role-not-allowed")
        api.refused("POST", team.path(path), 403, "role-not-allowed", who=Role.AUDITOR, json={})
    api.refused(
        "POST", team.path(f"/appraisals/{CYCLE}/reviews"), 403, "role-not-allowed",
        who=Role.AUDITOR, json={"kind": "self", "score": 3},
    )  # fmt: skip
    # hr linked to the employee does not finalize or reward their own appraisal.
    team.through_peers()
    hr_chen = linked(api, "hr-chen", team.chen, Role.HR)
    team.refused(
        f"/appraisals/{CYCLE}/finalize", {"rating": 5, "feedback": "me"}, hr_chen, 403,
        "four-eyes-violation",
    )  # fmt: skip


# Leave.


def test_leave_request_approval_and_taking(api: Api, team: Team) -> None:
    today = date.today().isoformat()
    response = team.post("/leave-requests", {"start": today, "end": today, "days": 1}, team.as_chen)
    assert response.status_code == 201, response.text
    answer = response.json()
    request_id = answer["leave_request_id"]
    assert response.headers["location"] == team.path(f"/leave-requests/{request_id}")
    assert api.get(team.path(f"/leave-requests/{request_id}")).json()["status"] == "pending"

    team.refused(
        f"/leave-requests/{request_id}/approve", {}, team.as_li, 403, "not-the-employees-manager"
    )
    team.refused(
        f"/leave-requests/{request_id}/approve", {}, team.as_chen, 403, "four-eyes-violation"
    )
    api.refused(
        "POST", team.path(f"/leave-requests/{request_id}/approve"), 403, "role-not-allowed",
        who=Role.AUDITOR, json={},
    )  # fmt: skip
    team.refused(f"/leave-requests/{request_id}/start", {}, team.as_chen, 409, "leave-not-approved")
    team.ok(f"/leave-requests/{request_id}/approve", {}, team.as_boss)
    team.refused(
        f"/leave-requests/{request_id}/reject",
        {"reason": "no"},
        team.as_boss,
        409,
        "leave-request-not-pending",
    )

    team.ok(f"/leave-requests/{request_id}/start", None, team.as_chen)
    assert api.state("employees", team.chen)["status"] == "on_leave"
    team.ok(f"/leave-requests/{request_id}/return", {"date": today}, team.as_boss)
    state = api.state("employees", team.chen)
    assert state["status"] == "hired"  # back to probation: never confirmed
    assert state["leave_requests"][0]["status"] == "completed"


def test_leave_refusals(api: Api, team: Team) -> None:
    # 1.5 prior years + service since 2018-04-01: 8.75 years in mid-2025 -> 5 days.
    leave = team.path("/leave-requests")
    api.refused(
        "POST", leave, 409, "leave-balance-exceeded", who=HR,
        json={"start": "2025-07-01", "end": "2025-07-10", "days": 8}, fields=("days",),
    )  # fmt: skip
    api.refused(
        "POST", leave, 422, "leave-spans-years", who=HR,
        json={"start": "2025-12-30", "end": "2026-01-02", "days": 2},
    )  # fmt: skip
    api.refused(
        "POST", leave, 422, "leave-period-invalid", who=HR,
        json={"start": "2025-07-10", "end": "2025-07-01", "days": 2},
    )  # fmt: skip
    api.refused(
        "POST", leave, 403, "acting-for-another", who=None, headers=team.as_li,
        json={"start": "2025-07-01", "end": "2025-07-01", "days": 1},
    )  # fmt: skip
    api.refused(
        "POST", leave, 403, "no-employee-identity", who=Role.SALES,
        json={"start": "2025-07-01", "end": "2025-07-01", "days": 1},
    )  # fmt: skip
    first = api.ok(leave, {"start": "2025-07-01", "end": "2025-07-03", "days": 3}, who=HR)
    api.refused(
        "POST", leave, 409, "leave-overlaps", who=HR,
        json={"start": "2025-07-03", "end": "2025-07-04"},
    )  # fmt: skip
    api.refused(
        "POST", leave, 409, "leave-balance-exceeded", who=HR,
        json={"start": "2025-08-04", "end": "2025-08-06", "days": 3},
    )  # fmt: skip
    unknown = some_id()
    api.refused("POST", f"{leave}/{unknown}/approve", 404, "not-found", who=HR, json={})
    assert_problem(api.get(f"{leave}/{unknown}"), 404, "not-found")
    other_hr = api.tokens.store.issue("hr-hu", [HR])
    team.ok(
        f"/leave-requests/{first['leave_request_id']}/reject",
        {"reason": "audit week"},
        {"Authorization": f"Bearer {other_hr}"},
    )
    api.ok(leave, {"start": "2025-08-04", "end": "2025-08-08", "days": 5}, who=HR)


def test_a_repeated_leave_request_answers_the_same_id(api: Api, team: Team) -> None:
    body = {"start": "2030-07-01", "end": "2030-07-01", "days": 1}
    headers = {**team.as_chen, "Idempotency-Key": "leave-july"}
    first = team.post("/leave-requests", body, headers)
    before = api.positions()
    again = team.post("/leave-requests", body, headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert api.positions() == before
    other = team.post("/leave-requests", {**body, "days": 2}, headers)
    assert_problem(other, 422, "idempotency-key-reused")


def test_if_match_guards_employee_commands(api: Api, team: Team) -> None:
    api.refused(
        "POST", team.path("/confirm"), 412, "version-mismatch", who=HR, json={},
        headers={"If-Match": '"7"'},
    )  # fmt: skip
    api.ok(team.path("/confirm"), {}, who=HR, headers={"If-Match": '"1"'})


# Tokens linked to employees.


def test_the_cli_links_a_token_to_an_employee(
    api: Api, team: Team, store_config: StoreConfig, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(store_config.data_dir))
    if store_config.database_url:
        monkeypatch.setenv("OPSLEDGER_DATABASE_URL", store_config.database_url)
    else:
        monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)
    code = cli.main(
        ["token", "create", "--name", "li-cli", "--role", "sales", "--employee", team.li]
    )
    assert code == 0
    token = capsys.readouterr().out.strip()

    principal = api.tokens.store.principal(token)
    assert principal is not None
    assert (principal.name, str(principal.employee_id)) == ("li-cli", team.li)
    with pytest.raises(SystemExit):
        cli.main(["token", "create", "--name", "x", "--role", "sales", "--employee", "nope"])


@pytest.mark.fresh_app  # its own store
def test_tokens_made_before_employee_links_keep_working(store_config: StoreConfig) -> None:
    """A store whose token table predates the employee column gets it, and old tokens work."""
    create = (
        "CREATE TABLE opsledger_tokens (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "roles TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)"
    )
    old = ("f" * 64, "old-hr", '["hr"]', "2025-01-01T00:00:00+00:00")
    insert = "INSERT INTO opsledger_tokens VALUES (?, ?, ?, ?, NULL)"
    if store_config.postgres is None:
        store_config.data_dir.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(store_config.sqlite_path("auth")) as db:
            db.execute("DROP TABLE IF EXISTS opsledger_tokens")
            db.execute(create)
            db.execute(insert, old)
    else:
        with psycopg.connect(store_config.postgres.conninfo(), autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS opsledger_tokens")
            conn.execute(create)
            conn.execute(insert.replace("?", "%s"), old)

    store = TokenStore(store_config)
    try:
        TokenStore(store_config).close()  # a second opening finds the column there
        rows = store._execute("SELECT name, employee_id FROM opsledger_tokens")
        assert rows == [("old-hr", None)]
        employee = UUID(some_id())
        token = store.issue("linked", [Role.SALES], employee_id=employee)
        linked_principal = store.principal(token)
        assert linked_principal is not None and linked_principal.employee_id == employee
        unlinked = store.principal(store.issue("plain", [Role.SALES]))
        assert unlinked is not None and unlinked.employee_id is None
    finally:
        store.close()
