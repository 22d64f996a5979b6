"""The conventions of docs/api.md that hold for every path: auth, problems, request ids, limits,
and "never 500 for anything a client sent"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from application.store import StoreConfig
from domain.vocabulary import Role
from tests.api.support import (
    PATH_PARAM,
    PROBLEM_JSON,
    SAMPLE_BODIES,
    Api,
    Tokens,
    assert_problem,
    normalized,
    sample_body,
    some_id,
)

# The tests make aggregates of their own: one store and app for the module.
pytestmark = pytest.mark.shared_app

PUBLIC_PATHS = {"/health", "/ready", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
MIB = 1024 * 1024


def api_routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path template) of every route the app documents, but the public ones."""
    paths = client.get("/openapi.json").json()["paths"]
    routes = [
        (method.upper(), path)
        for path, operations in paths.items()
        if path not in PUBLIC_PATHS
        for method in operations
    ]
    assert ("POST", "/complaints") in routes
    return routes


def fill(template: str, ids: dict[str, str] | None = None) -> str:
    """The path with its parameters filled: the id of a known aggregate where ``ids``
    names one for the collection (``{"customers": ...}``), else a fresh UUID."""
    parts = template.strip("/").split("/")
    for n, part in enumerate(parts):
        if PATH_PARAM.fullmatch(part):
            name = PATH_PARAM.fullmatch(part)[1]  # type: ignore[index]
            known = (ids or {}).get(parts[n - 1]) if n else None
            parts[n] = known or (some_id() if name.endswith("id") else "2025")
    return "/" + "/".join(parts)


# --- Public paths and health ------------------------------------------------


def test_health_needs_no_token_and_names_the_store(
    client: TestClient, store_config: StoreConfig
) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["store"] == ("postgresql" if store_config.database_url else "sqlite")
    assert isinstance(body["projections"], dict)


def test_openapi_and_docs_need_no_token(client: TestClient) -> None:
    openapi = client.get("/openapi.json")
    assert openapi.status_code == 200
    assert openapi.json()["paths"]
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]


# --- Authentication ------------------------------------------------------------


def test_every_other_path_needs_a_token(api: Api) -> None:
    """Reads included: no Authorization header is a 401 problem on every route."""
    for method, template in api_routes(api.client):
        path = fill(template)
        with api.no_new_events():
            response = api.request(method, path, who=None, json={})
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer"), (method, path)


def test_an_invalid_token_is_401_on_every_path(api: Api, subtests: pytest.Subtests) -> None:
    for authorization in ("Bearer olt_not-a-real-token", "Bearer " + "x" * 5000, "Bearer ä"):
        headers = {"Authorization": authorization.encode()}
        for method, template in api_routes(api.client):
            with subtests.test(authorization[:20], route=f"{method} {template}"):
                with api.no_new_events():
                    response = api.request(
                        method, fill(template), who=None, json={}, headers=headers
                    )
                assert_problem(response, 401, "invalid-token")
                assert "invalid_token" in response.headers["www-authenticate"]


def test_a_malformed_authorization_header_is_401(api: Api) -> None:
    for authorization in ("", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "olt_token"):
        headers = {"Authorization": authorization}
        response = api.get(f"/customers/{some_id()}", who=None, headers=headers)
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_token_works_as_soon_as_it_is_issued_and_stops_when_replaced(api: Api) -> None:
    """Tokens are checked against the store on every request: the running app sees
    a new token at once, and a replaced (revoked) one at once too."""
    customer_id = api.register_customer()
    first = api.tokens.issue("late-auditor", Role.AUDITOR)
    headers = {"Authorization": f"Bearer {first}"}
    assert api.get(f"/customers/{customer_id}", who=None, headers=headers).status_code == 200
    second = api.tokens.store.issue("late-auditor", [Role.AUDITOR], replace=True)
    refused = api.get(f"/customers/{customer_id}", who=None, headers=headers)
    assert_problem(refused, 401, "invalid-token")
    headers = {"Authorization": f"Bearer {second}"}
    assert api.get(f"/customers/{customer_id}", who=None, headers=headers).status_code == 200


