"""Webhook deliveries, part one: the outbox.

A follower reads every log, like a projection, with tracking of its own (the
store ``webhooks_outbox``). For each event it writes one outbox row per
subscription that wants it, and moves its position, in one transaction: an
event is queued exactly once per subscription, and none is lost when a process
dies (the page is read again and written then). The sender
(``projections.delivery``) takes the rows from there.

The subscriptions the follower matches against are its own copy of the
``webhooks`` log (a table in the same store), caught up before each page of
another log is written, so a subscription committed before an event is known
when that event is queued.

The payload is made when the event is queued, once, and holds no personal data:
ids, type, log, position, version, time, the acting principal, and the fields
``public_fields`` lets through (see docs/webhooks.md).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from eventsourcing.persistence import IntegrityError, Notification

from application.base import OpsApplication
from application.jsonable import jsonable
from application.services import Services
from application.store import StoreConfig
from application.webhooks import Webhooks
from domain.customer import PersonalData
from domain.webhook import Webhook, matches
from projections.audit import INTERNAL_FIELDS
from projections.projection import Delivery, deliveries_of, events_of, utc_text
from projections.store import ReadCursor, ReadModelStore

log = logging.getLogger("opsledger.webhooks")

OUTBOX = "webhooks_outbox"
PAGE_SIZE = 500
MESSAGE_IDS = uuid.UUID("4f0c1c55-6a43-4d36-9a0b-2f2f5e1b9d3e")
"""The namespace of message ids: one per (subscription, log, position), stable across retries."""

TABLE_NAMES = ("webhook_subscriptions", "webhook_messages", "webhook_attempts")
TABLES = (
    "CREATE TABLE IF NOT EXISTS webhook_subscriptions ("
    "id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL, "
    "subscribed_at TEXT NOT NULL, deleted_at TEXT)",
    "CREATE TABLE IF NOT EXISTS webhook_messages ("
    "id TEXT PRIMARY KEY, subscription_id TEXT NOT NULL, log TEXT NOT NULL, "
    "position BIGINT NOT NULL, event_type TEXT NOT NULL, payload TEXT NOT NULL, "
    "status TEXT NOT NULL, failures BIGINT NOT NULL, attempts BIGINT NOT NULL, "
    "event_at DOUBLE PRECISION NOT NULL, queued_at DOUBLE PRECISION NOT NULL, "
    "next_attempt_at DOUBLE PRECISION NOT NULL, lease_owner TEXT, "
    "lease_until DOUBLE PRECISION, finished_at DOUBLE PRECISION, last_error TEXT, "
    "UNIQUE (subscription_id, log, position))",
    "CREATE INDEX IF NOT EXISTS webhook_messages_due ON webhook_messages (status, next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS webhook_messages_subscription "
    "ON webhook_messages (subscription_id, log, position)",
    "CREATE TABLE IF NOT EXISTS webhook_attempts ("
    "message_id TEXT NOT NULL, attempt BIGINT NOT NULL, started_at TEXT NOT NULL, "
    "duration_ms DOUBLE PRECISION NOT NULL, response_status BIGINT, error TEXT, "
    "outcome TEXT NOT NULL, worker TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS webhook_attempts_message ON webhook_attempts (message_id)",
)

PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"

SAFE_TEXT = frozenset(
    {
        "kind",
        "status",
        "department",
        "category",
        "channel",
        "severity",
        "code",
        "line",
        "from_line",
        "to_line",
        "control",
        "strategy",
        "direction",
        "cycle",
        "level",
    }
)
"""Text fields that are codes, never free text: the only text a payload carries."""
PEOPLE = frozenset({"Customer", "Employee"})
"""Aggregates about a person: their events' payloads carry only ids and enum values."""
_OMIT = object()


def message_id(subscription_id: str, log_name: str, position: int) -> str:
    """The Standard Webhooks ``webhook-id``: the same for every retry and redelivery."""
    return "msg_" + uuid.uuid5(MESSAGE_IDS, f"{subscription_id}:{log_name}:{position}").hex


