"""The transactions a round's pages are written in.

A round goes over the projections in passes: in each, one page of every log each
projection is behind in. On PostgreSQL the live read models are tables of one
database, so a pass writes all its pages in one transaction: one commit for
every projection the commands of the round touched, instead of one each. Each
page is in a savepoint of its own and moves its own projection's position in the
same transaction as its rows, so exactly-once holds as before; a page that fails
is rolled back alone. On SQLite, where each read model is a file of its own, and
for a rebuild's shadow store, a page is a transaction of its own.

What a page leaves for after its commit (the runner learns the new position, a
projection does work outside the transaction) waits for the commit that holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from types import TracebackType
from typing import Any

from projections.store import ReadCursor, ReadModelStore


class PagePass:
    """Writes pages: with ``shared``, those of stores that can share one transaction
    go in the first one's; every other page commits on its own."""

    def __init__(self, *, shared: bool = True) -> None:
        self.shared = shared
        self._stack = ExitStack()
        self._host: ReadModelStore | None = None
        self._raw: Any = None
        self._after: list[Callable[[], None]] = []

    def write(
        self,
        store: ReadModelStore,
        source: str,
        read_from: int,
        last_position: int,
        write: Callable[[ReadCursor], None],
        then: Callable[[], None],
    ) -> bool:
        """``store.apply_page``; ``then`` runs once the page is committed (not if it
        was stale)."""
        raw = self._transaction_for(store)
        if raw is None:
            fresh = store.apply_page(source, read_from, last_position, write)
            if fresh:
                then()
            return fresh
        with raw.connection.transaction():  # a savepoint: this page alone rolls back
            fresh = store.write_page(raw, source, read_from, last_position, write)
        if fresh:
            self._after.append(then)
        return fresh

    def _transaction_for(self, store: ReadModelStore) -> Any:
        if not self.shared:
            return None
        if self._host is None:
            if not store.shares_transactions_with(store):
                return None
            self._host = store
            self._raw = self._stack.enter_context(store.page_transaction())
        return self._raw if store.shares_transactions_with(self._host) else None

    def __enter__(self) -> PagePass:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Commit (or, leaving on an error, roll back) the shared transaction; then
        what its pages left for after the commit."""
        self._stack.__exit__(kind, error, traceback)
        if kind is None:
            for then in self._after:
                then()
