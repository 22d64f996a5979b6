"""GET /dashboards/customers, /dashboards/complaints, /customers and /complaints over HTTP:
figures, read-your-writes, filters, paging, erasure, roles and problems."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from api import consistency
from application.store import StoreConfig
from domain.vocabulary import Role
from projections.runner import ProjectionRunner
from tests.api.support import CS_A, Api, assert_position, assert_problem
from tests.support.clock import Clock

BUSINESS_TIME = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)  # long past: every due time is past


@pytest.fixture(autouse=True)
def patient_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """min_position waits longer than in production: the PostgreSQL server is shared."""
    monkeypatch.setattr(consistency, "WAIT_SECONDS", 30.0)


@pytest.fixture
def clock_start() -> datetime:
    return BUSINESS_TIME


def runner_of(api: Api) -> ProjectionRunner:
    runner: ProjectionRunner = api.client.app.state.projections  # type: ignore[attr-defined]
    return runner


def story(api: Api) -> dict[str, Any]:
    """c1 search/spring: purchases 0.10 and 0.20, survey csat 5 nps 10; c2 social:
    purchase 129.90, survey csat 3 nps 0; c3 search: erased. Complaints: k1 on c1 (phone,
    delivery, severity 3, compensation 0.10 proposed), k2 on c2 (email, billing, received).
    Returns the ids and the last command's answer."""
    c1 = api.register_customer(name="Wang Fang", email="wang.fang@example.cn", campaign="spring")
    c2 = api.register_customer(
        name="Chen Jing", email=None, phone="+86 138 0013 8000", channel="social"
    )
    c3 = api.register_customer(name="Liu Yang", email="liu.yang@example.cn")
    for customer in (c1, c2):
        api.ok(f"/customers/{customer}/activate", who=Role.OPERATIONS)
    for customer, amount, ref in ((c1, "0.10", "O-1"), (c1, "0.20", "O-2"), (c2, "129.90", "O-3")):
        api.ok(
            f"/customers/{customer}/purchases",
            {"amount": amount, "order_ref": ref},
            who=Role.SALES,
        )
    for customer, csat, nps in ((c1, 5, 10), (c2, 3, 0)):
        api.ok(
            f"/customers/{customer}/surveys",
            {"survey": "q1", "csat": csat, "nps": nps},
            who=Role.CUSTOMER_SERVICE,
        )
    api.ok(f"/customers/{c3}/erase", {"reason": "PIPL erasure request"}, who=CS_A)
    k1 = api.receive_complaint(c1)
    api.ok(f"/complaints/{k1}/acknowledge", {"message": "on it"}, who=CS_A)
    api.ok(
        f"/complaints/{k1}/assess",
        {"severity": 3, "department": "customer_service", "assignee": CS_A},
        who=CS_A,
    )
    api.ok(
        f"/complaints/{k1}/propose-resolution",
        {"root_cause": "third_party", "plan": "reship", "compensation": "0.10"},
        who=CS_A,
    )
    k2 = api.receive_complaint(c2, channel="email", category="billing")
    last = api.ok(f"/complaints/{k2}/acknowledge", {"message": "looking"}, who=CS_A)
    return {"c1": c1, "c2": c2, "c3": c3, "k1": k1, "k2": k2, "last": last}


