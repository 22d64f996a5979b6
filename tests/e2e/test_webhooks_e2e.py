"""Webhooks end to end: a real ``opsledger serve``, commands over HTTP, the server
killed with SIGKILL while deliveries are still being retried, started again, and
every event delivered to a real receiver that verifies each signature with the
``standardwebhooks`` library; a duplicate only ever as the same webhook-id."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from application.store import StoreConfig
from domain.vocabulary import Role
from tests.e2e.test_serve import STARTUP_SECONDS, create_token, environment, serve
from tests.support.receiver import receiver

pytestmark = pytest.mark.e2e

CUSTOMERS = 15


def test_no_delivery_is_lost_across_a_kill_9(store_config: StoreConfig, tmp_path: Path) -> None:
    env = environment(store_config)
    env.update(
        OPSLEDGER_WEBHOOK_RETRY_SCHEDULE="300ms,300ms,300ms,300ms",
        OPSLEDGER_WEBHOOK_POLL_SECONDS="0.1",
        OPSLEDGER_WEBHOOK_TIMEOUT="1",
        OPSLEDGER_WEBHOOK_LEASE_SECONDS="2",
    )
    token = create_token(env, "e2e-hooks", Role.TECHNOLOGY, Role.MARKETING)
    auth = {"Authorization": f"Bearer {token}"}
    positions: list[str] = []
    with receiver(fail_first=1) as hook:
        with serve(env, tmp_path, ready_within=STARTUP_SECONDS) as server:
            with httpx.Client(base_url=server.url, timeout=30) as http:
                answer = http.post(
                    "/webhooks",
                    json={"url": hook.url, "events": ["*"]},
                    headers=auth,
                )
                assert answer.status_code == 201, answer.text
                hook.secrets.append(answer.json()["secret"])
                for n in range(CUSTOMERS):
                    made = http.post(
                        "/customers",
                        json={
                            "name": f"Kill Nine {n}",
                            "phone": "13800138000",
                            "channel": "search",
                        },
                        headers=auth,
                    )
                    assert made.status_code == 201, made.text
                    positions.append(made.json()["position"])
            server.process.kill()  # SIGKILL: no shutdown, leases held, retries pending
            server.process.wait(timeout=15)
        early = len(hook.distinct())
        heads = int(positions[-1].split(":")[1])  # every event of the customers log
        with serve(env, tmp_path, ready_within=STARTUP_SECONDS):
            got = hook.wait_for(heads, 60)
    assert hook.forged == 0
    event_ids = {r.payload["data"]["event_id"] for r in got.values()}
    assert event_ids == {f"customers:{n}" for n in range(1, heads + 1)}, (early, len(got))
    assert set(positions) <= event_ids
    # At least once, and a duplicate only as the same webhook-id: one id per event.
    assert len(got) == len(event_ids)
    assert early < heads, "everything arrived before the kill: the test proved nothing"
