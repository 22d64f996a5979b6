"""The projection machinery: exactly once, a page per transaction, racing runners, rebuilds."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError

from application.services import Services
from application.store import StoreConfig
from projections.audit import AuditTrail
from projections.lock import ProjectionLock
from projections.projection import Delivery, Projection
from projections.queries.audit import verify_log
from projections.runner import ProjectionRunner
from projections.store import ReadCursor, ReadModelStore
from tests.projections.support import (
    customer_story,
    event_count,
    full_runner,
    make_runner,
    mixed_history,
    open_services,
    positions_in_store,
    positions_in_trail,
    rows,
    small_pools,
)


def test_catch_up_applies_every_event_exactly_once(
    services: Services, runner: ProjectionRunner
) -> None:
    mixed_history(services, customers=4)
    total = event_count(services)
    assert total > 20

    assert runner.catch_up() == total

    store = runner.store("audit")
    assert positions_in_trail(store, services) == positions_in_store(services)
    for app in services.all():
        assert store.position(app.name) == (app.recorder.max_notification_id() or 0)
    before = rows(store)
    assert len(before) == total

    assert runner.catch_up() == 0
    assert rows(store) == before


def test_catch_up_after_more_events_applies_only_the_new_ones(
    services: Services, runner: ProjectionRunner
) -> None:
    mixed_history(services, customers=2)
    first = runner.catch_up()
    mixed_history(services, customers=2, start=2)
    second = runner.catch_up()

    assert first + second == event_count(services)
    assert second > 0
    assert positions_in_trail(runner.store("audit"), services) == positions_in_store(services)


def test_the_trail_records_who_when_and_what(services: Services, runner: ProjectionRunner) -> None:
    customer_id = customer_story(services)
    runner.catch_up()
    trail = rows(runner.store("audit"), "customers")
    assert [r["version"] for r in trail] == list(range(1, len(trail) + 1))
    assert {r["aggregate_id"] for r in trail} == {str(customer_id)}
    first = trail[0]
    assert first["type"] == "Registered"
    assert first["topic"].endswith("Customer.Registered")
    assert first["principal"] == "mkt.mei"
    assert first["command"] == "register_customer"
    assert first["request_id"].startswith("req-")
    assert first["occurred_at"].endswith("Z")


# A page per transaction: a failure mid-page leaves no partial page.


def _fail_once_at(position: int, log: str = "customers") -> tuple[Callable[..., Any], list[int]]:
    original = AuditTrail._row
    raised: list[int] = []

    def row(delivery: Delivery, hash_: str) -> tuple[Any, ...]:
        if delivery.log == log and delivery.position == position and not raised:
            raised.append(position)
            raise RuntimeError(f"injected failure at {log}:{position}")
        return original(delivery, hash_)

    return row, raised


def test_a_failure_mid_page_leaves_no_partial_page_and_the_runner_resumes(
    services: Services,
    store_config: StoreConfig,
    runner: ProjectionRunner,
    small_pages: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mixed_history(services, customers=3)
    ids = positions_in_store(services)["customers"]
    assert len(ids) >= 9
    store = runner.store("audit")
    # Pages are ids[0:3], ids[3:6], ...: fail on the second event of the second page.
    row, raised = _fail_once_at(ids[4])
    monkeypatch.setattr(AuditTrail, "_row", staticmethod(row))

    with pytest.raises(RuntimeError, match="injected failure"):
        runner.catch_up()

    assert raised == [ids[4]]
    assert [r["position"] for r in rows(store, "customers")] == ids[:3]
    assert store.position("customers") == ids[2]
    # The runner stopped at the failure: later logs are untouched.
    assert rows(store, "complaints") == []

    monkeypatch.undo()
    assert runner.catch_up() == event_count(services) - 3
    assert raised == [ids[4]]
    assert positions_in_trail(store, services) == positions_in_store(services)
    incremental = rows(store)

    # Resuming gives the very rows (hash chain included) of a build without failure.
    runner.rebuild("audit")
    assert rows(store) == incremental


def test_a_crash_when_recording_the_position_loses_the_whole_page(
    services: Services,
    runner: ProjectionRunner,
    small_pages: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rows of a page and the position it reaches commit together, or neither."""
    mixed_history(services, customers=2)
    store = runner.store("audit")
    original = store.tracking._insert_tracking  # type: ignore[attr-defined]
    calls: list[int] = []

    def insert_tracking(cursor: Any, tracking: Any) -> None:
        calls.append(tracking.notification_id)
        if len(calls) == 2:  # the second page: its rows are written already
            raise OSError("the process died before the commit")
        original(cursor, tracking)

    monkeypatch.setattr(store.tracking, "_insert_tracking", insert_tracking)
    with pytest.raises(OSError):
        runner.catch_up()

    ids = positions_in_store(services)["customers"]
    assert calls == [ids[2], ids[5]]
    assert [r["position"] for r in rows(store, "customers")] == ids[:3]
    assert store.position("customers") == ids[2]
    monkeypatch.undo()
    runner.catch_up()
    assert positions_in_trail(store, services) == positions_in_store(services)


