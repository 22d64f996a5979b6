"""GET /dashboards/budgets and GET /budgets over HTTP: figures, roles, read-your-writes,
filters, paging and problems."""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from api import consistency
from domain.vocabulary import Role
from projections.runner import ProjectionRunner
from tests.api.support import Api, assert_position, assert_problem
from tests.support.clock import Clock

YEAR = 2025  # over by now: its elapsed share is 1, whatever the day the tests run
NOW = datetime(YEAR, 6, 30, 12, 0, tzinfo=UTC)
LINES: list[dict[str, Any]] = [
    {"code": "6001", "category": "revenue", "amount": "500000.00"},
    {"code": "6601", "category": "expense", "amount": "100000.00"},
    {"code": "6401", "category": "cost", "amount": "400000.00"},
]
HEADS = {"sales": Role.SALES, "marketing": Role.MARKETING, "hr": Role.HR}


@pytest.fixture(autouse=True)
def patient_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """min_position waits longer than in production: the PostgreSQL server is shared with
    other test sessions and benchmarks, and a slow catch-up must not fail a figure test."""
    monkeypatch.setattr(consistency, "WAIT_SECONDS", 30.0)


@pytest.fixture
def clock_start() -> datetime:
    return NOW


def runner_of(api: Api) -> ProjectionRunner:
    runner: ProjectionRunner = api.client.app.state.projections  # type: ignore[attr-defined]
    return runner


def draft(api: Api, department: str, control: str = "stop", year: int = YEAR) -> str:
    body = {"department": department, "fiscal_year": year, "control": control, "lines": LINES}
    return str(api.ok("/budgets", body, who=HEADS[department])["id"])


def active(api: Api, department: str, control: str = "stop") -> str:
    budget_id = draft(api, department, control)
    api.ok(f"/budgets/{budget_id}/submit", who=HEADS[department])
    for stage, who in (
        ("finance-review", Role.FINANCE),
        ("management-approval", Role.MANAGEMENT),
        ("board-approval", Role.BOARD),
    ):
        api.ok(f"/budgets/{budget_id}/{stage}", {"approved": True}, who=who)
    return budget_id


def spend(api: Api, budget_id: str, line: str, amount: str, ref: str) -> dict[str, Any]:
    body = {"line": line, "amount": amount, "document_ref": ref, "date": "2025-06-01"}
    return api.ok(f"/budgets/{budget_id}/actuals", body, who=Role.FINANCE)


def story(api: Api) -> dict[str, Any]:
    """Sales active (warn) with spending; marketing active (stop); hr submitted; a
    2026 draft. Returns the last command's answer."""
    sales = active(api, "sales", "warn")
    active(api, "marketing")
    hr = draft(api, "hr")
    api.ok(f"/budgets/{hr}/submit", who=Role.HR)
    draft(api, "sales", year=YEAR + 1)
    spend(api, sales, "6001", "200000.00", "SO-1")
    return spend(api, sales, "6601", "90000.00", "INV-1")  # 90 %: the 80 % warning


def get(api: Api, path: str, who: Role | str = Role.AUDITOR, **params: Any) -> dict[str, Any]:
    response = api.get(path, who=who, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body["processed"]) == {"budgets"}
    assert body["processed"]["budgets"].startswith("budgets:")
    return body


def test_the_dashboard_over_http(api: Api, clock: Clock) -> None:
    answer = story(api)
    board = get(api, "/dashboards/budgets", fiscal_year=YEAR, min_position=answer["position"])
    assert int(board["processed"]["budgets"].split(":")[1]) >= assert_position(answer, "budgets")
    assert board["fiscal_year"] == YEAR
    assert board["elapsed_share"] == 1.0
    assert board["budgets"] == 3
    assert board["executing_budgets"] == 2
    # Sales expense: 100000 budget, 90000 actual: variance 10000 (10 %), utilisation
    # 0.9, burn 0.9 / 1 = 0.9, the year is over: forecast = actual; one open warning.
    assert board["by_department"]["sales"]["expense"] == {
        "budget": "100000.00",
        "actual": "90000.00",
        "variance": "10000.00",
        "variance_percent": 10.0,
        "favourable": True,
        "utilisation": 0.9,
        "burn_index": 0.9,
        "forecast": "90000.00",
        "forecast_variance": "10000.00",
        "open_warnings": 1,
    }
    # Company revenue: 500000 + 500000 budget, 200000 actual: 0.2, 80 % short.
    revenue = board["by_category"]["revenue"]
    assert (revenue["budget"], revenue["actual"], revenue["variance_percent"]) == (
        "1000000.00",
        "200000.00",
        80.0,
    )
    assert revenue["favourable"] is False
    assert board["warnings"]["open"] == 1
    assert board["by_stage"]["board_approved"]["budgets"] == 2
    assert board["by_stage"]["board_approved"]["spending"] == "1000000.00"  # 2 x 500000
    assert board["by_stage"]["submitted"] == {
        "budgets": 1,
        "revenue": "500000.00",
        "cost": "400000.00",
        "expense": "100000.00",
        "spending": "500000.00",
    }
    # Every approval on the same business moment: zero days from submission.
    assert board["approval_cycle_time"]["board_approved"] == {"budgets": 2, "median_days": 0.0}

    marketing = get(api, "/dashboards/budgets", fiscal_year=YEAR, department="marketing")
    assert list(marketing["by_department"]) == ["marketing"]
    cost = get(api, "/dashboards/budgets", fiscal_year=YEAR, category="cost")
    assert list(cost["by_category"]) == ["cost", "spending"]
    assert cost["by_category"]["cost"]["budget"] == "800000.00"


