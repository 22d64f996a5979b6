"""Helpers for the policy tests: wait for what the policies write, read alerts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from domain.vocabulary import Role
from projections.runner import ProjectionRunner
from tests.api.support import Api

WAIT = 10.0


def runner_of(api: Api) -> ProjectionRunner:
    runner: ProjectionRunner = api.client.app.state.projections  # type: ignore[attr-defined]
    return runner


def settle(api: Api) -> None:
    """Until the runner (policies included) has nothing left to apply."""
    api.settle()
    assert runner_of(api).idle(), f"projections did not catch up: {runner_of(api).lag()}"


def alerts(api: Api, who: Role | str = Role.AUDITOR, **params: Any) -> list[dict[str, Any]]:
    settle(api)
    response = api.get("/alerts", who=who, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def about(items: list[dict[str, Any]], subject_id: str) -> list[dict[str, Any]]:
    return [item for item in items if item["subject_id"] == subject_id]


def eventually(check: Callable[[], Any], timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)