def test_an_integrity_error_from_a_projection_is_raised_not_retried_forever(
    services: Services, store_config: StoreConfig
) -> None:
    """Only a lost race for the tracking row means "applied elsewhere". Any other
    integrity error (a buggy projection's duplicate key) must surface: swallowing it
    leaves the position where it was, so the runner selects the same page again, and
    again, forever (catch_up never returns; the server's runner spins at full CPU)."""

    class Duplicating(Projection):
        name = "duplicating"
        table_names = ("duplicating_rows",)
        tables = ("CREATE TABLE IF NOT EXISTS duplicating_rows (log TEXT NOT NULL PRIMARY KEY)",)
        sources = ("customers",)
        attempts = 0

        def apply(self, cursor: ReadCursor, delivery: Delivery) -> None:
            Duplicating.attempts += 1
            if Duplicating.attempts > 20:
                raise RuntimeError("the runner keeps retrying the same page")
            cursor.execute("INSERT INTO duplicating_rows VALUES (?)", (delivery.log,))

    customer_story(services)
    runner = ProjectionRunner(services, small_pools(store_config), [Duplicating()])
    try:
        with pytest.raises(IntegrityError):
            runner.catch_up()
        assert runner.store("duplicating").position("customers") == 0
    finally:
        runner.close()


# Two runners at once.