def get(api: Api, path: str, who: Role | str = Role.AUDITOR, **params: Any) -> dict[str, Any]:
    response = api.get(path, who=who, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_customer_dashboard_over_http(api: Api, clock: Clock) -> None:
    story(api)
    customers_position = api.positions()["customers"]
    board = get(api, "/dashboards/customers", min_position=f"customers:{customers_position}")
    assert board["processed"] == {"customers": f"customers:{customers_position}"}
    # 3 registered, c1 c2 activated (0.6667) and converted, c1 loyal (1/2), none churned.
    # 0.10 + 0.20 + 129.90 = 130.20 (as floats 130.20000000000002).
    assert board["funnel"] == {
        "registered": 3,
        "activated": 2,
        "converted": 2,
        "loyal": 1,
        "churned": 0,
        "at_risk": 0,
        "activation_rate": 0.6667,
        "conversion_rate": 0.6667,
        "repeat_purchase_rate": 0.5,
        "churn_rate": 0.0,
        "revenue": "130.20",
    }
    assert board["by_channel"]["search"]["revenue"] == "0.30"  # 0.10 + 0.20, not 0.3000...04
    assert board["by_channel"]["social"]["revenue"] == "129.90"
    assert list(board["by_registration_month"]) == ["2025-03"]
    # CSAT 5, 3: one of two 4-5 -> 50.0; NPS 10, 0: (1 - 1) / 2 = 0.0.
    assert board["satisfaction"] == {
        "csat_answers": 2,
        "csat_percent": 50.0,
        "nps_answers": 2,
        "nps": 0.0,
    }
    spring = get(api, "/dashboards/customers", campaign="spring", channel="search")
    assert spring["funnel"]["registered"] == 1
    assert spring["funnel"]["revenue"] == "0.30"
    # Bounds in another offset are taken in UTC: 17:00 +08:00 is the registrations' 09:00.
    march = get(
        api,
        "/dashboards/customers",
        registered_from="2025-03-01T17:00:00+08:00",
        registered_until="2025-03-01T17:00:01+08:00",
    )
    assert march["funnel"]["registered"] == 3
    assert march["funnel"]["revenue"] == "130.20"
    social = get(api, "/dashboards/customers", channel="social")
    assert list(social["by_channel"]) == ["social"]


def test_the_complaint_dashboard_over_http(api: Api, clock: Clock) -> None:
    s = story(api)
    # The dashboard waits for complaints only; its active-customer base comes from the
    # customers view: wait for that one through the customer list first.
    get(api, "/customers", min_position=f"customers:{api.positions()['customers']}")
    board = get(api, "/dashboards/complaints", min_position=s["last"]["position"])
    position = assert_position(s["last"], "complaints")
    assert board["processed"]["complaints"] == f"complaints:{position}"
    assert set(board["processed"]) == {"complaints", "customers"}
    assert board["complaints"] == 2
    assert board["open"] == 2
    assert board["backlog"]["by_status"] == {"resolution_proposed": 1, "acknowledged": 1}
    assert board["backlog"]["by_age"] == {"over_30_days": 2}  # received 2025-03-01
    # Both acknowledged on receipt (business clock fixed): 0 h.
    assert board["first_response"] == {"count": 2, "median_hours": 0.0, "p90_hours": 0.0}
    # k1 severity 3, resolve within 5 days of 2025-03-01, still open: breached. k2 not
    # triaged runs by the severity-3 targets from receipt too (answered at once: met).
    assert board["sla_first_response"] == {"met": 2, "breached": 0, "attainment": 1.0}
    assert board["sla_resolution"] == {"met": 0, "breached": 2, "attainment": 0.0}
    assert board["root_cause_pareto"] == [
        {"root_cause": "third_party", "count": 1, "cumulative_share": 1.0}
    ]
    assert board["compensation_proposed"] == "0.10"
    # Active: c1 and c2 (activated, not lapsed); c3 never activated: 1000 x 2 / 2.
    assert board["active_customers"] == 2
    assert board["per_1000_active_customers"] == 1000.0
    assert list(board["by_channel"]) == ["email", "phone"]
    assert list(board["by_category"]) == ["billing", "delivery"]

    phone = get(api, "/dashboards/complaints", channel="phone", severity=3)
    assert phone["complaints"] == 1
    assert get(api, "/dashboards/complaints", department="finance")["complaints"] == 0
    assert get(api, "/dashboards/complaints", category="billing")["complaints"] == 1
    later = get(api, "/dashboards/complaints", received_from="2025-03-01T09:00:01Z")
    assert later["complaints"] == 0


def _paged(api: Api, path: str, size: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(20):
        query: dict[str, Any] = {"limit": size, **params}
        if cursor:
            query["cursor"] = cursor
        body = get(api, path, **query)
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("paging did not end")


def test_the_lists_over_http_filter_page_and_hide_erased_data(api: Api, clock: Clock) -> None:
    s = story(api)
    body = get(api, "/customers", min_position=f"customers:{api.positions()['customers']}")
    assert body["processed"] == {"customers": f"customers:{api.positions()['customers']}"}
    customers = body["items"]
    assert {i["id"] for i in customers} == {s["c1"], s["c2"], s["c3"]}
    erased = next(i for i in customers if i["id"] == s["c3"])
    assert (erased["name"], erased["email"], erased["phone"], erased["erased"]) == (
        None,
        None,
        None,
        True,
    )
    c1 = next(i for i in customers if i["id"] == s["c1"])
    assert (c1["name"], c1["revenue"], c1["status"], c1["purchases"]) == (
        "Wang Fang",
        "0.30",
        "loyal",
        2,
    )

    def ids(path: str, **params: Any) -> set[str]:
        return {i["id"] for i in get(api, path, **params)["items"]}

    assert ids("/customers", q="liu") == set()
    assert ids("/customers", q="liu.yang@example.cn") == set()
    assert ids("/customers", q="WANG") == {s["c1"]}
    assert ids("/customers", q="0013") == {s["c2"]}
    assert ids("/customers", status="loyal") == {s["c1"]}
    assert ids("/customers", channel="social") == {s["c2"]}
    assert ids("/customers", campaign="spring") == {s["c1"]}
    assert ids("/customers", tier="standard") == {s["c1"], s["c2"], s["c3"]}
    assert ids("/customers", segment="champions") == set()
    assert ids("/customers", registered_until="2025-03-01T09:00:00Z") == set()

    body = get(api, "/complaints", min_position=s["last"]["position"])
    assert body["processed"] == {"complaints": s["last"]["position"]}
    complaints = body["items"]
    assert {i["id"] for i in complaints} == {s["k1"], s["k2"]}
    k1 = next(i for i in complaints if i["id"] == s["k1"])
    assert (k1["status"], k1["severity"], k1["compensation"], k1["resolution_breached"]) == (
        "resolution_proposed",
        3,
        "0.10",
        True,
    )
    assert ids("/complaints", status="acknowledged") == {s["k2"]}
    assert ids("/complaints", channel="email") == {s["k2"]}
    assert ids("/complaints", category="delivery") == {s["k1"]}
    assert ids("/complaints", department="customer_service") == {s["k1"]}
    assert ids("/complaints", severity=3) == {s["k1"]}
    assert ids("/complaints", customer_id=s["c2"]) == {s["k2"]}
    assert ids("/complaints", received_from="2025-03-01T09:00:00Z") == {s["k1"], s["k2"]}
    assert ids("/complaints", received_until="2025-03-01T09:00:00Z") == set()

    for size in (1, 2, 7):
        assert _paged(api, "/customers", size) == customers, size
        assert _paged(api, "/complaints", size) == complaints, size


def test_min_position_waits_for_the_projections(api: Api, clock: Clock) -> None:
    story(api)
    runner = runner_of(api)
    runner.stop()
    customer = api.register_customer(name="Zhao Lei", channel="referral")
    fresh_customer = api.ok(f"/customers/{customer}/activate", who=Role.OPERATIONS)
    complaint = api.receive_complaint(customer)
    fresh_complaint = api.ok(f"/complaints/{complaint}/withdraw", {"reason": "ok"}, who=CS_A)
    for answer, view, log in (
        (fresh_customer, "customers_view", "customers"),
        (fresh_complaint, "complaints_view", "complaints"),
    ):
        assert runner.store(view).position(log) < assert_position(answer, log)

    def later() -> None:
        time.sleep(0.3)
        runner.catch_up()

    for path, answer, key in (
        ("/customers", fresh_customer, "customers"),
        ("/complaints", fresh_complaint, "complaints"),
        ("/dashboards/complaints", fresh_complaint, "complaints"),
    ):
        helper = threading.Thread(target=later)
        started = time.monotonic()
        helper.start()
        try:
            response = api.get(path, headers={"X-Min-Position": answer["position"]})
        finally:
            helper.join()
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["processed"][key] == answer["position"]
        assert time.monotonic() - started >= 0.25, path
        if path == "/customers":
            assert customer in {i["id"] for i in body["items"] if i["status"] == "activated"}
        elif path == "/complaints":
            assert complaint in {i["id"] for i in body["items"] if i["status"] == "withdrawn"}
        else:
            assert body["complaints"] == 3
        # Put the projections behind again for the next path.
        runner.catch_up()


def test_min_position_on_the_customer_dashboard(api: Api, clock: Clock) -> None:
    runner = runner_of(api)
    runner.stop()
    customer = api.register_customer(name="Zhao Lei", channel="referral")
    answer = api.ok(f"/customers/{customer}/activate", who=Role.OPERATIONS)
    helper = threading.Timer(0.3, runner.catch_up)
    helper.start()
    try:
        response = api.get("/dashboards/customers", params={"min_position": answer["position"]})
    finally:
        helper.join()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["processed"] == {"customers": answer["position"]}
    assert body["funnel"]["activated"] == 1


@pytest.mark.parametrize(
    "path", ["/dashboards/customers", "/dashboards/complaints", "/customers", "/complaints"]
)
def test_any_authenticated_role_reads_and_no_token_is_401(
    api: Api, clock: Clock, path: str, request: pytest.FixtureRequest, store_config: StoreConfig
) -> None:
    # One customer at least, so that every read has something to show.
    body = {"name": "Li Lei", "email": "li.lei@example.cn", "channel": "search"}
    answer = api.ok("/customers", body, who=Role.MARKETING)
    # ... and processed by the read model before the first read.
    wait = {"X-Min-Position": answer["position"]} if "customers" in path else None
    assert api.get(path, headers=wait).status_code == 200
    for role in Role:
        assert api.get(path, who=role).status_code == 200, (path, role)
    assert_problem(api.get(path, who=None), 401)
    assert_problem(api.get(path, who=None, headers={"Authorization": "Bearer nonsense"}), 401)


def test_bad_filters_are_422(api: Api) -> None:
    for path, params in (
        ("/dashboards/customers", {"channel": "television"}),
        ("/dashboards/customers", {"registered_from": "2025-13-01"}),
        ("/dashboards/customers", {"registered_until": "yesterday"}),
        ("/dashboards/customers", {"min_position": "complaints:1"}),
        ("/dashboards/complaints", {"channel": "fax"}),
        ("/dashboards/complaints", {"category": "weather"}),
        ("/dashboards/complaints", {"department": "kitchen"}),
        ("/dashboards/complaints", {"severity": 5}),
        ("/dashboards/complaints", {"severity": 0}),
        ("/dashboards/complaints", {"severity": "high"}),
        ("/dashboards/complaints", {"received_from": "2025-02-30"}),
        ("/dashboards/complaints", {"received_until": "soon"}),
        ("/dashboards/complaints", {"min_position": "complaints"}),
        ("/customers", {"channel": "television"}),
        ("/customers", {"status": "happy"}),
        ("/customers", {"tier": "diamond"}),
        ("/customers", {"registered_from": "2025-13-01"}),
        ("/customers", {"limit": 0}),
        ("/customers", {"cursor": "not a cursor"}),
        ("/complaints", {"status": "open"}),
        ("/complaints", {"channel": "fax"}),
        ("/complaints", {"category": "weather"}),
        ("/complaints", {"department": "kitchen"}),
        ("/complaints", {"severity": 5}),
        ("/complaints", {"customer_id": "not-a-uuid"}),
        ("/complaints", {"received_from": "2025-02-30T00:00:00Z"}),
        ("/complaints", {"received_until": "soon"}),
        ("/complaints", {"min_position": "customers:1"}),
    ):
        assert_problem(api.get(path, params=params), 422, fields=tuple(params))
