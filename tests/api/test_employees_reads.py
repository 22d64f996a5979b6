"""GET /dashboards/workforce and GET /employees over HTTP: any authenticated role reads,
read-your-writes, figures from a small history, filters, paging and refusals."""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

import pytest

from api import consistency
from domain.vocabulary import Role
from projections.runner import ProjectionRunner
from tests.api.support import Api, assert_position, assert_problem

HR = Role.HR
DASHBOARD = "/dashboards/workforce"
LIST = "/employees"
PATHS = (DASHBOARD, LIST)


def runner_of(api: Api) -> ProjectionRunner:
    runner: ProjectionRunner = api.client.app.state.projections  # type: ignore[attr-defined]
    return runner


def hire(api: Api, name: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "department": "operations",
        "position": "operations specialist",
        "hire_date": "2024-03-01",
        "prior_service_years": "2",
    }
    body.update(overrides)
    return api.ok(LIST, body, who=HR)


def read(api: Api, path: str, who: Role | str = Role.AUDITOR, **params: Any) -> dict[str, Any]:
    response = api.get(path, who=who, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body["processed"]) == {"employees"}
    assert body["processed"]["employees"].startswith("employees:")
    return body


def processed(body: dict[str, Any]) -> int:
    return int(body["processed"]["employees"].partition(":")[2])


def small_company(api: Api) -> dict[str, str]:
    """A manager and three people (one in sales, one separated), a training, a finished
    appraisal: the last answer's position under "position"."""
    boss = hire(
        api,
        "Gao Bo",
        department="administration",
        position="general manager",
        hire_date="2024-01-01",
    )["id"]
    ann = hire(api, "Wang Fang", manager_id=boss)["id"]
    cai = hire(
        api,
        "Cai Hong",
        department="sales",
        position="account manager",
        manager_id=boss,
        hire_date="2024-05-01",
    )
    dan = hire(api, "Deng Dan", manager_id=boss, hire_date="2024-09-01")["id"]
    api.ok(f"/employees/{ann}/confirm", {"date": "2024-06-01"}, who=HR)
    api.ok(
        f"/employees/{ann}/trainings",
        {"course": "SQL", "kind": "skills", "hours": "12.5", "completed_on": "2025-03-10"},
        who=HR,
    )
    last = api.ok(
        f"/employees/{dan}/separate", {"date": "2025-03-31", "reason": "resigned"}, who=HR
    )
    return {"boss": boss, "ann": ann, "cai": cai["id"], "dan": dan, "position": last["position"]}


# Who reads.


def test_every_authenticated_role_reads_and_nobody_else(api: Api) -> None:
    for path in PATHS:
        for role in Role:
            read(api, path, who=role)
        assert_problem(api.get(path, who=None), 401)
        bogus = {"Authorization": "Bearer nonsense"}
        assert_problem(api.get(path, who=None, headers=bogus), 401)


# Figures.


def test_the_dashboard_shows_a_small_company(api: Api) -> None:
    people = small_company(api)
    body = read(
        api,
        DASHBOARD,
        min_position=people["position"],
        **{"from": "2025-01-01"},
        until="2025-03-31",
    )
    assert body["period"] == {"from": "2025-01-01", "until": "2025-03-31"}
    # Now: Boss (administration), Ann (operations, active), Cai (sales, probation).
    headcount = body["headcount"]
    assert (headcount["total"], headcount["probation"], headcount["active"]) == (3, 2, 1)
    assert set(headcount["by_department"]) == {"administration", "operations", "sales"}
    # 1 January to 31 March 2025: 90 days, four people all along (Dan's last day is
    # 30 March: 89 days): (3 * 90 + 89) / 90 = 3.99; one separation: 1 / 3.99 = 0.2507.
    movement = body["movement"]
    assert (movement["hires"], movement["separations"]) == (0, 1)
    assert movement["average_headcount"] == 3.99
    assert movement["turnover"] == 0.2507
    # 12.5 hours over 3.99 heads = 3.13.
    assert body["training"]["hours"] == "12.50"
    assert body["training"]["hours_per_head"] == 3.13
    ops = read(
        api, DASHBOARD, department="operations", **{"from": "2025-01-01"}, until="2025-03-31"
    )
    # Ann 90 + Dan 89 days = 1.99 heads: turnover 1 / 1.99 = 0.5028.
    assert ops["movement"]["average_headcount"] == 1.99
    assert ops["movement"]["turnover"] == 0.5028
    assert ops["headcount"]["total"] == 1
    sales = read(api, DASHBOARD, department="sales", until="2025-03-31")
    assert sales["training"]["hours"] == "0.00"


def test_the_list_filters_and_carries_the_key_fields(api: Api) -> None:
    people = small_company(api)
    body = read(api, LIST, min_position=people["position"])
    items = body["items"]
    assert [i["name"] for i in items] == ["Gao Bo", "Wang Fang", "Cai Hong", "Deng Dan"]
    dan = items[-1]
    assert dan["id"] == people["dan"]
    assert dan["status"] == "separated"
    assert dan["separated_on"] == "2025-03-31"
    assert dan["version"] == api.state("employees", people["dan"])["version"]
    assert {"department", "position", "manager_id", "hire_date"} <= dan.keys()
    assert body["next_cursor"] is None

    def names(**params: Any) -> list[str]:
        return [i["name"] for i in read(api, LIST, **params)["items"]]

    assert names(department="sales") == ["Cai Hong"]
    assert names(status="hired") == ["Gao Bo", "Cai Hong"]
    assert names(status="active") == ["Wang Fang"]
    assert names(manager_id=people["boss"]) == ["Wang Fang", "Cai Hong", "Deng Dan"]
    assert names(position="account manager") == ["Cai Hong"]
    assert names(q="fang") == ["Wang Fang"]
    assert names(q="MANAGER") == ["Gao Bo", "Cai Hong"]
    assert names(hired_from="2024-09-01") == ["Deng Dan"]
    assert names(hired_until="2024-03-01", department="operations") == ["Wang Fang"]


