"""An appraisal, a reward and a leave request over real HTTP, against a real
``opsledger serve`` process, with tokens from the real ``opsledger token create``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from application.store import StoreConfig
from tests.support.network import free_port

pytestmark = pytest.mark.e2e

OPSLEDGER = str(Path(sys.executable).with_name("opsledger"))
CYCLE = "2026"


def server_env(store_config: StoreConfig) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSLEDGER_")}
    env["OPSLEDGER_DATA_DIR"] = str(store_config.data_dir)
    env["OPSLEDGER_LOG_LEVEL"] = "WARNING"
    env["OPSLEDGER_POOL_SIZE"] = "2"  # a gentle guest on a shared PostgreSQL server
    if store_config.database_url:
        env["OPSLEDGER_DATABASE_URL"] = store_config.database_url
    return env


class Server:
    def __init__(self, base_url: str, env: dict[str, str]) -> None:
        self.base_url = base_url
        self.env = env

    def token(self, name: str, *roles: str, employee: str | None = None) -> dict[str, str]:
        """Bearer headers for a token made by the real CLI."""
        args = [OPSLEDGER, "token", "create", "--name", name]
        for role in roles:
            args += ["--role", role]
        if employee is not None:
            args += ["--employee", employee]
        done = subprocess.run(args, env=self.env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return {"Authorization": f"Bearer {done.stdout.strip()}"}


@pytest.fixture
def server(store_config: StoreConfig) -> Iterator[Server]:
    port = free_port()
    env = server_env(store_config)
    process = subprocess.Popen(
        [OPSLEDGER, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"opsledger serve did not start: {stderr[-2000:]}")
            time.sleep(0.2)
        yield Server(base_url, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_an_appraisal_a_reward_and_leave_over_http(server: Server) -> None:
    hr = server.token("e2e-hr", "hr")
    auditor = server.token("e2e-auditor", "auditor")
    with httpx.Client(base_url=server.base_url, timeout=10) as http:

        def post(path: str, body: Any, headers: dict[str, str], status: int = 200) -> Any:
            response = http.post(path, json=body, headers=headers)
            assert response.status_code == status, (path, response.text)
            return response.json()

        def hire(name: str, manager: str | None = None) -> str:
            body = {
                "name": name,
                "department": "technology",
                "position": "engineer",
                "hire_date": "2015-09-01",
                "prior_service_years": "3",
                **({"manager_id": manager} if manager else {}),
            }
            return str(post("/employees", body, hr, 201)["id"])

        boss = hire("Zhao Lei")
        chen, li, wu = hire("Chen Jing", boss), hire("Li Na", boss), hire("Wu Gang", boss)
        as_boss = server.token("e2e-zhao", "technology", employee=boss)
        as_chen = server.token("e2e-chen", "technology", employee=chen)
        as_li = server.token("e2e-li", "technology", employee=li)
        as_wu = server.token("e2e-wu", "technology", employee=wu)
        appraisal = f"/employees/{chen}/appraisals/{CYCLE}"

        post(
            f"{appraisal}/goals",
            {
                "period_start": "2026-01-01",
                "period_end": "2026-12-31",
                "goals": [
                    {"title": "Ship v2", "metric": "milestones", "target": "4", "unit": "count",
                     "deadline": "2026-11-30", "weight": 60},
                    {"title": "Uptime", "metric": "availability", "target": "99.9", "unit": "%",
                     "deadline": "2026-12-31", "weight": 40},
                ],
            },
            hr,
        )  # fmt: skip
        early = http.post(
            f"{appraisal}/reviews", json={"kind": "manager", "score": 4}, headers=as_boss
        )
        assert (early.status_code, early.json()["type"]) == (409, "self-review-missing")
        post(f"{appraisal}/reviews", {"kind": "self", "score": 4}, as_chen)
        post(f"{appraisal}/reviews", {"kind": "manager", "score": 2}, as_boss)
        post(f"{appraisal}/reviews", {"kind": "peer", "score": 3}, as_li)
        twice = http.post(f"{appraisal}/reviews", json={"kind": "peer", "score": 5}, headers=as_li)
        assert (twice.status_code, twice.json()["type"]) == (409, "review-already-submitted")
        post(f"{appraisal}/reviews", {"kind": "peer", "score": 3}, as_wu)
        no_plan = http.post(
            f"{appraisal}/finalize",
            json={"rating": 2, "feedback": "v2 slipped a quarter"},
            headers=hr,
        )
        assert (no_plan.status_code, no_plan.json()["type"]) == (409, "improvement-plan-required")
        post(
            f"{appraisal}/finalize",
            {"rating": 2, "feedback": "v2 slipped a quarter",
             "improvement_plan": "Pair with a senior each sprint"},
            hr,
        )  # fmt: skip
        assert (
            http.get(f"/employees/{chen}", headers=auditor).json()["outstanding_improvement_plans"]
            == []
        )
        no_bonus = http.post(
            f"/employees/{chen}/rewards", json={"cycle": CYCLE, "bonus": "1500.00"}, headers=hr
        )
        assert (no_bonus.status_code, no_bonus.json()["type"]) == (
            409,
            "reward-needs-rating-three",
        )

        leave = post(
            f"/employees/{chen}/leave-requests",
            {"start": "2026-12-21", "end": "2026-12-25", "days": 5},
            as_chen,
            201,
        )
        request_id = leave["leave_request_id"]
        too_much = http.post(
            f"/employees/{chen}/leave-requests",
            json={"start": "2026-12-07", "end": "2026-12-14", "days": 6},
            headers=as_chen,
        )  # 3 prior + 11 years since 2015: 10 days, 5 of them asked already
        assert (too_much.status_code, too_much.json()["type"]) == (409, "leave-balance-exceeded")
        not_yours = http.post(
            f"/employees/{chen}/leave-requests/{request_id}/approve", headers=as_li
        )
        assert (not_yours.status_code, not_yours.json()["type"]) == (
            403,
            "not-the-employees-manager",
        )
        post(f"/employees/{chen}/leave-requests/{request_id}/approve", {}, as_boss)
        refused = http.post(f"/employees/{chen}/separate", json={}, headers=auditor)
        assert refused.status_code == 403

        state = http.get(f"/employees/{chen}", headers=auditor)
        assert state.status_code == 200
        body = state.json()
        assert state.headers["etag"] == f'"{body["version"]}"'
        assert body["appraisals"][0]["rating"] == 2
        assert body["rewards"] == []
        assert body["leave_requests"][0]["status"] == "approved"
        events = http.get(f"/employees/{chen}/events", headers=auditor).json()["events"]
        reviewers = [e["metadata"]["principal"] for e in events if e["type"] == "ReviewSubmitted"]
        assert reviewers == ["e2e-chen", "e2e-zhao", "e2e-li", "e2e-wu"]
