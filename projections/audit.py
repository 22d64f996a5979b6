"""The audit trail: every event of every log with its metadata, in a hash chain.

Each log's events are chained: an event's hash covers the previous hash and the
event exactly as stored (id, version, topic and the stored bytes). ``verify``
recomputes the chain from the event store, so an event altered, removed or
slipped in after it was projected shows up as a break at its position.
Personal data is kept out of the trail (see ``application.jsonable.redacted``).

The queries that read this model are in ``projections.queries.audit``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing.persistence import Notification

from application.base import OpsApplication
from application.jsonable import redacted
from application.personal import FREE_TEXT_FIELDS
from projections.projection import Delivery, Projection, utc_text
from projections.store import ReadCursor

GENESIS = "0" * 64


def log_pages(
    app: OpsApplication, after: int, up_to: int, size: int
) -> Iterator[Sequence[Notification]]:
    """The stored events of ``app``'s log after ``after`` up to ``up_to``, in order,
    ``size`` at a time: what the chain is walked over."""
    while after < up_to:
        page = app.recorder.select_notifications(
            start=after, limit=size, stop=up_to, inclusive_of_start=False
        )
        if not page:
            return
        yield page
        after = page[-1].id


INTERNAL_FIELDS = ("originator_id", "originator_version", "timestamp", "meta", "originator_topic")
LOGS_ABOUT_CUSTOMERS = frozenset({"customers", "complaints"})
"""Whose free text is words about a customer: kept out of the trail even where an
event recorded before sealing holds it as plain text."""


def trail_payload(log: str, payload: dict[str, Any]) -> Any:
    """An event's fields as the trail keeps them: no personal data, sealed or not."""
    if log in LOGS_ABOUT_CUSTOMERS:
        payload = {
            name: {"redacted": True}
            if name in FREE_TEXT_FIELDS and isinstance(value, str)
            else value
            for name, value in payload.items()
        }
    return redacted(payload)


def chain_hash(previous: str, log: str, notification: Notification) -> str:
    digest = hashlib.sha256(previous.encode())
    header = (
        f"|{log}|{notification.id}|{notification.originator_id}"
        f"|{notification.originator_version}|{notification.topic}|"
    )
    digest.update(header.encode())
    state = notification.state
    # A tampered row may even hold text where bytes belong: hash what is there.
    raw = state if isinstance(state, bytes) else str(state).encode()
    digest.update(hashlib.sha256(raw).digest())
    return digest.hexdigest()


class AuditTrail(Projection):
    name = "audit"
    handles_every_event = True
    """Every event of every log goes into the trail, alike: no handler per event class."""
    table_names = ("audit_events",)
    tables = (
        "CREATE TABLE IF NOT EXISTS audit_events ("
        "log TEXT NOT NULL, position BIGINT NOT NULL, aggregate_id TEXT NOT NULL, "
        "version BIGINT NOT NULL, type TEXT NOT NULL, topic TEXT NOT NULL, "
        "occurred_at TEXT NOT NULL, principal TEXT, roles TEXT, request_id TEXT, "
        "command TEXT, on_behalf_of TEXT, payload TEXT NOT NULL, chain_hash TEXT NOT NULL, "
        "PRIMARY KEY (log, position))",
        "CREATE INDEX IF NOT EXISTS audit_events_aggregate ON audit_events (aggregate_id, version)",
        "CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events (occurred_at, log, position)",
        "CREATE INDEX IF NOT EXISTS audit_events_principal ON audit_events (principal)",
        "CREATE INDEX IF NOT EXISTS audit_events_type ON audit_events (type)",
    )

    def __init__(self, sources: Sequence[str]) -> None:
        self.sources = tuple(sources)

    def apply(self, cursor: ReadCursor, delivery: Delivery) -> None:
        self.apply_page(cursor, [delivery])

    def apply_page(self, cursor: ReadCursor, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        log = deliveries[0].log
        previous = self._tip(cursor, log, deliveries[0].position)
        rows = []
        for delivery in deliveries:
            previous = chain_hash(previous, log, delivery.notification)
            rows.append(self._row(delivery, previous))
        cursor.executemany(
            "INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )

    @staticmethod
    def _tip(cursor: ReadCursor, log: str, before: int) -> str:
        row = cursor.execute(
            "SELECT chain_hash FROM audit_events WHERE log = ? AND position < ? "
            "ORDER BY position DESC LIMIT 1",
            (log, before),
        ).fetchone()
        return GENESIS if row is None else str(row["chain_hash"])

    @staticmethod
    def _row(delivery: Delivery, hash_: str) -> tuple[Any, ...]:
        event, meta, n = delivery.event, delivery.metadata, delivery.notification
        payload = {k: v for k, v in vars(event).items() if k not in INTERNAL_FIELDS}
        return (
            delivery.log,
            n.id,
            str(n.originator_id),
            n.originator_version,
            delivery.type,
            n.topic,
            utc_text(event.timestamp),
            meta.get("principal"),
            json.dumps(meta.get("roles", [])),
            meta.get("request_id"),
            meta.get("command"),
            meta.get("on_behalf_of"),
            json.dumps(trail_payload(delivery.log, payload), ensure_ascii=False, sort_keys=True),
            hash_,
        )
