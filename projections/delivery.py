"""Webhook deliveries, part two: the sender.

It claims due outbox rows with a lease (a conditional UPDATE on SQLite, whose
writers queue; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two senders never
send the same row at the same time; a sender that dies holds its rows only until
the lease runs out, then another takes them: at least once, and a duplicate only
ever as the same ``webhook-id``. Each attempt is recorded; a failed one is tried
again after the retry schedule's next delay (with jitter); after the last one the
delivery is marked failed and ``on_failed`` is called.

Signatures follow Standard Webhooks: ``webhook-signature: v1,<base64 HMAC-SHA256
of "{webhook-id}.{webhook-timestamp}.{body}">`` keyed with the secret's bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx

from application.alerts import Alerts
from application.metrics import WEBHOOK_DELIVERIES
from application.services import Services
from application.store import StoreConfig
from application.webhooks import SECRET_PREFIX, Webhooks, check_webhook_url
from domain.errors import DomainError
from projections.lock import LockSession, ProjectionLock
from projections.rounds import ROUND_INTERVAL, Rounds
from projections.store import ReadModelStore
from projections.webhooks import (
    CANCELLED,
    DELIVERED,
    FAILED,
    OUTBOX,
    PENDING,
    WebhookOutbox,
    open_outbox,
)

log = logging.getLogger("opsledger.webhooks")

DEFAULT_SCHEDULE: tuple[float, ...] = (
    5,
    30,
    120,
    600,
    1800,
    3600,
    7200,
    14400,
    28800,
    28800,
    28800,
)
"""Seconds to wait after each failed attempt (about x4, then capped at 8 h): 12 attempts
over ~31.7 h, more than a day for a receiver to come back."""
DEFAULT_JITTER = 0.2
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "": 1}
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|)\s*$")
BATCH = 20
MAX_ERROR = 500


def parse_schedule(text: str) -> tuple[float, ...]:
    """``"5s,30s,2m,1h"`` (or plain seconds) -> delays in seconds."""
    delays = []
    for part in text.split(","):
        match = DURATION.match(part)
        if match is None:
            raise ValueError(f"not a duration: {part!r} (say 5s, 2m, 1h, 0.5 ...)")
        delays.append(float(match.group(1)) * UNITS[match.group(2)])
    if not delays:
        raise ValueError("the retry schedule is empty")
    return tuple(delays)


@dataclass(frozen=True)
class RetryPolicy:
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    """Delay after the 1st, 2nd, ... failed attempt; after the last, the delivery fails."""
    jitter: float = DEFAULT_JITTER
    """Each delay is stretched or shrunk at random by up to this fraction."""

    @property
    def attempts(self) -> int:
        return len(self.schedule) + 1

    def delay(self, failures: int, rng: random.Random) -> float | None:
        """How long to wait after ``failures`` failed attempts; None: give up."""
        if failures > len(self.schedule):
            return None
        base = self.schedule[failures - 1]
        return base * (1 + rng.uniform(-self.jitter, self.jitter))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass(frozen=True)
class FailedDelivery:
    """A delivery given up on after the whole schedule: what ``on_failed`` receives."""

    webhook_id: UUID
    delivery_id: str
    event_type: str
    log: str
    position: int
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None
    started_at: float
    duration_ms: float

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class DeliverySender:
    """Sends due outbox rows; ``deliver_due`` is one round (the runner calls it in a loop)."""

    def __init__(
        self,
        store: ReadModelStore,
        hooks: Webhooks,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        timeout: float = 5.0,
        lease_seconds: float = 60.0,
        concurrency: int = 3,
        allow_link_local: bool = False,
        on_failed: Callable[[FailedDelivery], None] | None = None,
    ) -> None:
        self.store = store
        self.hooks = hooks
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.rng = rng or random.Random()
        self.lease_seconds = max(lease_seconds, timeout * 3)
        self.allow_link_local = allow_link_local
        self.on_failed = on_failed
        """Called once per delivery that finally failed (wire alerts here)."""
        self.owner = uuid.uuid4().hex
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            follow_redirects=False,
            trust_env=False,
            headers={"user-agent": "opsledger-webhooks/1", "content-type": "application/json"},
        )
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook-send")

    # Claiming.

    def claim(self, limit: int = BATCH) -> list[dict[str, Any]]:
        """Due rows, leased to this sender; none another sender holds."""
        now = self.clock()
        skip_locked = " FOR UPDATE SKIP LOCKED" if self.store.postgres else ""
        with self.store.transaction(commit=True) as cursor:
            return cursor.execute(
                "UPDATE webhook_messages SET lease_owner = ?, lease_until = ? "
                "WHERE id IN (SELECT id FROM webhook_messages WHERE status = ? "
                "AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
                f"ORDER BY next_attempt_at LIMIT ?{skip_locked}) "
                "RETURNING id, subscription_id, log, position, event_type, payload, failures, "
                "attempts",
                (self.owner, now + self.lease_seconds, PENDING, now, now, limit),
            ).fetchall()

    def next_due(self) -> float | None:
        """When the earliest pending row falls due (or its lease ends)."""
        rows = self.store.read(
            "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at "
            "THEN lease_until ELSE next_attempt_at END) AS due FROM webhook_messages "
            "WHERE status = ?",
            (PENDING,),
        )
        due = rows[0]["due"] if rows else None
        return None if due is None else float(due)

    # Sending.

    def deliver_due(self) -> int:
        """Send every row due now, once; returns how many attempts were made."""
        made = 0
        while rows := self.claim():
            targets = {sub: self._target(UUID(sub)) for sub in {r["subscription_id"] for r in rows}}
            chosen = [targets[r["subscription_id"]] for r in rows]
            list(self.pool.map(self._deliver, rows, chosen))
            made += len(rows)
            if len(rows) < BATCH:
                break
        return made

    def _target(self, webhook_id: UUID) -> tuple[str, str] | None:
        """The subscription's (secret, url); None once it is deleted."""
        secret = self.hooks.secrets.get(webhook_id)
        if secret is None:
            return None
        return secret, str(self.hooks.get_webhook(webhook_id).url)

    def _deliver(self, row: dict[str, Any], target: tuple[str, str] | None) -> None:
        try:
            if target is None:  # the subscription was deleted meanwhile
                self._finish(row, CANCELLED, "the subscription was deleted")
                return
            self._record(row, self.send(row, *target))
        except Exception:  # the lease runs out and the row is tried again
            log.exception("webhooks: delivering %s failed unexpectedly", row["id"])

    def send(self, row: dict[str, Any], secret: str, url: str) -> Outcome:
        body = str(row["payload"]).encode()
        started = self.clock()
        begun = time.monotonic()
        try:
            # Again at each attempt: where the name points may have changed since.
            check_webhook_url(url, allow_link_local=self.allow_link_local)
            timestamp = int(time.time())
            response = self.client.post(
                url,
                content=body,
                headers={
                    "webhook-id": row["id"],
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": sign(secret, row["id"], timestamp, body),
                },
            )
            status: int | None = response.status_code
            error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        except DomainError as refused:
            status, error = None, f"refused: {refused.detail}"
        except httpx.HTTPError as failure:
            status, error = None, f"{type(failure).__name__}: {failure}"[:MAX_ERROR]
        return Outcome(status, error, started, (time.monotonic() - begun) * 1000)

    # Recording.

    def _record(self, row: dict[str, Any], outcome: Outcome) -> None:
        attempts = int(row["attempts"]) + 1
        failures = 0 if outcome.delivered else int(row["failures"]) + 1
        now = self.clock()
        if outcome.delivered:
            status, next_at = DELIVERED, now
        else:
            delay = self.policy.delay(failures, self.rng)
            status, next_at = (FAILED, now) if delay is None else (PENDING, now + delay)
        if status == FAILED and not self._alert(row, attempts, outcome.error):
            status, next_at = PENDING, now + self.policy.schedule[-1]  # alert again later
        with self.store.transaction(commit=True) as cursor:
            cursor.execute(
                "INSERT INTO webhook_attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row["id"],
                    attempts,
                    iso(outcome.started_at),
                    round(outcome.duration_ms, 3),
                    outcome.status,
                    outcome.error,
                    "delivered" if outcome.delivered else "failed",
                    self.owner,
                ),
            )
            # Only while the lease is ours: a sender that overran it leaves the row alone.
            cursor.execute(
                "UPDATE webhook_messages SET status = ?, attempts = attempts + 1, failures = ?, "
                "next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, last_error = ?, "
                "finished_at = ? WHERE id = ? AND lease_owner = ? AND status = ?",
                (
                    status,
                    failures,
                    next_at,
                    outcome.error,
                    now if status != PENDING else None,
                    row["id"],
                    self.owner,
                    PENDING,
                ),
            )
        label = "delivered" if outcome.delivered else "failed" if status == FAILED else "retrying"
        WEBHOOK_DELIVERIES.labels(label).inc()

    def _alert(self, row: dict[str, Any], attempts: int, error: str | None) -> bool:
        if self.on_failed is None:
            return True
        failed = FailedDelivery(
            webhook_id=UUID(row["subscription_id"]),
            delivery_id=row["id"],
            event_type=row["event_type"],
            log=row["log"],
            position=int(row["position"]),
            attempts=attempts,
            last_error=error,
        )
        try:
            self.on_failed(failed)
        except Exception:
            log.exception("webhooks: the failure hook failed for %s; trying again later", row["id"])
            return False
        return True

    def _finish(self, row: dict[str, Any], status: str, error: str) -> None:
        with self.store.transaction(commit=True) as cursor:
            cursor.execute(
                "UPDATE webhook_messages SET status = ?, last_error = ?, finished_at = ?, "
                "lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
                (status, error, self.clock(), row["id"], self.owner),
            )

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.client.close()


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def deliveries_of(
    store: ReadModelStore, webhook_id: UUID, limit: int, after: tuple[float, str] | None = None
) -> list[dict[str, Any]]:
    """A subscription's deliveries, latest first, each with its attempts; ``after`` is
    the (queued_at, id) of the last one of the previous page."""
    where = "subscription_id = ?"
    params_: list[Any] = [str(webhook_id)]
    if after is not None:
        where += " AND (queued_at < ? OR (queued_at = ? AND id < ?))"
        params_ += [after[0], after[0], after[1]]
    messages = store.read(
        "SELECT id, log, position, event_type, status, attempts, event_at, queued_at, "
        f"next_attempt_at, finished_at, last_error FROM webhook_messages WHERE {where} "
        "ORDER BY queued_at DESC, id DESC LIMIT ?",
        [*params_, limit],
    )
    if not messages:
        return []
    marks = ", ".join("?" for _ in messages)
    attempts: dict[str, list[dict[str, Any]]] = {}
    for attempt in store.read(
        "SELECT message_id, attempt, started_at, duration_ms, response_status, error, outcome "
        f"FROM webhook_attempts WHERE message_id IN ({marks}) ORDER BY message_id, attempt",
        [m["id"] for m in messages],
    ):
        attempts.setdefault(attempt.pop("message_id"), []).append(attempt)
    return [{**m, "attempt_list": attempts.get(m["id"], [])} for m in messages]


