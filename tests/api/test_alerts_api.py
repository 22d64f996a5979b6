"""Alerts over HTTP: raised by the alerting policy from a red KRI, listed with filters,
paging and CSV, acknowledged and resolved only by those they are for, and resolved
by themselves when the KRI is back to green."""

from __future__ import annotations

from typing import Any

import pytest

from application.alerts import system_context
from domain.vocabulary import Role
from tests.api.policy_support import about, alerts, settle
from tests.api.support import Api, assert_problem

pytestmark = pytest.mark.shared_app
OWNER = "tech-tang"


def red_kri(api: Api, title: str) -> tuple[str, str]:
    risk = api.ok(
        "/risks",
        {"category": "technical", "title": title, "description": "d", "owner": OWNER},
        who=OWNER,
    )
    kri = api.ok(
        f"/risks/{risk['id']}/kris",
        {"name": "error rate", "metric": "errors", "direction": "above", "amber": 3, "red": 5},
        who=OWNER,
    )
    api.ok(f"/risks/{risk['id']}/kri-readings", {"kri_id": kri["kri_id"], "value": 7}, who=OWNER)
    return risk["id"], kri["kri_id"]


def test_a_red_kri_alerts_management_and_the_owner_until_it_is_green(api: Api) -> None:
    risk_id, kri_id = red_kri(api, "Payment gateway outage")
    (alert,) = about(alerts(api, kind="kri_red"), risk_id)
    assert alert["status"] == "open"
    assert alert["for_roles"] == ["management"] and alert["for_principals"] == [OWNER]
    assert alert["subject_type"] == "risk" and alert["cause_log"] == "risks"
    assert "error rate" in alert["summary"]
    events = api.events("alerts", alert["id"])
    assert events[0]["metadata"]["principal"] == "policy:alerting"
    assert events[0]["metadata"]["cause"]["position"] == alert["cause_position"]

    api.ok(f"/risks/{risk_id}/kri-readings", {"kri_id": kri_id, "value": 1}, who=OWNER)
    (resolved,) = about(alerts(api, kind="kri_red"), risk_id)
    assert resolved["status"] == "resolved" and resolved["resolved_automatically"]
    assert resolved["resolved_by"] == "policy:alerting"


def test_only_those_an_alert_is_for_acknowledge_and_resolve_it(api: Api) -> None:
    risk_id, _ = red_kri(api, "Data centre flood")
    (alert,) = about(alerts(api, kind="kri_red"), risk_id)
    path = f"/alerts/{alert['id']}"
    api.refused(
        "POST", f"{path}/acknowledgements", 403, "not-alert-recipient", who="fin-fan", json={}
    )
    api.refused("POST", f"{path}/acknowledgements", 403, who=Role.AUDITOR, json={})
    api.ok(f"{path}/acknowledgements", who=OWNER)
    api.refused(
        "POST",
        f"{path}/acknowledgements",
        409,
        "alert-already-acknowledged",
        who="mgmt-meng",
        json={},
    )
    api.ok(f"{path}/resolutions", {"note": "failover tested"}, who="mgmt-meng")
    api.refused("POST", f"{path}/resolutions", 409, "alert-already-resolved", who=OWNER, json={})
    state = api.state("alerts", alert["id"])
    assert state["status"] == "resolved" and state["resolution"] == "failover tested"
    assert state["acknowledged_by"] == OWNER and state["resolved_by"] == "mgmt-meng"
    assert [a["status"] for a in about(alerts(api), risk_id)] == ["resolved"]
    assert api.get(f"/alerts/{alert['id']}").status_code == 200


def test_alerts_filter_page_and_export_as_csv(api: Api) -> None:
    for title in ("Vendor lock-in", "Key person leaves"):
        red_kri(api, title)
    settle(api)
    first = api.get("/alerts", params={"status": "open", "limit": 1})
    assert first.status_code == 200, first.text
    body: dict[str, Any] = first.json()
    assert len(body["items"]) == 1 and body["next_cursor"]
    following = api.get(
        "/alerts", params={"status": "open", "limit": 1, "cursor": body["next_cursor"]}
    )
    assert following.json()["items"][0]["id"] != body["items"][0]["id"]
    assert all(a["status"] == "open" for a in alerts(api, status="open"))
    assert alerts(api, since="2199-01-01T00:00:00Z") == []
    csv = api.get("/alerts", headers={"Accept": "text/csv"}, params={"kind": "kri_red"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("id,version,kind,status")
    assert len(lines) - 1 == len(alerts(api, kind="kri_red"))
    assert_problem(api.get("/alerts", params={"status": "nope"}), 422)
    assert_problem(api.get("/alerts", params={"cursor": "bogus"}), 422)


def test_raising_an_alert_twice_for_one_cause_raises_it_once(api: Api) -> None:
    services = api.client.app.state.services  # type: ignore[attr-defined]
    risk_id, _ = red_kri(api, "Webhook receiver down")
    ctx = system_context("policy:webhooks", {"log": "risks", "position": 1})
    raised = [
        services.alerts.raise_alert(
            kind="webhook_failed",
            key=f"test:{risk_id}",
            subject_type="risk",
            subject_id=risk_id,
            summary="deliveries failed for 24 h",
            ctx=ctx,
        )
        for _ in range(2)
    ]
    assert raised[0].id == raised[1].id
    found = about(alerts(api, kind="webhook_failed"), risk_id)
    assert len(found) == 1 and found[0]["for_roles"] == ["technology", "management"]
