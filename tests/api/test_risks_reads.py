"""GET /dashboards/risks and GET /risks over HTTP: figures, roles, read-your-writes,
"processed", paging and invalid filters."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api import consistency
from domain.vocabulary import Role
from projections.runner import ProjectionRunner
from tests.api.support import PRINCIPALS, Api, assert_position, assert_problem, some_id

PATHS = ("/dashboards/risks", "/risks")
OWNER = Role.TECHNOLOGY  # tech-tang
FIN_OWNER = Role.FINANCE  # fin-fan


def runner_of(api: Api) -> ProjectionRunner:
    runner: ProjectionRunner = api.client.app.state.projections  # type: ignore[attr-defined]
    return runner


def get(api: Api, path: str, who: Role | str = Role.AUDITOR, **params: Any) -> dict[str, Any]:
    response = api.get(path, who=who, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body["processed"]) == {"risks"}
    assert body["processed"]["risks"].startswith("risks:")
    return body


def processed(body: dict[str, Any]) -> int:
    return int(body["processed"]["risks"].split(":")[1])


def identify(api: Api, title: str, *, who: Role = OWNER, **overrides: Any) -> dict[str, Any]:
    body = {
        "category": "technical",
        "title": title,
        "description": f"{title}: what could happen",
        "owner": api.tokens.principal_of(who),
        "department": "technology",
    }
    body.update(overrides)
    return api.ok("/risks", body, who=who)


def assessed(api: Api, title: str, likelihood: int, impact: int, **kw: Any) -> dict[str, Any]:
    who = kw.pop("who", OWNER)
    risk = identify(api, title, who=who, **kw)
    answer = api.ok(
        f"/risks/{risk['id']}/assess", {"likelihood": likelihood, "impact": impact}, who=who
    )
    return {**answer, "id": risk["id"]}


def every_page(api: Api, size: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = {**params, "limit": size, **({"cursor": cursor} if cursor else {})}
        body = get(api, "/risks", **query)
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("paging does not end")


# Figures over HTTP.


def test_the_dashboard_shows_a_small_register(api: Api) -> None:
    today = datetime.now(UTC).date()
    past = (today - timedelta(days=10)).isoformat()
    soon = (today + timedelta(days=10)).isoformat()
    # A critical risk (5x5) with one overdue action (10 days) and one not yet due.
    critical = assessed(api, "Payment gateway outage", 5, 5)
    planned = api.ok(
        f"/risks/{critical['id']}/treatment",
        {
            "strategy": "reduce",
            "actions": [
                {"title": "Second provider", "owner": "tech-tang", "due": past},
                {"title": "Failover drill", "owner": "tech-tang", "due": soon},
            ],
        },
        who=OWNER,
    )
    # A low risk (1x2) accepted by management, expiring in 10 days.
    low = assessed(api, "Stale SDK", 1, 2, who=FIN_OWNER, category="financial", department=None)
    api.ok(f"/risks/{low['id']}/treatment", {"strategy": "accept"}, who=FIN_OWNER)
    api.ok(
        f"/risks/{low['id']}/acceptance",
        {"approved": True, "expires_on": soon},
        who=Role.MANAGEMENT,
    )
    # A KRI past red: an open early warning.
    kri = api.ok(
        f"/risks/{critical['id']}/kris",
        {
            "name": "Failures",
            "metric": "per 1,000",
            "direction": "above",
            "amber": "5",
            "red": "10",
        },
        who=OWNER,
    )
    api.ok(
        f"/risks/{critical['id']}/kri-readings", {"kri_id": kri["kri_id"], "value": "3"}, who=OWNER
    )
    api.ok(
        f"/risks/{critical['id']}/kri-readings",
        {"kri_id": kri["kri_id"], "value": "11.5"},
        who=OWNER,
    )
    # Identified only; then one closed, reopened and closed again.
    identify(api, "Price war", who=Role.MARKETING, category="market", department="marketing")
    closed = assessed(api, "Old office lease", 1, 1, who=FIN_OWNER, category="legal")
    api.ok(f"/risks/{closed['id']}/close", {"reason": "lease ended"}, who=FIN_OWNER)
    api.ok(f"/risks/{closed['id']}/reopen", {"reason": "renewed"}, who=FIN_OWNER)
    closed_again = api.ok(f"/risks/{closed['id']}/close", {"reason": "ended"}, who=FIN_OWNER)

    board = get(api, "/dashboards/risks", min_position=closed_again["position"])
    assert processed(board) >= assert_position(closed_again, "risks")
    assert board["as_of"] == today.isoformat()
    # Open and assessed: the critical (5,5) and the low (1,2).
    inherent = board["heat_maps"]["inherent"]["counts"]
    assert inherent[4][4] == 1 and inherent[0][1] == 1
    assert sum(map(sum, inherent)) == 2
    assert board["heat_maps"]["residual"]["counts"] == inherent
    register = board["register"]
    assert (register["risks"], register["open"], register["closed"]) == (4, 3, 1)
    assert register["by_level"]["critical"] == {"open": 1, "closed": 0, "total": 1}
    assert register["by_level"]["low"] == {"open": 1, "closed": 1, "total": 2}
    assert register["by_level"]["unassessed"] == {"open": 1, "closed": 0, "total": 1}
    assert register["by_category"]["legal"] == {"open": 0, "closed": 1, "total": 1}
    # 1 of 3 open risks above appetite (the critical one).
    assert board["appetite"]["above_appetite"] == 1
    assert board["appetite"]["share_above_appetite"] == 0.3333
    overdue = board["overdue_actions"]
    assert overdue["count"] == 1
    assert overdue["items"][0]["action_id"] == planned["action_ids"][0]
    assert overdue["items"][0]["days_overdue"] == 10
    assert board["review_backlog"]["count"] == 0
    assert board["kri_status"]["by_status"] == {"green": 0, "amber": 0, "red": 1}
    assert board["kri_status"]["kris"][0]["last_value"] == "11.5"
    assert board["early_warnings"]["open"] == 1
    assert board["early_warnings"]["items"][0]["threshold"] == "10"
    expiring = board["acceptances"]["expiring"]
    assert [(i["risk_id"], i["days_left"]) for i in expiring] == [(low["id"], 10)]

    # Filters narrow every figure.
    fin = get(api, "/dashboards/risks", owner="fin-fan")
    assert fin["register"]["risks"] == 2
    assert fin["overdue_actions"]["count"] == 0
    assert fin["kri_status"]["count"] == 0
    technology = get(api, "/dashboards/risks", department="technology", level="critical")
    assert technology["register"]["risks"] == 1
    assert technology["early_warnings"]["open"] == 1
    assert get(api, "/dashboards/risks", category="market")["appetite"]["unassessed"] == 1
    narrow = get(api, "/dashboards/risks", expiring_within_days=5)
    assert narrow["acceptances"]["expiring"] == []


def test_the_list_filters_and_pages(api: Api) -> None:
    made = [
        assessed(api, "Payment gateway outage", 5, 5)["id"],
        assessed(
            api,
            "Cash flow squeeze",
            2,
            5,
            who=FIN_OWNER,
            category="financial",
            department="finance",
        )["id"],
        identify(api, "Price WAR", who=Role.MARKETING, category="market", department=None)["id"],
        assessed(api, "Warehouse fire", 3, 3, category="operational")["id"],
        assessed(api, "Legacy app", 1, 3)["id"],
    ]
    last = api.ok(f"/risks/{made[4]}/close", {"reason": "retired"}, who=OWNER)
    everything = get(api, "/risks", min_position=last["position"], limit=500)["items"]
    assert [i["id"] for i in everything] == made  # oldest first
    for size in (1, 2, 7):
        assert [i["id"] for i in every_page(api, size)] == made, size

    def found(**params: Any) -> list[str]:
        return [i["id"] for i in every_page(api, 2, **params)]

    assert found(status="closed") == [made[4]]
    assert found(status="identified") == [made[2]]
    assert found(level="high") == [made[1]]  # 2x5 = 10
    assert found(level="critical") == [made[0]]
    assert found(category="operational") == [made[3]]
    assert found(department="technology") == [made[0], made[3], made[4]]
    assert found(owner="fin-fan") == [made[1]]
    assert found(q="war") == [made[2], made[3]]  # Price WAR, Warehouse fire
    assert found(q="nothing like it") == []
    assert found(category="technical", status="closed") == [made[4]]

    item = everything[0]
    assert item["id"] == made[0]
    assert item["version"] == 2
    assert item["status"] == "assessed"
    assert (item["category"], item["title"], item["owner"]) == (
        "technical",
        "Payment gateway outage",
        "tech-tang",
    )
    assert (item["level"], item["above_appetite"]) == ("critical", True)
    assert item["inherent"] == {"likelihood": 5, "impact": 5, "score": 25, "level": "critical"}
    assert item["residual"] is None
    assert item["review_overdue"] is False
    assert api.state("risks", made[0])["version"] == item["version"]


# Who may read.


def test_every_role_reads_and_nobody_without_a_token(api: Api) -> None:
    for path in PATHS:
        for name, roles in PRINCIPALS.items():
            if len(roles) == 1:
                assert api.get(path, who=name).status_code == 200, (path, name)
        assert_problem(api.get(path, who=None), 401)
        assert_problem(api.get(path, who=None, headers={"Authorization": "Bearer nonsense"}), 401)


# Read your writes.


def catch_up_later(runner: ProjectionRunner) -> None:
    time.sleep(0.3)
    runner.catch_up()


def test_min_position_waits_for_the_projection(api: Api) -> None:
    runner = runner_of(api)
    runner.stop()  # the background runner no longer catches up by itself
    answer = assessed(api, "Payment gateway outage", 4, 5)
    n = assert_position(answer, "risks")
    assert runner.store("risks_view").position("risks") < n

    for path, header in (("/risks", False), ("/dashboards/risks", True)):
        helper = threading.Thread(target=catch_up_later, args=(runner,))
        started = time.monotonic()
        helper.start()
        try:
            if header:
                response = api.get(path, headers={"X-Min-Position": answer["position"]})
            else:
                response = api.get(path, params={"min_position": answer["position"]})
        finally:
            helper.join()
        assert response.status_code == 200, response.text
        body = response.json()
        assert processed(body) >= n
        if path == "/risks":
            assert time.monotonic() - started >= 0.25
            assert [(i["id"], i["version"]) for i in body["items"]] == [(answer["id"], 2)]
        else:
            assert body["heat_maps"]["inherent"]["counts"][3][4] == 1
            assert body["register"]["by_level"]["critical"]["open"] == 1


def test_an_unreachable_position_answers_503_with_retry_after(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consistency, "WAIT_SECONDS", 0.3)
    for path in PATHS:
        started = time.monotonic()
        response = api.get(path, params={"min_position": "risks:999999"})
        assert time.monotonic() - started >= 0.25
        problem = assert_problem(response, 503, "projection-behind")
        assert "risks:999999" in problem["detail"]
        assert int(response.headers["Retry-After"]) >= 1


# Invalid requests.


def test_invalid_filters_are_422(api: Api) -> None:
    shared: list[dict[str, Any]] = [
        {"category": "weather"},
        {"level": "extreme"},
        {"department": "kitchen"},
        {"owner": ""},
        {"owner": "x" * 201},
        {"min_position": "risks"},
        {"min_position": "risks:x"},
        {"min_position": "customers:1"},  # a log the risks view does not follow
    ]
    for path in PATHS:
        for params in shared:
            field = next(iter(params))
            assert_problem(api.get(path, params=params), 422, fields=(field,))
        assert_problem(api.get(path, headers={"X-Min-Position": "nonsense"}), 422)
    for params in (
        {"status": "forgotten"},
        {"limit": 0},
        {"limit": 501},
        {"cursor": "not a cursor!"},
        {"q": "x" * 201},
    ):
        field = next(iter(params))
        assert_problem(api.get("/risks", params=params), 422, fields=(field,))
    for params in ({"expiring_within_days": 0}, {"expiring_within_days": "soon"}):
        assert_problem(api.get("/dashboards/risks", params=params), 422, fields=tuple(params))


def test_the_list_does_not_shadow_a_risk_s_own_reads(api: Api) -> None:
    risk = identify(api, "Payment gateway outage")
    assert api.state("risks", risk["id"])["status"] == "identified"
    assert_problem(api.get(f"/risks/{some_id()}"), 404)
    listed = get(api, "/risks", min_position=risk["position"])["items"]
    assert [i["id"] for i in listed] == [risk["id"]]
