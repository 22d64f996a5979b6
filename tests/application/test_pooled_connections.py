"""Pooled PostgreSQL connections: one given back a moment ago is handed out without a
ping; one idle longer is pinged, and replaced if the server closed it meanwhile."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import PersistenceError

import application.store as store_module
from api.tokens import TokenStore
from application.services import Services
from application.store import StoreConfig
from domain.vocabulary import Role
from tests.application.support import register


@pytest.fixture
def postgres(store_config: StoreConfig) -> StoreConfig:
    if store_config.postgres is None:
        pytest.skip("the pools are PostgreSQL's")
    return store_config


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The connections psycopg_pool pinged, in order."""
    pinged: list[Any] = []
    ping = store_module.psycopg_pool.ConnectionPool.check_connection

    def counted(conn: Any) -> None:
        pinged.append(conn)
        ping(conn)

    monkeypatch.setattr(store_module.psycopg_pool.ConnectionPool, "check_connection", counted)
    yield pinged


def _backend(services: Services) -> int:
    with services.customers.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
        row = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()
        return int(row["pid"])


def _terminate(config: StoreConfig, pid: int) -> None:
    with config.connect() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    time.sleep(0.1)  # the backend is gone once its socket closes


def test_a_connection_used_a_moment_ago_is_not_pinged_again(
    postgres: StoreConfig, services: Services, pings: list[Any]
) -> None:
    register(services)
    pings.clear()
    for _ in range(5):
        register(services)
    assert pings == []


def test_an_idle_connection_the_server_closed_is_replaced_unseen(
    postgres: StoreConfig,
    services: Services,
    pings: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store_module, "FRESH_SECONDS", 0.2)
    register(services)
    pid = _backend(services)
    _terminate(postgres, pid)
    time.sleep(0.3)  # idle longer than FRESH_SECONDS: pinged, found closed, replaced
    register(services)
    assert pings, "the idle connection was not pinged"
    assert _backend(services) != pid


def test_the_token_store_pings_only_idle_connections(
    postgres: StoreConfig, pings: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = TokenStore(postgres)
    try:
        token = tokens.issue("pooled", [Role.SALES])
        pings.clear()
        for _ in range(5):
            assert tokens.principal(token) is not None
        assert pings == []
        monkeypatch.setattr(store_module, "FRESH_SECONDS", 0.0)
        assert tokens.principal(token) is not None
        assert len(pings) == 1
    finally:
        tokens.close()


def test_a_broken_fresh_connection_is_a_store_error_and_the_next_one_works(
    postgres: StoreConfig, services: Services
) -> None:
    """The cost of skipping the ping: a connection the server closed within the second
    fails one statement (eventsourcing retries its own; others answer 503), and the pool
    gives it up."""
    register(services)
    with postgres.connect() as admin:  # every pooled connection of this database
        pids = [
            row[0]
            for row in admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ]
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    time.sleep(0.1)
    datastore: Any = services.customers.recorder.datastore  # type: ignore[attr-defined]
    with pytest.raises((psycopg.Error, PersistenceError)), datastore.get_connection() as conn:
        conn.execute("SELECT 1")
    # Each dead connection fails one statement at most, then the pool has given it up.
    failures = 0
    while failures <= len(pids):
        try:
            register(services)
            break
        except (psycopg.Error, PersistenceError):
            failures += 1
    assert failures <= len(pids)
    assert _backend(services) not in pids
