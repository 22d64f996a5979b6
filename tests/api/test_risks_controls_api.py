"""/risks over HTTP: the controls that cannot be split around (DOMAIN.md; §8.2, §8.2.4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.support import Api
from tests.api.test_risks_api import (
    BOARD,
    MANAGER,
    NEXT_YEAR,
    OWNER,
    STRANGER,
    assessed,
    identify,
    pending,
    with_kri,
)
from tests.support.clock import Clock

pytestmark = pytest.mark.shared_app

REPORTER = "cs-anna"
REAL_NOW = datetime.now(UTC)


def listed(api: Api, risk_id: str, position: str) -> dict[str, Any]:
    """The risk's item in GET /risks, once the projection has seen ``position``."""
    response = api.get("/risks", params={"min_position": position, "owner": OWNER, "limit": 200})
    assert response.status_code == 200, response.text
    (item,) = [i for i in response.json()["items"] if i["id"] == risk_id]
    return dict(item)


def reduce_plan(api: Api, risk_id: str, title: str) -> str:
    plan = {"strategy": "reduce", "actions": [{"title": title, "owner": OWNER, "due": NEXT_YEAR}]}
    (action_id,) = api.ok(f"/risks/{risk_id}/treatment", plan, who=OWNER)["action_ids"]
    return str(action_id)


def complete(api: Api, risk_id: str, action_id: str) -> None:
    api.ok(f"/risks/{risk_id}/actions/{action_id}/complete", {}, who=OWNER)


def test_acceptance_authority_follows_the_higher_of_inherent_and_current_level(api: Api) -> None:
    risk_id = assessed(api, 5, 5)
    complete(api, risk_id, reduce_plan(api, risk_id, "write a wiki page"))
    api.ok(f"/risks/{risk_id}/residual", {"likelihood": 1, "impact": 1}, who=OWNER)
    api.ok(f"/risks/{risk_id}/treatment", {"strategy": "accept", "actions": []}, who=OWNER)
    assert api.state("risks", risk_id)["level"] == "low"
    path, approve = f"/risks/{risk_id}/acceptance", {"approved": True, "expires_on": NEXT_YEAR}
    problem = api.refused(
        "POST", path, 403, "acceptance-authority-missing", who=MANAGER, json=approve
    )
    assert "critical" in problem["detail"] and "board" in problem["detail"]
    assert (problem["current_level"], problem["authority_level"]) == ("low", "critical")
    assert problem["roles_needed"] == "board"
    api.ok(path, approve, who=BOARD)
    assert api.state("risks", risk_id)["status"] == "accepted"


@pytest.mark.parametrize(("likelihood", "impact"), [(2, 3), (3, 2)])
def test_beyond_the_limits_only_the_board_accepts(api: Api, likelihood: int, impact: int) -> None:
    risk_id = pending(api, likelihood, impact)
    body = {"approved": True, "expires_on": NEXT_YEAR, "justification": "we can live with it"}
    problem = api.refused(
        "POST", f"/risks/{risk_id}/acceptance", 403, "acceptance-beyond-limits", who=MANAGER,
        json=body,
    )  # fmt: skip
    assert f"likelihood {likelihood} (limit 2)" in problem["detail"]
    assert f"impact {impact} (limit 2)" in problem["detail"]
    figures = ("likelihood", "likelihood_limit", "impact", "impact_limit")
    assert [problem[name] for name in figures] == [likelihood, 2, impact, 2]
    api.refused(
        "POST", f"/risks/{risk_id}/acceptance", 422, "acceptance-justification-required",
        who=BOARD, json={**body, "justification": None}, fields=("justification",),
    )  # fmt: skip
    api.ok(f"/risks/{risk_id}/acceptance", body, who=BOARD)
    assert api.state("risks", risk_id)["acceptance"]["justification"] == "we can live with it"


def test_only_completed_actions_of_the_current_plan_earn_a_reduction(api: Api) -> None:
    risk_id = assessed(api, 4, 4)
    complete(api, risk_id, reduce_plan(api, risk_id, "first plan's action"))
    second = reduce_plan(api, risk_id, "second plan's action")
    lower = {"likelihood": 2, "impact": 4}
    problem = api.refused(
        "POST", f"/risks/{risk_id}/residual", 409, "residual-reduction-unearned", who=OWNER,
        json=lower,
    )  # fmt: skip
    assert "current treatment plan" in problem["detail"]
    complete(api, risk_id, second)
    api.ok(f"/risks/{risk_id}/residual", lower, who=OWNER)


