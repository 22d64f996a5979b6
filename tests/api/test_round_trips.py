"""What one command costs the database on PostgreSQL: the statements it sends, counted
at the driver (psycopg's cursors), with the projection runner and the webhook worker
off so that only the request's own are counted. A new round trip on the write path
fails here first."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

import application.store as store_module
from api.settings import Settings
from application.store import StoreConfig
from domain.vocabulary import Role
from tests.api.support import Api

SALES = Role.SALES


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"run_projections": False})


class Statements:
    """The statements psycopg's cursors execute in this process while ``on``, each
    shortened to its verb and table (``SELECT customers_events``); a ping is ``PING``."""

    TABLE = re.compile(r'(?:FROM|INTO|UPDATE|TABLE)\s+(?:"?public"?\.)?"?(\w+)"?', re.IGNORECASE)

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.on = False
        self._lock = threading.Lock()

    def record(self, query: Any) -> None:
        if not self.on:
            return
        text = " ".join((query.decode() if isinstance(query, bytes) else str(query)).split())
        if not text:
            shown = "PING"
        else:
            table = self.TABLE.search(text)
            shown = text.split()[0].upper() + (f" {table.group(1)}" if table else "")
        with self._lock:
            self.seen.append(shown)


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    counted = Statements()

    def counting(method: Any) -> Any:
        def run(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            counted.record(query.as_string(self) if hasattr(query, "as_string") else query)
            return method(self, query, *args, **kwargs)

        return run

    for name in ("execute", "executemany"):
        monkeypatch.setattr(psycopg.Cursor, name, counting(getattr(psycopg.Cursor, name)))
    yield counted


@pytest.fixture
def postgres(store_config: StoreConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    if store_config.postgres is None:
        pytest.skip("counted on PostgreSQL")
    # No ping however slow the machine (tests/application/test_pooled_connections.py).
    monkeypatch.setattr(store_module, "FRESH_SECONDS", 600.0)


def purchase(api: Api, customer: str, **headers: str) -> None:
    body = {"amount": "12.00", "order_ref": uuid.uuid4().hex}
    api.ok(f"/customers/{customer}/purchases", body, who=SALES, headers=headers)


def counted(statements: Statements, act: Any) -> list[str]:
    statements.seen.clear()
    statements.on = True
    try:
        act()
    finally:
        statements.on = False
    return sorted(statements.seen)


# One command, once its aggregate is cached: the token (1), the events written since
# the cached version (1), and one pipelined transaction that locks the log, inserts
# the events and notifies the projection runners (4 statements, one commit).
ONE_COMMAND = [
    "INSERT customers_events",
    "LOCK customers_events",
    "NOTIFY",
    "SELECT customers_events",
    "SELECT opsledger_tokens",
    "SET",  # the lock's timeout, in the same transaction
]


def test_a_command_is_a_token_lookup_an_aggregate_read_and_one_insert(
    postgres: None, api: Api, statements: Statements
) -> None:
    customer = api.register_customer()
    purchase(api, customer)  # the token used and the aggregate cached
    assert counted(statements, lambda: purchase(api, customer)) == ONE_COMMAND


def test_a_keyed_command_adds_its_key_s_lookup_claim_and_row_and_one_query_for_the_others(
    postgres: None, api: Api, statements: Statements
) -> None:
    customer = api.register_customer()
    purchase(api, customer, **{"Idempotency-Key": uuid.uuid4().hex})
    keyed = counted(
        statements, lambda: purchase(api, customer, **{"Idempotency-Key": uuid.uuid4().hex})
    )
    assert keyed == sorted(
        [
            *ONE_COMMAND,
            "SELECT customers_idempotency",  # answered before?
            "INSERT opsledger_idempotency_claims",  # the key is this collection's
            "(SELECT complaints_idempotency",  # one query for the other logs' keys
            "INSERT customers_idempotency",  # in the events' transaction
        ]
    )
