"""Webhook deliveries below HTTP, on both stores, with a clock the test moves: the
outbox queues each event once per subscription (two followers or not), the sender
retries on its schedule, leases keep two senders apart, a delivery that finally
failed calls the failure hook once, and no payload holds personal data."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from application.services import Services
from application.store import StoreConfig
from application.webhooks import new_secret
from domain.alert import Alert
from domain.webhook import matches
from projections.delivery import (
    DEFAULT_SCHEDULE,
    FailedDelivery,
    RetryPolicy,
    WebhookConfig,
    WebhookWorker,
    parse_schedule,
    sign,
)
from projections.webhooks import WebhookOutbox, payload_of_event
from tests.projections.support import EMAILS, MANAGER, NAMES, PHONES, ctx, mixed_history, register
from tests.support.receiver import Receiver, receiver

T0 = 1_800_000_000.0


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """Seconds since the epoch, moved by hand (the sender's and the outbox's clock)."""
    return FakeClock()


@pytest.fixture
def always_down() -> Iterator[Receiver]:
    with receiver(fail_first=10**6) as running:
        yield running


def subscribe(services: Services, into: Receiver, events: list[str]) -> str:
    secret = new_secret()
    into.secrets.append(secret)
    result = services.webhooks.subscribe_webhook(
        url=into.url, events=events, secret=secret, ctx=ctx(MANAGER)
    )
    return str(result.id)


def worker(
    services: Services,
    store_config: StoreConfig,
    clock: FakeClock,
    schedule: tuple[float, ...] = (10, 20),
    failed: list[FailedDelivery] | None = None,
) -> WebhookWorker:
    settings = WebhookConfig(policy=RetryPolicy(schedule, jitter=0), timeout=2, lease_seconds=30)
    made = WebhookWorker(services, store_config, settings, clock=clock)
    if failed is not None:
        made.on_failed = failed.append
    return made


def messages(made: WebhookWorker) -> list[dict[str, Any]]:
    return made.store.read("SELECT * FROM webhook_messages ORDER BY log, position")


def test_retries_follow_the_schedule_then_the_delivery_fails_and_the_hook_is_told_once(
    services: Services, store_config: StoreConfig, clock: FakeClock, always_down: Receiver
) -> None:
    failed: list[FailedDelivery] = []
    made = worker(services, store_config, clock, (10, 20), failed)
    try:
        webhook_id = subscribe(services, always_down, ["Customer.Registered"])
        register(services)
        assert made.run_once() == 1  # the first attempt, at once: 503
        (row,) = messages(made)
        assert row["status"] == "pending" and row["next_attempt_at"] == T0 + 10
        clock.now += 9.9
        assert made.run_once() == 0  # not due yet
        clock.now += 0.2
        assert made.run_once() == 1
        clock.now += 19
        assert made.run_once() == 0
        clock.now += 2
        assert made.run_once() == 1  # the third and last attempt
        (row,) = messages(made)
        assert row["status"] == "failed" and row["attempts"] == 3
        assert [f.delivery_id for f in failed] == [row["id"]]
        assert failed[0].webhook_id.hex == webhook_id.replace("-", "")
        assert failed[0].event_type == "Customer.Registered" and failed[0].attempts == 3
        assert failed[0].last_error == "HTTP 503"
        clock.now += 10**6
        assert made.run_once() == 0 and len(failed) == 1
        assert always_down.attempts[row["id"]] == 3
    finally:
        made.close()


def test_a_delivery_that_finally_fails_raises_one_webhook_failed_alert(
    services: Services, store_config: StoreConfig, clock: FakeClock, always_down: Receiver
) -> None:
    made = WebhookWorker(
        services,
        store_config,
        WebhookConfig(policy=RetryPolicy((10,), jitter=0), timeout=2, lease_seconds=30),
        clock=clock,
    )
    try:
        webhook_id = subscribe(services, always_down, ["Customer.Registered"])
        register(services)
        assert made.run_once() == 1
        clock.now += 11
        assert made.run_once() == 1  # the last attempt: failed, the alert raised
        (row,) = messages(made)
        assert row["status"] == "failed"
        alert = services.alerts.get_alert(Alert.create_id("webhook_failed", row["id"]))
        assert alert.kind == "webhook_failed" and alert.subject_id.hex == webhook_id.replace(
            "-", ""
        )
        assert set(alert.for_roles) == {"technology", "management"}
    finally:
        made.close()


def test_two_senders_never_send_what_the_other_holds_until_its_lease_ends(
    services: Services, store_config: StoreConfig, clock: FakeClock, always_down: Receiver
) -> None:
    first = worker(services, store_config, clock)
    second = worker(services, store_config, clock)
    try:
        subscribe(services, always_down, ["*"])
        for n in range(3):
            register(services, n)
        first.follow()
        second.follow()  # queues nothing twice
        count = services.customers.recorder.max_notification_id()
        assert len(messages(first)) == count
        held = first.sender.claim()
        assert len(held) == count and second.sender.claim() == []
        clock.now += 31  # first died holding them: its lease has run out
        assert {r["id"] for r in second.sender.claim()} == {r["id"] for r in held}
    finally:
        first.close()
        second.close()


def test_each_event_is_queued_once_per_subscription_by_two_followers(
    services: Services, store_config: StoreConfig, clock: FakeClock, always_down: Receiver
) -> None:
    one, other = worker(services, store_config, clock), worker(services, store_config, clock)
    try:
        subscribe(services, always_down, ["*"])
        subscribe(services, always_down, ["Complaint.Received", "Customer.Activated"])
        mixed_history(services, customers=2)
        other_outbox = WebhookOutbox(services, other.store, clock)
        one.outbox.catch_up()
        other_outbox.catch_up()
        rows = messages(one)
        assert len({r["id"] for r in rows}) == len(rows)
        keys = [(r["subscription_id"], r["log"], r["position"]) for r in rows]
        assert len(set(keys)) == len(keys)
        heads = sum(app.recorder.max_notification_id() or 0 for app in services.all()[:-1])
        by_sub: dict[str, int] = {}
        for r in rows:
            by_sub[r["subscription_id"]] = by_sub.get(r["subscription_id"], 0) + 1
        assert sorted(by_sub.values())[-1] == heads  # '*': every event of every log
        assert {r["event_type"] for r in rows} >= {"Complaint.Received", "Customer.Activated"}
    finally:
        one.close()
        other.close()


def test_an_idle_follower_wakes_for_a_subscription_another_follower_applied(
    services: Services, store_config: StoreConfig, clock: FakeClock, always_down: Receiver
) -> None:
    one, other = worker(services, store_config, clock), worker(services, store_config, clock)
    try:
        register(services)
        before = services.customers.recorder.max_notification_id() or 0
        assert one.follow() == 0 and one.outbox.idle()  # nobody subscribed: one query a round
        subscribe(services, always_down, ["Customer.Registered"])
        assert not one.outbox.idle()  # the webhooks log moved
        other.follow()  # the other process applies the subscription first
        assert not one.outbox.idle()
        register(services)
        one.follow()
        assert not one.outbox.idle()  # somebody is subscribed now: every round reads
        (row,) = messages(one)
        assert row["event_type"] == "Customer.Registered"
        assert row["position"] > before  # the second customer, not the first
    finally:
        one.close()
        other.close()


def test_no_payload_holds_personal_data(
    services: Services, store_config: StoreConfig, clock: FakeClock, always_down: Receiver
) -> None:
    made = worker(services, store_config, clock)
    try:
        subscribe(services, always_down, ["*"])
        mixed_history(services, customers=3)
        made.follow()
        bodies = [str(r["payload"]) for r in messages(made)]
        assert bodies
        for text in bodies:
            for secret in (*NAMES, *EMAILS, *PHONES):
                assert secret not in text
            data = json.loads(text)["data"]
            assert {"event_id", "log", "position", "aggregate_id", "version", "principal"} <= set(
                data
            )
    finally:
        made.close()


def test_alert_kinds_match_alert_raised_events_by_their_kind(services: Services) -> None:
    result = services.alerts.raise_alert(
        kind="sla_breached",
        key="complaint-1:resolution",
        subject_type="complaint",
        subject_id=uuid.uuid4(),
        summary="resolution overdue",
    )
    raised = next(iter(services.alerts.events.get(result.id)))
    kind, qualname = raised.kind, type(raised).__qualname__  # type: ignore[attr-defined]
    assert qualname == "Alert.Raised"
    assert matches(["alert.sla_breached"], qualname, kind)
    assert matches(["alert.*"], qualname, kind) and matches(["*"], qualname, kind)
    assert matches(["Alert.Raised"], qualname, kind)
    assert not matches(["alert.kri_red"], qualname, kind)
    assert not matches(["alert.sla_breached"], "Complaint.Reopened", "sla_breached")
    assert payload_of_event(raised, "alerts")["data"]["fields"]["kind"] == "sla_breached"


def test_the_default_schedule_retries_for_more_than_a_day_with_jitter() -> None:
    assert sum(DEFAULT_SCHEDULE) > 24 * 3600
    policy, rng = RetryPolicy(), random.Random(7)
    delays = [policy.delay(n, rng) for n in range(1, policy.attempts)]
    assert all(d is not None for d in delays) and policy.delay(policy.attempts, rng) is None
    assert {round(d / b, 3) for d, b in zip(delays, DEFAULT_SCHEDULE, strict=True) if d} != {1.0}
    assert all(0.8 * b <= d <= 1.2 * b for d, b in zip(delays, DEFAULT_SCHEDULE, strict=True) if d)
    assert parse_schedule("50ms, 5s,2m,1h,1.5") == (0.05, 5, 120, 3600, 1.5)
    with pytest.raises(ValueError):
        parse_schedule("5 parsecs")


def test_signatures_are_standard_webhooks_ones() -> None:
    secret = new_secret()
    body = b'{"type":"Complaint.Reopened"}'
    signature = sign(secret, "msg_1", 1_700_000_000, body)
    moment = datetime.fromtimestamp(1_700_000_000, UTC)
    assert signature == Webhook(secret).sign("msg_1", moment, body.decode())


def test_two_running_workers_send_each_delivery_once(
    services: Services, store_config: StoreConfig
) -> None:
    fast = WebhookConfig(policy=RetryPolicy((0.05,), jitter=0), timeout=2, poll_interval=0.05)
    with receiver() as hook:
        workers = [WebhookWorker(services, store_config, fast) for _ in range(2)]
        try:
            subscribe(services, hook, ["Customer.Registered"])
            for running in workers:
                running.start()
            for n in range(6):
                register(services, n)
            got = hook.wait_for(6, 20)
            assert len(got) == 6 and hook.forged == 0
            for running in workers:
                running.stop()
            assert set(hook.attempts.values()) == {1}  # none sent twice
        finally:
            for running in workers:
                running.close()
