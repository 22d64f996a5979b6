"""What the database alone can do, measured in the same run as opsledger."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from application.context import Actor, CommandContext
from application.services import Services
from application.store import PostgresUrl, StoreConfig
from bench.server import Server
from domain.vocabulary import Role, ServiceChannel

STATE = b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00+00:00"}}' * 3


@contextmanager
def fresh_databases(admin_url: str | None) -> Iterator[Callable[[], str | None]]:
    """A factory of empty PostgreSQL databases (all dropped afterwards)."""
    made: list[str] = []
    admin = PostgresUrl.parse(admin_url) if admin_url else None

    def make() -> str | None:
        if admin is None:
            return None
        name = f"opsledger_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"postgresql://{admin.user}:{admin.password}@{admin.host}:{admin.port}/{name}"

    try:
        yield make
    finally:
        if admin is not None:
            with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
                for name in made:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _loop(seconds: float, once: Callable[[int], object]) -> float:
    count = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        once(count)
        count += 1
    return round(count / (time.perf_counter() - started), 1)


def raw_commit_rate(url: str | None, tmp: Path, *, seconds: float) -> float:
    """Single-row INSERT + COMMIT in a loop, one connection, into a table shaped like
    eventsourcing's event table (PostgreSQL), or with SQLite in WAL mode, its default
    synchronous setting — as the service runs it."""
    originator = uuid.uuid4()
    if url is None:
        db = sqlite3.connect(tmp / "raw.sqlite", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(
            "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
            "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )

        def insert_sqlite(n: int) -> None:
            db.execute("BEGIN")
            db.execute(
                "INSERT INTO stored_events VALUES (?, ?, ?, ?)",
                (originator.hex, n, "bench:Event", STATE),
            )
            db.execute("COMMIT")

        try:
            return _loop(seconds, insert_sqlite)
        finally:
            db.close()
    with psycopg.connect(PostgresUrl.parse(url).conninfo(), autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE raw_events (originator_id uuid NOT NULL, "
            "originator_version bigint NOT NULL, topic text, state bytea, "
            "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
        )
        conn.execute("CREATE UNIQUE INDEX ON raw_events (notification_id)")

        def insert_postgres(n: int) -> None:
            with conn.transaction():
                conn.execute(
                    "INSERT INTO raw_events (originator_id, originator_version, topic, state) "
                    "VALUES (%s, %s, %s, %s)",
                    (originator, n, "bench:Event", STATE),
                    prepare=True,
                )

        return _loop(seconds, insert_postgres)


class Tick(Aggregate):
    @event("Ticked")
    def __init__(self, number: int) -> None:
        self.number = number


def bare_eventsourcing_rate(url: str | None, tmp: Path, *, seconds: float) -> float:
    """An eventsourcing Application saving a new one-event aggregate per transaction."""
    config = StoreConfig(database_url=url, data_dir=tmp)
    env = config.app_env("bare")
    env.pop("APPLICATION_RECORDER_TOPIC")
    app: Application[uuid.UUID] = Application(env=env)
    try:
        return _loop(seconds, lambda n: app.save(Tick(number=n)))
    finally:
        app.close()


def append_follow_ups(server: Server, customer_id: str, count: int, batch: int = 100) -> None:
    """Give a customer a long history quickly: follow-ups saved a batch at a time."""
    config = StoreConfig(
        database_url=server.env.get("OPSLEDGER_DATABASE_URL"),
        data_dir=Path(server.env["OPSLEDGER_DATA_DIR"]),
        pool_size=1,
    )
    services = Services.open(config)
    ctx = CommandContext(actor=Actor("bench-ops", frozenset({Role.OPERATIONS})), request_id="bench")
    try:
        app = services.customers
        remaining = count
        while remaining > 0:
            customer = app.get_customer(uuid.UUID(customer_id))
            for _ in range(min(batch, remaining)):
                customer.log_follow_up(ServiceChannel.PHONE, "Routine check-in")
            remaining -= batch
            app.record(customer, ctx)
    finally:
        services.close()
