"""GET /metrics (Prometheus text, no token), structured log lines, and a warning for
an OPSLEDGER_* variable nothing reads (issue 15)."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient

from api.logs import JsonFormatter, TextFormatter, unknown_variables
from api.settings import Settings
from domain.vocabulary import Role
from tests.api.support import CS_A, Api

pytestmark = pytest.mark.shared_app


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the series ``name{labels}`` in an exposition (0 if absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rindex("}")]))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_commands_and_lag(api: Api, client: TestClient) -> None:
    before = client.get("/metrics").text
    customer = api.register_customer()
    api.get(f"/customers/{customer}", who=Role.SALES)
    complaint = api.receive_complaint(customer)
    api.post(f"/complaints/{complaint}/close", {}, who=CS_A)  # refused by a rule
    api.post(f"/complaints/{complaint}/acknowledge", {"message": "x"}, who=CS_A,
             headers={"If-Match": '"9"'})  # fmt: skip  # version-mismatch: a conflict

    response = client.get("/metrics")  # no token
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text

    def grew(name: str, **labels: str) -> float:
        return sample(text, name, **labels) - sample(before, name, **labels)

    route = {"method": "GET", "route": "/customers/{id}", "status": "200"}
    assert grew("opsledger_http_requests_total", **route) == 1
    assert grew("opsledger_http_request_duration_seconds_count", **route) == 1
    assert f"/customers/{customer}" not in text, "series are per route template, not per path"
    created = {"collection": "customers", "command": "register_customer", "outcome": "ok"}
    assert grew("opsledger_commands_total", **created) >= 1
    refused = {"collection": "complaints", "outcome": "refused", "rule": "complaint-not-responded"}
    assert grew("opsledger_commands_total", **refused) == 1
    conflict = {"collection": "complaints", "command": "acknowledge_complaint"}
    assert grew("opsledger_commands_total", **conflict, outcome="conflict") == 1
    for projection, log in (("audit", "customers"), ("complaints_view", "complaints")):
        assert f'opsledger_projection_lag_events{{log="{log}",projection="{projection}"}}' in text
        assert f'opsledger_projection_lag_seconds{{log="{log}",projection="{projection}"}}' in text
    # Defined for the webhook and scheduler code to count into.
    assert "# TYPE opsledger_webhook_deliveries_total counter" in text
    assert "# TYPE opsledger_scheduler_runs_total counter" in text


def test_pool_usage_is_measured_on_postgresql(client: TestClient, settings: Settings) -> None:
    text = client.get("/metrics").text
    if settings.database_url:
        assert sample(text, "opsledger_pool_connections", pool="events", state="open") >= 1
    else:
        assert "opsledger_pool_connections{" not in text


def record(**fields: object) -> logging.LogRecord:
    made = logging.LogRecord(
        "opsledger.access", logging.INFO, __file__, 1, "GET / %s", (200,), None
    )
    made.fields = fields
    return made


def test_log_lines_are_json_objects_with_the_access_fields() -> None:
    line = JsonFormatter().format(record(request_id="r-1", route="/customers", status=200))
    entry = json.loads(line)
    assert entry["message"] == "GET / 200" and entry["level"] == "INFO"
    assert entry["request_id"] == "r-1" and entry["status"] == 200
    text = TextFormatter().format(record(request_id="r-1", principal=None))
    assert "request_id=r-1" in text and "principal" not in text


def test_an_unknown_variable_names_the_closest_known_one() -> None:
    known = Settings.known_variables()
    assert "OPSLEDGER_DATABASE_URL" in known and "OPSLEDGER_LOG_FORMAT" in known
    environ = {"OPSLEDGER_DATABSE_URL": "x", "OPSLEDGER_POOL_SIZE": "2", "PATH": "/bin"}
    (warning,) = unknown_variables(known, environ)
    assert "OPSLEDGER_DATABSE_URL" in warning and "did you mean OPSLEDGER_DATABASE_URL" in warning
    (far,) = unknown_variables(known, {"OPSLEDGER_ZZZ": "1"})
    assert "did you mean" not in far
