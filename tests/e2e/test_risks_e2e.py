"""A risk from identification to early warning, over real HTTP against ``opsledger serve``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from application.store import StoreConfig
from domain.vocabulary import Role
from tests.e2e.test_serve import STARTUP_SECONDS, Client, create_token, environment, serve

pytestmark = pytest.mark.e2e


def test_a_risk_from_identification_to_early_warning(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    env = environment(store_config)
    with serve(env, tmp_path, ready_within=STARTUP_SECONDS) as server:
        tokens = {
            "ops": create_token(env, "e2e-ops", Role.OPERATIONS),
            "owner": create_token(env, "e2e-tech", Role.TECHNOLOGY),
            "manager": create_token(env, "e2e-manager", Role.MANAGEMENT),
            "board": create_token(env, "e2e-board", Role.BOARD),
            "auditor": create_token(env, "e2e-auditor", Role.AUDITOR),
        }
        client = Client(server.url, tokens)
        try:
            walk_a_risk(client)
        finally:
            client.http.close()
        assert server.process.poll() is None, server.diagnostics()


def walk_a_risk(client: Client) -> None:
    identified = client.command(
        "/risks",
        {
            "category": "technical",
            "title": "Payment gateway outage",
            "description": "The single payment provider fails during a sale.",
            "owner": "e2e-tech",
            "department": "technology",
            "cause": "one provider",
            "event": "checkout down for hours",
            "consequence": "lost orders",
        },
        "ops",
        "e2e-risk-identify",
    )
    risk = f"/risks/{identified['id']}"
    refused = client.post(f"{risk}/assess", {"likelihood": 4, "impact": 5}, "ops")
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"] == "not-risk-owner"
    client.command(f"{risk}/assess", {"likelihood": 4, "impact": 5}, "owner", "e2e-risk-assess")
    due = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    plan = client.command(
        f"{risk}/treatment",
        {"strategy": "reduce", "actions": [{"title": "second provider", "owner": "e2e-tech",
                                            "due": due}]},
        "owner",
        "e2e-risk-treat",
    )  # fmt: skip
    (action_id,) = plan["action_ids"]
    kri = client.post(
        f"{risk}/kris",
        {"name": "payment failures", "metric": "failed per 1000", "direction": "above",
         "amber": "5", "red": "10", "reporter": "e2e-ops"},
        "owner",
    )  # fmt: skip
    assert kri.status_code == 201, kri.text
    kri_id = kri.json()["kri_id"]
    assert kri.headers["location"] == f"{risk}/kris/{kri_id}"
    for n, value in enumerate(("2.5", "6", "14.2")):
        client.command(
            f"{risk}/kri-readings", {"kri_id": kri_id, "value": value}, "ops", f"e2e-reading-{n}"
        )

    state = client.get(risk).json()
    assert state["status"] == "treatment_planned" and state["level"] == "critical"
    assert state["kris"][0]["status"] == "red"
    assert state["open_early_warnings"] == 1
    assert state["early_warnings"][0]["value"] == "14.2"
    events = client.get(f"{risk}/events").json()["events"]
    warning = next(e for e in events if e["type"] == "EarlyWarningRaised")
    assert warning["metadata"]["request_id"] == "e2e-reading-2"
    assert warning["metadata"]["principal"] == "e2e-ops"
    assert [e["type"] for e in events].count("KriWatchRaised") == 1

    closing = client.post(f"{risk}/close", {"reason": "done"}, "owner")
    assert closing.status_code == 409 and closing.json()["type"] == "open-actions-remain"
    accept = client.post(
        f"{risk}/acceptance", {"approved": True, "expires_on": due}, "board"
    )  # nothing proposed
    assert accept.status_code == 409 and accept.json()["type"] == "no-acceptance-pending"
    client.command(f"{risk}/actions/{action_id}/complete", {}, "owner", "e2e-risk-action")
    client.command(f"{risk}/residual", {"likelihood": 2, "impact": 5}, "owner", "e2e-residual")
    client.command(f"{risk}/close", {"reason": "second provider live"}, "manager", "e2e-close")
    closed = client.get(risk).json()
    assert closed["status"] == "closed" and closed["level"] == "high"
    auditor = client.post(f"{risk}/reopen", {"reason": "x"}, "auditor")
    assert auditor.status_code == 403
    assert httpx.get(f"{client.http.base_url}{risk}").status_code == 401
