"""Shared fixtures: a real SQLite store always, a real PostgreSQL one when configured.

Set ``OPSLEDGER_TEST_POSTGRES`` to a server URL (``postgresql://postgres@127.0.0.1:5432/postgres``)
to run every store-backed test on PostgreSQL too. A fresh database is created
for the test session and dropped afterwards. Without it the PostgreSQL tests are
not collected (one line says so). In CI (``CI=true``) the variable is required:
PostgreSQL tests may not be skipped there. The fixtures every layer shares live in
tests/support (registered below).
"""

from __future__ import annotations

import functools
import os
import re
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from application.services import Services
from application.store import PostgresUrl, StoreConfig
from tests.support.sharing import ModuleShared, shares_app

POSTGRES_ENV = "OPSLEDGER_TEST_POSTGRES"

pytest_plugins = ["tests.support.clock", "tests.support.app"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "shared_app: the module's tests share one store and app")
    config.addinivalue_line("markers", "fresh_app: this test has its own store and app anyway")
    if os.environ.get("CI") and not os.environ.get(POSTGRES_ENV):
        raise pytest.UsageError(f"CI runs must set {POSTGRES_ENV}: PostgreSQL tests may not skip")


POSTGRES_RUNS = 0
ON_POSTGRES = re.compile(r"[\[-]postgres[\]-]")
NOT_COLLECTED: list[pytest.Item] = []


def on_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("store_config") == "postgres"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a PostgreSQL server the PostgreSQL runs are left out, and said so once
    (not one SKIPPED line each)."""
    if os.environ.get(POSTGRES_ENV):
        return
    NOT_COLLECTED[:] = [item for item in items if on_postgres(item)]
    if NOT_COLLECTED:
        config.hook.pytest_deselected(items=NOT_COLLECTED)
        items[:] = [item for item in items if not on_postgres(item)]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if NOT_COLLECTED:
        terminalreporter.write_line(
            f"PostgreSQL tests not collected ({len(NOT_COLLECTED)}): "
            f"set {POSTGRES_ENV}=postgresql://postgres@127.0.0.1:5432/postgres to run them"
        )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count the PostgreSQL runs that passed (with pytest-xdist, the controller sees
    every worker's reports here)."""
    global POSTGRES_RUNS
    if report.when == "call" and report.passed and ON_POSTGRES.search(report.nodeid):
        POSTGRES_RUNS += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return  # a pytest-xdist worker: the controller counts
    if os.environ.get("CI") and POSTGRES_RUNS == 0 and session.testscollected:
        print(f"\nCI: no test ran on PostgreSQL ({POSTGRES_ENV}); failing the run")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database URL for this session, or None without one."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        yield None
        return
    admin = PostgresUrl.parse(server)
    name = f"opsledger_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://{admin.user}:{admin.password}@{admin.host}:{admin.port}/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(url: str) -> None:
    """Drop every table: each test starts from an empty database, as on first start.

    (Emptying the tables would not do: eventsourcing's tracking tables keep a
    marker row that must exist whenever the table does.)
    """
    with psycopg.connect(PostgresUrl.parse(url).conninfo(), autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        ]
        if tables:
            conn.execute("DROP TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def store_config(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_database: str | None,
    module_shared: ModuleShared,
) -> StoreConfig:
    """An empty event store: SQLite files in a temp dir, or an emptied PostgreSQL database.
    (In a ``shared_app`` module, the one its tests share: empty for the first.)"""
    if request.param == "postgres" and postgres_database is None:
        pytest.skip(f"{POSTGRES_ENV} not set")
    make = functools.partial(_empty_store, request.param, tmp_path_factory, postgres_database)
    if shares_app(request):
        return module_shared.get(("store", request.param), make)
    module_shared.close()  # a fresh_app test: its module's next test makes the shared ones anew
    return make()


def _empty_store(
    kind: str, tmp_path_factory: pytest.TempPathFactory, postgres_database: str | None
) -> StoreConfig:
    data_dir = tmp_path_factory.mktemp("store") / "var"
    if kind == "sqlite":
        return StoreConfig(database_url=None, data_dir=data_dir)
    assert postgres_database is not None
    _empty_postgres(postgres_database)
    # Small pools: every test opens every application, projection and the token store;
    # waits for a connection bounded loosely (two test processes share 2 cores).
    return StoreConfig(
        database_url=postgres_database,
        data_dir=data_dir,
        pool_size=1,
        max_overflow=4,
        pool_timeout=15.0,
    )


@pytest.fixture
def services(store_config: StoreConfig) -> Iterator[Services]:
    opened = Services.open(store_config)
    try:
        yield opened
    finally:
        opened.close()
