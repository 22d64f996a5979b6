"""Rebuilds beside the live tables: events keep arriving, readers keep reading,
the layout may change, and nothing is left beside the live store afterwards."""

from __future__ import annotations

import json
import threading
import time
from typing import Any, ClassVar

import psycopg
import pytest

from application.services import Services
from application.store import StoreConfig
from projections.audit import AuditTrail
from projections.catalog import all_projections
from projections.runner import ProjectionRunner
from projections.store import REBUILD, ReadModelStore, shadow_path, shadow_schema
from tests.projections.support import (
    customer_story,
    event_count,
    mixed_history,
    open_services,
    rows,
    small_pools,
)


def _table_rows(store: ReadModelStore, table_names: tuple[str, ...]) -> dict[str, list[str]]:
    return {
        table: sorted(
            json.dumps(row, sort_keys=True, default=str)
            for row in store.read(f"SELECT * FROM {table}")
        )
        for table in table_names
    }


def _wait_caught_up(runner: ProjectionRunner, services: Services, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    heads = {app.name: app.recorder.max_notification_id() or 0 for app in services.all()}
    while time.monotonic() < deadline:
        if all(
            runner.store(p.name).position(log) >= heads[log]
            for p in runner.projections
            for log in p.sources
        ):
            return
        time.sleep(0.02)
    raise AssertionError("the background runner never caught up")


def test_a_rebuild_while_events_keep_arriving_equals_an_incremental_build(
    services: Services, store_config: StoreConfig, small_pages: int
) -> None:
    """The server's runner projects in the background and another process keeps writing
    while every read model is rebuilt (more than once; the server's runner rebuilds, as
    `projections rebuild` in another process would). Afterwards each equals, row for
    row, a model built only incrementally, beside, page by page as the events came."""
    config = small_pools(store_config)
    mixed_history(services, customers=2)
    # The read models this history feeds (fewer connections on a shared PostgreSQL).
    fed = [p for p in all_projections(services) if {"customers", "complaints"} & set(p.sources)]
    live = ProjectionRunner(services, config, fed)
    for app in services.all():
        app.on_saved = live.nudge  # as the server wires it
    references = {
        p.name: ReadModelStore(config, p.name, beside="reference") for p in live.projections
    }
    for projection in live.projections:
        references[projection.name].create_tables(projection.tables)

    def build_references() -> None:
        for projection in live.projections:
            live.catch_up_projection(projection, references[projection.name])

    writer_services = open_services(store_config)
    writing_done = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for batch in range(6):
                mixed_history(writer_services, customers=2, start=10 + 2 * batch)
                build_references()
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            writing_done.set()

    live.start()
    writer = threading.Thread(target=write)
    writer.start()
    rebuilds = overlapped = 0
    try:
        while not writing_done.is_set() or rebuilds < 2 * len(live.projections):
            for projection in live.projections:
                live.rebuild(projection.name)
                rebuilds += 1
                overlapped += not writing_done.is_set()
        writer.join(timeout=60)
        assert not errors, errors
        assert overlapped, "no rebuild ran while events were arriving"
        build_references()
        _wait_caught_up(live, services)
        for projection in live.projections:
            rebuilt = _table_rows(live.store(projection.name), projection.table_names)
            incremental = _table_rows(references[projection.name], projection.table_names)
            assert rebuilt == incremental, projection.name
        assert len(rows(live.store("audit"))) == event_count(services)
    finally:
        writing_done.wait(timeout=60)
        live.close()
        for reference in references.values():
            reference.close()
        writer_services.close()


def _nothing_beside(config: StoreConfig, name: str) -> bool:
    pg = config.postgres
    if pg is None:
        return not shadow_path(config, name, REBUILD).exists()
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (shadow_schema(name),)
        ).fetchone()
    return found is None


def test_a_rebuild_leaves_nothing_beside_and_clears_what_a_crashed_one_left(
    services: Services,
    store_config: StoreConfig,
    runner: ProjectionRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer_story(services)
    runner.catch_up()
    complete = rows(runner.store("audit"))

    def crash(*args: Any, **kwargs: Any) -> None:
        raise OSError("the rebuild died before it switched")

    monkeypatch.setattr(ReadModelStore, "switch_to", crash)
    monkeypatch.setattr("projections.runner.discard_shadow", lambda *args: None)
    with pytest.raises(OSError):
        runner.rebuild("audit")
    monkeypatch.undo()
    assert not _nothing_beside(store_config, "audit"), "the crash left no shadow behind"
    assert rows(runner.store("audit")) == complete, "a failed rebuild changed the live trail"

    assert runner.rebuild("audit") == event_count(services)
    assert rows(runner.store("audit")) == complete
    assert _nothing_beside(store_config, "audit")


class NewerTrail(AuditTrail):
    """The audit trail as a newer release defines it: one more index."""

    # AuditTrail's own ``tables`` is inferred as exactly five statements.
    tables: ClassVar[tuple[str, ...]] = (  # type: ignore[assignment]
        *AuditTrail.tables,
        "CREATE INDEX IF NOT EXISTS audit_events_command ON audit_events (command)",
    )


def _indexes(store: ReadModelStore) -> set[str]:
    if store.postgres:
        found = store.read(
            "SELECT indexname AS name FROM pg_indexes WHERE tablename = ?", ("audit_events",)
        )
    else:
        found = store.read(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
            ("audit_events",),
        )
    return {row["name"] for row in found}


def test_a_rebuild_brings_in_a_changed_table_layout(
    services: Services, store_config: StoreConfig, runner: ProjectionRunner
) -> None:
    """Tables are replaced, not refilled: a rebuild is how a new layout goes live."""
    customer_story(services)
    runner.catch_up()
    complete = rows(runner.store("audit"))
    assert "audit_events_command" not in _indexes(runner.store("audit"))
    logs = [app.name for app in services.all()]
    newer = ProjectionRunner(services, small_pools(store_config), [NewerTrail(logs)])
    try:
        newer.rebuild("audit")
        assert "audit_events_command" in _indexes(runner.store("audit"))
        assert rows(runner.store("audit")) == complete
    finally:
        newer.close()


def test_readers_of_another_process_see_the_old_model_until_the_switch(
    services: Services, store_config: StoreConfig, runner: ProjectionRunner
) -> None:
    """Up to the switch, readers (another server process) read the old model with its
    positions; right after it, the new one: never a mix, never an empty table."""
    customer_story(services)
    runner.catch_up()
    before = rows(runner.store("audit"))
    reader = ReadModelStore(small_pools(store_config), "audit")
    seen: list[tuple[int, int]] = []
    original = ReadModelStore.switch_to

    def switch_to(self: ReadModelStore, *args: Any, **kwargs: Any) -> None:
        customer_story(services, 1)  # arrives during the rebuild, after the shadow's catch-up
        seen.append((len(reader.read("SELECT * FROM audit_events")), reader.position("customers")))
        original(self, *args, **kwargs)
        seen.append((len(reader.read("SELECT * FROM audit_events")), reader.position("customers")))

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ReadModelStore, "switch_to", switch_to)
            runner.rebuild("audit")
        assert seen[0] == (len(before), len(before))
        assert seen[1] == (len(before), len(before)), "the switch took in events it never saw"
        runner.catch_up()
        assert len(rows(runner.store("audit"))) == event_count(services)
    finally:
        reader.close()
