"""Where a projection keeps its read model: its tables and its positions.

Each projection has its own store — a SQLite file beside the event stores, or
tables named after it in the PostgreSQL database — built on eventsourcing's
tracking recorders. Rows and the position they bring the projection to are
written in one transaction, and the single-row tracking refuses to move a
position backwards or sideways: a page is applied exactly once, even with two
runners racing.

A rebuild builds a *shadow* store beside the live one (a file
``<name>.rebuild.sqlite``, or the schema ``rebuild_<name>``), with tracking of
its own, then ``switch_to`` puts the shadow's tables and positions in place of
the live ones in one transaction: readers see the old model until the commit
and the new one after.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, Tracking, TrackingRecorder
from eventsourcing.utils import Environment
from psycopg import sql

from application.personal import empty_write_ahead_log
from application.store import StoreConfig


class ReadCursor:
    """A cursor that speaks one SQL dialect: statements use ``?`` placeholders."""

    def __init__(self, cursor: Any, *, postgres: bool) -> None:
        self.cursor = cursor
        self.postgres = postgres

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> ReadCursor:
        self.cursor.execute(sql.replace("?", "%s") if self.postgres else sql, params)
        return self

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.cursor.executemany(sql.replace("?", "%s") if self.postgres else sql, rows)

    def fetchall(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.cursor.fetchall()]

    def fetchone(self) -> dict[str, Any] | None:
        row = self.cursor.fetchone()
        return None if row is None else dict(row)


REBUILD = "rebuild"


def shadow_schema(name: str, beside: str = REBUILD) -> str:
    """The PostgreSQL schema of the store ``beside`` the live one (a rebuild's)."""
    return f"{beside}_{name}"


def shadow_path(config: StoreConfig, name: str, beside: str = REBUILD) -> Path:
    """The SQLite file of the store ``beside`` the live one (a rebuild's)."""
    return config.data_dir / f"{name}.{beside}.sqlite"


def discard_shadow(config: StoreConfig, name: str, beside: str = REBUILD) -> None:
    """Remove a store beside the live one (what a rebuild built, or left when it died)."""
    pg = config.postgres
    if pg is None:
        path = shadow_path(config, name, beside)
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        return
    with config.connect() as conn:
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(shadow_schema(name, beside))
            )
        )


