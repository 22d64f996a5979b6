"""Hostile input is a 422 problem (or 400), never a 500: nesting deep enough to break
recursion, cursors of deep JSON or lone surrogates, huge search text, lenient
numbers and far-off dates; and OPTIONS/HEAD on every path (issue 15)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from domain.vocabulary import Role
from tests.api.support import Api, assert_problem, some_id

pytestmark = pytest.mark.shared_app


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize("depth", [400, 800])
def test_deeply_nested_lists_in_a_command_field_are_refused(api: Api, depth: int) -> None:
    """The NUL check walked nested values by recursion: ~350 levels were a 500."""
    nested = "[" * depth + '"x"' + "]" * depth  # built by hand: json.dumps recurses too
    body = f'{{"name": {nested}, "email": "li@example.cn", "channel": "search"}}'.encode()
    problem = api.refused(
        "POST",
        "/customers",
        422,
        "invalid-request",
        who=Role.MARKETING,
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert [e["field"] for e in problem["errors"]] == ["name"]


def test_nesting_too_deep_is_named(api: Api) -> None:
    complaint = {
        "customer_id": some_id(),
        "channel": "phone",
        "category": "billing",
        "description": _nested(40),
    }
    problem = api.refused(
        "POST", "/complaints", 422, "invalid-request", who="cs-anna", json=complaint
    )
    assert problem["errors"][0]["type"] == "nesting_too_deep"


def test_a_body_nested_past_the_json_parser_is_refused(api: Api) -> None:
    """Nesting beyond what Python's json parser recurses into: 400 or 422, not 500."""
    depth = 200_000
    content = b'{"name": ' + b"[" * depth + b"]" * depth + b"}"
    response = api.request(
        "POST",
        "/customers",
        who=Role.MARKETING,
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), response.text
    assert_problem(response, response.status_code)


@pytest.mark.parametrize(
    "path",
    ["/customers", "/complaints", "/employees", "/risks", "/budgets", "/audit/events"],
)
@pytest.mark.parametrize(
    "text",
    ["[" * 5000 + "]" * 5000, '["\\ud800", "x"]', '["\\udfff"]', '[["\\ud83d"], "a"]'],
    ids=["deep", "lone-high-surrogate", "lone-low-surrogate", "nested-surrogate"],
)
def test_hostile_cursors_are_refused(api: Api, path: str, text: str) -> None:
    response = api.get(path, who="root-all", params={"cursor": cursor_of(text)})
    assert_problem(response, 422, "invalid-request", fields=("cursor",))


@pytest.mark.parametrize("path", ["/customers", "/employees", "/risks"])
def test_search_text_is_bounded(api: Api, path: str) -> None:
    """A 50,000-character `q` made SQLite's LIKE fail (503): a client error is 422."""
    response = api.get(path, who="root-all", params={"q": "x" * 50_000})
    assert_problem(response, 422, "invalid-request", fields=("q",))
    assert api.get(path, who="root-all", params={"q": "x" * 200}).status_code == 200


@pytest.mark.parametrize(
    "amount",
    [
        "\uff11\uff12\uff13",
        "\u0663",  # full-width 123, Arabic-Indic 3
        "1_000",
        " 1.00 ",
        "1e3",
        "+1.00",
        "1.001",
        "1.",
        ".5",
        "NaN",
        "",
    ],
)
def test_money_is_ascii_digits_with_two_decimals(api: Api, amount: str) -> None:
    body = {"amount": amount, "order_ref": "ORD-1", "purchased_at": "2024-05-01T10:00:00Z"}
    problem = api.refused(
        "POST", f"/customers/{some_id()}/purchases", 422, who=Role.SALES, json=body
    )
    assert [e["field"] for e in problem["errors"]] == ["amount"]


def test_well_formed_money_is_taken(api: Api) -> None:
    customer = api.register_customer()
    for amount in ("123", "123.5", "0.99", "100000.00"):
        body = {"amount": amount, "order_ref": f"ORD-{amount}", "purchased_at": "2024-05-01T10:00Z"}
        api.ok(f"/customers/{customer}/purchases", body, who=Role.SALES)


def test_hire_dates_and_leave_far_from_now_are_refused(api: Api) -> None:
    hire: dict[str, Any] = {
        "name": "X",
        "department": "sales",
        "position": "rep",
        "hire_date": "0001-01-01",
    }
    problem = api.refused("POST", "/employees", 422, who=Role.HR, json=hire)
    assert problem["errors"][0]["field"] == "hire_date"
    assert problem["errors"][0]["type"] == "date_out_of_range"
    leave = {"start": "9999-01-01", "end": "9999-01-02", "days": 2}
    problem = api.refused(
        "POST", f"/employees/{some_id()}/leave-requests", 422, who=Role.HR, json=leave
    )
    assert {e["field"] for e in problem["errors"]} == {"start", "end"}


def test_options_lists_every_method_of_the_path(api: Api) -> None:
    response = api.client.options("/customers")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    response = api.client.options(f"/customers/{some_id()}/activate")
    assert response.headers["allow"] == "OPTIONS, POST"
    assert api.client.options("/nowhere").status_code == 404


def test_a_wrong_method_names_every_method_of_the_path(api: Api) -> None:
    response = api.request("DELETE", "/customers", who=Role.MARKETING)
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_head_answers_like_get_without_a_body(api: Api) -> None:
    get = api.get("/customers", who=Role.MARKETING)
    head = api.request("HEAD", "/customers", who=Role.MARKETING)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert api.client.head("/health").status_code == 200
    assert api.request("HEAD", "/customers", who=None).status_code == 401


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value
