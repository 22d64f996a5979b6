"""The transactions a round's pages are written in.

A round goes over the projections in passes: in each, one page of every log each
projection is behind in. On PostgreSQL the live read models are tables of one
database, so a pass writes all its pages in one transaction: one commit, and one
query for every page's stored position, instead of a transaction, a position
query and a commit per projection. Each page still moves its own projection's
position in the same transaction as its rows, so exactly-once holds as before.
A page that fails takes the pass's transaction down with it (``PassFailed``); the
runner then writes that pass again a page per transaction, so that only the
failing projection waits for the next round. On SQLite, where each read model is
a file of its own, and for a rebuild's shadow store, a page is a transaction of
its own.

What a page leaves for after its commit (the runner learns the new position, a
projection does work outside the transaction) waits for the commit that holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from types import TracebackType
from typing import Any

from application.store import select_values
from projections.store import ReadCursor, ReadModelStore


class PassFailed(Exception):
    """A page of a shared pass failed: the whole pass was rolled back."""


class PagePass:
    """Writes pages: with ``shared``, those of stores that can share one transaction
    go in one; every other page commits on its own."""

    def __init__(self, *, shared: bool = True) -> None:
        self.shared = shared
        self._stack = ExitStack()
        self._host: ReadModelStore | None = None
        self._raw: Any = None
        self._stored: dict[tuple[str, str], int] = {}
        self._after: list[Callable[[], None]] = []

    def expect(self, pages: Sequence[tuple[ReadModelStore, str]]) -> None:
        """The (store, source) pages the pass will write: their stored positions are
        read at once, in the pass's transaction."""
        together = [(store, source) for store, source in pages if self._joins(store)]
        if not together:
            return
        positions = select_values(
            self._raw,
            [store.position_query() for store, _ in together],
            [source for _, source in together],
        )
        for (store, source), position in zip(together, positions, strict=True):
            self._stored[store.name, source] = position or 0

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
        if not self._joins(store):
            fresh = store.apply_page(source, read_from, last_position, write)
            if fresh:
                then()
            return fresh
        stored = self._stored.get((store.name, source))
        try:
            fresh = store.write_page(self._raw, source, read_from, last_position, write, stored)
        except Exception as error:
            raise PassFailed(f"{store.name}: the page after {source}:{read_from}") from error
        if fresh:
            self._stored[store.name, source] = last_position
            self._after.append(then)
        return fresh

    def _joins(self, store: ReadModelStore) -> bool:
        """Whether ``store``'s pages go in the pass's transaction (begun for the first)."""
        if not self.shared:
            return False
        if self._host is None:
            if not store.shares_transactions_with(store):
                return False
            self._host = store
            self._raw = self._stack.enter_context(store.page_transaction())
        return store.shares_transactions_with(self._host)

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