def test_after_reopening_earlier_actions_earn_no_reduction(api: Api) -> None:
    risk_id = assessed(api, 4, 4)
    complete(api, risk_id, reduce_plan(api, risk_id, "done before closing"))
    api.ok(f"/risks/{risk_id}/close", {"reason": "gone"}, who=OWNER)
    api.ok(f"/risks/{risk_id}/reopen", {"reason": "back"}, who=OWNER)
    api.ok(f"/risks/{risk_id}/assess", {"likelihood": 4, "impact": 4}, who=OWNER)
    api.refused(
        "POST", f"/risks/{risk_id}/residual", 409, "residual-reduction-unearned", who=OWNER,
        json={"likelihood": 1, "impact": 4},
    )  # fmt: skip


@pytest.mark.parametrize("clock_start", [REAL_NOW - timedelta(days=40)])
def test_an_acceptance_lapses_at_its_expiry_and_the_risk_is_reassessed(
    api: Api, clock: Clock
) -> None:
    risk_id = pending(api, 1, 2)
    expiry = (clock.now + timedelta(days=10)).date().isoformat()
    answer = api.ok(
        f"/risks/{risk_id}/acceptance", {"approved": True, "expires_on": expiry}, who=MANAGER
    )
    clock.now = REAL_NOW
    state = api.state("risks", risk_id)
    assert (state["status"], state["acceptance_lapsed"]) == ("accepted", True)
    assert state["acceptance"]["expired"] is True
    assert listed(api, risk_id, answer["position"])["acceptance_lapsed"] is True
    problem = api.refused(
        "POST", f"/risks/{risk_id}/close", 409, "acceptance-lapsed", who=OWNER,
        json={"reason": "stable"},
    )  # fmt: skip
    assert expiry in problem["detail"]
    api.refused(
        "POST", f"/risks/{risk_id}/treatment", 409, "acceptance-lapsed", who=OWNER,
        json={"strategy": "accept", "actions": []},
    )  # fmt: skip
    answer = api.ok(f"/risks/{risk_id}/residual", {"likelihood": 1, "impact": 2}, who=OWNER)
    item = listed(api, risk_id, answer["position"])
    assert (item["status"], item["acceptance_lapsed"]) == ("assessed", False)
    types = [e["type"] for e in api.events("risks", risk_id)]
    assert types[-2:] == ["AcceptanceLapsed", "ResidualAssessed"]
    state = api.state("risks", risk_id)
    assert (state["status"], state["acceptance"], state["acceptance_lapsed"]) == (
        "assessed",
        None,
        False,
    )
    api.ok(f"/risks/{risk_id}/close", {"reason": "reassessed: gone"}, who=OWNER)


def test_kri_readings_from_the_owner_management_or_the_named_reporter(api: Api) -> None:
    risk_id, kri_id = with_kri(api, reporter=REPORTER)
    assert api.state("risks", risk_id)["kris"][0]["reporter"] == REPORTER
    path = f"/risks/{risk_id}/kri-readings"
    for who in (OWNER, MANAGER, REPORTER):
        api.ok(path, {"kri_id": kri_id, "value": "1"}, who=who)
    problem = api.refused(
        "POST", path, 403, "not-kri-reporter", who="fin-fan", json={"kri_id": kri_id, "value": "1"}
    )
    assert "fin-fan" in problem["detail"]
    api.refused(
        "POST", path, 403, "role-not-allowed", who="audit-an", json={"kri_id": kri_id, "value": "1"}
    )


def test_an_unknown_kri_is_answered_only_after_the_ownership_check(api: Api) -> None:
    risk_id, _ = with_kri(api, reporter=REPORTER)
    unknown = {"kri_id": "00000000-0000-4000-8000-000000000000", "value": "1"}
    path = f"/risks/{risk_id}/kri-readings"
    api.refused("POST", path, 403, "not-kri-reporter", who=STRANGER, json=unknown)
    api.refused("POST", path, 403, "not-kri-reporter", who=REPORTER, json=unknown)
    api.refused("POST", path, 422, "unknown-kri", who=OWNER, json=unknown, fields=("kri_id",))


def test_a_risk_never_assessed_cannot_be_closed(api: Api) -> None:
    risk_id = identify(api)
    for who in (OWNER, MANAGER):
        api.refused(
            "POST", f"/risks/{risk_id}/close", 409, "close-before-assessment", who=who,
            json={"reason": "never mind"},
        )  # fmt: skip
    assert api.state("risks", risk_id)["status"] == "identified"