def delivery_exists(store: ReadModelStore, webhook_id: UUID, delivery_id: str) -> bool:
    return bool(
        store.read(
            "SELECT 1 AS one FROM webhook_messages WHERE id = ? AND subscription_id = ?",
            (delivery_id, str(webhook_id)),
        )
    )


@dataclass(frozen=True)
class WebhookConfig:
    """How deliveries are sent (from the OPSLEDGER_WEBHOOK_* settings)."""

    policy: RetryPolicy = RetryPolicy()
    timeout: float = 5.0
    lease_seconds: float = 60.0
    poll_interval: float = 0.5
    allow_link_local: bool = False
    round_interval: float = ROUND_INTERVAL
    """Seconds at least between two rounds of the follower (projections.rounds)."""


def alert_on_failure(alerts: Alerts) -> Callable[[FailedDelivery], None]:
    """The failure hook by default: a ``webhook_failed`` alert for technology and
    management, once per delivery (raising it again answers the same alert)."""

    def raise_alert(failed: FailedDelivery) -> None:
        alerts.raise_alert(
            kind="webhook_failed",
            key=failed.delivery_id,
            subject_type="webhook",
            subject_id=failed.webhook_id,
            summary=(
                f"webhook delivery of {failed.event_type} ({failed.log}:{failed.position}) "
                f"failed after {failed.attempts} attempts: {failed.last_error or 'no answer'}"
            ),
        )

    return raise_alert


