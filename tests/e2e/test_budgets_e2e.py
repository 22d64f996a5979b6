"""Budgets from draft to board approval to actuals, over real HTTP against ``opsledger serve``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from application.store import StoreConfig
from domain.vocabulary import Role
from tests.e2e.test_serve import STARTUP_SECONDS, Client, create_token, environment, serve

pytestmark = pytest.mark.e2e

LINES = [
    {"code": "6001.01", "category": "revenue", "amount": "4800000.00"},
    {"code": "6601.01", "category": "expense", "amount": "120000.00"},
    {"code": "6601.03", "category": "expense", "amount": "60000.00"},
]


def test_budgets_from_draft_to_board_approval_to_actuals(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    env = environment(store_config)
    with serve(env, tmp_path, ready_within=STARTUP_SECONDS) as server:
        tokens = {
            "sales": create_token(env, "e2e-sales", Role.SALES),
            "marketing": create_token(env, "e2e-marketing", Role.MARKETING),
            "finance": create_token(env, "e2e-finance", Role.FINANCE),
            "bookkeeper": create_token(env, "e2e-bookkeeper", Role.FINANCE),
            "manager": create_token(env, "e2e-manager", Role.MANAGEMENT),
            "board": create_token(env, "e2e-board", Role.BOARD),
            "auditor": create_token(env, "e2e-auditor", Role.AUDITOR),
        }
        client = Client(server.url, tokens)
        try:
            walk_the_budget_cycle(client)
        finally:
            client.http.close()
        assert server.process.poll() is None, server.diagnostics()


def refused(client: Client, path: str, body: Any, who: str, status: int, type_: str) -> None:
    response = client.post(path, body, who)
    assert response.status_code == status, (path, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == type_, response.text


def version(client: Client, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200, response.text
    number: int = response.json()["version"]
    return number


def walk_the_budget_cycle(client: Client) -> None:
    year = datetime.now(UTC).year
    sales_id = client.command(
        "/budgets",
        {"department": "sales", "fiscal_year": year, "lines": LINES},
        "sales",
        "e2e-budget-draft",
    )["id"]
    sales = f"/budgets/{sales_id}"
    refused(
        client,
        "/budgets",
        {"department": "sales", "fiscal_year": year, "lines": LINES},
        "sales",
        409,
        "budget-already-exists",
    )
    marketing_id = client.command(
        "/budgets",
        {
            "department": "marketing",
            "fiscal_year": year,
            "control": "warn",
            "lines": [{"code": "6601.10", "category": "expense", "amount": "1000.00"}],
        },
        "marketing",
        "e2e-budget-draft-marketing",
    )["id"]
    marketing = f"/budgets/{marketing_id}"

    client.command(f"{sales}/submit", {}, "sales", "e2e-budget-submit")
    client.command(f"{marketing}/submit", {}, "marketing", "e2e-budget-submit-marketing")
    refused(
        client, f"{sales}/board-approval", {"approved": True}, "board", 409, "budget-stage-skipped"
    )
    client.command(f"{sales}/finance-review", {"approved": True}, "finance", "e2e-budget-finance")

    # The year is not ready while marketing awaits its finance review: nothing is approved.
    bulk = f"/budgets/fiscal-years/{year}/management-approval"
    before = version(client, sales)
    refused(client, bulk, {}, "manager", 409, "fiscal-year-not-ready")
    assert version(client, sales) == before
    client.command(f"{marketing}/finance-review", {"approved": True}, "finance", "e2e-fin-mkt")
    approved = client.post(bulk, {}, "manager")
    assert approved.status_code == 200, approved.text
    assert {b["department"] for b in approved.json()["approved"]} == {"sales", "marketing"}
    board = client.post(f"/budgets/fiscal-years/{year}/board-approval", {}, "board")
    assert board.status_code == 200, board.text
    state = client.get(sales).json()
    assert (state["status"], state["active"]) == ("board_approved", True)

    today = datetime.now(UTC).date().isoformat()
    actual = {"line": "6601.01", "amount": "100000.00", "document_ref": "INV-1", "date": today}
    client.command(f"{sales}/actuals", actual, "bookkeeper", "e2e-budget-actual")
    refused(
        client,
        f"{sales}/actuals",
        {**actual, "document_ref": "INV-2", "amount": "20000.01"},
        "bookkeeper",
        409,
        "spending-exceeds-available",
    )
    over = {"line": "6601.10", "amount": "1200.00", "document_ref": "M-1", "date": today}
    client.command(f"{marketing}/actuals", over, "bookkeeper", "e2e-budget-overrun")
    warnings = client.get(marketing).json()["warnings"]
    assert {w["kind"] for w in warnings} == {"overrun", "threshold"}

    requested = client.post(
        f"{sales}/adjustments",
        {"from_line": "6601.03", "to_line": "6601.01", "amount": "30000.00", "reason": "fair"},
        "sales",
    )
    assert requested.status_code == 201, requested.text
    adjustment = requested.json()["adjustment_id"]
    # 30000.00 is beyond finance's 10 % of the planned spending (180000.00; revenue
    # never enlarges it): finance is refused, management approves.
    approve = f"{sales}/adjustments/{adjustment}/approve"
    beyond = client.post(approve, {}, "finance")
    assert beyond.status_code == 403, beyond.text
    assert beyond.json()["type"] == "adjustment-above-finance-limit"
    assert (beyond.json()["limit"], beyond.json()["left"]) == ("18000.00", "18000.00")
    client.command(approve, {}, "manager", "e2e-budget-adjustment")
    client.command(
        f"{sales}/actuals",
        {**actual, "document_ref": "INV-2", "amount": "20000.01"},
        "bookkeeper",
        "e2e-budget-actual-2",
    )

    state = client.get(sales).json()
    travel = next(line for line in state["lines"] if line["code"] == "6601.01")
    assert (travel["budget"], travel["actual"], travel["available"]) == (
        "150000.00",
        "120000.01",
        "29999.99",
    )
    assert travel["thresholds_reached"] == [80]  # warned anew on the raised budget

    reversal = {"document_ref": "INV-2", "reason": "booked on the wrong line"}
    client.command(f"{sales}/reversals", reversal, "bookkeeper", "e2e-budget-reversal")
    refused(client, f"{sales}/reversals", reversal, "bookkeeper", 409, "actual-already-reversed")
    state = client.get(sales).json()
    travel = next(line for line in state["lines"] if line["code"] == "6601.01")
    assert (travel["actual"], travel["thresholds_reached"]) == ("100000.00", [])
    assert [r["document_ref"] for r in state["reversals"]] == ["INV-2"]
    events = client.get(f"{sales}/events").json()["events"]
    assert [e["type"] for e in events][:5] == [
        "Drafted",
        "Submitted",
        "FinanceReviewed",
        "ManagementApproved",
        "BoardApproved",
    ]
    assert events[0]["metadata"]["request_id"] == "e2e-budget-draft"
    assert events[3]["metadata"]["principal"] == "e2e-manager"
    refused(client, f"{sales}/close", {}, "auditor", 403, "role-not-allowed")
