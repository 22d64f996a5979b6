"""/webhooks over HTTP on both stores: subscriptions, the secret answered once, named
refusals, and real deliveries to a receiver on 127.0.0.1 that verifies every signature
with the ``standardwebhooks`` library and fails the first attempts (503)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from api.settings import Settings
from application.store import StoreConfig
from domain.vocabulary import Role
from tests.api.support import CS_A, MANAGER, Api, assert_position, assert_problem, some_id
from tests.support.receiver import Receiver, receiver

pytestmark = pytest.mark.shared_app

TECH = "tech-tang"
WAIT = 20.0


@pytest.fixture
def settings(store_config: StoreConfig) -> Settings:
    """Deliveries retried after 50 ms, 50 ms, 50 ms, with no jitter: fast tests; the last
    wait is an hour, so that deliveries to the receivers of tests already over do not
    fail (and raise webhook_failed alerts) while a later test checks its refusals."""
    return Settings(
        database_url=store_config.database_url,
        data_dir=store_config.data_dir,
        pool_size=1,
        pool_timeout=15.0,  # two test processes share 2 cores
        log_level="WARNING",
        webhook_retry_schedule="50ms,50ms,50ms,1h",
        webhook_retry_jitter=0,
        webhook_poll_seconds=0.05,
        webhook_timeout=2,
    )


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver(fail_first=2) as running:
        yield running


def subscribe(api: Api, into: Receiver, events: list[str], who: str = MANAGER) -> dict[str, Any]:
    response = api.post("/webhooks", {"url": into.url, "events": events}, who=who)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    into.secrets.append(answer["secret"])
    return answer


def deliveries(api: Api, webhook_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def settled(api: Api, webhook_id: str, delivery_id: str) -> dict[str, Any]:
    """The delivery once its last answer is recorded: the sender records it after the
    receiver has answered, so a test that saw the request may look a moment too soon."""
    deadline = time.monotonic() + WAIT
    while True:
        listed = {d["id"]: d for d in deliveries(api, webhook_id)}
        delivery = listed[delivery_id]
        if delivery["status"] != "pending" or time.monotonic() > deadline:
            return delivery
        time.sleep(0.05)


def test_subscribing_answers_the_secret_once_and_never_again(api: Api, hook: Receiver) -> None:
    answer = subscribe(api, hook, ["Complaint.Reopened", "alert.sla_breached"], who=TECH)
    assert answer["version"] == 1
    assert_position(answer, "webhooks")
    secret = answer["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24
    listed = api.get("/webhooks").json()["items"]
    (mine,) = [h for h in listed if h["id"] == answer["id"]]
    assert mine["events"] == ["Complaint.Reopened", "alert.sla_breached"]
    assert mine["url"] == hook.url and mine["subscribed_by"] == TECH
    one = api.get(f"/webhooks/{answer['id']}")
    assert secret not in api.get("/webhooks").text and secret not in one.text
    assert one.json()["secret_fingerprint"] and one.headers["etag"] == '"1"'
    # The same request again under the same Idempotency-Key: the first answer, no secret.
    body, key = {"url": hook.url, "events": ["*"]}, {"Idempotency-Key": "hook-once"}
    first = api.post("/webhooks", body, who=MANAGER, headers=key).json()
    again = api.post("/webhooks", body, who=MANAGER, headers=key).json()
    assert first["secret"] and again["id"] == first["id"] and again["secret"] is None


@pytest.mark.parametrize(
    ("events", "field"),
    [(["Complaint.Reopned"], "events.0"), (["*", "alert.Bad Kind"], "events.1"), (["Foo"], None)],
)
def test_unknown_event_types_are_refused_by_name(
    api: Api, events: list[str], field: str | None
) -> None:
    problem = api.refused(
        "POST",
        "/webhooks",
        422,
        "unknown-event-type",
        who=MANAGER,
        json={"url": "http://127.0.0.1:9/x", "events": events},
        fields=(field,) if field else (),
    )
    assert repr(events[-1]) in problem["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.10.1:8080/x",
        "http://[fe80::1]/x",
        "http://[fd00:ec2::254]/x",
        "http://[::ffff:169.254.169.254]/x",
        "http://100.100.100.200/x",
        "ftp://127.0.0.1/x",
        "http://user:pw@127.0.0.1/x",
    ],
)
def test_link_local_and_metadata_urls_are_refused(api: Api, url: str) -> None:
    api.refused(
        "POST",
        "/webhooks",
        422,
        "webhook-url-refused",
        who=MANAGER,
        json={"url": url, "events": ["*"]},
        fields=("url",),
    )


def test_only_management_and_technology_subscribe(api: Api) -> None:
    body = {"url": "http://127.0.0.1:9/x", "events": ["*"]}
    api.refused("POST", "/webhooks", 403, "role-not-allowed", who=CS_A, json=body)
    api.refused("POST", "/webhooks", 422, "invalid-request", who=MANAGER, json={"url": "x"})


def test_every_event_arrives_signed_after_503s_with_each_attempt_recorded(
    api: Api, hook: Receiver
) -> None:
    answer = subscribe(api, hook, ["Customer.Registered", "Customer.Activated"])
    name, email = "Zhang Quietname", "zhang.quiet@example.cn"
    customer_id = api.register_customer(name=name, email=email, phone="13800138000")
    activated = api.ok(f"/customers/{customer_id}/activate", {}, who=Role.OPERATIONS)
    got = hook.wait_for(2, WAIT)
    mine = sorted(
        (r for r in got.values() if r.payload["data"]["aggregate_id"] == customer_id),
        key=lambda r: r.payload["data"]["version"],
    )
    assert [r.payload["type"] for r in mine] == ["Customer.Registered", "Customer.Activated"]
    assert hook.forged == 0
    data = mine[1].payload["data"]
    assert data["log"] == "customers" and data["event_id"] == activated["position"]
    assert data["position"] == assert_position(activated, "customers")
    assert data["version"] == activated["version"] and data["principal"] == "ops-ou"
    # No personal data in clear: the sealed name and contacts never reach a payload.
    for received in mine:
        text = json.dumps(received.payload)
        assert name not in text and email not in text and "13800138000" not in text
    assert "personal" in mine[0].payload["data"]["omitted"]
    # Each attempt is listed: two 503s, then delivered, the same webhook-id throughout.
    first = settled(api, answer["id"], mine[0].msg_id)
    assert first["status"] == "delivered" and first["event_type"] == "Customer.Registered"
    statuses = [a["response_status"] for a in first["attempts"]]
    assert statuses == [503, 503, 204]
    assert [a["outcome"] for a in first["attempts"]] == ["failed", "failed", "delivered"]
    assert first["attempts"][0]["error"] == "HTTP 503" and first["attempts"][2]["error"] is None
    assert all(a["duration_ms"] >= 0 for a in first["attempts"])
    assert hook.attempts[mine[0].msg_id] == 3


def test_a_delivery_can_be_sent_again_with_the_same_webhook_id(api: Api, hook: Receiver) -> None:
    answer = subscribe(api, hook, ["Customer.Registered"])
    api.register_customer()
    (received,) = hook.wait_for(1, WAIT).values()
    # Counted before asking: the redelivery may arrive before the answer does.
    hook.fail_first = 0
    deadline = hook.attempts[received.msg_id] + 1
    again = api.ok(
        f"/webhooks/{answer['id']}/deliveries/{received.msg_id}/redeliveries", {}, who=TECH
    )
    assert again["version"] == 2 and again["delivery_id"] == received.msg_id
    for _ in range(int(WAIT / 0.05)):
        if len([r for r in hook.accepted if r.msg_id == received.msg_id]) >= 2:
            break
        hook.wait_for(2, 0.05)
    assert [r.msg_id for r in hook.accepted].count(received.msg_id) == 2
    assert hook.attempts[received.msg_id] == deadline
    assert_problem(api.get(f"/webhooks/{some_id()}/deliveries"), 404, "not-found")
    api.refused(
        "POST",
        f"/webhooks/{answer['id']}/deliveries/msg_unknown/redeliveries",
        404,
        "not-found",
        who=TECH,
        json={},
    )


def test_a_deleted_subscription_gets_nothing_more(api: Api, hook: Receiver) -> None:
    answer = subscribe(api, hook, ["Customer.Registered"])
    response = api.request("DELETE", f"/webhooks/{answer['id']}", who=MANAGER)
    assert response.status_code == 200 and response.json()["version"] == 2
    assert answer["id"] not in {h["id"] for h in api.get("/webhooks").json()["items"]}
    api.refused("DELETE", f"/webhooks/{answer['id']}", 409, "webhook-deleted", who=MANAGER)
    api.refused("DELETE", f"/webhooks/{answer['id']}", 403, "role-not-allowed", who=CS_A)
    api.register_customer()
    later = subscribe(api, hook, ["Customer.Registered"])
    api.register_customer()
    got = hook.wait_for(1, WAIT)
    assert {r.msg_id for r in got.values()} <= {d["id"] for d in deliveries(api, later["id"])}
    assert deliveries(api, answer["id"]) == []
