"""GET /audit/events and /audit/verify over HTTP: roles, read-your-writes, problems,
the tamper check, and /health's projection lag."""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

import pytest

from api import consistency
from application.store import StoreConfig
from domain.vocabulary import Role
from projections.runner import ProjectionRunner
from tests.api.support import Api, assert_position, assert_problem
from tests.projections.support import alter_event

LOGS = {"customers", "complaints", "risks", "employees", "budgets", "alerts", "webhooks"}
READERS = (Role.AUDITOR, Role.MANAGEMENT, Role.BOARD)
OTHERS = (
    Role.SALES,
    Role.MARKETING,
    Role.OPERATIONS,
    Role.CUSTOMER_SERVICE,
    Role.FINANCE,
    Role.HR,
    Role.TECHNOLOGY,
)


def runner_of(api: Api) -> ProjectionRunner:
    runner: ProjectionRunner = api.client.app.state.projections  # type: ignore[attr-defined]
    return runner


def events(api: Api, who: Role | str = Role.AUDITOR, **params: Any) -> dict[str, Any]:
    response = api.get("/audit/events", who=who, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body["processed"]) == LOGS
    for log in LOGS:
        processed(body, log)
    return body


def processed(body: dict[str, Any], log: str) -> int:
    """How far the answer says the trail has processed ``log`` (``"log:n"`` or n)."""
    value = body["processed"][log]
    if isinstance(value, str):
        name, _, n = value.partition(":")
        assert name == log, value
        return int(n)
    assert isinstance(value, int), value
    return value


def customer_with_history(api: Api) -> tuple[str, dict[str, Any]]:
    """A registered, activated customer who bought something: the last answer."""
    customer_id = api.register_customer()
    api.ok(f"/customers/{customer_id}/activate", who=Role.OPERATIONS)
    answer = api.ok(
        f"/customers/{customer_id}/purchases",
        {"amount": "99.50", "order_ref": "ORD-1"},
        who=Role.SALES,
    )
    return customer_id, answer


# Who may read the trail.


def test_the_trail_is_for_auditors_management_and_the_board(api: Api) -> None:
    for path in ("/audit/events", "/audit/verify", "/audit/checkpoints"):
        for role in READERS:
            assert api.get(path, who=role).status_code == 200, (path, role)
        for role in OTHERS:
            assert_problem(api.get(path, who=role), 403)
        assert_problem(api.get(path, who=None), 401)
        bogus = {"Authorization": "Bearer nonsense"}
        assert_problem(api.get(path, who=None, headers=bogus), 401)


# Read your writes.


def test_min_position_returns_the_fresh_command_s_event(api: Api) -> None:
    customer_id, answer = customer_with_history(api)
    n = assert_position(answer, "customers")

    body = events(api, min_position=answer["position"], aggregate_id=customer_id)
    assert processed(body, "customers") >= n
    assert [e["version"] for e in body["events"]] == list(range(1, answer["version"] + 1))
    last = body["events"][-1]
    assert last["position"] == answer["position"]
    assert last["type"] == "PurchaseRecorded"
    assert last["metadata"]["principal"] == api.tokens.principal_of(Role.SALES)
    assert last["metadata"]["roles"] == ["sales"]
    assert last["metadata"]["command"] == "record_purchase"
    assert last["payload"]["amount"] == "99.50"


def test_min_position_waits_for_the_projection(api: Api) -> None:
    runner = runner_of(api)
    runner.stop()  # the background runner no longer catches up by itself
    _, answer = customer_with_history(api)
    n = assert_position(answer, "customers")
    assert runner.store("audit").position("customers") < n

    def later() -> None:
        time.sleep(0.3)
        runner.catch_up()

    helper = threading.Thread(target=later)
    started = time.monotonic()
    helper.start()
    try:
        body = events(api, min_position=answer["position"], order="desc", limit=1)
    finally:
        helper.join()
    assert time.monotonic() - started >= 0.25
    assert body["events"][0]["position"] == answer["position"]
    assert processed(body, "customers") >= n