@pytest.mark.parametrize("size", [1, 2, 7])
def test_paging_gives_everyone_exactly_once(api: Api, size: int) -> None:
    last = {}
    for n in range(9):
        last = hire(api, f"Person {n}", hire_date=f"2024-0{1 + n % 3}-01")
    seen: list[str] = []
    params: dict[str, Any] = {"limit": size, "min_position": last["position"]}
    pages = 0
    while True:
        body = read(api, LIST, **params)
        assert len(body["items"]) <= size
        seen += [i["id"] for i in body["items"]]
        pages += 1
        if body["next_cursor"] is None:
            break
        params = {"limit": size, "cursor": body["next_cursor"]}
    assert len(seen) == len(set(seen)) == 9
    assert pages == -(-9 // size)
    everyone = read(api, LIST, limit=500)["items"]
    assert [i["id"] for i in everyone] == seen
    assert [i["hire_date"] for i in everyone] == sorted(i["hire_date"] for i in everyone)


# Read your writes.


def test_min_position_waits_for_the_projection(api: Api) -> None:
    runner = runner_of(api)
    runner.stop()  # the background runner no longer catches up by itself
    for count, (path, name) in enumerate(((LIST, "Li Lei"), (DASHBOARD, "Han Mei")), start=1):
        answer = hire(api, name)
        n = assert_position(answer, "employees")
        assert runner.store("employees_view").position("employees") < n

        def later() -> None:
            time.sleep(0.3)
            runner.catch_up()

        helper = threading.Thread(target=later)
        started = time.monotonic()
        helper.start()
        try:
            body = read(api, path, min_position=answer["position"])
        finally:
            helper.join()
        assert time.monotonic() - started >= 0.25, path
        assert processed(body) >= n
        if path == LIST:
            assert [i["id"] for i in body["items"]] == [answer["id"]]
        else:
            assert body["headcount"]["total"] == count


def test_min_position_also_comes_as_a_header(api: Api) -> None:
    answer = hire(api, "Li Lei")
    for path in PATHS:
        response = api.get(path, headers={"X-Min-Position": answer["position"]})
        assert response.status_code == 200, response.text
        assert processed(response.json()) >= assert_position(answer, "employees")


def test_an_unreachable_position_answers_503(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consistency, "WAIT_SECONDS", 0.3)
    for path in PATHS:
        response = api.get(path, params={"min_position": "employees:999999"})
        assert_problem(response, 503, "projection-behind")
        assert int(response.headers["Retry-After"]) >= 1
        assert_problem(
            api.get(path, params={"min_position": "customers:1"}), 422, fields=("min_position",)
        )
        assert_problem(api.get(path, params={"min_position": "employees"}), 422)


# Refusals.


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def test_bad_filters_are_422(api: Api) -> None:
    params: dict[str, Any]
    for params in (
        {"department": "legal"},
        {"from": "yesterday"},
        {"until": "2025-02-30"},
        {"cycle": "2025-H3"},
        {"cycle": "25"},
        {"from": "2025-03-01", "until": "2025-02-28"},
    ):
        field = "until" if len(params) == 2 else next(iter(params))
        assert_problem(api.get(DASHBOARD, params=params), 422, fields=(field,))
    # From a day still to come, the default until (today) would lie before it.
    assert_problem(api.get(DASHBOARD, params={"from": "2100-01-01"}), 422, fields=("until",))
    for params in (
        {"department": "legal"},
        {"status": "retired"},
        {"manager_id": "not-a-uuid"},
        {"limit": 0},
        {"limit": 501},
        {"hired_from": "soon"},
        {"hired_from": "2025-03-01", "hired_until": "2025-02-28"},
        {"q": "a\x00b"},
        {"position": "\x00"},
        {"cursor": "not a cursor!"},
        {"cursor": _cursor(["2024-01-01"])},
        {"cursor": _cursor(["2024-01-01", 5])},
        {"cursor": _cursor(["2024-01-01", "a\x00b"])},
    ):
        field = "hired_until" if len(params) == 2 else next(iter(params))
        assert_problem(api.get(LIST, params=params), 422, fields=(field,))


def test_a_cycle_filter_answers_that_cycle_only(api: Api) -> None:
    boss = hire(api, "Gao Bo", department="administration")["id"]
    ann = hire(api, "Wang Fang", manager_id=boss)["id"]
    goals = {
        "period_start": "2025-01-01",
        "period_end": "2025-06-30",
        "goals": [
            {
                "title": "Raise activation",
                "metric": "activation rate",
                "target": "40",
                "unit": "%",
                "deadline": "2025-06-30",
                "weight": 100,
            }
        ],
    }
    answer = api.ok(f"/employees/{ann}/appraisals/2025-H1/goals", goals, who=HR)
    body = read(api, DASHBOARD, cycle="2025-H1", min_position=answer["position"])
    assert body["cycle"] == "2025-H1"
    first = body["appraisals"]["by_cycle"]["2025-H1"]
    # One started, none finalized, two on the books on 30 June 2025.
    assert (first["started"], first["finalized"], first["headcount"]) == (1, 0, 2)
    assert first["by_stage"]["goals_set"] == 1
    assert list(read(api, DASHBOARD, cycle="2024")["appraisals"]["by_cycle"]) == ["2024"]
