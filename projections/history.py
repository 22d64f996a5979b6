"""Read models as they stood at a past moment, built again from the logs.

A read model "as of T" is the live projection's own code applied, in a scratch
store, to the events of its logs recorded up to T (each log is read in order
and left at its first event after T); the dashboards' queries then run on it as
they run on the live store. Scratch stores are temporary SQLite files whatever
the live store is: the projections' SQL is portable.

Finished stores are kept per (read model, T), the least recently used going
first. A kept store is caught up again (from where it stopped) on every use, so
an event recorded later but stamped at or before T — only possible while T is
not yet past — still counts. Uses are one at a time: the lock is held while a
caller reads the stores it was given.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from application.store import StoreConfig
from projections.runner import ProjectionRunner
from projections.store import ReadModelStore

KEEP = 8
"""How many finished as-of stores are kept."""


class History:
    """Builds (and keeps a few of) the read models of ``runner`` as of past moments."""

    def __init__(self, runner: ProjectionRunner, *, keep: int = KEEP) -> None:
        self.runner = runner
        self.keep = keep
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[str, datetime], ReadModelStore] = OrderedDict()
        self._dir = tempfile.TemporaryDirectory(prefix="opsledger-asof-")
        self._made = 0

    @contextmanager
    def stores(
        self, names: tuple[str, ...], moment: datetime
    ) -> Iterator[dict[str, ReadModelStore]]:
        """The read models ``names`` as of ``moment``, for reading inside the block."""
        with self._lock:
            yield {name: self._store(name, moment) for name in names}

    def _store(self, name: str, moment: datetime) -> ReadModelStore:
        key = (name, moment)
        store = self._kept.pop(key, None) or self._scratch(name)
        self._kept[key] = store
        while len(self._kept) > self.keep:
            _, evicted = self._kept.popitem(last=False)
            evicted.close()
            shutil.rmtree(evicted.config.data_dir, ignore_errors=True)
        self.runner.catch_up_projection(self.runner.projection(name), store, until=moment)
        return store

    def _scratch(self, name: str) -> ReadModelStore:
        self._made += 1
        folder = Path(self._dir.name) / str(self._made)
        folder.mkdir()
        store = ReadModelStore(StoreConfig(database_url=None, data_dir=folder), name)
        store.create_tables(self.runner.projection(name).tables)
        return store

    def close(self) -> None:
        with self._lock:
            for store in self._kept.values():
                store.close()
            self._kept.clear()
            self._dir.cleanup()
