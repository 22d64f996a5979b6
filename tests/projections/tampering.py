"""Tampering done directly in the database, behind the application's back (raw SQL
on the SQLite files or the PostgreSQL tables): what the audit checks must catch."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from application.services import Services
from application.store import StoreConfig
from projections.audit import GENESIS, chain_hash
from projections.store import ReadModelStore
from tests.projections.support import alter_event


@contextmanager
def _events(config: StoreConfig, log: str) -> Iterator[tuple[Any, str, str]]:
    """A connection to ``log``'s events, its table and its position column."""
    if config.database_url is None:
        with sqlite3.connect(config.sqlite_path(log)) as conn:
            yield conn, "stored_events", "rowid"
        return
    pg = config.postgres
    assert pg is not None
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        yield conn, f"{log}_events", "notification_id"


def _q(config: StoreConfig, statement: str) -> str:
    return statement if config.database_url is None else statement.replace("?", "%s")


def swap_events(config: StoreConfig, log: str, first: int, second: int) -> None:
    """Exchange the positions of two stored events (a reordering)."""
    with _events(config, log) as (conn, table, pos):
        for old, new in ((first, -1), (second, first), (-1, second)):
            conn.execute(_q(config, f"UPDATE {table} SET {pos} = ? WHERE {pos} = ?"), (new, old))


def insert_event(config: StoreConfig, log: str, at: int) -> None:
    """Move every event from ``at`` on one place up and slip a forged one in at ``at``."""
    with _events(config, log) as (conn, table, pos):
        conn.execute(_q(config, f"UPDATE {table} SET {pos} = -({pos} + 1) WHERE {pos} >= ?"), (at,))
        conn.execute(f"UPDATE {table} SET {pos} = -{pos} WHERE {pos} < 0")
        topic, state = conn.execute(
            _q(config, f"SELECT topic, state FROM {table} WHERE {pos} = ?"), (at + 1,)
        ).fetchone()
        conn.execute(
            _q(
                config,
                f"INSERT INTO {table} ({pos}, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, 1, ?, ?)",
            ),
            (at, str(uuid.uuid4()) if config.database_url is None else uuid.uuid4(), topic, state),
        )


def delete_tail(config: StoreConfig, trail: ReadModelStore, log: str, from_: int) -> None:
    """Delete the events from ``from_`` on, from the event store and the trail alike."""
    with _events(config, log) as (conn, table, pos):
        conn.execute(_q(config, f"DELETE FROM {table} WHERE {pos} >= ?"), (from_,))
    with trail.transaction(commit=True) as cursor:
        cursor.execute("DELETE FROM audit_events WHERE log = ? AND position >= ?", (log, from_))


def rewrite_both(
    config: StoreConfig, services: Services, trail: ReadModelStore, log: str, position: int
) -> None:
    """Alter an event and recompute the trail's chain to match: the event table and the
    audit table rewritten together, consistently."""
    alter_event(config, log, position)
    app = getattr(services, log)
    previous = GENESIS
    with trail.transaction(commit=True) as cursor:
        for notification in app.recorder.select_notifications(start=None, limit=1_000_000):
            previous = chain_hash(previous, log, notification)
            cursor.execute(
                "UPDATE audit_events SET chain_hash = ? WHERE log = ? AND position = ?",
                (previous, log, notification.id),
            )