def _public(name: str, value: Any, *, people: bool) -> Any:
    if isinstance(value, PersonalData):
        return _OMIT
    if value is None or isinstance(value, uuid.UUID | Enum):
        return jsonable(value)
    if isinstance(value, bool | int | float | Decimal | date | datetime):
        return _OMIT if people else jsonable(value)
    if isinstance(value, str):
        return value if name in SAFE_TEXT and not people else _OMIT
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        kept = {str(k): _public(str(k), v, people=people) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not _OMIT}
    if isinstance(value, list | tuple | set | frozenset):
        return [v for v in (_public(name, item, people=people) for item in value) if v is not _OMIT]
    return _OMIT


def public_fields(event: Any, aggregate_type: str) -> tuple[dict[str, Any], list[str]]:
    """The event's own fields a payload may carry, and the names of those left out."""
    people = aggregate_type in PEOPLE
    fields, omitted = {}, []
    for name, value in vars(event).items():
        if name in INTERNAL_FIELDS:
            continue
        kept = _public(name, value, people=people)
        if kept is _OMIT:
            omitted.append(name)
        else:
            fields[name] = kept
    return fields, sorted(omitted)


def event_type(event: Any) -> str:
    return type(event).__qualname__


def payload(delivery: Delivery) -> dict[str, Any]:
    """The JSON body of a delivery (Standard Webhooks' ``type``/``timestamp``/``data``)."""
    return payload_of_event(delivery.event, delivery.log, delivery.position)


def payload_of_event(event: Any, log_name: str, position: int = 0) -> dict[str, Any]:
    meta = dict(getattr(event, "meta", {}))
    kind = event_type(event)
    aggregate_type = kind.split(".")[0]
    fields, omitted = public_fields(event, aggregate_type)
    occurred = utc_text(event.timestamp)
    return {
        "type": kind,
        "timestamp": occurred,
        "data": {
            "event_id": f"{log_name}:{position}",
            "log": log_name,
            "position": position,
            "aggregate_type": aggregate_type,
            "aggregate_id": str(event.originator_id),
            "version": event.originator_version,
            "occurred_at": occurred,
            "principal": meta.get("principal"),
            "command": meta.get("command"),
            "request_id": meta.get("request_id"),
            "fields": fields,
            "omitted": omitted,
        },
    }


