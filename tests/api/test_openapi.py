"""The OpenAPI document says what the server does: how to authenticate, what each
problem looks like and how it is sent, who may send each command, which bodies
may be left out, and the headers' limits. (tests/e2e/test_generated_client.py
generates a client from it and takes the README's tour.)"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.support import PROBLEM_JSON, Api, assert_problem
from tests.api.test_conventions import PUBLIC_PATHS

PROBLEM = "#/components/schemas/Problem"
VALIDATION_PROBLEM = "#/components/schemas/ValidationProblem"
HEALTH = "#/components/schemas/HealthOut"


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def test_every_path_but_the_public_ones_takes_a_bearer_token(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"],
    }
    for method, path, operation in operations(spec):
        expected: list[dict[str, list[str]]] | None = (
            None if path in PUBLIC_PATHS else [{"bearer": []}]
        )
        assert operation.get("security") == expected, (method, path)
    assert "/health" in spec["paths"]


def test_the_token_answers_are_unchanged(client: TestClient) -> None:
    for authorization in (None, "Basic abc", "Bearer", "Bearer    "):
        headers = {"Authorization": authorization} if authorization else {}
        response = client.get("/complaints", headers=headers)
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == "Bearer"
    response = client.get("/complaints", headers={"Authorization": "bearer olt_unknown"})
    assert_problem(response, 401, "invalid-token")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_problems_are_declared_as_application_problem_json(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = response["content"]
            if (path, status) == ("/health", "503"):  # the health answer itself, not a problem
                assert content == {"application/json": {"schema": {"$ref": HEALTH}}}
                continue
            expected = VALIDATION_PROBLEM if status == "422" else PROBLEM
            assert content == {PROBLEM_JSON: {"schema": {"$ref": expected}}}, (method, path)
    schemas = spec["components"]["schemas"]
    assert "errors" in schemas["ValidationProblem"]["required"]
    assert "errors" not in schemas["Problem"]["required"]


def test_model_names_are_unique_and_requests_say_so(spec: dict[str, Any]) -> None:
    names = spec["components"]["schemas"]
    assert not [name for name in names if "__" in name]  # pydantic's module-qualified names
    for method, path, operation in operations(spec):
        body = operation.get("requestBody")
        if body is None:
            continue
        ref = body["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith(("Request", "Command")), (method, path, ref)


def test_a_body_that_may_be_left_out_is_optional_not_nullable(spec: dict[str, Any]) -> None:
    optional = {}
    for method, path, operation in operations(spec):
        body = operation.get("requestBody")
        if body is not None and not body.get("required"):
            optional[(method, path)] = body["content"]["application/json"]["schema"]
    assert len(optional) == 19  # with the alert acknowledgement and resolution
    assert all(set(schema) == {"$ref"} for schema in optional.values()), optional
    assert optional[("POST", "/complaints/{id}/close")] == {
        "$ref": "#/components/schemas/ComplaintCloseRequest"
    }


def test_every_command_names_its_roles(spec: dict[str, Any]) -> None:
    commands = [(path, op) for method, path, op in operations(spec) if method == "POST"]
    assert len(commands) > 60
    for path, operation in commands:
        roles = operation["x-roles"]
        assert roles, path
        assert operation["description"].endswith(f"Roles: {', '.join(roles)}."), path
    close = spec["paths"]["/complaints/{id}/close"]["post"]
    assert close["x-roles"] == ["customer_service"]
    year = spec["paths"]["/budgets/fiscal-years/{fiscal_year}/board-approval"]["post"]
    assert year["x-roles"] == ["board"]


def test_headers_and_queries_say_their_limits(spec: dict[str, Any]) -> None:
    def parameter(path: str, method: str, name: str) -> dict[str, Any]:
        found = [p for p in spec["paths"][path][method]["parameters"] if p["name"] == name]
        assert len(found) == 1, (path, name)
        return found[0]

    if_match = parameter("/complaints/{id}/close", "post", "If-Match")
    assert if_match["in"] == "header"
    assert "412" in if_match["description"] and "malformed-if-match" in if_match["description"]
    key = parameter("/complaints", "post", "Idempotency-Key")
    assert "255" in key["description"]
    min_position = parameter("/complaints", "get", "X-Min-Position")
    assert min_position["in"] == "header"
    assert "503" in min_position["description"]
    assert "not with as_of" in parameter("/complaints/{id}", "get", "version")["description"]
    assert "not with version" in parameter("/complaints/{id}", "get", "as_of")["description"]


def test_a_422_always_names_its_errors(api: Api) -> None:
    """Even one about no field (an idempotency key reused) has ``errors``, as declared."""
    customer_id = api.register_customer()
    path = f"/customers/{customer_id}/purchases"
    headers = {"Idempotency-Key": "purchase-1"}
    api.ok(path, {"amount": "15.00", "order_ref": "K-1"}, who="sales-su", headers=headers)
    problem = api.refused(
        "POST",
        path,
        422,
        "idempotency-key-reused",
        who="sales-su",
        json={"amount": "16.00", "order_ref": "K-1"},
        headers=headers,
    )
    assert problem["errors"] == []
