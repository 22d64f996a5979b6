"""Runs projections: catches each one up with every log it follows, a page per transaction."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from eventsourcing.persistence import IntegrityError

from application.base import OpsApplication
from application.services import Services
from application.store import StoreConfig
from projections.lock import ProjectionLock
from projections.projection import Delivery, Projection
from projections.store import ReadCursor, ReadModelStore

log = logging.getLogger("opsledger.projections")

PAGE_SIZE = 500
IDLE_WAIT = 0.2


@dataclass(frozen=True)
class Lag:
    events: int
    seconds: float


class ProjectionRunner:
    """Keeps a set of projections up to date with the event logs of ``services``."""

    def __init__(
        self, services: Services, config: StoreConfig, projections: Sequence[Projection]
    ) -> None:
        self.apps = {app.name: app for app in services.all()}
        self.projections = list(projections)
        self.stores = {p.name: ReadModelStore(config, p.name) for p in self.projections}
        self.locks = {p.name: ProjectionLock(config, p.name) for p in self.projections}
        for projection in self.projections:
            self.stores[projection.name].create_tables(projection.tables)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def store(self, name: str) -> ReadModelStore:
        return self.stores[name]

    # Catching up.

    def catch_up(self) -> int:
        """Apply every event not yet applied; returns how many were applied."""
        return sum(self.catch_up_projection(p) for p in self.projections)

    def catch_up_projection(self, projection: Projection) -> int:
        applied = 0
        for source in projection.sources:
            while (page := self._next_page(projection, self.apps[source])) > 0:
                applied += page
        return applied

    def _next_page(self, projection: Projection, app: OpsApplication) -> int:
        store = self.stores[projection.name]
        position = store.position(app.name)
        notifications = app.recorder.select_notifications(
            start=position, limit=PAGE_SIZE, inclusive_of_start=False
        )
        if not notifications:
            return 0
        deliveries = [Delivery(app.name, n, app.mapper.to_domain_event(n)) for n in notifications]

        def write(cursor: ReadCursor) -> None:
            projection.apply_page(cursor, deliveries)

        try:
            fresh = store.apply_page(app.name, position, notifications[-1].id, write)
        except IntegrityError:
            if store.position(app.name) == position:
                raise  # the projection itself broke a constraint: not a race
            fresh = False
        if not fresh:
            # Another runner applied this page first: its rows stand, ours rolled back.
            log.info("%s: page after %s:%d applied elsewhere", projection.name, app.name, position)
        return len(notifications)

    def rebuild(self, name: str) -> int:
        """Drop one read model and build it again from the whole history.

        Readers see the model fill up again while it is rebuilt.
        """
        projection = self.projection(name)
        store, lock = self.stores[name], self.locks[name]
        lock.acquire(blocking=True)  # no other runner works on it meanwhile
        try:
            store.reset(projection.table_names)
            store.create_tables(projection.tables)
            return self.catch_up_projection(projection)
        finally:
            lock.release()

    def projection(self, name: str) -> Projection:
        for projection in self.projections:
            if projection.name == name:
                return projection
        raise KeyError(name)

    def run_forever(self, stop: threading.Event) -> None:
        """Catch up, then keep catching up as events arrive, until ``stop`` is set."""
        self._stop = stop
        self._run()

    # Lag and waiting.

    def lag(self) -> dict[str, Lag]:
        lags = {}
        for projection in self.projections:
            store = self.stores[projection.name]
            behind, oldest = 0, None
            for source in projection.sources:
                app = self.apps[source]
                position = store.position(source)
                head = app.recorder.max_notification_id() or 0
                behind += max(0, head - position)
                if head > position:
                    pending = app.recorder.select_notifications(
                        start=position, limit=1, inclusive_of_start=False
                    )
                    if pending:
                        moment = app.mapper.to_domain_event(pending[0]).timestamp  # type: ignore[attr-defined]
                        oldest = moment if oldest is None else min(oldest, moment)
            seconds = 0.0 if oldest is None else max(0.0, time.time() - oldest.timestamp())
            lags[projection.name] = Lag(events=behind, seconds=round(seconds, 3))
        return lags

    def reached(self, projection: str, log_name: str, position: int) -> bool:
        return self.stores[projection].position(log_name) >= position

    def nudge(self) -> None:
        """New events were written here: catch up now rather than at the next poll."""
        self._wake.set()

    # Running in the background.

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="projections", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                applied = sum(self._take_turn(p) for p in self.projections)
            except Exception:  # keep projecting: a store hiccup must not end the runner
                log.exception("projection runner: catching up failed; retrying")
                applied = 0
            if not applied:
                self._wake.wait(IDLE_WAIT)
                self._wake.clear()

    def _take_turn(self, projection: Projection) -> int:
        """Catch one projection up, unless another runner is at it right now."""
        lock = self.locks[projection.name]
        if not lock.acquire(blocking=False):
            return 0
        try:
            return self.catch_up_projection(projection)
        finally:
            lock.release()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def close(self) -> None:
        self.stop()
        for store in self.stores.values():
            store.close()
        for lock in self.locks.values():
            lock.close()
