"""The read side's contract: every GET answer is documented in /openapi.json by a model
of its own, strict about its fields, under a name no other schema shares."""

from __future__ import annotations

from typing import Any

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from tests.api.support import Api

# /metrics answers Prometheus text for the scraper, documented in docs/operations.md.
UNDOCUMENTED = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/metrics", "/"}
CONSOLE = ("/ui", "/docs-assets")  # the web console's pages and assets (api/ui): not the API
READ_ENDPOINTS = {
    "/customers",
    "/complaints",
    "/budgets",
    "/employees",
    "/risks",
    "/dashboards/customers",
    "/dashboards/complaints",
    "/dashboards/budgets",
    "/dashboards/workforce",
    "/dashboards/risks",
    "/audit/events",
    "/audit/verify",
    "/health",
}
AGGREGATES = ("customers", "complaints", "budgets", "employees", "risks")
REF = "#/components/schemas/"


def get_paths(client: TestClient) -> set[str]:
    """The path of every GET route the app serves (included routers' too, as FastAPI's
    own OpenAPI walks them), but the documentation's own."""
    routes = iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
    paths = {str(r.path) for r in routes if "GET" in (r.methods or ())} - UNDOCUMENTED
    return {p for p in paths if not any(p == c or p.startswith(c + "/") for c in CONSOLE)}


def answer_schema(openapi: dict[str, Any], path: str) -> tuple[str, dict[str, Any]]:
    """The name and schema of the model ``GET path`` answers 200 with."""
    content = openapi["paths"][path]["get"]["responses"]["200"]["content"]
    schema = content["application/json"]["schema"]
    assert set(schema) == {"$ref"}, f"GET {path} answers an inline schema: {schema}"
    name = schema["$ref"].removeprefix(REF)
    return name, openapi["components"]["schemas"][name]


def test_every_read_endpoint_is_a_get_route(client: TestClient) -> None:
    paths = get_paths(client)
    assert paths >= READ_ENDPOINTS
    for collection in AGGREGATES:
        assert any(p.startswith(f"/{collection}/{{") and p.endswith("}") for p in paths)
        assert any(p.startswith(f"/{collection}/{{") and p.endswith("}/events") for p in paths)


def test_every_get_answers_a_documented_model(client: TestClient) -> None:
    openapi = client.get("/openapi.json").json()
    for path in sorted(get_paths(client)):
        name, schema = answer_schema(openapi, path)
        assert schema.get("type") == "object", f"GET {path}: {name} is not an object"
        assert schema.get("properties"), f"GET {path}: {name} documents no field"
        assert schema.get("required"), f"GET {path}: {name} requires no field"


def test_read_models_refuse_fields_they_do_not_document(client: TestClient) -> None:
    """An answer the server builds with a field its model lacks fails rather than
    dropping it: the documented fields are all there is."""
    openapi = client.get("/openapi.json").json()
    for path in sorted(READ_ENDPOINTS):
        name, schema = answer_schema(openapi, path)
        assert schema.get("additionalProperties") is False, f"GET {path}: {name} is open"


def refs(node: Any) -> set[str]:
    """The schema names ``node`` refers to, directly."""
    if isinstance(node, dict):
        found = {node["$ref"].removeprefix(REF)} if "$ref" in node else set()
        return found.union(*(refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(item) for item in node))
    return set()


def test_read_schema_names_are_unique_and_plain(client: TestClient) -> None:
    """Two models of one name would be documented under module-qualified names
    (``api__schemas__...__Name``), which client generators turn into odd types."""
    openapi = client.get("/openapi.json").json()
    schemas = openapi["components"]["schemas"]
    seen: set[str] = set()
    todo = {answer_schema(openapi, path)[0] for path in get_paths(client)}
    while todo:
        name = todo.pop()
        seen.add(name)
        todo |= refs(schemas[name]) - seen
    assert {"CustomerDashboardOut", "RiskListItemOut", "AuditEventOut"} <= seen
    assert not [name for name in seen if "__" in name], sorted(seen)


def test_each_read_answers_exactly_the_fields_its_model_documents(api: Api) -> None:
    """Every field a read answer holds is documented, and every documented field is
    there (with nothing projected yet: empty lists, zero counts)."""
    openapi = api.client.get("/openapi.json").json()
    for path in sorted(READ_ENDPOINTS - {"/health"}):
        response = api.get(path)
        assert response.status_code == 200, (path, response.text)
        _, schema = answer_schema(openapi, path)
        assert set(response.json()) == set(schema["properties"]), path
    health = api.get("/health", who=None).json()
    assert set(health) == {"status", "store", "logs", "projections"}
    assert set(health["projections"]["audit"]) == {"events", "seconds"}