def test_the_auditor_commands_nothing(api: Api) -> None:
    """Every POST route refuses the auditor with 403, before looking at the body."""
    ids = {"customers": api.register_customer(), "complaints": api.receive_complaint()}
    posts = [path for method, path in api_routes(api.client) if method == "POST"]
    for template in posts:
        problem = api.refused(
            "POST", fill(template, ids), 403, "role-not-allowed", who=Role.AUDITOR, json={}
        )
        assert "auditor" not in problem.get("required_roles", []), template


# --- Request ids ---------------------------------------------------------------


def test_a_given_request_id_is_echoed_and_recorded_in_every_event(api: Api) -> None:
    response = api.post(
        "/customers",
        {"name": "Han Meimei", "phone": "+86 138 0000 0000", "channel": "referral"},
        who=Role.MARKETING,
        headers={"X-Request-ID": "req-2024-0001"},
    )
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "req-2024-0001"
    events = api.events("customers", response.json()["id"])
    assert len(events) >= 1
    assert {e["metadata"]["request_id"] for e in events} == {"req-2024-0001"}


def test_a_request_id_is_made_up_when_absent_and_recorded(api: Api) -> None:
    first = api.post(
        "/customers",
        {"name": "Han Meimei", "email": "han@example.cn", "channel": "content"},
        who=Role.MARKETING,
    )
    second = api.get(f"/customers/{first.json()['id']}")
    made_up = first.headers["x-request-id"]
    assert made_up
    assert second.headers["x-request-id"] not in ("", made_up)
    events = api.events("customers", first.json()["id"])
    assert {e["metadata"]["request_id"] for e in events} == {made_up}


def test_the_request_id_is_echoed_on_problems_too(api: Api) -> None:
    customer_id = api.register_customer()
    requests: list[dict[str, Any]] = [
        {"method": "GET", "path": f"/customers/{customer_id}", "who": None},
        {"method": "GET", "path": f"/customers/{some_id()}", "who": Role.AUDITOR},
        {"method": "POST", "path": "/customers", "who": Role.MARKETING, "json": {"name": 3}},
        {"method": "POST", "path": "/customers", "who": Role.MARKETING, "content": b"{"},
        {
            "method": "POST",
            "path": "/customers",
            "who": Role.MARKETING,
            "content": b" " * (MIB + 1),
        },
        {"method": "GET", "path": "/no-such-path", "who": Role.AUDITOR},
    ]
    for n, request in enumerate(requests):
        request_id = f"problem-{n}"
        with api.no_new_events():
            response = api.request(**request, headers={"X-Request-ID": request_id})
        assert response.status_code >= 400
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        assert response.headers["x-request-id"] == request_id, request


# --- Problems for what is not a valid request at all -------------------------------


def test_malformed_json_is_400(api: Api, subtests: pytest.Subtests) -> None:
    bodies = [b"{", b'{"name": "x",}', b"{'name': 'x'}", b"\xff\xfe\x00", b"[" * 100_000]
    for body in bodies:
        with subtests.test(body=body[:20]):
            problem = api.refused(
                "POST",
                "/customers",
                400,
                who=Role.MARKETING,
                content=body,
                headers={"Content-Type": "application/json"},
            )
            assert problem["type"] in ("malformed-json", "malformed-request")


def test_unknown_paths_and_methods_are_problems(api: Api) -> None:
    assert_problem(api.get("/no-such-path"), 404)
    customer_id = api.register_customer()
    with api.no_new_events():
        response = api.request("DELETE", f"/customers/{customer_id}", who=Role.MARKETING)
    assert_problem(response, 405)


# --- Body size limit -----------------------------------------------------------------


def padded(body: dict[str, Any], size: int) -> bytes:
    """``body`` as JSON, padded with trailing whitespace to exactly ``size`` bytes."""
    raw = json.dumps(body).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


REGISTRATION = {"name": "Wei Wei", "email": "wei@example.cn", "channel": "social"}