def test_min_position_also_comes_as_a_header(api: Api) -> None:
    _, answer = customer_with_history(api)
    response = api.get(
        "/audit/events",
        params={"order": "desc", "limit": 1, "log": "customers"},
        headers={"X-Min-Position": answer["position"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["events"][0]["position"] == answer["position"]


def test_an_unreachable_position_answers_503_with_retry_after(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consistency, "WAIT_SECONDS", 0.3)
    customer_with_history(api)
    started = time.monotonic()
    response = api.get("/audit/events", params={"min_position": "customers:999999"})
    assert time.monotonic() - started >= 0.25
    problem = assert_problem(response, 503, "projection-behind")
    assert "customers:999999" in problem["detail"]
    assert int(response.headers["Retry-After"]) >= 1


def test_a_malformed_min_position_is_422(api: Api) -> None:
    for token in ("customers", "customers:", "customers:x", "Customers:1", "customers:-1", ":1"):
        problem = assert_problem(
            api.get("/audit/events", params={"min_position": token}), 422, fields=("min_position",)
        )
        assert problem["type"] == "invalid-request", token
    assert_problem(api.get("/audit/events", headers={"X-Min-Position": "nonsense"}), 422)
    # A log the audit trail does not follow.
    assert_problem(
        api.get("/audit/events", params={"min_position": "invoices:1"}),
        422,
        fields=("min_position",),
    )


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def _not_422(api: Api, cursors: dict[str, str]) -> dict[str, str]:
    wrong = {}
    for name, cursor in cursors.items():
        try:
            response = api.get("/audit/events", params={"cursor": cursor})
        except Exception as error:  # the TestClient re-raises what became a 500
            wrong[name] = f"500 ({type(error).__name__}: {str(error)[:60]})"
            continue
        if response.status_code != 422:
            wrong[name] = f"{response.status_code} ({response.text[:40]})"
        else:
            assert_problem(response, 422, fields=("cursor",))
    return wrong


def test_a_malformed_cursor_is_422(api: Api) -> None:
    cursors = {
        "not base64": "not a cursor!",
        "not json": "AAAA",
        "bad padding": "eyJ",
        "two values": _cursor([1, 2]),
        "a string": _cursor("abc"),
        "an object": _cursor({"a": 1}),
        "a number": _cursor(7),
        "null": _cursor(None),
    }
    assert _not_422(api, cursors) == {}


def test_a_cursor_with_values_of_the_wrong_type_is_422(api: Api) -> None:
    """``api.paging.decode_cursor`` checks only that the cursor is a list of three;
    ``list_events`` binds its values as they are. SQLite answers 500 for values it
    cannot bind (an object, a list, an int beyond 64 bits) and 200 with an empty,
    wrong page for a text position; PostgreSQL 500s where the value is no bigint."""
    when = "2025-01-01T00:00:00.000000Z"
    cursors = {
        "text position": _cursor([when, "customers", "x"]),
        "fractional position": _cursor([when, "customers", 1.5]),
        "object time": _cursor([{"a": 1}, "customers", 1]),
        "list log": _cursor([when, ["customers"], 1]),
        "position 2**63": _cursor([when, "customers", 2**63]),
        "position 10**30": _cursor([when, "customers", 10**30]),
        "position -2**63-1": _cursor([when, "customers", -(2**63) - 1]),
    }
    wrong = _not_422(api, cursors)
    assert wrong == {}, "\n".join(f"{name}: {answer}" for name, answer in wrong.items())


def test_a_time_filter_at_the_calendar_s_edge_is_not_a_server_error(api: Api) -> None:
    """Converting these to UTC leaves datetime's range: the answer must be 200
    (nothing to list) or 422, never 500."""
    wrong = {}
    for params in (
        {"since": "0001-01-01T00:00:00+08:00"},
        {"until": "0001-01-01T05:00:00+14:00"},
        {"since": "9999-12-31T23:00:00-05:00"},
    ):
        response = api.get("/audit/events", params=params)
        if response.status_code not in (200, 422):
            wrong[str(params)] = response.status_code
    assert wrong == {}


def test_invalid_query_parameters_are_422(api: Api) -> None:
    for params in (
        {"aggregate_id": "not-a-uuid"},
        {"order": "sideways"},
        {"limit": 0},
        {"limit": 501},
        {"since": "yesterday"},
    ):
        assert_problem(api.get("/audit/events", params=params), 422, fields=tuple(params))


# Listing: filters, order and paging over HTTP.


def test_filters_order_and_paging(api: Api) -> None:
    customer_id, _ = customer_with_history(api)
    complaint_id = api.receive_complaint(customer_id)
    other_id = api.register_customer(name="Han Meimei", email="han.meimei@example.cn")
    complaint = api.ok(f"/complaints/{complaint_id}/acknowledge", {}, who="cs-anna")

    everything = events(api, min_position=complaint["position"], limit=500)
    assert everything["next_cursor"] is None
    all_events = everything["events"]
    keys = [(e["occurred_at"], e["log"], int(e["position"].split(":")[1])) for e in all_events]
    assert keys == sorted(keys)

    newest = events(api, order="desc", limit=500)["events"]
    assert newest == list(reversed(all_events))

    by_aggregate = events(api, aggregate_id=customer_id)["events"]
    assert by_aggregate == [e for e in all_events if e["aggregate_id"] == customer_id]
    assert other_id not in {e["aggregate_id"] for e in by_aggregate}

    by_type = events(api, type="Registered")["events"]
    assert {e["aggregate_id"] for e in by_type} == {customer_id, other_id}

    by_actor = events(api, actor="cs-anna")["events"]
    assert by_actor == [e for e in all_events if e["metadata"]["principal"] == "cs-anna"]
    assert {e["log"] for e in by_actor} == {"complaints"}

    by_log = events(api, log="complaints")["events"]
    assert [e["aggregate_id"] for e in by_log] == [complaint_id] * 2

    middle = all_events[len(all_events) // 2]
    since = events(api, since=middle["occurred_at"])["events"]
    assert since == [e for e in all_events if e["occurred_at"] >= middle["occurred_at"]]
    until = events(api, until=middle["occurred_at"])["events"]
    assert until == [e for e in all_events if e["occurred_at"] < middle["occurred_at"]]

    for order, expected in (("asc", all_events), ("desc", newest)):
        paged, cursor, pages = [], None, 0
        while True:
            params: dict[str, Any] = {"order": order, "limit": 2}
            if cursor:
                params["cursor"] = cursor
            body = events(api, **params)
            paged += body["events"]
            cursor = body["next_cursor"]
            pages += 1
            assert pages < 100
            if cursor is None:
                break
        assert paged == expected
        assert len({e["position"] for e in paged}) == len(paged)


def test_no_personal_data_over_http(api: Api) -> None:
    customer_id = api.register_customer(name="Han Meimei", email="han.meimei@example.cn")
    # Registration writes two events: wait for the second, so the trail holds both.
    (last,) = events(api, min_position="customers:2", aggregate_id=customer_id, type="WelcomeSent")[
        "events"
    ]
    assert last["aggregate_id"] == customer_id
    body = events(api, aggregate_id=customer_id, type="Registered")
    (registered,) = body["events"]
    assert registered["payload"]["personal"] == {"subject": customer_id, "redacted": True}
    text = json.dumps(events(api, limit=500))
    assert "Han Meimei" not in text
    assert "han.meimei" not in text


# The tamper check.


def test_verify_is_intact_then_reports_an_altered_event(
    api: Api, store_config: StoreConfig
) -> None:
    customer_id, answer = customer_with_history(api)
    events(api, min_position=answer["position"])
    response = api.get("/audit/verify")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "intact"
    assert set(body["logs"]) == LOGS
    n = assert_position(answer, "customers")
    assert body["logs"]["customers"]["projected_up_to"] == answer["position"]
    assert body["logs"]["customers"]["verified_events"] == answer["version"] + 0 * n
    assert all(log["problems"] == [] for log in body["logs"].values())

    registered = events(api, aggregate_id=customer_id)["events"][0]
    position = int(registered["position"].split(":")[1])
    alter_event(store_config, "customers", position)

    body = api.get("/audit/verify").json()
    assert body["status"] == "altered"
    problems = body["logs"]["customers"]["problems"]
    assert [(p["kind"], p["log"], p["position"]) for p in problems] == [
        ("altered", "customers", position)
    ]
    assert problems[0]["detail"]
    assert all(body["logs"][log]["problems"] == [] for log in LOGS - {"customers"})


def test_without_an_audit_key_there_are_no_checkpoints(api: Api) -> None:
    customer_with_history(api)
    body = api.get("/audit/checkpoints").json()
    assert body == {"public_key": None, "fingerprint": None, "checkpoints": []}


# Health.


def test_health_shows_the_audit_trail_s_lag(api: Api) -> None:
    response = api.get("/health", who=None)
    assert response.status_code == 200, response.text
    audit = response.json()["projections"]["audit"]
    assert set(audit) >= {"events", "seconds"}

    runner = runner_of(api)
    runner.stop()
    customer_with_history(api)
    time.sleep(0.05)
    audit = api.get("/health", who=None).json()["projections"]["audit"]
    assert audit["events"] >= 4  # registered, welcome, activated, purchase
    assert audit["seconds"] > 0

    runner.catch_up()
    audit = api.get("/health", who=None).json()["projections"]["audit"]
    assert audit == {"events": 0, "seconds": 0.0}
