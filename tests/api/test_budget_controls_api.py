"""Budget controls that cannot be split around, over HTTP (issue 11): each refusal's
problem type and figures, and nothing written when refused."""

from __future__ import annotations

from typing import Any

from domain.vocabulary import Role
from tests.api.support import Api
from tests.api.test_budgets_api import (
    BOARD,
    FINANCE,
    LINES,
    MANAGEMENT,
    SALES,
    YEAR,
    active,
    actual,
    approve,
    clock_start,
    draft,
    token_for,
)
from tests.support.clock import Clock

__all__ = ["clock_start"]  # the fixture, for this module's tests


def adjust(api: Api, budget_id: str, body: dict[str, Any], who: Any = SALES) -> str:
    answer = api.ok(f"/budgets/{budget_id}/adjustments", {"reason": "x", **body}, who=who)
    return str(answer["adjustment_id"])


def line_of(api: Api, budget_id: str, code: str) -> dict[str, Any]:
    lines = api.state("budgets", budget_id)["lines"]
    return next(line for line in lines if line["code"] == code)


# Finance's 10 % counts the year, against the spending (cost 400000 + expense 100000).


def test_finance_authority_counts_every_adjustment_of_the_year(api: Api, clock: Clock) -> None:
    budget_id = active(api)
    path = f"/budgets/{budget_id}/adjustments"
    first = adjust(api, budget_id, {"to_line": "6601", "amount": "50000.00"})
    api.ok(f"{path}/{first}/approve", who=FINANCE)
    second = adjust(api, budget_id, {"to_line": "6601", "amount": "1.00"})
    assert api.get(f"{path}/{second}").json()["authority"] == "management"

    problem = api.refused(
        "POST",
        f"{path}/{second}/approve",
        403,
        "adjustment-above-finance-limit",
        who=FINANCE,
        json={},
    )

    assert (problem["limit"], problem["used"], problem["left"]) == ("50000.00", "50000.00", "0.00")
    state = api.state("budgets", budget_id)
    assert (state["finance_approval_used"], state["finance_approval_left"]) == (
        "50000.00",
        "0.00",
    )
    api.ok(f"{path}/{second}/approve", who=MANAGEMENT)


def test_finance_approves_only_what_its_limit_has_left(api: Api, clock: Clock) -> None:
    budget_id = active(api)
    path = f"/budgets/{budget_id}/adjustments"
    small = adjust(api, budget_id, {"to_line": "6601", "amount": "30000.00"})
    big = adjust(api, budget_id, {"to_line": "6601", "amount": "40000.00"})
    api.ok(f"{path}/{big}/approve", who=MANAGEMENT)

    problem = api.refused(
        "POST",
        f"{path}/{small}/approve",
        403,
        "finance-adjustment-authority-used",
        who=FINANCE,
        json={},
    )

    assert (problem["used"], problem["left"], problem["amount"]) == (
        "40000.00",
        "10000.00",
        "30000.00",
    )


def test_a_line_is_cut_by_an_approved_adjustment(api: Api, clock: Clock) -> None:
    budget_id = active(api)
    path = f"/budgets/{budget_id}/adjustments"
    cut = adjust(api, budget_id, {"from_line": "6601", "amount": "1000.00"})
    api.ok(f"{path}/{cut}/approve", who=FINANCE)

    assert api.get(f"{path}/{cut}").json()["to_line"] is None
    assert line_of(api, budget_id, "6601")["budget"] == "99000.00"
    api.refused(
        "POST",
        path,
        422,
        "adjustment-line-required",
        who=SALES,
        fields=("to_line",),
        json={"amount": "1.00", "reason": "x"},
    )


# Segregation of duties: one principal, one stage of a budget.


def test_one_principal_with_every_review_role_passes_one_stage(api: Api, clock: Clock) -> None:
    budget_id = draft(api)
    api.ok(f"/budgets/{budget_id}/submit", who=SALES)
    omni = token_for(api, "omni", Role.FINANCE, Role.MANAGEMENT, Role.BOARD)
    api.ok(f"/budgets/{budget_id}/finance-review", {"approved": True}, who=None, headers=omni)

    problem = api.refused(
        "POST",
        f"/budgets/{budget_id}/management-approval",
        403,
        "budget-duties-not-segregated",
        who=None,
        headers=omni,
        json={"approved": True},
    )

    assert (problem["principal"], problem["stage"], problem["acted_at"]) == (
        "omni",
        "management",
        "finance",
    )


def test_two_tokens_under_one_name_are_one_principal(api: Api, clock: Clock) -> None:
    budget_id = draft(api)
    api.ok(f"/budgets/{budget_id}/submit", who=SALES)
    as_finance = token_for(api, "twin", Role.FINANCE)
    as_manager = token_for(api, "twin", Role.MANAGEMENT)
    api.ok(f"/budgets/{budget_id}/finance-review", {"approved": True}, who=None, headers=as_finance)

    api.refused(
        "POST",
        f"/budgets/{budget_id}/management-approval",
        403,
        "budget-duties-not-segregated",
        who=None,
        headers=as_manager,
        json={"approved": False, "reason": "no"},
    )


def test_a_drafter_who_did_not_submit_cannot_review(api: Api, clock: Clock) -> None:
    drafter = token_for(api, "sales-a", Role.SALES)
    body = {"department": "sales", "fiscal_year": YEAR, "lines": LINES}
    budget_id = str(api.ok("/budgets", body, who=None, headers=drafter)["id"])
    api.ok(f"/budgets/{budget_id}/submit", who=None, headers=token_for(api, "sales-b", Role.SALES))

    api.refused(
        "POST",
        f"/budgets/{budget_id}/finance-review",
        403,
        "budget-duties-not-segregated",
        who=None,
        headers=token_for(api, "sales-a", Role.FINANCE),
        json={"approved": True},
    )