def test_the_dashboard_defaults_to_the_current_year(api: Api, clock: Clock) -> None:
    story(api)
    board = get(api, "/dashboards/budgets")
    assert board["fiscal_year"] == datetime.now(UTC).year
    assert 0.0 <= board["elapsed_share"] <= 1.0


def test_any_authenticated_role_reads_and_no_token_is_401(api: Api, clock: Clock) -> None:
    for path in ("/dashboards/budgets", "/budgets"):
        for role in Role:
            assert api.get(path, who=role).status_code == 200, (path, role)
        assert_problem(api.get(path, who=None), 401)
        assert_problem(api.get(path, who=None, headers={"Authorization": "Bearer nonsense"}), 401)


def test_the_list_over_http_filters_and_pages(api: Api, clock: Clock) -> None:
    answer = story(api)
    everything = get(api, "/budgets", min_position=answer["position"])
    assert everything["next_cursor"] is None
    items = everything["items"]
    assert [(i["fiscal_year"], i["department"], i["status"]) for i in items] == [
        (2025, "hr", "submitted"),
        (2025, "marketing", "board_approved"),
        (2025, "sales", "board_approved"),
        (2026, "sales", "draft"),
    ]
    sales = items[2]
    state = api.state("budgets", sales["id"])
    assert sales["version"] == state["version"]
    assert (sales["control"], sales["spending_actual"], sales["revenue_actual"]) == (
        "warn",
        "90000.00",
        "200000.00",
    )

    def departments(**params: Any) -> list[str]:
        return [i["department"] for i in get(api, "/budgets", **params)["items"]]

    assert departments(fiscal_year=YEAR) == ["hr", "marketing", "sales"]
    assert departments(department="sales") == ["sales", "sales"]
    assert departments(status="board_approved") == ["marketing", "sales"]
    assert departments(control="warn") == ["sales"]
    assert departments(fiscal_year=YEAR + 1, status="draft") == ["sales"]

    for size in (1, 2, 7):
        paged, cursor = [], None
        for _ in range(20):
            params: dict[str, Any] = {"limit": size}
            if cursor:
                params["cursor"] = cursor
            body = get(api, "/budgets", **params)
            paged += body["items"]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert paged == items, size


def test_the_fiscal_year_route_still_works(api: Api, clock: Clock) -> None:
    story(api)
    response = api.get(f"/budgets/fiscal-years/{YEAR}")
    assert response.status_code == 200, response.text
    assert len(response.json()["budgets"]) == 3


def test_min_position_waits_for_the_projection(api: Api, clock: Clock) -> None:
    runner = runner_of(api)
    runner.stop()
    budget_id = draft(api, "sales")
    answer = api.ok(f"/budgets/{budget_id}/submit", who=Role.SALES)
    n = assert_position(answer, "budgets")
    assert runner.store("budgets_view").position("budgets") < n

    def later() -> None:
        time.sleep(0.3)
        runner.catch_up()

    for path, header in (("/budgets", False), ("/dashboards/budgets", True)):
        helper = threading.Thread(target=later)
        started = time.monotonic()
        helper.start()
        try:
            if header:
                response = api.get(
                    path,
                    params={"fiscal_year": YEAR},
                    headers={"X-Min-Position": answer["position"]},
                )
            else:
                response = api.get(path, params={"min_position": answer["position"]})
        finally:
            helper.join()
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["processed"]["budgets"] == answer["position"]
        if header:
            assert body["by_stage"]["submitted"]["budgets"] == 1
        else:
            assert [i["status"] for i in body["items"]] == ["submitted"]
            assert time.monotonic() - started >= 0.25
        # The next question comes after the catch-up: nothing to wait for.
        runner.catch_up()


def test_an_unreachable_position_is_503(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consistency, "WAIT_SECONDS", 0.2)
    for path in ("/budgets", "/dashboards/budgets"):
        response = api.get(path, params={"min_position": "budgets:999999"})
        assert_problem(response, 503, "projection-behind")
        assert int(response.headers["Retry-After"]) >= 1


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def test_bad_filters_are_422(api: Api) -> None:
    for path, params in (
        ("/dashboards/budgets", {"fiscal_year": 1999}),
        ("/dashboards/budgets", {"fiscal_year": 2101}),
        ("/dashboards/budgets", {"fiscal_year": "last"}),
        ("/dashboards/budgets", {"department": "kitchen"}),
        ("/dashboards/budgets", {"category": "capex"}),
        ("/dashboards/budgets", {"min_position": "budgets"}),
        ("/dashboards/budgets", {"min_position": "customers:1"}),
        ("/budgets", {"fiscal_year": 1999}),
        ("/budgets", {"department": "kitchen"}),
        ("/budgets", {"status": "active"}),
        ("/budgets", {"control": "maybe"}),
        ("/budgets", {"limit": 0}),
        ("/budgets", {"limit": 501}),
        ("/budgets", {"cursor": "not a cursor"}),
        ("/budgets", {"cursor": _cursor(["2025", "sales", "x"])}),
        ("/budgets", {"cursor": _cursor([2025, "sales"])}),
        ("/budgets", {"min_position": "budgets:x"}),
    ):
        assert_problem(api.get(path, params=params), 422, fields=tuple(params))
