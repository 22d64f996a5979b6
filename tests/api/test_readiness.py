"""/ready: 200 while the store answers and every projection has a runner, else 503
problem+json; /health is liveness and needs no runner."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.api.support import assert_problem


def test_ready_only_while_a_runner_works_on_every_projection(settings: Settings) -> None:
    apart = settings.model_copy(update={"run_projections": False})
    with TestClient(create_app(apart)) as client:
        # Nobody runs the projections: alive, but not ready.
        assert client.get("/health").status_code == 200
        response = client.get("/ready")
        assert_problem(response, 503, "not-ready")
        assert response.headers["retry-after"].isdigit()
        assert "audit" in response.json()["detail"]

        # A server that runs them (another process, as far as the first one knows).
        with TestClient(create_app(settings)) as running:
            ready = running.get("/ready")
            assert ready.status_code == 200, ready.text
            assert ready.json()["status"] == "ready"
            assert set(ready.json()["logs"]) == {
                "customers",
                "complaints",
                "risks",
                "employees",
                "budgets",
                "alerts",
                "webhooks",
            }
            # The first server sees that one runs them, elsewhere.
            assert client.get("/ready").status_code == 200
        assert_problem(client.get("/ready"), 503, "not-ready")