def test_a_fiscal_year_approval_refuses_the_lot_the_approver_acted_on(
    api: Api, clock: Clock
) -> None:
    omni = token_for(api, "omni", Role.FINANCE, Role.MANAGEMENT)
    sales = draft(api)
    api.ok(f"/budgets/{sales}/submit", who=SALES)
    api.ok(f"/budgets/{sales}/finance-review", {"approved": True}, who=None, headers=omni)
    marketing = draft(api, "marketing", Role.MARKETING)
    api.ok(f"/budgets/{marketing}/submit", who=Role.MARKETING)
    approve(api, marketing, "finance-review")
    bulk = f"/budgets/fiscal-years/{YEAR}/management-approval"

    problem = api.refused(
        "POST", bulk, 403, "fiscal-year-duties-not-segregated", who=None, headers=omni, json={}
    )

    assert problem["budgets"] == sales
    assert "marketing" not in problem["detail"]
    answer = api.post(bulk, {}, who=MANAGEMENT).json()
    assert {b["department"] for b in answer["approved"]} == {"sales", "marketing"}
    assert api.post(f"/budgets/fiscal-years/{YEAR}/board-approval", {}, who=BOARD).is_success


# The monthly split: line 6401 is split 33333.33 a month (the last month 33333.37).


def test_under_stop_a_split_line_keeps_to_its_months(api: Api, clock: Clock) -> None:
    budget_id = active(api)
    path = f"/budgets/{budget_id}/actuals"
    january = actual("INV-1", "33333.34", "6401", date="2025-01-15")

    problem = api.refused(
        "POST", path, 409, "spending-exceeds-monthly-budget", who=FINANCE, json=january
    )

    assert (problem["month"], problem["limit"], problem["used"], problem["left"]) == (
        1,
        "33333.33",
        "0.00",
        "33333.33",
    )
    api.ok(path, {**january, "date": "2025-02-01"}, who=FINANCE)
    api.ok(path, actual("INV-2", "100000.00", "6601", date="2025-01-02"), who=FINANCE)  # unsplit


def test_under_warn_a_split_line_beyond_its_months_is_warned(api: Api, clock: Clock) -> None:
    budget_id = active(api, control="warn")
    api.ok(
        f"/budgets/{budget_id}/actuals",
        actual("INV-1", "40000.00", "6401", date="2025-01-15"),
        who=FINANCE,
    )

    (warning,) = api.state("budgets", budget_id)["warnings"]
    assert (warning["kind"], warning["line"], warning["amount"]) == (
        "monthly_overrun",
        "6401",
        "6666.67",
    )


# Reversals.


def test_a_reversal_takes_an_actual_back_once(api: Api, clock: Clock) -> None:
    budget_id = active(api)
    api.ok(f"/budgets/{budget_id}/actuals", actual("INV-1", "90000.00"), who=FINANCE)
    path = f"/budgets/{budget_id}/reversals"
    api.refused(
        "POST",
        path,
        403,
        "role-not-allowed",
        who=SALES,
        json={"document_ref": "INV-1", "reason": "x"},
    )

    answer = api.ok(path, {"document_ref": "INV-1", "reason": "wrong line"}, who=FINANCE)

    travel = line_of(api, budget_id, "6601")
    assert (travel["actual"], travel["available"], travel["thresholds_reached"]) == (
        "0.00",
        "100000.00",
        [],
    )
    (event,) = [e for e in api.events("budgets", budget_id) if e["type"] == "ActualReversed"]
    assert event["version"] == answer["version"]
    assert event["payload"]["reason"] == "wrong line"
    problem = api.refused(
        "POST",
        path,
        409,
        "actual-already-reversed",
        who=FINANCE,
        json={"document_ref": "INV-1", "reason": "again"},
    )
    assert problem["reversed"] == "90000.00"


def test_reversal_refusals(api: Api, clock: Clock) -> None:
    budget_id = active(api)
    api.ok(f"/budgets/{budget_id}/actuals", actual("INV-1", "100.00"), who=FINANCE)
    path = f"/budgets/{budget_id}/reversals"

    api.refused(
        "POST",
        path,
        422,
        "unknown-actual",
        who=FINANCE,
        fields=("document_ref",),
        json={"document_ref": "INV-9", "reason": "x"},
    )
    problem = api.refused(
        "POST",
        path,
        422,
        "reversal-exceeds-actual",
        who=FINANCE,
        fields=("amount",),
        json={"document_ref": "INV-1", "reason": "x", "amount": "100.01"},
    )
    assert problem["limit"] == "100.00"
    api.refused("POST", path, 422, "invalid-request", who=FINANCE, json={"document_ref": "INV-1"})
    api.ok(path, {"document_ref": "INV-1", "reason": "part", "amount": "40.00"}, who=FINANCE)
    assert line_of(api, budget_id, "6601")["actual"] == "60.00"


# Warnings fire again once a raised line crosses its thresholds anew.


def test_a_raised_line_warns_again(api: Api, clock: Clock) -> None:
    budget_id = active(api)
    api.ok(f"/budgets/{budget_id}/actuals", actual("INV-1", "85000.00"), who=FINANCE)
    raised = adjust(api, budget_id, {"to_line": "6601", "amount": "20000.00"})
    api.ok(f"/budgets/{budget_id}/adjustments/{raised}/approve", who=FINANCE)
    assert line_of(api, budget_id, "6601")["thresholds_reached"] == []

    api.ok(f"/budgets/{budget_id}/actuals", actual("INV-2", "11000.00"), who=FINANCE)

    warnings = api.state("budgets", budget_id)["warnings"]
    assert [(w["kind"], w["threshold"]) for w in warnings] == [("threshold", 80)] * 2
