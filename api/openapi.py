"""The OpenAPI document, finished for the clients generated from it.

FastAPI writes the document from the routes; two things are finished here, once
for every operation:

- problems: FastAPI files a response model under the route's media type,
  application/json, but problems are sent as application/problem+json;
- roles: a command's ``x-roles`` (``api.commands.roles_extra``) also end its
  description, where people read it in /docs.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.problems import PROBLEM_JSON

JSON = "application/json"


PROBLEM_SCHEMAS = ("#/components/schemas/Problem", "#/components/schemas/ValidationProblem")


def _finish(operation: dict[str, Any]) -> None:
    for response in operation.get("responses", {}).values():
        content = response.get("content", {})
        # Only problems move: /health's 503 is its own JSON answer, not a problem.
        if content.get(JSON, {}).get("schema", {}).get("$ref") in PROBLEM_SCHEMAS:
            content[PROBLEM_JSON] = content.pop(JSON)
    if roles := operation.get("x-roles"):
        description = operation.get("description", "")
        operation["description"] = f"{description}\n\nRoles: {', '.join(roles)}.".strip()


def finish_openapi(app: FastAPI) -> None:
    """Make ``app`` answer the finished document at /openapi.json and in /docs."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for path_item in schema["paths"].values():
                for operation in path_item.values():
                    _finish(operation)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
