"""One runner per projection at a time, across processes and machines.

Exactly-once does not depend on it — the tracking positions do that — but it
keeps several server workers from doing the same work (and, on SQLite, from
tripping over each other's writes), and lets a rebuild shut the others out.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO, Any

import psycopg

from application.store import StoreConfig


class ProjectionLock:
    def __init__(self, config: StoreConfig, name: str) -> None:
        self.config = config
        self.key = f"opsledger:{name}"
        self.path = Path(config.data_dir) / f"{name}.lock"
        self._conn: psycopg.Connection[Any] | None = None
        self._file: IO[str] | None = None
        self.held = False

    def acquire(self, *, blocking: bool) -> bool:
        if self.held:
            return True
        if self.config.postgres is not None:
            self.held = self._acquire_postgres(blocking)
        else:
            self.held = self._acquire_file(blocking)
        return self.held

    def _acquire_postgres(self, blocking: bool) -> bool:
        if self._conn is None or self._conn.closed:
            pg = self.config.postgres
            assert pg is not None
            self._conn = psycopg.connect(pg.conninfo(), autocommit=True)
        if blocking:
            self._conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (self.key,))
            return True
        row = self._conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (self.key,))
        result = row.fetchone()
        return bool(result and result[0])

    def _acquire_file(self, blocking: bool) -> bool:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "w")  # noqa: SIM115 (held open between calls)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        if self._conn is not None and not self._conn.closed:
            self._conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (self.key,))
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        if self._conn is not None:
            self._conn.close()
        if self._file is not None:
            self._file.close()
