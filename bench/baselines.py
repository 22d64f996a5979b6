"""What the database alone can do, measured in the same run as opsledger."""

from __future__ import annotations

import sqlite3
import threading
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


RAW_SQLITE = "raw.sqlite"
RAW_INSERT_SQLITE = "INSERT INTO stored_events VALUES (?, ?, ?, ?)"
RAW_INSERT_POSTGRES = (
    "INSERT INTO raw_events (originator_id, originator_version, topic, state) "
    "VALUES (%s, %s, %s, %s)"
)


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    """A connection with the service's durability settings (WAL, default synchronous),
    the raw table made if missing."""
    db = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS stored_events (originator_id TEXT, "
        "originator_version INTEGER, topic TEXT, state BLOB, "
        "PRIMARY KEY (originator_id, originator_version))"
    )
    return db


def _postgres_table(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """A table shaped like eventsourcing's event table, made if missing."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS raw_events (originator_id uuid NOT NULL, "
        "originator_version bigint NOT NULL, topic text, state bytea, "
        "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
    )
    conn.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS raw_events_notification ON raw_events (notification_id)"
    )


def raw_commit_rate(url: str | None, tmp: Path, *, seconds: float) -> float:
    """Single-row INSERT + COMMIT in a loop, one connection, into a table shaped like
    eventsourcing's event table (PostgreSQL), or with SQLite in WAL mode, its default
    synchronous setting — as the service runs it."""
    originator = uuid.uuid4()
    if url is None:
        db = _sqlite_connect(tmp / RAW_SQLITE)

        def insert_sqlite(n: int) -> None:
            db.execute("BEGIN")
            db.execute(RAW_INSERT_SQLITE, (originator.hex, n, "bench:Event", STATE))
            db.execute("COMMIT")

        try:
            return _loop(seconds, insert_sqlite)
        finally:
            db.close()
    with psycopg.connect(PostgresUrl.parse(url).conninfo(), autocommit=True) as conn:
        _postgres_table(conn)

        def insert_postgres(n: int) -> None:
            with conn.transaction():
                conn.execute(
                    RAW_INSERT_POSTGRES, (originator, n, "bench:Event", STATE), prepare=True
                )

        return _loop(seconds, insert_postgres)


def raw_commit_rate_concurrent(
    url: str | None, tmp: Path, *, seconds: float, connections: int = 16
) -> float:
    """The same single-row INSERT + COMMIT, from `connections` threads at once, each
    with its own connection (and its own originator): total commits per second.

    PostgreSQL can flush many backends' commits in one WAL write (group commit), so
    this is the ceiling for a service whose commands commit concurrently. SQLite lets
    one writer in at a time (BEGIN IMMEDIATE waits for the write lock, no retries),
    so there it shows what serialised writers top out at."""
    if url is None:
        path = tmp / RAW_SQLITE
        _sqlite_connect(path).close()  # the table, before the threads race to make it

        def open_sqlite() -> Callable[[int], None]:
            db = _sqlite_connect(path)
            originator = uuid.uuid4().hex

            def once(n: int) -> None:
                if n < 0:
                    db.close()
                    return
                db.execute("BEGIN IMMEDIATE")
                db.execute(RAW_INSERT_SQLITE, (originator, n, "bench:Event", STATE))
                db.execute("COMMIT")

            return once

        return _concurrent_loop(seconds, connections, open_sqlite)
    conninfo = PostgresUrl.parse(url).conninfo()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        _postgres_table(conn)

    def open_postgres() -> Callable[[int], None]:
        conn = psycopg.connect(conninfo, autocommit=True)
        originator = uuid.uuid4()

        def once(n: int) -> None:
            if n < 0:
                conn.close()
                return
            with conn.transaction():
                conn.execute(
                    RAW_INSERT_POSTGRES, (originator, n, "bench:Event", STATE), prepare=True
                )

        return once

    return _concurrent_loop(seconds, connections, open_postgres)


def _concurrent_loop(
    seconds: float, threads: int, connect: Callable[[], Callable[[int], None]]
) -> float:
    """Each thread opens its connection, all start together, loop until the deadline;
    `once(-1)` closes a thread's connection. Total calls per second."""
    counts = [0] * threads
    finished = [0.0] * threads
    failures: list[BaseException] = []
    clock = {"started": 0.0, "deadline": 0.0}

    def go() -> None:  # run once, when every thread has its connection
        clock["started"] = time.perf_counter()
        clock["deadline"] = clock["started"] + seconds

    start = threading.Barrier(threads, action=go)

    def work(index: int) -> None:
        try:
            once = connect()
        except BaseException as exc:
            failures.append(exc)
            start.abort()
            return
        try:
            start.wait()
            count = 0
            while time.perf_counter() < clock["deadline"]:
                once(count)
                count += 1
            counts[index] = count
            finished[index] = time.perf_counter()
        except BaseException as exc:
            failures.append(exc)
        finally:
            once(-1)

    workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = max(finished) - clock["started"]
    if failures:
        raise RuntimeError(f"{len(failures)} of {threads} connections failed") from failures[0]
    return round(sum(counts) / elapsed, 1)


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
