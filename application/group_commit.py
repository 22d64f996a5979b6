"""Group commit: concurrent commands on one log share one transaction and one fsync.

A log's writes are serial anyway (PostgreSQL: eventsourcing locks the events table
so that positions commit in order; SQLite: one writer per file), so a command
that arrives while another is being written waits. Instead of then writing alone,
it joins a batch: whoever takes the write turn writes every command waiting at
that moment, in one transaction, and hands each its own outcome.

Each command's events stay atomic and in order, and one command's conflict never
fails the others: a batch is first written as one insert; if that breaks a
uniqueness rule (two commands took one aggregate version, or one key), it is
written again with a savepoint per command, and only the commands that broke it
are answered with the error. The transaction is committed before anyone is
answered: every acknowledged command is durable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import StoredEvent


@dataclass
class Pending:
    """One command's write, waiting for its batch."""

    stored_events: Sequence[StoredEvent]
    kwargs: dict[str, Any]
    ids: Sequence[int] | None = None
    error: BaseException | None = None
    done: bool = False

    def settle(self, ids: Sequence[int] | None = None, error: BaseException | None = None) -> None:
        self.ids, self.error, self.done = ids, error, True


@dataclass
class GroupCommit:
    """Collects the writes that wait for a log's turn; ``write_batch`` writes them.

    ``write_batch`` settles each item with its notification ids or its own error;
    an exception it raises (the store went away, the commit failed) is every
    unsettled item's answer.
    """

    write_batch: Callable[[list[Pending]], None]
    _queue: list[Pending] = field(default_factory=list)
    _queue_lock: threading.Lock = field(default_factory=threading.Lock)
    _turn: threading.Lock = field(default_factory=threading.Lock)
    batches: int = 0
    """Batches written (with ``writes``: how many commands shared a transaction)."""
    writes: int = 0

    def write(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        mine = Pending(stored_events, kwargs)
        with self._queue_lock:
            self._queue.append(mine)
        with self._turn:
            # A writer before us may have taken our write along in its batch.
            if not mine.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._write(batch)
        if mine.error is not None:
            raise mine.error
        return mine.ids

    def _write(self, batch: list[Pending]) -> None:
        self.batches += 1
        self.writes += len(batch)
        try:
            self.write_batch(batch)
        except Exception as error:
            for pending in batch:
                if not pending.done:
                    pending.settle(error=error)
        for pending in batch:
            if not pending.done:  # a write_batch that forgot one must not hang it
                pending.settle(error=RuntimeError("the batch did not settle this write"))


def split_ids(batch: Sequence[Pending], ids: Sequence[int]) -> None:
    """Settle a batch written as one insert: each write gets its events' ids, in order."""
    start = 0
    for pending in batch:
        end = start + len(pending.stored_events)
        pending.settle(ids=list(ids[start:end]))
        start = end
