"""/budgets over HTTP: every route, its statuses, problem types and role checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from api.tokens import TokenStore
from domain.budget import Budget
from domain.vocabulary import Department, Role
from tests.api.support import Api, assert_position, assert_problem, some_id
from tests.support.clock import Clock

YEAR = 2025
NOW = datetime(YEAR, 6, 30, 12, 0, tzinfo=UTC)
SALES = Role.SALES  # sales-su
FINANCE = Role.FINANCE  # fin-fan
MANAGEMENT = Role.MANAGEMENT  # mgmt-meng
BOARD = Role.BOARD  # board-bai

LINES: list[dict[str, Any]] = [
    {"code": "6001", "category": "revenue", "amount": "500000.00"},
    {"code": "6601", "category": "expense", "amount": "100000.00", "description": "travel"},
    {
        "code": "6401",
        "category": "cost",
        "amount": "400000.00",
        "monthly": ["33333.33"] * 11 + ["33333.37"],
    },
]


@pytest.fixture
def clock_start() -> datetime:
    return NOW


def draft(api: Api, department: str = "sales", who: Any = SALES, **overrides: Any) -> str:
    body = {"department": department, "fiscal_year": YEAR, "lines": LINES, **overrides}
    return str(api.ok("/budgets", body, who=who)["id"])


def approve(api: Api, budget_id: str, *stages: str) -> None:
    who = {"finance-review": FINANCE, "management-approval": MANAGEMENT, "board-approval": BOARD}
    for stage in stages:
        api.ok(f"/budgets/{budget_id}/{stage}", {"approved": True}, who=who[stage])


def active(api: Api, control: str = "stop", department: str = "sales", who: Any = SALES) -> str:
    budget_id = draft(api, department, who, control=control)
    api.ok(f"/budgets/{budget_id}/submit", who=who)
    approve(api, budget_id, "finance-review", "management-approval", "board-approval")
    return budget_id


def actual(ref: str, amount: str = "1000.00", line: str = "6601", **kw: Any) -> dict[str, Any]:
    return {"line": line, "amount": amount, "document_ref": ref, "date": "2025-06-01", **kw}


def token_for(api: Api, name: str, *roles: Role) -> dict[str, str]:
    store: TokenStore = api.tokens.store
    return {"Authorization": f"Bearer {store.issue(name, roles)}"}


# Drafting and reading.


def test_draft_answers_201_with_the_derived_id(api: Api, clock: Clock) -> None:
    response = api.post(
        "/budgets", {"department": "sales", "fiscal_year": YEAR, "lines": LINES}, who=SALES
    )

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["id"] == str(Budget.create_id(Department.SALES, YEAR))
    assert answer["version"] == 1
    assert_position(answer, "budgets")
    assert response.headers["location"] == f"/budgets/{answer['id']}"
    assert response.headers["etag"] == '"1"'

    state = api.state("budgets", answer["id"])
    assert state["status"] == "draft"
    assert state["active"] is False
    assert state["control"] == "stop"
    assert state["lines"][1] == {
        "code": "6601",
        "category": "expense",
        "description": "travel",
        "planned": "100000.00",
        "monthly": None,
        "adjustments": "0.00",
        "budget": "100000.00",
        "actual": "0.00",
        "available": "100000.00",
        "utilisation_percent": "0.00",
        "thresholds_reached": [],
    }
    assert state["totals"]["cost"]["planned"] == "400000.00"
    # 10 % of the planned spending (cost 400000.00 + expense 100000.00), never revenue.
    assert state["finance_approval_limit"] == "50000.00"
    assert (state["finance_approval_used"], state["finance_approval_left"]) == ("0.00", "50000.00")
    assert state["drafted_by"] == "sales-su"
    (event,) = api.events("budgets", answer["id"])
    assert event["type"] == "Drafted"
    assert event["metadata"]["principal"] == "sales-su"
    assert event["payload"]["lines"][2]["monthly"][-1] == "33333.37"


def test_duplicate_department_year_is_409(api: Api, clock: Clock) -> None:
    draft(api)
    body = {"department": "sales", "fiscal_year": YEAR, "lines": LINES}

    problem = api.refused("POST", "/budgets", 409, "budget-already-exists", who=SALES, json=body)
    assert "sales budget for 2025 exists already" in problem["detail"]


@pytest.mark.parametrize(
    ("change", "status", "type_", "field"),
    [
        ({"amount": "-1.00"}, 422, "amount-negative", "lines.0.amount"),
        (
            {"monthly": ["1.00"] * 12, "amount": "12.01"},
            422,
            "monthly-split-does-not-sum",
            "lines.0.monthly",
        ),
        ({"monthly": ["1.00"] * 11}, 422, "monthly-split-not-twelve-months", "lines.0.monthly"),
        ({"amount": "1.001"}, 422, "invalid-request", "lines.0.amount"),
        ({"category": "salary"}, 422, "invalid-request", "lines.0.category"),
    ],
)
def test_invalid_lines_are_422(
    api: Api, clock: Clock, change: dict[str, Any], status: int, type_: str, field: str
) -> None:
    line = {"code": "6601", "category": "expense", "amount": "12.00", **change}
    body = {"department": "sales", "fiscal_year": YEAR, "lines": [line]}
    api.refused("POST", "/budgets", status, type_, who=SALES, json=body, fields=(field,))


@pytest.mark.parametrize(
    ("body", "type_"),
    [
        ({"department": "sales", "fiscal_year": 1999, "lines": LINES}, "fiscal-year-out-of-range"),
        ({"department": "sales", "fiscal_year": YEAR, "lines": []}, "budget-lines-required"),
        ({"department": "legal", "fiscal_year": YEAR, "lines": LINES}, "invalid-request"),
        ({"department": "sales", "fiscal_year": YEAR, "lines": LINES, "x": 1}, "invalid-request"),
        (
            {"department": "sales", "fiscal_year": YEAR, "lines": [LINES[0], LINES[0]]},
            "duplicate-line-code",
        ),
    ],
)
def test_invalid_drafts_are_422(api: Api, clock: Clock, body: dict[str, Any], type_: str) -> None:
    api.refused("POST", "/budgets", 422, type_, who=SALES, json=body)


def test_role_checks_on_drafting(api: Api, clock: Clock) -> None:
    body = {"department": "sales", "fiscal_year": YEAR, "lines": LINES}
    api.refused("POST", "/budgets", 403, "role-not-allowed", who=Role.AUDITOR, json=body)
    api.refused("POST", "/budgets", 403, "role-not-allowed", who=BOARD, json=body)
    api.refused("POST", "/budgets", 403, "not-department-head", who=Role.MARKETING, json=body)
    api.refused("POST", "/budgets", 403, "not-department-head", who=MANAGEMENT, json=body)
    draft(api, "administration", MANAGEMENT)  # no role of its own: management drafts it


def test_reads_404_for_unknown_budgets_and_serve_the_past(api: Api, clock: Clock) -> None:
    unknown = some_id()
    assert_problem(api.get(f"/budgets/{unknown}"), 404, "not-found")
    assert_problem(api.get(f"/budgets/{unknown}/events"), 404, "not-found")
    budget_id = draft(api)
    api.ok(f"/budgets/{budget_id}/submit", who=SALES)

    assert api.state("budgets", budget_id, version=1)["status"] == "draft"
    assert api.state("budgets", budget_id)["status"] == "submitted"
    assert_problem(api.get(f"/budgets/{budget_id}", params={"version": 9}), 404, "not-found")
    before = api.get(f"/budgets/{budget_id}", params={"as_of": "2000-01-01T00:00:00Z"})
    assert_problem(before, 404, "not-found")


# Lines and stages.


def test_lines_are_replaced_in_draft_and_locked_after(api: Api, clock: Clock) -> None:
    budget_id = draft(api)
    answer = api.ok(f"/budgets/{budget_id}/lines", {"lines": LINES[:1]}, who=SALES)
    assert answer["version"] == 2
    assert [line["code"] for line in api.state("budgets", budget_id)["lines"]] == ["6001"]
    api.refused(
        "POST",
        f"/budgets/{budget_id}/lines",
        403,
        "not-department-head",
        who=Role.MARKETING,
        json={"lines": LINES},
    )
    api.ok(f"/budgets/{budget_id}/submit", who=SALES)

    api.refused(
        "POST",
        f"/budgets/{budget_id}/lines",
        409,
        "budget-lines-locked",
        who=SALES,
        json={"lines": LINES},
    )


def test_full_cycle_and_stage_skipping(api: Api, clock: Clock) -> None:
    budget_id = draft(api)
    path = f"/budgets/{budget_id}"
    api.refused(
        "POST",
        f"{path}/finance-review",
        409,
        "budget-stage-skipped",
        who=FINANCE,
        json={"approved": True},
    )
    api.ok(f"{path}/submit", who=SALES)
    api.refused("POST", f"{path}/submit", 409, "budget-not-draft", who=SALES, json={})
    api.refused(
        "POST",
        f"{path}/board-approval",
        409,
        "budget-stage-skipped",
        who=BOARD,
        json={"approved": True},
    )
    api.refused(
        "POST",
        f"{path}/finance-review",
        403,
        "role-not-allowed",
        who=BOARD,
        json={"approved": True},
    )
    approve(api, budget_id, "finance-review", "management-approval")
    api.refused(
        "POST",
        f"{path}/management-approval",
        409,
        "budget-stage-already-passed",
        who=MANAGEMENT,
        json={"approved": True},
    )
    answer = api.ok(f"{path}/board-approval", {"approved": True, "reason": "ok"}, who=BOARD)

    assert answer["version"] == 5
    state = api.state("budgets", budget_id)
    assert (state["status"], state["active"]) == ("board_approved", True)
    assert state["submitted_by"] == "sales-su"
    assert set(state["approvals"]) == {"finance", "management", "board"}


def test_submitter_cannot_approve_whatever_their_roles(api: Api, clock: Clock) -> None:
    both = token_for(api, "sales-and-finance", Role.SALES, Role.FINANCE)
    body = {"department": "sales", "fiscal_year": YEAR, "lines": LINES}
    created = api.post("/budgets", body, who=None, headers=both)
    budget_id = created.json()["id"]
    assert api.post(f"/budgets/{budget_id}/submit", {}, who=None, headers=both).status_code == 200

    api.refused(
        "POST",
        f"/budgets/{budget_id}/finance-review",
        403,
        "budget-duties-not-segregated",
        who=None,
        headers=both,
        json={"approved": True},
    )


def test_return_to_draft_needs_a_reason(api: Api, clock: Clock) -> None:
    budget_id = draft(api)
    api.ok(f"/budgets/{budget_id}/submit", who=SALES)
    path = f"/budgets/{budget_id}/finance-review"

    api.refused("POST", path, 422, "return-reason-required", who=FINANCE, json={"approved": False})
    api.ok(path, {"approved": False, "reason": "travel line too high"}, who=FINANCE)

    state = api.state("budgets", budget_id)
    assert state["status"] == "draft"
    assert state["returns"][0]["reason"] == "travel line too high"
    assert state["returns"][0]["stage"] == "finance"


# Bulk approval.


def test_bulk_approval_refuses_the_lot_then_approves_all(api: Api, clock: Clock) -> None:
    sales = draft(api)
    marketing = draft(api, "marketing", Role.MARKETING)
    for budget_id, who in ((sales, SALES), (marketing, Role.MARKETING)):
        api.ok(f"/budgets/{budget_id}/submit", who=who)
    approve(api, sales, "finance-review")
    path = f"/budgets/fiscal-years/{YEAR}/management-approval"

    problem = api.refused("POST", path, 409, "fiscal-year-not-ready", who=MANAGEMENT, json={})
    assert f"marketing (submitted, {marketing})" in problem["detail"]
    api.refused("POST", path, 403, "role-not-allowed", who=FINANCE, json={})
    approve(api, marketing, "finance-review")

    response = api.post(path, {}, who=MANAGEMENT)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["fiscal_year"] == YEAR and answer["stage"] == "management"
    assert {(a["department"], a["version"]) for a in answer["approved"]} == {
        ("sales", 4),
        ("marketing", 4),
    }
    assert_position(answer, "budgets")
    board = f"/budgets/fiscal-years/{YEAR}/board-approval"
    assert api.post(board, None, who=BOARD).status_code == 200
    assert api.state("budgets", marketing)["status"] == "board_approved"
    api.refused("POST", board, 409, "no-budget-awaiting-approval", who=BOARD, json={})
    listed = api.get(f"/budgets/fiscal-years/{YEAR}")
    assert listed.status_code == 200, listed.text
    assert {(b["department"], b["status"]) for b in listed.json()["budgets"]} == {
        ("sales", "board_approved"),
        ("marketing", "board_approved"),
    }
    assert api.get(f"/budgets/fiscal-years/{YEAR + 1}").json()["budgets"] == []
    api.refused("POST", "/budgets/fiscal-years/1800/board-approval", 422, None, who=BOARD, json={})


# Actuals.


def test_actuals_only_on_active_budgets(api: Api, clock: Clock) -> None:
    budget_id = draft(api)
    api.refused(
        "POST",
        f"/budgets/{budget_id}/actuals",
        409,
        "budget-not-active",
        who=FINANCE,
        json=actual("A-1"),
    )


def test_actual_refusals(api: Api, clock: Clock) -> None:
    budget_id = active(api)
    path = f"/budgets/{budget_id}/actuals"
    answer = api.ok(path, actual("INV-1"), who=FINANCE)
    assert answer["version"] == 6

    api.refused("POST", path, 409, "duplicate-document-ref", who=FINANCE, json=actual("INV-1"))
    api.refused(
        "POST",
        path,
        409,
        "spending-exceeds-available",
        who=FINANCE,
        json=actual("INV-2", "99000.01"),
    )
    api.refused(
        "POST", path, 422, "date-in-future", who=FINANCE, json=actual("INV-3", date="2025-07-01")
    )
    api.refused(
        "POST",
        path,
        422,
        "actual-outside-fiscal-year",
        who=FINANCE,
        json=actual("INV-4", date="2024-12-31"),
    )
    api.refused(
        "POST",
        path,
        422,
        "unknown-budget-line",
        who=FINANCE,
        json=actual("INV-5", line="9999"),
        fields=("line",),
    )
    api.refused(
        "POST", path, 422, "amount-not-positive", who=FINANCE, json=actual("INV-6", "-1.00")
    )
    api.refused("POST", path, 403, "role-not-allowed", who=SALES, json=actual("INV-7"))
    api.refused("POST", path, 403, "role-not-allowed", who=Role.AUDITOR, json=actual("INV-8"))


def test_warn_control_records_overruns_and_thresholds(api: Api, clock: Clock) -> None:
    budget_id = active(api, control="warn")
    path = f"/budgets/{budget_id}/actuals"
    api.ok(path, actual("INV-1", "85000.00"), who=FINANCE)
    api.ok(path, actual("INV-2", "20000.00"), who=FINANCE)

    state = api.state("budgets", budget_id)
    line = state["lines"][1]
    assert (line["actual"], line["available"]) == ("105000.00", "-5000.00")
    assert line["thresholds_reached"] == [80, 100]
    assert [(w["kind"], w["threshold"], w["amount"]) for w in state["warnings"]] == [
        ("threshold", 80, "85000.00"),
        ("overrun", None, "5000.00"),
        ("threshold", 100, "105000.00"),
    ]
    types = [e["type"] for e in api.events("budgets", budget_id)][-4:]
    assert types == ["ThresholdReached", "ActualRecorded", "OverrunWarned", "ThresholdReached"]


# Adjustments.


def test_adjustments_are_requested_then_approved_by_the_right_role(api: Api, clock: Clock) -> None:
    budget_id = active(api)
    path = f"/budgets/{budget_id}/adjustments"
    small = api.ok(
        path,
        {"from_line": "6401", "to_line": "6601", "amount": "1000.00", "reason": "x"},
        who=FINANCE,
    )["adjustment_id"]
    other_finance = token_for(api, "fin-fu", Role.FINANCE)
    api.refused("POST", f"{path}/{small}/approve", 403, "four-eyes-violation", who=FINANCE, json={})
    assert (
        api.post(f"{path}/{small}/approve", {}, who=None, headers=other_finance).status_code == 200
    )

    response = api.post(
        path, {"to_line": "6601", "amount": "150000.00", "reason": "expo"}, who=SALES
    )
    assert response.status_code == 201, response.text
    large = response.json()["adjustment_id"]
    assert response.headers["location"] == f"{path}/{large}"
    adjustment = api.get(f"{path}/{large}").json()
    assert (adjustment["authority"], adjustment["status"]) == ("management", "pending")

    api.refused(
        "POST",
        f"{path}/{large}/approve",
        403,
        "adjustment-above-finance-limit",
        who=FINANCE,
        json={},
    )
    api.refused("POST", f"{path}/{large}/approve", 403, "role-not-allowed", who=SALES, json={})
    api.ok(f"{path}/{large}/approve", who=MANAGEMENT)
    api.refused(
        "POST", f"{path}/{large}/approve", 409, "adjustment-not-pending", who=MANAGEMENT, json={}
    )

    state = api.state("budgets", budget_id)
    assert state["lines"][1]["budget"] == "251000.00"
    assert state["lines"][2]["budget"] == "399000.00"
    assert [a["status"] for a in state["adjustments"]] == ["approved", "approved"]


def test_adjustment_rejection_and_refusals(api: Api, clock: Clock) -> None:
    budget_id = active(api)
    path = f"/budgets/{budget_id}/adjustments"
    adjustment = api.ok(path, {"to_line": "6601", "amount": "10.00", "reason": "x"}, who=SALES)
    adjustment_id = adjustment["adjustment_id"]

    api.refused(
        "POST", f"{path}/{adjustment_id}/reject", 422, "invalid-request", who=FINANCE, json={}
    )
    api.ok(f"{path}/{adjustment_id}/reject", {"reason": "no"}, who=FINANCE)
    assert api.get(f"{path}/{adjustment_id}").json()["status"] == "rejected"

    unknown = some_id()
    api.refused("POST", f"{path}/{unknown}/approve", 404, "not-found", who=MANAGEMENT, json={})
    assert_problem(api.get(f"{path}/{unknown}"), 404, "not-found")
    api.refused(
        "POST",
        path,
        403,
        "not-department-head",
        who=Role.MARKETING,
        json={"to_line": "6601", "amount": "1.00", "reason": "x"},
    )
    api.refused(
        "POST",
        path,
        422,
        "adjustment-same-line",
        who=SALES,
        json={"from_line": "6601", "to_line": "6601", "amount": "1.00", "reason": "x"},
    )
    api.refused(
        "POST",
        path,
        409,
        "adjustment-mixes-revenue-and-spending",
        who=SALES,
        json={"from_line": "6001", "to_line": "6601", "amount": "1.00", "reason": "x"},
    )
    draft_id = draft(api, "marketing", Role.MARKETING)
    api.refused(
        "POST",
        f"/budgets/{draft_id}/adjustments",
        409,
        "budget-not-active",
        who=Role.MARKETING,
        json={"to_line": "6601", "amount": "1.00", "reason": "x"},
    )


# Close, guards.


def test_close_at_year_end(api: Api, clock: Clock) -> None:
    budget_id = active(api)
    path = f"/budgets/{budget_id}/close"
    api.refused("POST", path, 409, "fiscal-year-not-over", who=FINANCE, json={})
    api.refused("POST", path, 403, "role-not-allowed", who=MANAGEMENT, json={})
    clock.now = datetime(YEAR + 1, 1, 6, tzinfo=UTC)

    api.ok(path, who=FINANCE)

    assert api.state("budgets", budget_id)["status"] == "closed"
    api.refused(
        "POST",
        f"/budgets/{budget_id}/actuals",
        409,
        "budget-closed",
        who=FINANCE,
        json=actual("L-1"),
    )


def test_if_match_and_idempotency_work_on_budget_commands(api: Api, clock: Clock) -> None:
    budget_id = draft(api)
    api.refused(
        "POST",
        f"/budgets/{budget_id}/submit",
        412,
        "version-mismatch",
        who=SALES,
        json={},
        headers={"If-Match": '"7"'},
    )
    key = {"Idempotency-Key": "submit-once"}
    first = api.ok(f"/budgets/{budget_id}/submit", who=SALES, headers=key)
    with api.no_new_events():
        again = api.ok(f"/budgets/{budget_id}/submit", who=SALES, headers=key)
    assert again == first


def test_auditor_reads_everything_and_commands_nothing(api: Api, clock: Clock) -> None:
    budget_id = active(api)
    adjustment_id = api.ok(
        f"/budgets/{budget_id}/adjustments",
        {"to_line": "6601", "amount": "1.00", "reason": "x"},
        who=SALES,
    )["adjustment_id"]
    auditor = Role.AUDITOR
    assert api.get(f"/budgets/{budget_id}", who=auditor).status_code == 200
    assert api.get(f"/budgets/{budget_id}/events", who=auditor).status_code == 200
    assert (
        api.get(f"/budgets/{budget_id}/adjustments/{adjustment_id}", who=auditor).status_code == 200
    )
    for path in (
        "/budgets",
        f"/budgets/{budget_id}/lines",
        f"/budgets/{budget_id}/submit",
        f"/budgets/{budget_id}/finance-review",
        f"/budgets/{budget_id}/management-approval",
        f"/budgets/{budget_id}/board-approval",
        f"/budgets/{budget_id}/actuals",
        f"/budgets/{budget_id}/adjustments",
        f"/budgets/{budget_id}/adjustments/{adjustment_id}/approve",
        f"/budgets/{budget_id}/adjustments/{adjustment_id}/reject",
        f"/budgets/{budget_id}/close",
        f"/budgets/fiscal-years/{YEAR}/management-approval",
        f"/budgets/fiscal-years/{YEAR}/board-approval",
    ):
        api.refused("POST", path, 403, "role-not-allowed", who=auditor, json={})
