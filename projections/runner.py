"""Runs projections: catches each one up with every log it follows, a page per transaction."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import takewhile
from typing import cast

import psycopg
from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from application.base import OpsApplication
from application.services import Services
from application.store import StoreConfig, select_values
from projections.checkpoints import Checkpoint, Checkpointer, CheckpointStore, take_checkpoints
from projections.lock import LockSession, ProjectionLock
from projections.passes import PagePass
from projections.projection import Delivery, Projection, deliveries_of
from projections.rounds import ROUND_INTERVAL, Rounds
from projections.signing import Signer
from projections.store import REBUILD, ReadCursor, ReadModelStore, discard_shadow

log = logging.getLogger("opsledger.projections")

PAGE_SIZE = 500
IDLE_WAIT = 0.2
"""Seconds between polls on SQLite (writes in this process wake the runner at once)."""
POSTGRES_IDLE_WAIT = 5.0
"""Seconds between polls on PostgreSQL, a fallback: NOTIFY wakes the runner."""
LISTEN_RETRY = 1.0
ONE_BY_ONE = PagePass(shared=False)
"""Writes each page in a transaction of its own (rebuilds, ``catch_up``)."""
COLD_RETRY = 1.0
"""Seconds between a cold runner's attempts to take over the projections."""


@dataclass(frozen=True)
class Checkpointing:
    """Sign the audit trail's heads with ``signer`` every ``every_events`` events
    or every ``minutes``, whichever comes first."""

    signer: Signer
    every_events: int = 1000
    minutes: float = 60.0


@dataclass(frozen=True)
class Lag:
    events: int
    seconds: float


def read_page(
    app: OpsApplication,
    position: int,
    wanted: frozenset[str] | None = None,
    until: datetime | None = None,
) -> tuple[int, list[Delivery]]:
    """The page of ``app``'s log after ``position``: the last position read, and the
    deliveries (only the ``wanted`` topics decoded; none recorded after ``until``)."""
    notifications = app.recorder.select_notifications(
        start=position, limit=PAGE_SIZE, inclusive_of_start=False
    )
    if not notifications:
        return position, []
    last = notifications[-1].id
    if wanted is not None:
        # A policy reacts to a few event types: the others are not even decoded
        # (decoding decrypts personal data), but the position moves past them.
        notifications = [n for n in notifications if n.topic in wanted]
    decoded = deliveries_of(app, notifications)
    if until is not None:  # a log's events are in the order they were recorded
        decoded = takewhile(lambda d: d.event.timestamp <= until, decoded)
    return last, list(decoded)


def log_heads(apps: Sequence[OpsApplication]) -> dict[str, int]:
    """The last position of each app's log: on PostgreSQL one query for all the logs of
    a database rather than one each (a round begins with them)."""
    heads: dict[str, int] = {}
    by_datastore: dict[int, list[OpsApplication]] = defaultdict(list)
    for app in apps:
        if isinstance(app.recorder, PostgresApplicationRecorder):
            by_datastore[id(app.recorder.datastore)].append(app)
        else:
            heads[app.name] = app.recorder.max_notification_id() or 0
    for together in by_datastore.values():
        recorders = [cast(PostgresApplicationRecorder, app.recorder) for app in together]
        with recorders[0].datastore.get_connection() as conn, conn.cursor() as cursor:
            values = select_values(cursor, [r.max_notification_id_statement for r in recorders])
        for app, head in zip(together, values, strict=True):
            heads[app.name] = head or 0
    return heads


class RoundPages:
    """One round's reads of the logs: each page is read and decoded once, for every
    projection that follows the log, rather than once per projection."""

    def __init__(self) -> None:
        self._pages: dict[str, tuple[int, list[Delivery]]] = {}

    def after(self, app: OpsApplication, position: int) -> list[Delivery]:
        """The deliveries of ``app``'s log after ``position`` (a page at most)."""
        cached = self._pages.get(app.name)
        if cached is not None and cached[0] <= position:
            deliveries = cached[1]
            page = [d for d in deliveries if d.position > position]
            if page or len(deliveries) < PAGE_SIZE:
                return page  # empty: the log's end, as this round read it
        _, deliveries = read_page(app, position)
        self._pages[app.name] = (position, deliveries)
        return deliveries


