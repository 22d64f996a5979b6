"""On PostgreSQL the background runner wakes on NOTIFY, not on its next poll."""

from __future__ import annotations

import time

import pytest

from application.services import Services
from application.store import StoreConfig
from projections.audit import AuditTrail
from projections.runner import ProjectionRunner
from tests.projections.support import customer_story, open_services, small_pools

POLL = 60.0
"""The runner polls this seldom in these tests: only a notification can wake it in time."""
IN_TIME = 10.0


def _wait(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.02)
    return False


def test_a_write_from_another_process_wakes_the_runner_on_postgres(
    services: Services, store_config: StoreConfig
) -> None:
    if store_config.postgres is None:
        pytest.skip("SQLite has no notifications: its runner polls")
    logs = [app.name for app in services.all()]
    runner = ProjectionRunner(
        services, small_pools(store_config), [AuditTrail(logs)], poll_interval=POLL
    )
    writer = open_services(store_config)  # another process: nothing nudges this runner
    store = runner.store("audit")
    try:
        runner.start()
        assert _wait(runner.listening.is_set, IN_TIME), "the runner never listened"
        # Once listening, the runner has made its first pass; this write comes after.
        time.sleep(0.2)
        for round_ in range(2):
            customer_story(writer, round_)
            head = writer.customers.recorder.max_notification_id() or 0
            started = time.monotonic()
            assert _wait(lambda head=head: store.position("customers") >= head, IN_TIME), (
                f"round {round_}: not projected within {IN_TIME}s (the poll interval is {POLL}s)"
            )
            assert time.monotonic() - started < POLL / 2
    finally:
        runner.close()
        writer.close()


def test_without_notifications_the_runner_still_polls(
    services: Services, store_config: StoreConfig
) -> None:
    """SQLite, or PostgreSQL while the listening connection is down: the poll finds it."""
    logs = [app.name for app in services.all()]
    runner = ProjectionRunner(
        services, small_pools(store_config), [AuditTrail(logs)], poll_interval=0.1
    )
    runner._start_listener = lambda: None  # type: ignore[method-assign]
    writer = open_services(store_config)
    try:
        runner.start()
        customer_story(writer)
        head = writer.customers.recorder.max_notification_id() or 0
        assert _wait(lambda: runner.store("audit").position("customers") >= head, IN_TIME)
    finally:
        runner.close()
        writer.close()
