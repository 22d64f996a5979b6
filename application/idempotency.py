"""Idempotency keys, written in the same transaction as the command's events.

A command sent with an ``Idempotency-Key`` stores the key, the request's
fingerprint and the answer's id and version together with its events: either
both are committed or neither is, so a retry can never write twice.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier, Literal

from application.group_commit import GroupCommit, Pending, split_ids


@dataclass(frozen=True)
class IdempotencyRecord:
    """One remembered command answer."""

    scope: str
    key: str
    fingerprint: str
    originator_id: UUID
    originator_version: int
    created: bool
    extra: dict[str, Any] = field(default_factory=dict)
    notification_id: int | None = None

    def params(self) -> tuple[Any, ...]:
        return (
            self.scope,
            self.key,
            self.fingerprint,
            self.originator_id.hex,
            self.originator_version,
            int(self.created),
            json.dumps(self.extra),
        )


def _record(row: Any, notification_id: int | None) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope=row["scope"],
        key=row["key"],
        fingerprint=row["fingerprint"],
        originator_id=UUID(str(row["originator_id"])),
        originator_version=row["originator_version"],
        created=bool(row["created"]),
        extra=json.loads(row["extra"]),
        notification_id=notification_id,
    )


class SQLiteIdempotentRecorder(SQLiteApplicationRecorder):
    def __init__(self, datastore: Any, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name)
        self.group = GroupCommit(self._write_batch)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return self.group.write(stored_events, **kwargs)

    def _write_batch(self, batch: list[Pending]) -> None:
        """Concurrent commands in one transaction, a savepoint each (see group_commit)."""
        if len(batch) == 1:
            alone = batch[0]
            alone.settle(ids=super().insert_events(alone.stored_events, **alone.kwargs))
            return
        outcomes: list[tuple[Pending, Sequence[int] | None, Exception | None]] = []
        with self.datastore.transaction(commit=True) as c:
            for pending in batch:
                c.execute("SAVEPOINT command")
                try:
                    ids = self._insert_events(c, pending.stored_events, **pending.kwargs)
                except sqlite3.IntegrityError as refused:
                    c.execute("ROLLBACK TO command")
                    outcomes.append((pending, None, IntegrityError(str(refused))))
                else:
                    outcomes.append((pending, ids, None))
                c.execute("RELEASE command")
        for pending, ids, error in outcomes:  # committed: now they may be answered
            pending.settle(ids, error)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS idempotency_keys ("
            "scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
            "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, "
            "created INTEGER NOT NULL, extra TEXT NOT NULL, "
            "PRIMARY KEY (scope, key))",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        if record is not None:
            c.execute("INSERT INTO idempotency_keys VALUES (?, ?, ?, ?, ?, ?, ?)", record.params())
        return ids

    def select_idempotency(self, scope: str, key: str) -> IdempotencyRecord | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT i.*, e.rowid AS notification_id FROM idempotency_keys i "
                f"LEFT JOIN {self.events_table_name} e "
                "ON e.originator_id = i.originator_id "
                "AND e.originator_version = i.originator_version "
                "WHERE i.scope = ? AND i.key = ?",
                (scope, key),
            )
            row = c.fetchone()
        return None if row is None else _record(row, row["notification_id"])


class PostgresIdempotentRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: Any, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.idempotency_table = Identifier(
            events_table_name.removesuffix("_events") + "_idempotency"
        )
        self.schema_id = Identifier(self.datastore.schema)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                "scope text NOT NULL, key text NOT NULL, fingerprint text NOT NULL, "
                "originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                "created boolean NOT NULL, extra text NOT NULL, "
                "PRIMARY KEY (scope, key))"
            ).format(schema=self.schema_id, table=self.idempotency_table)
        )
        self.group = GroupCommit(self._write_batch)

    def _create_table(self, curs: Any) -> None:
        # One process at a time: eventsourcing replaces its insert function on every
        # start, and two workers replacing it at once fail ("tuple concurrently
        # updated"), which stopped a multi-worker server at start now and then.
        curs.execute("SELECT pg_advisory_xact_lock(hashtext('opsledger.schema'))")
        super()._create_table(curs)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return self.group.write(stored_events, **kwargs)

    def _write_batch(self, batch: list[Pending]) -> None:
        """Concurrent commands in one transaction (see group_commit): one insert for
        all of them, or, if that broke a uniqueness rule, a savepoint each."""
        try:
            self._insert_together(batch)
        except (IntegrityError, OperationalError):
            if len(batch) == 1:
                raise
            self._insert_each(batch)

    def _insert_together(self, batch: list[Pending]) -> None:
        events = [event for pending in batch for event in pending.stored_events]
        ids: Sequence[int] = []
        failed: Exception | None = None
        # eventsourcing's own insert, for several commands: the statements pipelined,
        # the error (if any) raised once the pipeline has ended.
        with self.datastore.get_connection() as conn:
            with conn.pipeline() as pipeline, conn.transaction():
                with conn.cursor() as curs:
                    for pending in batch:
                        self._insert_events(curs, pending.stored_events, **pending.kwargs)
                if events:
                    with conn.cursor() as curs:
                        try:
                            self._insert_stored_events(curs, events)
                            pipeline.sync()
                            ids = self._fetch_ids_after_insert_events(curs, events) or []
                        except Exception as error:
                            failed = error
            if failed:
                raise failed
        split_ids(batch, ids)

    def _insert_each(self, batch: list[Pending]) -> None:
        outcomes: list[tuple[Pending, Sequence[int] | None, Exception | None]] = []
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            for pending in batch:
                ids: Sequence[int] | None = []
                try:
                    with conn.transaction():  # a savepoint
                        self._insert_events(curs, pending.stored_events, **pending.kwargs)
                        if pending.stored_events:
                            self._insert_stored_events(curs, pending.stored_events)
                            ids = self._fetch_ids_after_insert_events(curs, pending.stored_events)
                except psycopg.IntegrityError as refused:
                    outcomes.append((pending, None, IntegrityError(str(refused))))
                else:
                    outcomes.append((pending, ids, None))
        for pending, ids, error in outcomes:  # committed: now they may be answered
            pending.settle(ids, error)

    def _insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        if record is not None:
            scope, key, fingerprint, originator_id, version, created, extra = record.params()
            curs.execute(
                SQL("INSERT INTO {schema}.{table} VALUES (%s, %s, %s, %s, %s, %s, %s)").format(
                    schema=self.schema_id, table=self.idempotency_table
                ),
                (scope, key, fingerprint, originator_id, version, bool(created), extra),
            )

    def select_idempotency(self, scope: str, key: str) -> IdempotencyRecord | None:
        statement = SQL(
            "SELECT i.*, e.notification_id FROM {schema}.{table} i "
            "LEFT JOIN {schema}.{events} e ON e.originator_id = i.originator_id "
            "AND e.originator_version = i.originator_version "
            "WHERE i.scope = %s AND i.key = %s"
        ).format(
            schema=self.schema_id,
            table=self.idempotency_table,
            events=Identifier(self.events_table_name),
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (scope, key))
            row = curs.fetchone()
        return None if row is None else _record(row, row["notification_id"])


def remembering(recorders: Sequence[Any], scope: str, key: str) -> list[int]:
    """The indexes of the ``recorders`` that remember ``key`` of ``scope``: on PostgreSQL
    one query for all the logs of a database rather than a round trip each."""
    together = [
        r
        for r in recorders
        if isinstance(r, PostgresIdempotentRecorder) and r.datastore is recorders[0].datastore
    ]
    if len(together) != len(recorders) or not recorders:
        return [n for n, r in enumerate(recorders) if r.select_idempotency(scope, key) is not None]
    query = SQL(" UNION ALL ").join(
        SQL("(SELECT {n} AS n FROM {schema}.{table} WHERE scope = %s AND key = %s)").format(
            n=Literal(n), schema=r.schema_id, table=r.idempotency_table
        )
        for n, r in enumerate(together)
    )
    with together[0].datastore.get_connection() as conn, conn.cursor() as curs:
        rows = curs.execute(query, [scope, key] * len(together)).fetchall()
    return sorted(int(row["n"]) for row in rows)


class KeyClaims:
    """Which collection each principal's Idempotency-Key went to first.

    A key is claimed, in a transaction of its own, before the command runs: the
    first collection to claim it owns it, and the same key sent to another
    collection is refused, also when both arrive at once (the claims table's
    primary key decides). Per-collection key tables could not decide that: on
    SQLite each collection is a file of its own, and on PostgreSQL two
    transactions on two tables do not see each other's uncommitted keys.
    The claims live beside the logs: a table on PostgreSQL, ``idempotency.sqlite``.
    """

    def __init__(self, datastore: Any | None, sqlite_path: str | None) -> None:
        self.datastore = datastore
        self.sqlite_path = sqlite_path
        self._local = threading.local()
        self._execute_ddl()

    def _execute_ddl(self) -> None:
        ddl = (
            "CREATE TABLE IF NOT EXISTS opsledger_idempotency_claims ("
            "scope TEXT NOT NULL, key TEXT NOT NULL, collection TEXT NOT NULL, "
            "PRIMARY KEY (scope, key))"
        )
        if self.datastore is not None:
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(ddl)
        else:
            with self._sqlite() as db:
                db.execute(ddl)

    def _sqlite(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            assert self.sqlite_path is not None
            db = sqlite3.connect(self.sqlite_path, timeout=10)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db

    def claim(self, scope: str, key: str, collection: str) -> tuple[str, bool]:
        """The collection that owns the key, and whether this call claimed it."""
        if self.datastore is not None:
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(
                    "INSERT INTO opsledger_idempotency_claims VALUES (%s, %s, %s) "
                    "ON CONFLICT DO NOTHING RETURNING collection",
                    (scope, key, collection),
                )
                if curs.fetchone() is not None:
                    return collection, True
                curs.execute(
                    "SELECT collection FROM opsledger_idempotency_claims "
                    "WHERE scope = %s AND key = %s",
                    (scope, key),
                )
                row = curs.fetchone()
                return str(row["collection"]), False
        with self._sqlite() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO opsledger_idempotency_claims VALUES (?, ?, ?)",
                (scope, key, collection),
            ).rowcount
            if inserted:
                return collection, True
            row = db.execute(
                "SELECT collection FROM opsledger_idempotency_claims WHERE scope = ? AND key = ?",
                (scope, key),
            ).fetchone()
            return str(row[0]), False

    def close(self) -> None:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            db.close()