class ReadModelStore:
    """A read model's tables and positions; ``beside`` names a store beside the live one
    (a rebuild's shadow, ``beside="rebuild"``): same tables, positions of its own."""

    def __init__(self, config: StoreConfig, name: str, *, beside: str | None = None) -> None:
        self.config = config
        self.name = name
        self.beside = beside
        self.postgres = config.postgres is not None
        # Live read models share the process's pool; a rebuild's shadow store (another
        # schema, so another datastore) gets one connection and one spare.
        if beside is not None:
            config = replace(config, pool_size=1, max_overflow=1)
        env = config.app_env(name)
        env.pop("APPLICATION_RECORDER_TOPIC", None)
        # Statements run first in each transaction (the shadow's tables are unqualified).
        self._prelude: tuple[str, ...] = ()
        if beside is not None and self.postgres:
            schema = shadow_schema(name, beside)
            env["POSTGRES_SCHEMA"] = schema
            self._create_schema(schema)
            self._prelude = (f'SET LOCAL search_path TO "{schema}"',)
        elif beside is not None:
            env["SQLITE_DBNAME"] = str(shadow_path(config, name, beside))
        self.factory = InfrastructureFactory.construct(Environment(name, env))
        self.tracking: TrackingRecorder = self.factory.tracking_recorder()
        self.datastore: Any = self.factory.datastore  # type: ignore[attr-defined]

    def _create_schema(self, schema: str) -> None:
        with self.config.connect() as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))

    @contextmanager
    def _raw(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as raw:
            for statement in self._prelude:
                raw.execute(statement)
            yield raw

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[ReadCursor]:
        with self._raw(commit=commit) as cursor:
            yield ReadCursor(cursor, postgres=self.postgres)

    def read(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
        with self.transaction(commit=False) as cursor:
            return cursor.execute(sql, params).fetchall()

    def create_tables(self, statements: tuple[str, ...]) -> None:
        with self.transaction(commit=True) as cursor:
            for statement in statements:
                cursor.execute(statement)

    def forget_overwritten(self) -> None:
        """Make what was overwritten unrecoverable from the files (after an erasure): a
        SQLite store's write-ahead log is emptied (``secure_delete`` zeroed the page
        space). PostgreSQL's dead rows go with VACUUM (see docs/privacy.md)."""
        if self.postgres:
            return
        path = shadow_path(self.config, self.name, self.beside) if self.beside else None
        empty_write_ahead_log(str(path or self.config.sqlite_path(self.name)))

    def position(self, source: str) -> int:
        return self.tracking.max_tracking_id(source) or 0

    def apply_page(
        self, source: str, read_from: int, last_position: int, write: Callable[[ReadCursor], None]
    ) -> bool:
        """Write a page of rows and move the source's position, in one transaction.

        The page was read after position ``read_from``; if the position is no
        longer that (another runner went on, or a rebuild switched), the page is
        stale and nothing is written: returns False.
        """
        with self._raw(commit=True) as raw:
            return self.write_page(raw, source, read_from, last_position, write)

    def write_page(
        self,
        raw: Any,
        source: str,
        read_from: int,
        last_position: int,
        write: Callable[[ReadCursor], None],
        stored: int | None = None,
    ) -> bool:
        """``apply_page`` in a transaction the caller holds (``raw``, a cursor of this
        store's database): nothing is committed here. ``stored``: the source's
        position as read in that transaction already (see ``position_query``)."""
        tracking: Any = self.tracking
        if stored is None:
            stored = tracking._max_tracking_id(source, raw) or 0
        if stored != read_from:
            return False
        # On PostgreSQL the page's statements go in a pipeline: sent without
        # waiting for each answer (a round trip per statement was most of the time).
        with raw.connection.pipeline() if self.postgres else nullcontext():
            write(ReadCursor(raw, postgres=self.postgres))
        tracking._insert_tracking(raw, Tracking(source, last_position))
        return True

    def position_query(self) -> sql.Composable:
        """The statement that reads a source's position (one ``%s``: the source), to
        read several stores' positions in one query (PostgreSQL)."""
        return self.tracking.max_tracking_id_statement  # type: ignore[attr-defined]

    def page_transaction(self) -> AbstractContextManager[Any]:
        """A transaction to ``write_page`` in (committed on leaving): a raw cursor."""
        return self._raw(commit=True)

    def shares_transactions_with(self, other: ReadModelStore) -> bool:
        """Whether a page of this store can be written in a transaction of ``other``'s:
        two live read models in one PostgreSQL database (SQLite keeps a file each)."""
        return (
            self.postgres
            and self.datastore is other.datastore
            and not self._prelude
            and not other._prelude
        )

    @property
    def tracking_table(self) -> str:
        return str(getattr(self.tracking, "tracking_table_name", "tracking"))

    def switch_to(
        self, shadow: ReadModelStore, table_names: tuple[str, ...], tables: tuple[str, ...]
    ) -> None:
        """Put the shadow's tables and positions in place of this store's, in one transaction.

        Readers see the old model until the commit, the rebuilt one after. The
        tables are replaced, not refilled, so a rebuild also brings in a changed
        layout (``tables``). The caller holds the projection's lock.
        """
        assert shadow.beside is not None and self.beside is None
        if self.postgres:
            self._switch_postgres(shadow, table_names)
        else:
            self._switch_sqlite(shadow, table_names, tables)

    def _switch_postgres(self, shadow: ReadModelStore, table_names: tuple[str, ...]) -> None:
        # Moving the shadow's tables (indexes and all) is instant, whatever their size.
        # Dropping the live ones waits for readers in flight and holds new ones back
        # until the commit; then they read the new tables.
        assert shadow.beside is not None
        source = sql.Identifier(shadow_schema(self.name, shadow.beside))
        with self.datastore.transaction(commit=True) as cursor:
            row = cursor.execute("SELECT current_schema() AS schema").fetchone()
            target = sql.Identifier(row["schema"])
            for table in table_names:
                name = sql.Identifier(table)
                cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}.{}").format(target, name))
                cursor.execute(
                    sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(source, name, target)
                )
            self._take_positions(
                cursor,
                sql.SQL("{}.{}").format(
                    sql.Identifier(self.datastore.schema), sql.Identifier(self.tracking_table)
                ),
                sql.SQL("{}.{}").format(source, sql.Identifier(shadow.tracking_table)),
            )

    def _switch_sqlite(
        self, shadow: ReadModelStore, table_names: tuple[str, ...], tables: tuple[str, ...]
    ) -> None:
        # One connection of our own, with the shadow file attached: ATTACH cannot
        # happen inside a transaction, and pooled connections should not keep it.
        assert shadow.beside is not None
        attached = str(shadow_path(self.config, self.name, shadow.beside))
        conn = sqlite3.connect(self.config.sqlite_path(self.name), isolation_level=None, timeout=30)
        try:
            conn.execute("ATTACH DATABASE ? AS shadow", (attached,))
            conn.execute("BEGIN IMMEDIATE")
            try:
                for table in table_names:
                    conn.execute(f"DROP TABLE IF EXISTS main.{table}")
                for statement in tables:
                    conn.execute(statement)
                for table in table_names:
                    conn.execute(f"INSERT INTO main.{table} SELECT * FROM shadow.{table}")
                self._take_positions(
                    conn, f"main.{self.tracking_table}", f"shadow.{shadow.tracking_table}"
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            conn.execute("DETACH DATABASE shadow")
        finally:
            conn.close()

    @staticmethod
    def _take_positions(cursor: Any, live: Any, shadow: Any) -> None:
        """The live tracking rows become the shadow's (eventsourcing's marker stays)."""
        for statement in (
            "DELETE FROM {live} WHERE application_name <> '__migration__'",
            "INSERT INTO {live} (application_name, notification_id) "
            "SELECT application_name, notification_id FROM {shadow} "
            "WHERE application_name <> '__migration__'",
        ):
            if isinstance(live, str):
                cursor.execute(statement.format(live=live, shadow=shadow))
            else:
                cursor.execute(sql.SQL(statement).format(live=live, shadow=shadow))

    def close(self) -> None:
        self.factory.close()
