"""Where a projection keeps its read model: its tables and its positions.

Each projection has its own store — a SQLite file beside the event stores, or
tables named after it in the PostgreSQL database — built on eventsourcing's
tracking recorders. Rows and the position they bring the projection to are
written in one transaction, and the single-row tracking refuses to move a
position backwards or sideways: a page is applied exactly once, even with two
runners racing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, Tracking, TrackingRecorder
from eventsourcing.utils import Environment

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


class ReadModelStore:
    def __init__(self, config: StoreConfig, name: str) -> None:
        self.name = name
        self.postgres = config.postgres is not None
        env = config.app_env(name)
        env.pop("APPLICATION_RECORDER_TOPIC", None)
        self.factory = InfrastructureFactory.construct(Environment(name, env))
        self.tracking: TrackingRecorder = self.factory.tracking_recorder()
        self.datastore: Any = self.factory.datastore  # type: ignore[attr-defined]

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[ReadCursor]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield ReadCursor(cursor, postgres=self.postgres)

    def read(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
        with self.transaction(commit=False) as cursor:
            return cursor.execute(sql, params).fetchall()

    def create_tables(self, statements: tuple[str, ...]) -> None:
        with self.transaction(commit=True) as cursor:
            for statement in statements:
                cursor.execute(statement)

    def position(self, source: str) -> int:
        return self.tracking.max_tracking_id(source) or 0

    def apply_page(
        self, source: str, read_from: int, last_position: int, write: Callable[[ReadCursor], None]
    ) -> bool:
        """Write a page of rows and move the source's position, in one transaction.

        The page was read after position ``read_from``; if the position is no
        longer that (another runner went on, or a rebuild started again), the page
        is stale and nothing is written: returns False.
        """
        tracking: Any = self.tracking
        with self.datastore.transaction(commit=True) as raw:
            if (tracking._max_tracking_id(source, raw) or 0) != read_from:
                return False
            write(ReadCursor(raw, postgres=self.postgres))
            tracking._insert_tracking(raw, Tracking(source, last_position))
        return True

    def reset(self, table_names: tuple[str, ...]) -> None:
        """Drop the read model's tables and forget its positions, in one transaction."""
        tracking_table = getattr(self.tracking, "tracking_table_name", "tracking")
        with self.transaction(commit=True) as cursor:
            for table in table_names:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            # Keep eventsourcing's own marker row, which says the table's layout.
            cursor.execute(
                f"DELETE FROM {tracking_table} WHERE application_name <> '__migration__'"
            )

    def close(self) -> None:
        self.factory.close()