class WebhookWorker:
    """The outbox follower and the sender, each in a thread of its own, where the
    projections run. Followers of several processes take turns (a lock); senders
    all send, each what it leased."""

    def __init__(
        self,
        services: Services,
        config: StoreConfig,
        settings: WebhookConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        on_failed: Callable[[FailedDelivery], None] | None = None,
        lock_session: LockSession | None = None,
    ) -> None:
        """``lock_session``: the projection runner's lock connection, to share (else
        the worker opens one of its own on PostgreSQL)."""
        self.settings = settings or WebhookConfig()
        self.clock = clock
        self.store = open_outbox(config)
        self.outbox = WebhookOutbox(services, self.store, clock)
        self.sender = DeliverySender(
            self.store,
            services.webhooks,
            policy=self.settings.policy,
            clock=clock,
            timeout=self.settings.timeout,
            lease_seconds=self.settings.lease_seconds,
            allow_link_local=self.settings.allow_link_local,
            on_failed=on_failed or alert_on_failure(services.alerts),
        )
        self.lock = ProjectionLock(config, OUTBOX, lock_session)
        self._wake = threading.Event()
        self._queued = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def on_failed(self) -> Callable[[FailedDelivery], None] | None:
        """The failure hook: called once for each delivery that finally failed."""
        return self.sender.on_failed

    @on_failed.setter
    def on_failed(self, hook: Callable[[FailedDelivery], None] | None) -> None:
        self.sender.on_failed = hook

    def nudge(self) -> None:
        """Events were written here: queue them now rather than at the next poll."""
        self._wake.set()

    def follow(self) -> int:
        """Queue the events not queued yet (unless another process is at it)."""
        if self.outbox.idle():
            return 0
        if not self.lock.acquire(blocking=False):
            return 0
        try:
            return self.outbox.catch_up()
        finally:
            self.lock.release()

    def run_once(self) -> int:
        """Queue what is new, then send what is due; the attempts made (for tests)."""
        self.follow()
        return self.sender.deliver_due()

    def start(self) -> None:
        for name, target in (("webhooks-follow", self._follow), ("webhooks-send", self._send)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _follow(self) -> None:
        rounds = Rounds(self._stop, self.settings.round_interval)
        while rounds.begin():
            self._wake.clear()
            try:
                read = self.follow()
            except Exception:  # a store hiccup must not end the worker
                log.exception("webhooks: queueing failed; retrying")
                read = 0
            if read:
                self._queued.set()
            else:
                self._wake.wait(self.settings.poll_interval)

    def _send(self) -> None:
        poll = self.settings.poll_interval
        while not self._stop.is_set():
            self._queued.clear()
            try:
                made = self.sender.deliver_due()
                due = None if made else self.sender.next_due()
            except Exception:
                log.exception("webhooks: sending failed; retrying")
                made, due = 0, None
            if made:
                continue
            wait = poll if due is None else min(poll, max(0.005, due - self.clock()))
            self._queued.wait(wait)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._queued.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []

    def close(self) -> None:
        self.stop()
        self.sender.close()
        self.lock.close()
        self.store.close()
