"""One runner per projection at a time, across processes and machines.

Exactly-once does not depend on these locks — the tracking positions do that —
but they keep several runners from doing the same work (and, on SQLite, from
tripping over each other's writes), and let a rebuild shut the others out.

Two locks per projection:

- the *hot* lock, held for as long as a runner lives: the runner holding it is
  the one that works, the others wait cold and try again every second. A hot
  runner killed by any means (kill -9 included) loses it with its connection
  (PostgreSQL advisory locks end with their session) or its file (flock), and a
  cold one takes over;
- the *turn* lock, held while a page is applied: a rebuild takes it to switch
  the rebuilt tables in, and the hot runner waits for that turn.

On PostgreSQL all the locks of one runner share one connection (a
``LockSession``): a process holds one connection for its locks, not one per lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
from pathlib import Path
from typing import IO, Any

import psycopg

from application.store import StoreConfig, StoreUnavailable


class LockSession:
    """The connection that holds a runner's PostgreSQL advisory locks.

    If the connection is lost, so are its locks: ``generation`` counts connections,
    and a lock taken on an earlier one is no longer held.
    """

    def __init__(self, config: StoreConfig) -> None:
        self.config = config
        self.generation = 0
        self._conn: psycopg.Connection[Any] | None = None
        self._mutex = threading.Lock()

    def execute(self, statement: str, key: str) -> tuple[bool, int]:
        """Run a one-value lock statement; (its answer, the connection's generation)."""
        rows, generation = self._fetch(statement, (key,))
        return bool(rows and rows[0][0]), generation

    def execute_each(self, statement: str, keys: list[str]) -> tuple[list[bool], int]:
        """Run a lock statement over ``keys`` (``unnest(%s::text[]) AS key``) in one round
        trip; (each key's answer in order, the connection's generation)."""
        rows, generation = self._fetch(statement, (keys,))
        answers = {key: bool(answer) for key, answer in rows}
        return [answers[key] for key in keys], generation

    def _fetch(self, statement: str, params: tuple[Any, ...]) -> tuple[list[Any], int]:
        with self._mutex:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = self.config.connect()
                    self.generation += 1
                rows = self._conn.execute(statement, params).fetchall()
            except psycopg.Error as error:
                self._drop()
                raise StoreUnavailable(f"projection locks: {error}") from error
            return rows, self.generation

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        with self._mutex:
            self._drop()


class ProjectionLock:
    def __init__(self, config: StoreConfig, name: str, session: LockSession | None = None) -> None:
        self.config = config
        self.key = f"opsledger:{name}"
        self.path = Path(config.data_dir) / f"{name}.lock"
        self._own_session = session is None and config.postgres is not None
        self.session = session or (LockSession(config) if config.postgres is not None else None)
        self._generation = -1
        self._file: IO[str] | None = None
        self._held = False

    @property
    def held(self) -> bool:
        if self.session is not None and self.session.generation != self._generation:
            return False  # taken on a connection that is gone, with the lock
        return self._held

    def acquire(self, *, blocking: bool) -> bool:
        if self.held:
            return True
        if self.session is not None:
            statement = (
                "SELECT pg_advisory_lock(hashtext(%s)) IS NOT NULL"
                if blocking
                else "SELECT pg_try_advisory_lock(hashtext(%s))"
            )
            self._held, self._generation = self.session.execute(statement, self.key)
        else:
            self._held = self._acquire_file(blocking)
        return self._held

    def _acquire_file(self, blocking: bool) -> bool:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "w")  # noqa: SIM115 (held open between calls)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def taken_elsewhere(self) -> bool:
        """Whether another runner holds this lock right now (a probe: taken and given back)."""
        if self.held:
            return False
        if not self.acquire(blocking=False):
            return True
        self.release()
        return False

    def release(self) -> None:
        if not self.held:
            self._held = False
            return
        self._held = False
        if self.session is not None:
            # If the connection is gone, the lock went with it.
            with contextlib.suppress(StoreUnavailable):
                self.session.execute("SELECT pg_advisory_unlock(hashtext(%s))", self.key)
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)

    @staticmethod
    def try_all(locks: list[ProjectionLock]) -> list[ProjectionLock]:
        """Try to take each lock without waiting; the ones taken. On PostgreSQL, locks
        on one session go in one round trip (a runner's round takes a dozen)."""
        session = _one_session(locks)
        if session is None:
            return [lock for lock in locks if lock.acquire(blocking=False)]
        wanted = [lock for lock in locks if not lock.held]
        if wanted:
            answers, generation = session.execute_each(
                "SELECT key, pg_try_advisory_lock(hashtext(key)) FROM unnest(%s::text[]) AS key",
                [lock.key for lock in wanted],
            )
            for lock, taken in zip(wanted, answers, strict=True):
                lock._held, lock._generation = taken, generation
        return [lock for lock in locks if lock.held]

    @staticmethod
    def release_all(locks: list[ProjectionLock]) -> None:
        session = _one_session(locks)
        if session is None:
            for lock in locks:
                lock.release()
            return
        held = [lock for lock in locks if lock.held]
        for lock in locks:
            lock._held = False
        if held:
            with contextlib.suppress(StoreUnavailable):  # gone: the locks went with it
                session.execute_each(
                    "SELECT key, pg_advisory_unlock(hashtext(key)) FROM unnest(%s::text[]) AS key",
                    [lock.key for lock in held],
                )

    def close(self) -> None:
        self.release()
        if self._own_session and self.session is not None:
            self.session.close()
        if self._file is not None:
            self._file.close()
            self._file = None


def _one_session(locks: list[ProjectionLock]) -> LockSession | None:
    """The PostgreSQL session all ``locks`` are held on, if one is (else each on its own)."""
    session = locks[0].session if locks else None
    if session is None or any(lock.session is not session for lock in locks):
        return None
    return session