class WebhookOutbox:
    """Follows every log and queues what each subscription wants (see the module doc)."""

    def __init__(
        self, services: Services, store: ReadModelStore, clock: Callable[[], float] = time.time
    ) -> None:
        self.hooks: Webhooks = services.webhooks
        self.logs = [app for app in services.all() if app is not services.webhooks]
        self.store = store
        self.clock = clock
        self._idle_at: int | None = None
        """The webhooks log's position when the last catch-up found nobody subscribed
        (None: somebody was, or not known yet)."""

    def idle(self) -> bool:
        """Whether there is surely nothing to queue, for one query: nobody was subscribed
        at the last catch-up and no subscription has been made or ended since."""
        if self._idle_at is None:
            return False
        return (self.hooks.recorder.max_notification_id() or 0) <= self._idle_at

    def catch_up(self) -> int:
        """Queue every event not queued yet; returns how many events were read."""
        self._idle_at = None
        read = self.catch_up_subscriptions()
        # Read before the subscriptions: one made meanwhile moves the log past it.
        hooks_at = self.store.position(self.hooks.name)
        if not self._subscribed():
            # Nobody listens: the logs are not even read. What happens before a
            # subscription is never delivered to it, so nothing is missed when one
            # comes: the logs are then read on from where they were left.
            self._idle_at = hooks_at
            return read
        for app in self.logs:
            while (page := self._next_page(app)) > 0:
                read += page
        return read

    def heads_reached(self) -> bool:
        """Whether every log's head was reached (cheap: one query per log)."""
        return all(
            (app.recorder.max_notification_id() or 0) <= self.store.position(app.name)
            for app in [self.hooks, *self.logs]
        )

    def _subscribed(self) -> bool:
        rows = self.store.read(
            "SELECT 1 AS live FROM webhook_subscriptions WHERE deleted_at IS NULL LIMIT 1"
        )
        return bool(rows)

    def catch_up_subscriptions(self) -> int:
        applied = 0
        while (page := self._page(self.hooks, self._apply_subscriptions)) > 0:
            applied += page
        return applied

    def _next_page(self, app: OpsApplication) -> int:
        return self._page(app, self._queue, before=self.catch_up_subscriptions)

    def _page(self, app: OpsApplication, write: Any, before: Any = None) -> int:
        position = self.store.position(app.name)
        notifications = app.recorder.select_notifications(
            start=position, limit=PAGE_SIZE, inclusive_of_start=False
        )
        if not notifications:
            return 0
        if before is not None:
            before()  # subscriptions committed before these events: known now
        try:
            fresh = self.store.apply_page(
                app.name, position, notifications[-1].id, lambda c: write(c, app, notifications)
            )
        except IntegrityError:
            if self.store.position(app.name) == position:
                raise
            fresh = False
        if not fresh:
            log.info("webhooks: page after %s:%d queued elsewhere", app.name, position)
        return len(notifications)

    def _apply_subscriptions(
        self, cursor: ReadCursor, app: OpsApplication, notifications: Sequence[Notification]
    ) -> None:
        hook = events_of(Webhook)
        now = self.clock()
        for delivery in deliveries_of(app, notifications):
            event, webhook = delivery.event, str(delivery.notification.originator_id)
            if isinstance(event, hook.Subscribed):
                cursor.execute(
                    "INSERT INTO webhook_subscriptions VALUES (?, ?, ?, ?, NULL) "
                    "ON CONFLICT (id) DO NOTHING",
                    (webhook, event.url, json.dumps(event.events), utc_text(event.timestamp)),
                )
            elif isinstance(event, hook.Deleted):
                cursor.execute(
                    "UPDATE webhook_subscriptions SET deleted_at = ? WHERE id = ?",
                    (utc_text(event.timestamp), webhook),
                )
                cursor.execute(
                    "UPDATE webhook_messages SET status = ?, finished_at = ? "
                    "WHERE subscription_id = ? AND status = ?",
                    (CANCELLED, now, webhook, PENDING),
                )
            elif isinstance(event, hook.RedeliveryRequested):
                # Due now, with the whole retry schedule again; the same webhook-id.
                cursor.execute(
                    "UPDATE webhook_messages SET status = ?, failures = 0, next_attempt_at = ?, "
                    "finished_at = NULL, lease_owner = NULL, lease_until = NULL "
                    "WHERE id = ? AND subscription_id = ?",
                    (PENDING, now, event.delivery_id, webhook),
                )

    def _queue(
        self, cursor: ReadCursor, app: OpsApplication, notifications: Sequence[Notification]
    ) -> None:
        subscriptions = cursor.execute(
            "SELECT id, events, subscribed_at FROM webhook_subscriptions WHERE deleted_at IS NULL"
        ).fetchall()
        if not subscriptions:
            return  # nobody listens: the events are passed over undecoded
        deliveries = list(deliveries_of(app, notifications))
        wanted = [(s["id"], json.loads(s["events"]), s["subscribed_at"]) for s in subscriptions]
        now = self.clock()
        rows = []
        for delivery in deliveries:
            event = delivery.event
            kind, occurred = event_type(event), utc_text(event.timestamp)
            assert occurred is not None
            body: str | None = None
            for sub_id, patterns, since in wanted:
                # Only what happened since the subscription (the follower may lag).
                if occurred < since or not matches(patterns, kind, getattr(event, "kind", None)):
                    continue
                if body is None:
                    body = json.dumps(payload(delivery), separators=(",", ":"), sort_keys=True)
                rows.append(
                    (
                        message_id(sub_id, delivery.log, delivery.position),
                        sub_id,
                        delivery.log,
                        delivery.position,
                        kind,
                        body,
                        PENDING,
                        0,
                        0,
                        event.timestamp.timestamp(),
                        now,
                        now,
                    )
                )
        cursor.executemany(
            "INSERT INTO webhook_messages (id, subscription_id, log, position, event_type, "
            "payload, status, failures, attempts, event_at, queued_at, next_attempt_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            rows,
        )


def open_outbox(config: StoreConfig) -> ReadModelStore:
    store = ReadModelStore(config, OUTBOX)
    store.create_tables(TABLES)
    return store