def test_a_body_of_exactly_1_mib_is_accepted(api: Api) -> None:
    response = api.post(
        "/customers",
        who=Role.MARKETING,
        content=padded(REGISTRATION, MIB),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


def test_a_declared_body_over_1_mib_is_413(api: Api) -> None:
    api.refused(
        "POST",
        "/customers",
        413,
        "body-too-large",
        who=Role.MARKETING,
        content=padded(REGISTRATION, MIB + 1),
        headers={"Content-Type": "application/json"},
    )


def test_a_streamed_body_over_1_mib_without_content_length_is_413(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        raw = padded(REGISTRATION, MIB + 1)
        for start in range(0, len(raw), 64 * 1024):
            yield raw[start : start + 64 * 1024]

    with api.no_new_events():
        response = api.client.post(
            "/customers",
            content=chunks(),
            headers=api.headers(Role.MARKETING, {"Content-Type": "application/json"}),
        )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413, "body-too-large")


def test_a_streamed_body_under_the_limit_is_read_whole(api: Api) -> None:
    raw = padded(REGISTRATION, 300_000)
    response = api.client.post(
        "/customers",
        content=(raw[i : i + 10_000] for i in range(0, len(raw), 10_000)),
        headers=api.headers(Role.MARKETING, {"Content-Type": "application/json"}),
    )
    assert response.status_code == 201, response.text


# --- Never 500: garbage over every POST route ------------------------------------------


def body_fields(spec: dict[str, Any], template: str) -> list[str]:
    """The field names of a POST route's body, from the OpenAPI document."""
    request_body = spec["paths"][template]["post"].get("requestBody")
    if request_body is None:
        return []
    schema = request_body["content"]["application/json"]["schema"]

    def resolve(node: Any) -> dict[str, Any] | None:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                return dict(spec["components"]["schemas"][name])
            if "properties" in node:
                return node
            for option in node.get("anyOf", []) + node.get("oneOf", []):
                found = resolve(option)
                if found is not None:
                    return found
        return None

    model = resolve(schema)
    return sorted((model or {}).get("properties", {}))


FIELD_JUNK: dict[str, Any] = {
    "null": None,
    "empty-list": [],
    "empty-object": {},
    "huge-int": 10**30,
    "true": True,
    "float-3-decimals": 1.005,
    "nan-float": float("nan"),
    "nan-string": "NaN",
    "exponent-string": "1e999",
    "3-decimals-string": "1.005",
    "empty-string": "",
    "nul-string": "\u0000",
    "long-string": "x" * 10_001,
    "not-a-uuid": "not-a-uuid",
    "ancient-date": "0001-01-01T00:00:00+01:00",
    "far-date": "9999-12-31T23:59:59-01:00",
}

TOP_LEVEL_JUNK: dict[str, bytes] = {
    "empty": b"",
    "null": b"null",
    "list": b"[]",
    "string": b'"text"',
    "true": b"true",
    "nested": b'{"a": {"b": [null, {"c": []}]}}',
    "nan": b"NaN",
    "unclosed": b"{",
    "not-utf8": b"\xff\xfe",
    "deep": b"[" * 50_000 + b"]" * 50_000,
    "huge-int-field": b'{"amount": ' + b"1" * 5000 + b"}",
    "huge-float-field": b'{"amount": 1e309, "severity": 1e309}',
}


def junk_bodies(
    spec: dict[str, Any], template: str, ids: dict[str, str]
) -> Iterator[tuple[str, bytes]]:
    """Junk instead of the body, junk in every field, and (where a valid body is
    known) junk in one field of an otherwise valid body, which reaches the domain."""
    fields = body_fields(spec, template)
    for name, raw in TOP_LEVEL_JUNK.items():
        yield f"top-level {name}", raw
    if normalized(template) in SAMPLE_BODIES:
        valid = sample_body(template, ids["customers"], kri_id=ids["kri_id"])
        for field in fields:
            for name, value in FIELD_JUNK.items():
                yield f"{field}={name}", dumps({**valid, field: value})
    elif fields:
        for name, value in FIELD_JUNK.items():
            yield f"every field {name}", dumps(dict.fromkeys(fields, value))


def dumps(body: Any) -> bytes:
    return json.dumps(body, allow_nan=True).encode()


@pytest.mark.fresh_app  # its own store
def test_garbage_bodies_never_cause_a_500(settings: Settings, tokens: Tokens) -> None:
    """Every POST route, every kind of junk: an answer below 500; a refusal is a
    problem and writes nothing. (Server errors are answered, not raised, so that
    every failing case is listed.)"""
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        check_garbage(Api(client, tokens))


ROOT = "root-all"


def known_ids(api: Api) -> dict[str, str]:
    """A real aggregate (or inner id) for every collection a path names, so that a
    command finds its target and reads its body instead of answering 404."""
    ids = {
        "customers": api.register_customer(),
        "complaints": api.investigating_complaint(),
        "fiscal-years": "2025",
        "appraisals": "2026",
    }
    risk_id = ids["risks"] = api.ok("/risks", sample_body("/risks"), who=ROOT)["id"]
    api.ok(f"/risks/{risk_id}/assess", sample_body("/risks/{id}/assess"), who=ROOT)
    treatment = api.ok(
        f"/risks/{risk_id}/treatment", sample_body("/risks/{id}/treatment"), who=ROOT
    )
    ids["actions"] = treatment["action_ids"][0]
    ids["kri_id"] = api.ok(f"/risks/{risk_id}/kris", sample_body("/risks/{id}/kris"), who=ROOT)[
        "kri_id"
    ]
    employee_id = ids["employees"] = api.ok("/employees", sample_body("/employees"), who=ROOT)["id"]
    leave = api.ok(
        f"/employees/{employee_id}/leave-requests",
        sample_body("/employees/{id}/leave-requests"),
        who=ROOT,
    )
    ids["leave-requests"] = leave["leave_request_id"]
    # Budgets are drafted and run inside their fiscal year.
    api.client.app.state.services.budgets.clock = lambda: datetime(2025, 6, 30, tzinfo=UTC)  # type: ignore[attr-defined]
    head = Role.MARKETING  # the budget's department head; each stage its own principal
    budget_id = ids["budgets"] = api.ok("/budgets", sample_body("/budgets"), who=head)["id"]
    api.ok(f"/budgets/{budget_id}/submit", who=head)
    stages = {
        "finance-review": Role.FINANCE,
        "management-approval": Role.MANAGEMENT,
        "board-approval": Role.BOARD,
    }
    for stage, who in stages.items():
        api.ok(f"/budgets/{budget_id}/{stage}", sample_body(f"/budgets/{{id}}/{stage}"), who=who)
    adjustment = sample_body("/budgets/{id}/adjustments")
    ids["adjustments"] = api.ok(f"/budgets/{budget_id}/adjustments", adjustment, who=head)[
        "adjustment_id"
    ]
    return ids


def check_garbage(api: Api) -> None:
    # The deadline scheduler's first round comes once the read models have caught up
    # (tests/support/app.py), which can be while known_ids is making the ids: that
    # round then records the deadlines of what it made (a probation, a year end), in
    # the middle of the junk. The junk is what is checked here: no scheduler.
    api.client.app.state.scheduler.stop()  # type: ignore[attr-defined]
    ids = known_ids(api)
    failures = []
    posts = [path for method, path in api_routes(api.client) if method == "POST"]
    spec = api.client.get("/openapi.json").json()
    before = api.positions()
    for template in posts:
        for n, (what, raw) in enumerate(junk_bodies(spec, template, ids)):
            response = api.post(
                fill(template, ids),
                who="root-all",
                content=raw,
                headers={"Content-Type": "application/json", "Idempotency-Key": f"junk-{n}"},
            )
            problem = response.status_code >= 400
            after = api.positions()
            if (
                response.status_code >= 500
                or response.status_code == 404  # the id is unknown: the body was never read
                or (problem and not response.headers["content-type"].startswith(PROBLEM_JSON))
                or (problem and after != before)
            ):
                failures.append(f"POST {template} {what}: {response.status_code} {response.text}")
            before = after
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:40])


def test_a_nul_in_the_query_is_a_problem_not_a_500(api: Api) -> None:
    for path, field in (
        ("/customers?q=a%00b", "q"),
        ("/complaints?status=%00", "status"),
        ("/audit/events?limit=5&actor=x%00", "actor"),
    ):
        response = api.get(path)
        assert_problem(response, 422, "invalid-request", fields=(field,))
