"""/risks over HTTP: every route, its statuses, problem types and role checks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from application.services import Services
from demo import load_risks_demo
from domain.risk import RiskCategory, RiskLevel, RiskStatus
from tests.api.support import (
    PROBLEM_JSON,
    Api,
    Tokens,
    assert_problem,
)
from tests.support.refusals import stored_event_count

# The tests make aggregates of their own: one store and app for the module.
pytestmark = pytest.mark.shared_app

OWNER = "tech-tang"
MANAGER = "mgmt-meng"
BOARD = "board-bai"
STRANGER = "ops-ou"
AUDITOR = "audit-an"
TODAY = datetime.now(UTC).date()
NEXT_YEAR = (TODAY + timedelta(days=365)).isoformat()

RISK = {
    "category": "technical",
    "title": "Payment gateway outage",
    "description": "The single payment provider fails during a sale.",
    "owner": OWNER,
    "department": "technology",
    "cause": "one provider, no failover",
    "event": "checkout unavailable for hours",
    "consequence": "lost orders and complaints",
}


def identify(api: Api, who: str = STRANGER, **overrides: Any) -> str:
    return str(api.ok("/risks", {**RISK, **overrides}, who=who)["id"])


def assessed(api: Api, likelihood: int = 4, impact: int = 4) -> str:
    risk_id = identify(api)
    api.ok(f"/risks/{risk_id}/assess", {"likelihood": likelihood, "impact": impact}, who=OWNER)
    return risk_id


def planned(api: Api, *titles: str) -> tuple[str, list[str]]:
    risk_id = assessed(api)
    actions = [{"title": t, "owner": "dev-du", "due": NEXT_YEAR} for t in titles or ("fix",)]
    answer = api.ok(
        f"/risks/{risk_id}/treatment", {"strategy": "reduce", "actions": actions}, who=OWNER
    )
    return risk_id, list(answer["action_ids"])


def pending(api: Api, likelihood: int = 4, impact: int = 4, who: str = OWNER) -> str:
    risk_id = assessed(api, likelihood, impact)
    api.ok(f"/risks/{risk_id}/treatment", {"strategy": "accept", "actions": []}, who=who)
    return risk_id


def with_kri(api: Api, direction: str = "above", reporter: str | None = None) -> tuple[str, str]:
    risk_id = assessed(api)
    amber, red = ("5", "10") if direction == "above" else ("99.5", "99.0")
    response = api.post(
        f"/risks/{risk_id}/kris",
        {"name": "errors", "metric": "failed checkouts", "direction": direction,
         "amber": amber, "red": red, "unit": "‰", "reporter": reporter},
        who=OWNER,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return risk_id, str(response.json()["kri_id"])


# --- Identify and read ------------------------------------------------------------


@pytest.mark.parametrize(
    "who",
    ["board-bai", "mgmt-meng", "ops-ou", "mkt-ma", "sales-su", "cs-anna", "fin-fan", "hr-he",
     "tech-tang"],
)  # fmt: skip
def test_any_department_head_identifies_a_risk(api: Api, who: str) -> None:
    response = api.post("/risks", RISK, who=who)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert response.headers["location"] == f"/risks/{answer['id']}"
    assert answer["version"] == 1 and answer["position"].startswith("risks:")
    state = api.state("risks", answer["id"])
    assert state["status"] == "identified"
    assert state["identified_by"] == who
    assert (state["cause"], state["event"], state["consequence"]) == (
        RISK["cause"],
        RISK["event"],
        RISK["consequence"],
    )


def test_the_fixed_body_alone_identifies_a_risk(api: Api) -> None:
    body = {k: RISK[k] for k in ("category", "title", "description", "owner")}
    risk_id = str(api.ok("/risks", body, who=STRANGER)["id"])
    assert api.state("risks", risk_id)["department"] is None


def test_auditor_and_anonymous_cannot_identify(api: Api) -> None:
    problem = api.refused("POST", "/risks", 403, "role-not-allowed", who=AUDITOR, json=RISK)
    assert "auditor" not in problem["required_roles"]
    api.refused("POST", "/risks", 401, "unauthenticated", who=None, json=RISK)


@pytest.mark.parametrize(
    ("change", "field"),
    [({"category": "weather"}, "category"), ({"owner": ""}, "owner"), ({"title": None}, "title"),
     ({"colour": "red"}, "colour"), ({"department": "it"}, "department")],
)  # fmt: skip
def test_invalid_identification_is_422(api: Api, change: dict[str, Any], field: str) -> None:
    api.refused(
        "POST", "/risks", 422, "invalid-request", who=STRANGER, json={**RISK, **change},
        fields=(field,),
    )  # fmt: skip


def test_reads_by_version_as_of_and_events_for_the_auditor(api: Api) -> None:
    risk_id = assessed(api, 5, 5)
    state = api.state("risks", risk_id)
    assert state["inherent"] == {"likelihood": 5, "impact": 5, "score": 25, "level": "critical"}
    assert state["level"] == "critical" and state["version"] == 2
    assert state["next_review_due"] is not None and state["review_overdue"] is False
    assert api.state("risks", risk_id, version=1)["status"] == "identified"
    events = api.events("risks", risk_id)
    assert [e["type"] for e in events] == ["Identified", "Assessed"]
    assert events[1]["metadata"]["principal"] == OWNER
    assert events[1]["payload"]["level"] == "critical"
    as_of = api.get(f"/risks/{risk_id}", params={"as_of": events[0]["timestamp"]})
    assert as_of.status_code == 200 and as_of.json()["version"] == 1


def test_unknown_risk_is_404(api: Api) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_problem(api.get(f"/risks/{unknown}"), 404, "not-found")
    assert_problem(api.get(f"/risks/{unknown}/events"), 404, "not-found")
    api.refused(
        "POST", f"/risks/{unknown}/assess", 404, "not-found", who=OWNER,
        json={"likelihood": 1, "impact": 1},
    )  # fmt: skip


# --- Assess ----------------------------------------------------------------------------


def test_owner_or_management_assesses_and_others_are_refused(api: Api) -> None:
    risk_id = identify(api)
    body = {"likelihood": 2, "impact": 3}
    api.refused("POST", f"/risks/{risk_id}/assess", 403, "not-risk-owner", who=STRANGER, json=body)
    api.refused("POST", f"/risks/{risk_id}/assess", 403, "not-risk-owner", who=BOARD, json=body)
    api.refused("POST", f"/risks/{risk_id}/assess", 403, "role-not-allowed", who=AUDITOR, json=body)
    api.ok(f"/risks/{risk_id}/assess", body, who=MANAGER)
    assert api.state("risks", risk_id)["level"] == "medium"


@pytest.mark.parametrize(
    "body",
    [{"likelihood": 0, "impact": 3}, {"likelihood": 6, "impact": 3}, {"likelihood": 3, "impact": 0},
     {"likelihood": 3, "impact": 6}, {"likelihood": 3}, {"likelihood": "x", "impact": 1}],
)  # fmt: skip
def test_out_of_range_scores_are_422(api: Api, body: dict[str, Any]) -> None:
    risk_id = identify(api)
    api.refused("POST", f"/risks/{risk_id}/assess", 422, "invalid-request", who=OWNER, json=body)


def test_inherent_assessment_is_locked_after_treatment(api: Api) -> None:
    risk_id, _ = planned(api)
    api.refused(
        "POST", f"/risks/{risk_id}/assess", 409, "inherent-assessment-locked", who=OWNER,
        json={"likelihood": 1, "impact": 1},
    )  # fmt: skip


# --- Treatment and actions -----------------------------------------------------------------


def test_treatment_answers_its_action_ids_and_actions_move_the_risk(api: Api) -> None:
    risk_id, (first, second) = planned(api, "second provider", "failover drill")
    state = api.state("risks", risk_id)
    assert state["status"] == "treatment_planned" and state["strategy"] == "reduce"
    assert [a["action_id"] for a in state["actions"]] == [first, second]
    assert state["actions"][0]["due"] == NEXT_YEAR and state["open_actions"] == 2
    api.ok(f"/risks/{risk_id}/actions/{first}/start", who=OWNER)
    assert api.state("risks", risk_id)["status"] == "treating"
    api.ok(f"/risks/{risk_id}/actions/{first}/complete", {"note": "signed"}, who=OWNER)
    api.ok(
        f"/risks/{risk_id}/actions/{second}/complete",
        {"completed_on": TODAY.isoformat()},
        who=MANAGER,
    )
    state = api.state("risks", risk_id)
    assert state["status"] == "monitoring" and state["open_actions"] == 0
    assert state["actions"][0]["note"] == "signed"


def test_action_refusals(api: Api) -> None:
    risk_id, (only,) = planned(api)
    base = f"/risks/{risk_id}/actions"
    unknown = "00000000-0000-4000-8000-000000000000"
    api.refused("POST", f"{base}/{unknown}/complete", 404, "not-found", who=OWNER, json={})
    api.refused("POST", f"{base}/{unknown}/start", 404, "not-found", who=OWNER, json={})
    api.refused("POST", f"{base}/{only}/complete", 403, "not-action-owner", who=STRANGER, json={})
    tomorrow = (TODAY + timedelta(days=2)).isoformat()
    api.refused(
        "POST", f"{base}/{only}/complete", 422, "date-in-future", who=OWNER,
        json={"completed_on": tomorrow}, fields=("completed_on",),
    )  # fmt: skip
    api.ok(f"{base}/{only}/start", who=OWNER)
    api.refused("POST", f"{base}/{only}/start", 409, "action-already-started", who=OWNER, json={})
    api.ok(f"{base}/{only}/complete", who=OWNER)
    api.refused(
        "POST", f"{base}/{only}/complete", 409, "action-already-completed", who=OWNER, json={}
    )


def test_treatment_refusals(api: Api) -> None:
    risk_id = identify(api)
    action = [{"title": "insure", "owner": OWNER, "due": NEXT_YEAR}]
    api.refused(
        "POST", f"/risks/{risk_id}/treatment", 409, "risk-not-assessed", who=OWNER,
        json={"strategy": "reduce", "actions": action},
    )  # fmt: skip
    api.ok(f"/risks/{risk_id}/assess", {"likelihood": 3, "impact": 3}, who=OWNER)
    api.refused(
        "POST", f"/risks/{risk_id}/treatment", 422, "counterparty-required", who=OWNER,
        json={"strategy": "transfer", "actions": action}, fields=("counterparty",),
    )  # fmt: skip
    api.refused(
        "POST", f"/risks/{risk_id}/treatment", 422, "treatment-actions-required", who=OWNER,
        json={"strategy": "avoid", "actions": []}, fields=("actions",),
    )  # fmt: skip
    api.refused(
        "POST", f"/risks/{risk_id}/treatment", 422, "invalid-request", who=OWNER,
        json={"strategy": "ignore", "actions": []}, fields=("strategy",),
    )  # fmt: skip
    api.refused(
        "POST", f"/risks/{risk_id}/treatment", 403, "not-risk-owner", who=STRANGER,
        json={"strategy": "accept", "actions": []},
    )  # fmt: skip
    answer = api.ok(
        f"/risks/{risk_id}/treatment",
        {"strategy": "transfer", "counterparty": "PICC", "actions": action},
        who=OWNER,
    )
    assert len(answer["action_ids"]) == 1
    assert api.state("risks", risk_id)["counterparty"] == "PICC"


# --- Acceptance ----------------------------------------------------------------------------


def test_high_risk_acceptance_needs_the_board_never_the_proposer_and_an_expiry(api: Api) -> None:
    risk_id = pending(api, 4, 4)
    assert api.state("risks", risk_id)["status"] == "acceptance_pending"
    path = f"/risks/{risk_id}/acceptance"
    approve = {"approved": True, "expires_on": NEXT_YEAR}
    api.refused("POST", path, 403, "role-not-allowed", who=OWNER, json=approve)
    api.refused("POST", path, 403, "role-not-allowed", who=AUDITOR, json=approve)
    api.refused("POST", path, 403, "acceptance-authority-missing", who=MANAGER, json=approve)
    api.refused(
        "POST", path, 422, "acceptance-expiry-required", who=BOARD, json={"approved": True},
        fields=("expires_on",),
    )  # fmt: skip
    api.refused(
        "POST", path, 422, "acceptance-expiry-not-in-future", who=BOARD,
        json={"approved": True, "expires_on": TODAY.isoformat()}, fields=("expires_on",),
    )  # fmt: skip
    # §8.2.4: beyond likelihood 2 and impact 2, the board writes its justification.
    api.refused(
        "POST", path, 422, "acceptance-justification-required", who=BOARD, json=approve,
        fields=("justification",),
    )  # fmt: skip
    api.ok(path, {**approve, "justification": "exit from the product within the year"}, who=BOARD)
    state = api.state("risks", risk_id)
    assert state["status"] == "accepted"
    assert state["acceptance"]["justification"] == "exit from the product within the year"
    assert api.events("risks", risk_id)[-1]["payload"]["justification"] == (
        "exit from the product within the year"
    )
    assert state["acceptance"]["approved_by"] == BOARD
    assert state["acceptance"]["expires_on"] == NEXT_YEAR
    assert state["acceptance"]["level"] == "high" and state["acceptance"]["expired"] is False
    api.refused("POST", path, 409, "no-acceptance-pending", who=BOARD, json=approve)


def test_acceptance_within_the_limits_by_management_but_never_the_proposer(api: Api) -> None:
    proposed_by_manager = pending(api, 2, 2, who=MANAGER)
    api.refused(
        "POST", f"/risks/{proposed_by_manager}/acceptance", 403,
        "proposer-cannot-decide-acceptance", who=MANAGER,
        json={"approved": True, "expires_on": NEXT_YEAR},
    )  # fmt: skip
    risk_id = pending(api, 2, 2)
    api.ok(f"/risks/{risk_id}/acceptance", {"approved": True, "expires_on": NEXT_YEAR}, who=MANAGER)
    state = api.state("risks", risk_id)
    assert state["status"] == "accepted" and state["acceptance"]["justification"] is None


def test_rejected_acceptance_needs_a_reason_and_returns_to_assessed(api: Api) -> None:
    risk_id = pending(api, 2, 3)
    path = f"/risks/{risk_id}/acceptance"
    api.refused(
        "POST", path, 422, "rejection-reason-required", who=MANAGER, json={"approved": False}
    )
    api.ok(path, {"approved": False, "reason": "too likely; reduce it"}, who=MANAGER)
    assert api.state("risks", risk_id)["status"] == "assessed"


def test_a_pending_acceptance_blocks_a_new_plan_and_a_new_plan_cancels_open_actions(
    api: Api,
) -> None:
    risk_id = pending(api, 2, 3)
    reduce = {"strategy": "reduce", "actions": [{"title": "t", "owner": OWNER, "due": NEXT_YEAR}]}
    api.refused(
        "POST", f"/risks/{risk_id}/treatment", 409, "acceptance-decision-pending", who=OWNER,
        json=reduce,
    )  # fmt: skip
    planned_id, (old,) = planned(api)
    api.ok(f"/risks/{planned_id}/treatment", reduce, who=OWNER)
    assert api.state("risks", planned_id)["actions"][0]["status"] == "cancelled"
    api.refused(
        "POST", f"/risks/{planned_id}/actions/{old}/complete", 409, "action-cancelled",
        who=OWNER, json={},
    )  # fmt: skip


# --- Residual --------------------------------------------------------------------------------


def test_residual_never_above_inherent_and_lower_only_after_a_completed_action(api: Api) -> None:
    risk_id, (only,) = planned(api)
    path = f"/risks/{risk_id}/residual"
    api.refused(
        "POST", path, 409, "residual-above-inherent", who=OWNER,
        json={"likelihood": 5, "impact": 4},
    )  # fmt: skip
    api.refused(
        "POST", path, 409, "residual-reduction-unearned", who=OWNER,
        json={"likelihood": 2, "impact": 2},
    )  # fmt: skip
    api.ok(f"/risks/{risk_id}/actions/{only}/complete", who=OWNER)
    api.ok(path, {"likelihood": 2, "impact": 2}, who=OWNER)
    state = api.state("risks", risk_id)
    assert state["residual"] == {"likelihood": 2, "impact": 2, "score": 4, "level": "low"}
    assert state["level"] == "low" and state["inherent"]["level"] == "high"


# --- KRIs and readings ----------------------------------------------------------------------


def test_kri_is_created_with_its_own_id_and_location(api: Api) -> None:
    risk_id, kri_id = with_kri(api)
    response = api.get(f"/risks/{risk_id}/kris/{kri_id}")
    assert response.status_code == 200
    kri = response.json()
    assert (kri["amber"], kri["red"], kri["direction"]) == ("5", "10", "above")
    assert kri["status"] == "green" and kri["readings"] == 0
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_problem(api.get(f"/risks/{risk_id}/kris/{unknown}"), 404, "not-found")
    second = api.post(
        f"/risks/{risk_id}/kris",
        {"name": "latency", "metric": "p95 ms", "direction": "above", "amber": 800, "red": 1500},
        who=MANAGER,
    )
    assert second.status_code == 201
    assert second.headers["location"] == f"/risks/{risk_id}/kris/{second.json()['kri_id']}"


@pytest.mark.parametrize(
    ("direction", "amber", "red"),
    [("above", "10", "5"), ("above", "5", "5.00"), ("below", "95", "99"), ("below", "1", "1")],
)
def test_kri_thresholds_out_of_order_are_422(
    api: Api, direction: str, amber: str, red: str
) -> None:
    risk_id = assessed(api)
    api.refused(
        "POST", f"/risks/{risk_id}/kris", 422, "kri-thresholds-out-of-order", who=OWNER,
        json={"name": "k", "metric": "m", "direction": direction, "amber": amber, "red": red},
        fields=("amber", "red"),
    )  # fmt: skip


def test_kri_refusals(api: Api) -> None:
    risk_id, _ = with_kri(api)
    body = {"name": "errors", "metric": "m", "direction": "above", "amber": "1", "red": "2"}
    api.refused("POST", f"/risks/{risk_id}/kris", 409, "kri-name-taken", who=OWNER, json=body)
    fresh = {**body, "name": "fresh"}
    api.refused("POST", f"/risks/{risk_id}/kris", 403, "not-risk-owner", who=STRANGER, json=fresh)
    api.refused(
        "POST", f"/risks/{risk_id}/kris", 422, "invalid-request", who=OWNER,
        json={**fresh, "direction": "sideways"}, fields=("direction",),
    )  # fmt: skip
    api.refused(
        "POST", f"/risks/{risk_id}/kris", 422, "invalid-request", who=OWNER,
        json={**fresh, "red": "NaN"}, fields=("red",),
    )  # fmt: skip


def test_readings_raise_an_early_warning_and_clear_it(api: Api) -> None:
    risk_id, kri_id = with_kri(api, reporter="cs-anna")
    path = f"/risks/{risk_id}/kri-readings"
    api.ok(path, {"kri_id": kri_id, "value": "3"}, who="tech-tang")
    api.ok(path, {"kri_id": kri_id, "value": "5"}, who=MANAGER)
    api.ok(path, {"kri_id": kri_id, "value": 12.5}, who="cs-anna")
    state = api.state("risks", risk_id)
    assert state["kris"][0]["status"] == "red"
    assert state["open_early_warnings"] == 1
    assert state["early_warnings"][0]["value"] == "12.5"
    api.ok(path, {"kri_id": kri_id, "value": "1"}, who=OWNER)
    types = [e["type"] for e in api.events("risks", risk_id)]
    assert types[-7:] == [
        "KriReadingRecorded",
        "KriReadingRecorded",
        "KriWatchRaised",
        "KriReadingRecorded",
        "EarlyWarningRaised",
        "KriReadingRecorded",
        "KriBackToNormal",
    ]
    state = api.state("risks", risk_id)
    assert state["open_early_warnings"] == 0 and state["kris"][0]["readings"] == 4
    assert [r["status"] for r in state["kris"][0]["recent"]] == ["green", "amber", "red", "green"]


def test_reading_refusals(api: Api) -> None:
    risk_id, kri_id = with_kri(api)
    path = f"/risks/{risk_id}/kri-readings"
    unknown = "00000000-0000-4000-8000-000000000000"
    api.refused(
        "POST", path, 422, "unknown-kri", who=OWNER, json={"kri_id": unknown, "value": "1"},
        fields=("kri_id",),
    )  # fmt: skip
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    api.refused(
        "POST", path, 422, "date-in-future", who=OWNER,
        json={"kri_id": kri_id, "value": "1", "observed_at": later}, fields=("observed_at",),
    )  # fmt: skip
    api.refused(
        "POST", path, 422, "invalid-request", who=OWNER, json={"kri_id": kri_id, "value": "abc"}
    )
    api.refused(
        "POST", path, 403, "role-not-allowed", who=AUDITOR, json={"kri_id": kri_id, "value": "1"}
    )
    api.ok(path, {"kri_id": kri_id, "value": "1"}, who=OWNER)
    earlier = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    api.refused(
        "POST", path, 409, "kri-reading-out-of-order", who=OWNER,
        json={"kri_id": kri_id, "value": "1", "observed_at": earlier},
    )  # fmt: skip


# --- Reviews, close, reopen ---------------------------------------------------------------------


def test_reviews_set_the_next_review_date(api: Api) -> None:
    risk_id = assessed(api, 5, 5)
    path = f"/risks/{risk_id}/reviews"
    api.ok(path, {"note": "still critical", "reviewed_on": TODAY.isoformat()}, who=MANAGER)
    state = api.state("risks", risk_id)
    assert state["reviews"] == 1 and state["last_reviewed_on"] == TODAY.isoformat()
    due = date.fromisoformat(state["next_review_due"])
    assert 28 <= (due - TODAY).days <= 31  # critical: monthly
    api.refused(
        "POST", path, 422, "date-in-future", who=OWNER,
        json={"note": "n", "reviewed_on": (TODAY + timedelta(days=3)).isoformat()},
    )  # fmt: skip
    api.refused(
        "POST", path, 409, "review-out-of-order", who=OWNER,
        json={"note": "n", "reviewed_on": (TODAY - timedelta(days=3)).isoformat()},
    )  # fmt: skip
    api.refused("POST", path, 403, "not-risk-owner", who=STRANGER, json={"note": "n"})
    api.refused("POST", path, 422, "invalid-request", who=OWNER, json={})


def test_close_only_without_open_actions_then_reopen(api: Api) -> None:
    risk_id, (only,) = planned(api)
    reason = {"reason": "second provider is live"}
    api.refused(
        "POST", f"/risks/{risk_id}/close", 409, "open-actions-remain", who=OWNER, json=reason
    )
    api.refused("POST", f"/risks/{risk_id}/reopen", 409, "risk-not-closed", who=OWNER, json=reason)
    api.ok(f"/risks/{risk_id}/actions/{only}/complete", who=OWNER)
    api.refused("POST", f"/risks/{risk_id}/close", 403, "not-risk-owner", who=STRANGER, json=reason)
    api.refused("POST", f"/risks/{risk_id}/close", 422, "invalid-request", who=OWNER, json={})
    api.ok(f"/risks/{risk_id}/close", reason, who=OWNER)
    assert api.state("risks", risk_id)["status"] == "closed"
    api.refused(
        "POST", f"/risks/{risk_id}/reviews", 409, "risk-closed", who=OWNER, json={"note": "n"}
    )
    api.ok(f"/risks/{risk_id}/reopen", {"reason": "outage again"}, who=MANAGER)
    state = api.state("risks", risk_id)
    assert state["status"] == "reopened" and state["reopen_count"] == 1
    api.ok(f"/risks/{risk_id}/assess", {"likelihood": 5, "impact": 4}, who=OWNER)
    assert api.state("risks", risk_id)["level"] == "critical"


# --- Conventions on /risks --------------------------------------------------------------------


def test_if_match_and_idempotency_on_risk_commands(api: Api) -> None:
    risk_id = assessed(api)
    body = {"name": "k", "metric": "m", "direction": "above", "amber": "1", "red": "2"}
    api.refused(
        "POST", f"/risks/{risk_id}/kris", 412, "version-mismatch", who=OWNER, json=body,
        headers={"If-Match": '"1"'},
    )  # fmt: skip
    headers = {"Idempotency-Key": "kri-k", "If-Match": '"2"'}
    first = api.post(f"/risks/{risk_id}/kris", body, who=OWNER, headers=headers)
    assert first.status_code == 201
    with api.no_new_events():
        again = api.post(f"/risks/{risk_id}/kris", body, who=OWNER, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    api.refused(
        "POST", f"/risks/{risk_id}/kris", 422, "idempotency-key-reused", who=OWNER,
        json={**body, "name": "other"}, headers={"Idempotency-Key": "kri-k"},
    )  # fmt: skip


COMMANDS = [
    "/risks/{risk}/assess",
    "/risks/{risk}/treatment",
    "/risks/{risk}/actions/{action}/start",
    "/risks/{risk}/actions/{action}/complete",
    "/risks/{risk}/acceptance",
    "/risks/{risk}/residual",
    "/risks/{risk}/kris",
    "/risks/{risk}/kri-readings",
    "/risks/{risk}/reviews",
    "/risks/{risk}/close",
    "/risks/{risk}/reopen",
]


def test_the_auditor_reads_every_risk_route_but_commands_none(api: Api) -> None:
    risk_id, (action_id,) = planned(api)
    for template in ["/risks", *COMMANDS]:
        path = template.format(risk=risk_id, action=action_id)
        api.refused("POST", path, 403, "role-not-allowed", who=AUDITOR, json={})
    assert api.get(f"/risks/{risk_id}", who=AUDITOR).status_code == 200
    assert api.get(f"/risks/{risk_id}/events", who=AUDITOR).status_code == 200


JUNK: list[Any] = [
    None, [], {}, -1, 10**30, True, "", "x" * 10_001, "NaN", "1e999", "not-a-uuid",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", 1.005, "2030-02-30",
]  # fmt: skip

VALID: dict[str, dict[str, Any]] = {
    "/risks": RISK,
    "/risks/{risk}/assess": {"likelihood": 3, "impact": 3},
    "/risks/{risk}/treatment": {
        "strategy": "reduce",
        "counterparty": "x",
        "actions": [{"title": "t", "owner": "o", "due": "2030-01-01"}],
    },
    "/risks/{risk}/actions/{action}/complete": {"completed_on": "2020-01-01", "note": "n"},
    "/risks/{risk}/acceptance": {"approved": True, "expires_on": "2030-01-01", "reason": "r"},
    "/risks/{risk}/residual": {"likelihood": 3, "impact": 3},
    "/risks/{risk}/kris": {
        "name": "n",
        "metric": "m",
        "direction": "above",
        "amber": "1",
        "red": "2",
        "unit": "u",
    },
    "/risks/{risk}/kri-readings": {
        "kri_id": "{kri}",
        "value": "1",
        "observed_at": "2020-01-01T00:00:00Z",
    },
    "/risks/{risk}/reviews": {"note": "n", "reviewed_on": "2020-01-01"},
    "/risks/{risk}/close": {"reason": "r"},
    "/risks/{risk}/reopen": {"reason": "r"},
}


@pytest.mark.fresh_app  # its own store
def test_junk_in_any_field_never_causes_a_500(settings: Settings, tokens: Tokens) -> None:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        api = Api(client, tokens)
        risk_id, (action_id,) = planned(api)
        kri_id = str(
            api.ok(f"/risks/{risk_id}/kris", VALID["/risks/{risk}/kris"], who=OWNER)["kri_id"]
        )
        failures = []
        for template, valid in VALID.items():
            path = template.format(risk=risk_id, action=action_id)
            body = {k: (kri_id if v == "{kri}" else v) for k, v in valid.items()}
            for field in body:
                for junk in JUNK:
                    response = api.post(
                        path,
                        who="root-all",
                        content=json.dumps({**body, field: junk}).encode(),
                        headers={"Content-Type": "application/json"},
                    )
                    if response.status_code >= 500 or (
                        response.status_code >= 400
                        and not response.headers["content-type"].startswith(PROBLEM_JSON)
                    ):
                        failures.append(f"{template} {field}={junk!r:.40}: {response.text:.200}")
        assert not failures, "\n".join(failures[:30])


# --- Demo data ------------------------------------------------------------------------------


@pytest.mark.fresh_app  # its own store
def test_the_demo_register_is_believable_and_reruns_write_nothing(services: Services) -> None:
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    made = load_risks_demo(services, now=now)
    events = stored_event_count(services.risks)
    assert load_risks_demo(services, now=now + timedelta(days=1)) == made >= 20
    assert stored_event_count(services.risks) == events
    notifications = services.risks.recorder.select_notifications(start=None, limit=10_000)
    ids = list(dict.fromkeys(UUID(str(n.originator_id)) for n in notifications))
    register = [services.risks.get_risk(risk_id) for risk_id in ids]
    assert len(register) == made
    assert {r.category for r in register} == set(RiskCategory)
    assert {r.current_level for r in register} >= set(RiskLevel)
    statuses = {r.status for r in register}
    assert statuses >= {
        RiskStatus.IDENTIFIED, RiskStatus.ASSESSED, RiskStatus.TREATMENT_PLANNED,
        RiskStatus.TREATING, RiskStatus.MONITORING, RiskStatus.ACCEPTANCE_PENDING,
        RiskStatus.ACCEPTED, RiskStatus.CLOSED,
    }  # fmt: skip
    assert sum(len(r.open_early_warnings) for r in register) >= 2
    assert any(r.reopen_count for r in register)
    assert any(r.review_overdue(now.date()) for r in register)
    assert sum(k["readings"] for r in register for k in r.kris.values()) >= 150