class ProjectionRunner:
    """Keeps a set of projections up to date with the event logs of ``services``."""

    def __init__(
        self,
        services: Services,
        config: StoreConfig,
        projections: Sequence[Projection],
        *,
        poll_interval: float | None = None,
        round_interval: float = ROUND_INTERVAL,
        checkpointing: Checkpointing | None = None,
    ) -> None:
        self.config = config
        self.apps = {app.name: app for app in services.all()}
        self.projections = list(projections)
        self.stores = {p.name: ReadModelStore(config, p.name) for p in self.projections}
        # One connection holds all of this runner's locks (PostgreSQL), opened when first used.
        self.lock_session = LockSession(config) if config.postgres is not None else None
        self.locks = {
            p.name: ProjectionLock(config, p.name, self.lock_session) for p in self.projections
        }
        self.hot = {
            p.name: ProjectionLock(config, f"{p.name}.hot", self.lock_session)
            for p in self.projections
        }
        """Held while this runner is the one that works on a projection (hot/cold)."""
        self._probes = {
            p.name: ProjectionLock(config, f"{p.name}.hot", self.lock_session)
            for p in self.projections
        }
        for projection in self.projections:
            self.stores[projection.name].create_tables(projection.tables)
        self.checkpoints = CheckpointStore(config)
        self.signer = checkpointing.signer if checkpointing else None
        self.checkpointer = self._checkpointer(checkpointing)
        if poll_interval is None:
            poll_interval = POSTGRES_IDLE_WAIT if config.postgres is not None else IDLE_WAIT
        self.poll_interval = poll_interval
        self.round_interval = round_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self.listening = threading.Event()
        """Set while the runner listens for PostgreSQL's notifications."""
        self._reached: dict[tuple[str, str], int] = {}
        """(projection, log) -> the live store's position as this runner last read or
        wrote it: what the projection is known to have reached, and where its next
        page starts. A page is written only if the stored position is still the one
        it was read after; a stale entry is dropped and the position read again."""
        self.rebuild_pauses: dict[str, float] = {}
        """How long each projection's last rebuild held live runners back (seconds)."""

    def store(self, name: str) -> ReadModelStore:
        return self.stores[name]

    # Signed checkpoints.

    def _checkpointer(self, checkpointing: Checkpointing | None) -> Checkpointer | None:
        if checkpointing is None or "audit" not in self.stores:
            return None
        return Checkpointer(
            self.checkpoint,
            every_events=checkpointing.every_events,
            minutes=checkpointing.minutes,
        )

    def checkpoint(self) -> list[Checkpoint]:
        """Sign the audit trail's head of every log not signed yet."""
        if self.signer is None:
            raise RuntimeError("no audit key: set OPSLEDGER_AUDIT_KEY")
        audit = self.projection("audit")
        return take_checkpoints(
            self.stores["audit"], self.checkpoints, self.signer, list(audit.sources)
        )

    # Catching up.

    def catch_up(self) -> int:
        """Apply every event not yet applied; returns how many were applied."""
        return sum(self.catch_up_projection(p) for p in self.projections)

    def catch_up_projection(
        self,
        projection: Projection,
        store: ReadModelStore | None = None,
        heads: dict[str, int] | None = None,
        *,
        until: datetime | None = None,
        pages: RoundPages | None = None,
    ) -> int:
        """Apply the events ``projection`` has not applied yet (to ``store``: by default
        its live store); skip the logs whose ``heads`` it is known to have reached.
        With ``until``, stop in each log at its first event recorded after that moment.
        ``pages``: the round's reads of the logs, shared with the other projections."""
        store = store or self.stores[projection.name]
        applied = 0
        for source in projection.sources:
            if heads is not None and heads[source] <= self._reached.get(
                (projection.name, source), -1
            ):
                continue
            app = self.apps[source]
            while (page := self._next_page(projection, app, store, until, pages)) > 0:
                applied += page
                if heads is not None and heads[source] <= self._reached.get(
                    (projection.name, source), -1
                ):
                    break  # at the head this round began with: no empty page to read
        return applied

    def _next_page(
        self,
        projection: Projection,
        app: OpsApplication,
        store: ReadModelStore | None = None,
        until: datetime | None = None,
        pages: RoundPages | None = None,
        writer: PagePass = ONE_BY_ONE,
    ) -> int:
        store = store or self.stores[projection.name]
        live = store is self.stores[projection.name]
        key = (projection.name, app.name)
        position = self._reached.get(key) if live else None
        if position is None:
            position = store.position(app.name)
        wanted = projection.wanted_topics() if until is None else None
        if pages is not None and live and until is None:
            read = pages.after(app, position)
            last = read[-1].position if read else position
            deliveries = (
                read if wanted is None else [d for d in read if d.notification.topic in wanted]
            )
        else:
            last, deliveries = read_page(app, position, wanted, until)
        if last == position:
            if live:
                self._reached[key] = position
            return 0
        if not deliveries and wanted is None:
            return 0

        def write(cursor: ReadCursor) -> None:
            projection.apply_page(cursor, deliveries)

        end = last if wanted is not None else deliveries[-1].position

        def committed() -> None:
            if live:
                self._reached[key] = end
            projection.page_committed(store, deliveries)

        try:
            fresh = writer.write(store, app.name, position, end, write, then=committed)
        except IntegrityError:
            if store.position(app.name) == position:
                raise  # the projection itself broke a constraint: not a race
            fresh = False
        if not fresh:
            # Another runner applied this page first: its rows stand, ours rolled back.
            log.info("%s: page after %s:%d applied elsewhere", projection.name, app.name, position)
            self._reached.pop(key, None)
        return max(len(deliveries), 1)

    def rebuild(self, name: str) -> int:
        """Build one read model again from the whole history, beside the live one, and
        switch to it; returns how many events the rebuilt model has applied.

        Readers and the live runner go on meanwhile: the new model is built in a
        shadow store with positions of its own. Only to catch the shadow up with
        the last events and switch does the rebuild take the projection's lock,
        so live runners pause only for that. Readers see the old model until the
        switch commits, the rebuilt one after.
        """
        projection = self.projection(name)
        live = self.stores[name]
        # Locks of our own (on a connection of their own): this runner's may be held
        # by its background thread.
        session = LockSession(self.config) if self.config.postgres is not None else None
        one_rebuild = ProjectionLock(self.config, f"{name}.rebuild", session)
        lock = ProjectionLock(self.config, name, session)
        one_rebuild.acquire(blocking=True)
        try:
            discard_shadow(self.config, name)  # whatever a crashed rebuild left
            shadow = ReadModelStore(self.config, name, beside=REBUILD)
            try:
                shadow.create_tables(projection.tables)
                applied = self.catch_up_projection(projection, shadow)
                lock.acquire(blocking=True)
                try:
                    started = time.monotonic()
                    applied += self.catch_up_projection(projection, shadow)
                    live.switch_to(shadow, projection.table_names, projection.tables)
                    for source in projection.sources:  # the switch moved the positions
                        self._reached.pop((name, source), None)
                    paused = self.rebuild_pauses[name] = time.monotonic() - started
                    log.info(
                        "%s: rebuilt from %d events; live runners paused %.3fs",
                        name,
                        applied,
                        paused,
                    )
                finally:
                    lock.release()
            finally:
                shadow.close()
                discard_shadow(self.config, name)
        finally:
            lock.close()
            one_rebuild.close()
            if session is not None:
                session.close()
        self._wake.set()  # events that arrived during the switch: apply them now
        return applied

    def projection(self, name: str) -> Projection:
        for projection in self.projections:
            if projection.name == name:
                return projection
        raise KeyError(name)

    def run_forever(self, stop: threading.Event) -> None:
        """Catch up, then keep catching up as events arrive, until ``stop`` is set."""
        self._stop = stop
        self.take_over()
        self._start_listener()
        try:
            self._run()
        finally:
            self._stop_listener()

    # Lag and waiting.

    def lag(self) -> dict[str, Lag]:
        """How far each projection is behind, over all the logs it follows."""
        lags: dict[str, Lag] = {}
        for (name, _), lag in self.lag_by_log().items():
            before = lags.get(name, Lag(events=0, seconds=0.0))
            lags[name] = Lag(
                events=before.events + lag.events, seconds=max(before.seconds, lag.seconds)
            )
        return lags

    def lag_by_log(self) -> dict[tuple[str, str], Lag]:
        """How far each projection is behind in each log it follows: events not yet
        applied, and the age of the oldest of them."""
        lags = {}
        for projection in self.projections:
            store = self.stores[projection.name]
            for source in projection.sources:
                app = self.apps[source]
                position = store.position(source)
                head = app.recorder.max_notification_id() or 0
                seconds = 0.0
                if head > position:
                    pending = app.recorder.select_notifications(
                        start=position, limit=1, inclusive_of_start=False
                    )
                    if pending:
                        moment = app.mapper.to_domain_event(pending[0]).timestamp  # type: ignore[attr-defined]
                        seconds = max(0.0, time.time() - moment.timestamp())
                lags[projection.name, source] = Lag(
                    events=max(0, head - position), seconds=round(seconds, 3)
                )
        return lags

    def running(self) -> dict[str, bool]:
        """Whether some runner works on each projection: this one (its thread alive and
        the projection hot here), or another one that holds its hot lock."""
        alive = self._thread is not None and self._thread.is_alive()
        return {
            name: (alive and self.hot[name].held) or self._probes[name].taken_elsewhere()
            for name in self.hot
        }

    def is_hot(self) -> bool:
        return all(lock.held for lock in self.hot.values())

    def reached(self, projection: str, log_name: str, position: int) -> bool:
        return self.stores[projection].position(log_name) >= position

    def idle(self) -> bool:
        """Whether every projection (policies included) has applied every event, as far
        as this runner knows (one query per log)."""
        # What was applied is read before the heads: an event a policy writes while we
        # look (after the heads were read, then counted as applied) cannot pass unseen.
        known = dict(self._reached)
        return not self._behind(self._heads(), known)

    def nudge(self) -> None:
        """New events were written here: catch up now rather than at the next poll."""
        self._wake.set()

    # Running in the background.

    def take_over(self) -> None:
        """Take over the projections nobody works on now, before the first round (so that
        /ready knows at once); the rounds try again for the others."""
        for name, lock in self.hot.items():
            try:
                if not lock.held and lock.acquire(blocking=False):
                    log.info("%s: this runner works on it now (hot)", name)
            except Exception:  # the store is down: the rounds retry
                log.warning("projection runner: cannot take the projection locks yet")
                return

    def start(self) -> None:
        self.take_over()
        self._start_listener()
        self._thread = threading.Thread(target=self._run, name="projections", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        rounds = Rounds(self._stop, self.round_interval)
        cold_tried = -COLD_RETRY
        while rounds.begin():
            # Cleared before catching up: a wake-up meanwhile is not lost.
            self._wake.clear()
            if not self.is_hot() and time.monotonic() - cold_tried >= COLD_RETRY:
                # Cold, or the lock connection was lost (a database restart): take back
                # the projections nobody works on, also those with nothing to apply.
                # Once a second, not on every wake-up: a cold runner woken by every
                # command would ask for every lock after every command.
                cold_tried = time.monotonic()
                self.take_over()
            try:
                applied = self.run_round()
            except Exception:  # keep projecting: a store hiccup must not end the runner
                log.exception("projection runner: catching up failed; retrying")
                self._reached.clear()
                applied = 0
            self._tick_checkpoints(applied)
            if not applied:
                # A cold runner tries to take over every second, whatever the poll interval.
                cold = not self.is_hot()
                self._wake.wait(min(self.poll_interval, COLD_RETRY) if cold else self.poll_interval)

    def _tick_checkpoints(self, applied: int) -> None:
        if self.checkpointer is None:
            return
        try:
            self.checkpointer.tick(applied)
        except Exception:  # a checkpoint missed now is taken at the next tick
            log.exception("projection runner: signing checkpoints failed; retrying")

    def _heads(self) -> dict[str, int]:
        """The last position of every log a projection follows."""
        sources = {source for p in self.projections for source in p.sources}
        return log_heads([app for name, app in self.apps.items() if name in sources])

    def _behind(
        self, heads: dict[str, int], known: dict[tuple[str, str], int] | None = None
    ) -> list[Projection]:
        """The projections with events to apply, as far as this runner knows: one query
        per log rather than several per projection and log on every wake-up."""
        return [p for p in self.projections if self._behind_in(p, heads, known)]

    def _behind_in(
        self,
        projection: Projection,
        heads: dict[str, int],
        known: dict[tuple[str, str], int] | None = None,
    ) -> list[str]:
        """The logs whose ``heads`` ``projection`` is not known to have reached."""
        known = self._reached if known is None else known
        return [s for s in projection.sources if heads[s] > known.get((projection.name, s), -1)]

    def run_round(self) -> int:
        """One round of the background thread's: catch up the projections this runner is
        hot for (``take_over``) and that are behind, a pass at a time."""
        hot = [p for p in self.projections if self.hot[p.name].held]
        if not hot:
            return 0
        heads = self._heads()
        behind = [p for p in self._behind(heads) if p in hot]
        return self._take_turns(behind, heads, RoundPages())

    def _take_turns(
        self, projections: list[Projection], heads: dict[str, int], pages: RoundPages
    ) -> int:
        """Catch up the projections this runner is the hot one for, except those a
        rebuild is switching right now (it holds their lock): their locks are taken
        together for the round, and given back together."""
        if not projections:
            return 0
        locks = {p.name: self.locks[p.name] for p in projections}
        taken = ProjectionLock.try_all(list(locks.values()))
        try:
            return self._passes([p for p in projections if locks[p.name] in taken], heads, pages)
        finally:
            ProjectionLock.release_all(taken)

    def _passes(
        self, projections: list[Projection], heads: dict[str, int], pages: RoundPages
    ) -> int:
        """Catch ``projections`` up with ``heads``, a pass at a time: in a pass, one page
        of each log each one is behind in, written together (see projections.passes).
        A projection whose page fails waits for the next round; the others go on."""
        applied = 0
        behind = projections
        while behind:
            todo = {p.name: self._behind_in(p, heads) for p in behind}
            try:
                with PagePass() as writer:
                    writer.expect([(self.stores[p.name], s) for p in behind for s in todo[p.name]])
                    moved = {p.name: self._pages(p, todo[p.name], pages, writer) for p in behind}
            except Exception:  # PassFailed, or a page of its own transaction failed
                log.warning("projection runner: a page failed; the pass again, page by page")
                moved = {p.name: self._pages_alone(p, todo[p.name], pages) for p in behind}
            applied += sum(moved.values())
            behind = [p for p in behind if moved[p.name] and self._behind_in(p, heads)]
        return applied

    def _pages(
        self, projection: Projection, sources: list[str], pages: RoundPages, writer: PagePass
    ) -> int:
        return sum(
            self._next_page(projection, self.apps[source], pages=pages, writer=writer)
            for source in sources
        )

    def _pages_alone(self, projection: Projection, sources: list[str], pages: RoundPages) -> int:
        """``_pages``, each in a transaction of its own; a failure is logged, not raised."""
        try:
            return self._pages(projection, sources, pages, ONE_BY_ONE)
        except Exception:
            log.exception("%s: catching up failed; retrying", projection.name)
            for source in projection.sources:
                self._reached.pop((projection.name, source), None)
            return 0

    # Waking on PostgreSQL's notifications.

    def _channels(self) -> list[str]:
        """The NOTIFY channels of the logs the projections follow."""
        sources = {source for p in self.projections for source in p.sources}
        return sorted(
            app.recorder.channel_name
            for name, app in self.apps.items()
            if name in sources and isinstance(app.recorder, PostgresApplicationRecorder)
        )

    def _start_listener(self) -> None:
        if self.config.postgres is None or not self._channels():
            return
        self._listener = threading.Thread(
            target=self._listen, name="projections-listen", daemon=True
        )
        self._listener.start()

    def _listen(self) -> None:
        """One connection LISTENs on every log's channel; a notification wakes the runner.

        eventsourcing NOTIFYs in the transaction that inserts events, so the
        notification arrives once they are committed. If the connection fails,
        the runner polls until it is back.
        """
        while not self._stop.is_set():
            try:
                with self.config.connect() as conn:
                    for channel in self._channels():
                        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self.listening.set()
                    self._wake.set()  # anything written while nobody listened
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self._wake.set()
            except psycopg.Error:
                log.warning("projection runner: not listening for new events; polling meanwhile")
            finally:
                self.listening.clear()
            self._stop.wait(LISTEN_RETRY)

    def _stop_listener(self) -> None:
        if self._listener is not None:
            self._listener.join(timeout=5)
            self._listener = None

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._stop_listener()

    def close(self) -> None:
        self.stop()
        for store in self.stores.values():
            store.close()
        self.checkpoints.close()
        for lock in (*self.locks.values(), *self.hot.values(), *self._probes.values()):
            lock.close()
        if self.lock_session is not None:
            self.lock_session.close()