def test_two_runners_interleaved_apply_each_page_once(
    services: Services,
    store_config: StoreConfig,
    runner: ProjectionRunner,
    small_pages: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Runner A selects a page; before it writes, runner B applies everything. A's
    write loses the race for the position, rolls back, and A carries on after B."""
    mixed_history(services, customers=3)
    other_services = open_services(store_config)
    other = make_runner(other_services, store_config)
    try:
        store = runner.store("audit")
        original = store.apply_page
        interleaved: list[int] = []

        def apply_page(*args: Any, **kwargs: Any) -> None:
            if not interleaved:
                interleaved.append(other.catch_up())
            original(*args, **kwargs)

        monkeypatch.setattr(store, "apply_page", apply_page)
        runner.catch_up()
        assert interleaved == [event_count(services)]
        assert positions_in_trail(store, services) == positions_in_store(services)
        together = rows(store)
    finally:
        other.close()
        other_services.close()
    monkeypatch.undo()
    runner.rebuild("audit")
    assert rows(store) == together


def _catch_up_retrying(runner: ProjectionRunner) -> int:
    """What the runner's own loop does: keep catching up, retrying after a failure.

    Two runners on one SQLite file often fail a page with "database is locked"
    (a deferred transaction that read cannot become a writer once the other
    runner has committed; the busy timeout does not help), so retry as ``_run`` does.
    """
    applied, deadline = 0, time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            page = runner.catch_up()
        except OperationalError:
            time.sleep(0.005)
            continue
        applied += page
        if page == 0:
            return applied
    raise AssertionError("the runner never caught up")


class Counting(Projection):
    """A read model that is not idempotent: applying an event twice double-counts."""

    name = "counting"
    table_names = ("counted_events",)
    tables = (
        "CREATE TABLE IF NOT EXISTS counted_events (log TEXT NOT NULL PRIMARY KEY, n BIGINT)",
    )

    def __init__(self, sources: Sequence[str]) -> None:
        self.sources = tuple(sources)

    def apply(self, cursor: ReadCursor, delivery: Delivery) -> None:
        cursor.execute(
            "INSERT INTO counted_events VALUES (?, 1) "
            "ON CONFLICT (log) DO UPDATE SET n = counted_events.n + 1",
            (delivery.log,),
        )


def test_a_round_commits_the_projections_whose_pages_held_and_resumes_the_one_that_failed(
    services: Services, store_config: StoreConfig, small_pages: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round writes each projection's pages in passes (on PostgreSQL, all of a pass in
    one transaction, each page in a savepoint): a page that fails is rolled back alone."""
    logs = [app.name for app in services.all()]
    mixed_history(services, customers=3)
    ids = positions_in_store(services)["customers"]
    runner = ProjectionRunner(
        services, small_pools(store_config), [AuditTrail(logs), Counting(logs)]
    )
    try:
        runner.take_over()
        original = AuditTrail._row

        def row(delivery: Delivery, hash_: str) -> tuple[Any, ...]:
            if delivery.log == "customers" and delivery.position == ids[4]:
                raise RuntimeError("a broken page")  # the second page of customers
            return original(delivery, hash_)

        monkeypatch.setattr(AuditTrail, "_row", staticmethod(row))
        runner.run_round()
        audit_store, counting = runner.store("audit"), runner.store("counting")
        # The trail holds its first page of customers (an earlier pass), no more.
        assert audit_store.position("customers") == ids[2]
        assert [r["position"] for r in rows(audit_store, "customers")] == ids[:3]
        # The other projection, in the same passes, applied everything once.
        expected = {log: len(p) for log, p in positions_in_store(services).items() if p}
        counted = {r["log"]: int(r["n"]) for r in counting.read("SELECT * FROM counted_events")}
        assert counted == expected
        monkeypatch.undo()
        runner.run_round()
        assert positions_in_trail(audit_store, services) == positions_in_store(services)
        counted = {r["log"]: int(r["n"]) for r in counting.read("SELECT * FROM counted_events")}
        assert counted == expected  # nothing applied twice
        incremental = rows(audit_store)
        runner.rebuild("audit")
        assert rows(audit_store) == incremental
    finally:
        runner.close()


class Peeking(Projection):
    """Looks, from a connection of its own, at what the trail has committed while this
    projection's page is being written."""

    name = "peeking"
    table_names = ()
    tables = ()
    sources = ("customers",)

    def __init__(self, look: Callable[[], int]) -> None:
        self.look = look
        self.seen: list[int] = []

    def apply(self, cursor: ReadCursor, delivery: Delivery) -> None:
        self.seen.append(self.look())


def test_a_round_commits_every_projection_s_page_at_once_on_postgresql(
    services: Services, store_config: StoreConfig
) -> None:
    logs = [app.name for app in services.all()]
    trail: list[ReadModelStore] = []
    peeking = Peeking(lambda: trail[0].position("customers"))
    runner = ProjectionRunner(services, small_pools(store_config), [AuditTrail(logs), peeking])
    trail.append(runner.store("audit"))
    try:
        runner.take_over()
        customer_story(services)
        assert runner.run_round() > 0
        head = services.customers.recorder.max_notification_id()
        assert trail[0].position("customers") == head
        if store_config.postgres is None:
            # A file per read model, a transaction each: the trail's page was committed.
            assert set(peeking.seen) == {head}
        else:
            # One transaction for the pass: nothing committed while the pages are written.
            assert set(peeking.seen) == {0}
    finally:
        runner.close()


def test_two_runners_in_threads_produce_exactly_the_rows_one_runner_would(
    services: Services, store_config: StoreConfig, small_pages: int
) -> None:
    logs = [app.name for app in services.all()]
    opened = [open_services(store_config) for _ in range(2)]
    runners = [
        ProjectionRunner(s, small_pools(store_config), [AuditTrail(logs), Counting(logs)])
        for s in opened
    ]
    try:
        for batch in range(3):
            mixed_history(services, customers=3, start=3 * batch)
            barrier = threading.Barrier(2)
            errors: list[BaseException] = []

            def work(
                runner: ProjectionRunner, barrier: threading.Barrier, errors: list[BaseException]
            ) -> None:
                try:
                    barrier.wait(timeout=10)
                    _catch_up_retrying(runner)
                except BaseException as error:  # reported below
                    errors.append(error)

            threads = [threading.Thread(target=work, args=(r, barrier, errors)) for r in runners]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert not errors, errors

        store = runners[0].store("audit")
        assert positions_in_trail(store, services) == positions_in_store(services)
        counted = {
            r["log"]: int(r["n"])
            for r in runners[0].store("counting").read("SELECT * FROM counted_events")
        }
        expected = {log: len(ids) for log, ids in positions_in_store(services).items() if ids}
        assert counted == expected, "an event was counted twice (or not at all)"
        together = rows(store)
    finally:
        for runner in runners:
            runner.close()
        for s in opened:
            s.close()

    single = make_runner(services, store_config)
    try:
        single.rebuild("audit")
        assert rows(single.store("audit")) == together
    finally:
        single.close()


# Rebuilds.


def test_rebuild_equals_the_incrementally_built_trail(
    services: Services, runner: ProjectionRunner, small_pages: int
) -> None:
    for batch in range(4):
        mixed_history(services, customers=2, start=2 * batch)
        runner.catch_up()
    store = runner.store("audit")
    incremental = rows(store)
    assert len(incremental) == event_count(services)

    assert runner.rebuild("audit") == event_count(services)
    assert rows(store) == incremental


def test_a_runner_opens_after_any_number_of_rebuilds(
    services: Services, store_config: StoreConfig
) -> None:
    """``ReadModelStore.reset`` deletes every row of the tracking table, eventsourcing's
    ``__migration__`` marker included. The next tracking recorder then "migrates" the
    table by renaming it (SQLite: ``old1_tracking``; PostgreSQL: ``bkup1_audit_tracking``)
    and the second time that name is taken: after two rebuilds no runner opens
    (server start, ``projections run`` and ``projections rebuild`` all fail)."""
    customer_story(services)
    for attempt in range(4):
        runner = make_runner(services, store_config)
        try:
            assert runner.rebuild("audit") == event_count(services), attempt
        finally:
            runner.close()


def test_a_rebuild_while_another_runner_runs_ends_with_the_full_trail(
    services: Services,
    store_config: StoreConfig,
    runner: ProjectionRunner,
    small_pages: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``opsledger projections rebuild`` while the server's runner keeps projecting.

    The server's runner has selected a page (customers 4-6, after position 3) when the
    rebuild switches to its complete trail. Its write then finds the position moved
    on and is refused: the page is neither applied twice nor chained from the wrong
    hash, and the switched-in trail stands."""
    mixed_history(services, customers=3)
    store = runner.store("audit")
    # The server's runner is one page into customers.
    first = runner._next_page(runner.projection("audit"), services.customers)
    assert first == 3

    other_services = open_services(store_config)
    rebuilder = make_runner(other_services, store_config)
    original_apply = store.apply_page
    outcomes: list[bool] = []

    def apply_page(*args: Any, **kwargs: Any) -> bool:
        if not outcomes:
            rebuilder.rebuild("audit")  # the whole trail, switched in while the page waits
        outcome = original_apply(*args, **kwargs)
        outcomes.append(outcome)
        return outcome

    monkeypatch.setattr(store, "apply_page", apply_page)
    try:
        runner.catch_up()
    finally:
        rebuilder.close()
        other_services.close()
    monkeypatch.undo()

    assert outcomes[0] is False, "the stale page was written over the rebuilt trail"
    assert positions_in_trail(store, services) == positions_in_store(services)
    for app in services.all():
        assert not verify_log(app, store).problems, app.name
    raced = rows(store)
    runner.rebuild("audit")
    assert rows(store) == raced


def test_pages_the_live_runner_writes_while_the_shadow_is_built_are_replaced_by_it(
    services: Services,
    store_config: StoreConfig,
    runner: ProjectionRunner,
    small_pages: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The live runner is not locked out while the shadow is built: its pages land in
    the live tables, and the switch replaces them with the shadow's (equal) rows."""
    mixed_history(services, customers=3)
    other_services = open_services(store_config)
    rebuilder = make_runner(other_services, store_config)
    live_pages: list[int] = []
    original = ReadModelStore.switch_to

    def switch_to(self: ReadModelStore, *args: Any, **kwargs: Any) -> None:
        if not live_pages:
            # The shadow is complete; the server's runner has not started yet.
            lock = ProjectionLock(store_config, "audit")
            assert not lock.acquire(blocking=False), "the rebuild switches without the lock"
            lock.close()
            live_pages.append(runner.catch_up())
        original(self, *args, **kwargs)

    monkeypatch.setattr(ReadModelStore, "switch_to", switch_to)
    shadow_built: list[bool] = []
    original_page = AuditTrail.apply_page

    def apply_page(self: AuditTrail, cursor: ReadCursor, deliveries: Sequence[Delivery]) -> None:
        if not shadow_built:
            shadow_built.append(True)
            lock = ProjectionLock(store_config, "audit")
            assert lock.acquire(blocking=False), "the rebuild locks live runners out too long"
            lock.release()
            lock.close()
        original_page(self, cursor, deliveries)

    monkeypatch.setattr(AuditTrail, "apply_page", apply_page)
    try:
        assert rebuilder.rebuild("audit") == event_count(services)
    finally:
        rebuilder.close()
        other_services.close()
    monkeypatch.undo()

    assert live_pages == [event_count(services)]
    store = runner.store("audit")
    assert positions_in_trail(store, services) == positions_in_store(services)
    switched = rows(store)
    runner.rebuild("audit")
    assert rows(store) == switched


def _tables(runner: ProjectionRunner, name: str) -> dict[str, list[str]]:
    store = runner.store(name)
    projection = runner.projection(name)
    return {
        table: sorted(
            json.dumps(row, sort_keys=True, default=str)
            for row in store.read(f"SELECT * FROM {table}")
        )
        for table in projection.table_names
    }


def test_every_read_model_rebuilds_to_the_incrementally_built_rows(
    services: Services, store_config: StoreConfig, small_pages: int
) -> None:
    """The catalog as it stands: whatever read models exist rebuild row for row."""
    runner = full_runner(services, store_config)
    try:
        for batch in range(3):
            mixed_history(services, customers=2, start=2 * batch)
            while runner.catch_up():  # until what the policies wrote is applied too
                pass
        for projection in runner.projections:
            if getattr(projection, "reacts", False):
                continue  # a policy acts rather than answers reads (docs/policies.md)
            incremental = _tables(runner, projection.name)
            runner.rebuild(projection.name)
            assert _tables(runner, projection.name) == incremental, projection.name
    finally:
        runner.close()


def test_lag_counts_the_events_not_yet_applied_and_their_age(
    services: Services, runner: ProjectionRunner
) -> None:
    assert runner.lag()["audit"].events == 0
    customer_story(services)
    time.sleep(0.05)
    lag = runner.lag()["audit"]
    ids = positions_in_store(services)
    assert lag.events >= event_count(services)
    if all(ns == list(range(1, len(ns) + 1)) for ns in ids.values()):
        # Without gaps in the ids (PostgreSQL's may have some), exactly.
        assert lag.events == event_count(services)
    assert lag.seconds >= 0.05
    runner.catch_up()
    assert runner.lag()["audit"].events == 0
    assert runner.lag()["audit"].seconds == 0.0


def test_readers_see_the_whole_trail_while_it_is_rebuilt(
    services: Services,
    store_config: StoreConfig,
    runner: ProjectionRunner,
    small_pages: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 6: a rebuild "builds fresh tables beside the live ones while reads go on,
    then switches". ``ProjectionRunner.rebuild`` drops the live table and refills it
    in place, so a reader meanwhile sees an empty, then partial, audit trail."""
    mixed_history(services, customers=3)
    runner.catch_up()
    store = runner.store("audit")
    complete = len(rows(store))
    reader = ReadModelStore(small_pools(store_config), "audit")  # another server process
    seen: list[int] = []
    original = AuditTrail.apply_page

    def apply_page(self: AuditTrail, cursor: ReadCursor, deliveries: Sequence[Delivery]) -> None:
        seen.append(len(reader.read("SELECT log, position FROM audit_events")))
        original(self, cursor, deliveries)

    monkeypatch.setattr(AuditTrail, "apply_page", apply_page)
    try:
        runner.rebuild("audit")
    finally:
        monkeypatch.undo()
        reader.close()
    assert seen, "the rebuild applied no page"
    assert set(seen) == {complete}, f"readers saw {seen} of {complete} rows during the rebuild"
    assert len(rows(store)) == complete
