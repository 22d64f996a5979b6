"""The audit trail: every event of every log with its metadata, in a hash chain.

Each log's events are chained: an event's hash covers the previous hash and the
event exactly as stored (id, version, topic and the stored bytes). ``verify``
recomputes the chain from the event store, so an event altered, removed or
slipped in after it was projected shows up as a break at its position.
Personal data is kept out of the trail (see ``application.jsonable.redacted``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Notification

from application.base import OpsApplication
from application.jsonable import redacted
from projections.listing import Listing, page
from projections.projection import Delivery, Projection, utc_text
from projections.store import ReadCursor, ReadModelStore

GENESIS = "0" * 64
VERIFY_PAGE = 1000
INTERNAL_FIELDS = ("originator_id", "originator_version", "timestamp", "meta", "originator_topic")


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
            json.dumps(redacted(payload), ensure_ascii=False, sort_keys=True),
            hash_,
        )


@dataclass
class LogVerification:
    log: str
    verified: int = 0
    projected_up_to: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)


def verify_log(app: OpsApplication, store: ReadModelStore) -> LogVerification:
    """Recompute ``app``'s chain from the event store and compare it with the trail,
    up to where the trail has been projected; stop at the first break."""
    result = LogVerification(log=app.name, projected_up_to=store.position(app.name))
    trail = _trail_hashes(store, app.name)
    expected = iter(sorted(trail))
    previous, position = GENESIS, 0
    while position < result.projected_up_to:
        page = app.recorder.select_notifications(
            start=position, limit=VERIFY_PAGE, stop=result.projected_up_to, inclusive_of_start=False
        )
        if not page:
            break
        for notification in page:
            problem = _check(notification, next(expected, None), trail, previous, app.name)
            if problem is not None:
                result.problems.append(problem)
                return result
            previous = trail[notification.id]
            result.verified += 1
        position = page[-1].id
    left_over = next(expected, None)
    if left_over is not None:
        result.problems.append(_problem("missing", app.name, left_over))
    return result


def _check(
    notification: Notification,
    expected: int | None,
    trail: dict[int, str],
    previous: str,
    log: str,
) -> dict[str, Any] | None:
    if expected is not None and expected < notification.id:
        return _problem("missing", log, expected)
    if expected is None or expected > notification.id:
        return _problem("unexpected", log, notification.id)
    if trail[notification.id] != chain_hash(previous, log, notification):
        return _problem("altered", log, notification.id)
    return None


def _trail_hashes(store: ReadModelStore, log: str) -> dict[int, str]:
    rows = store.read("SELECT position, chain_hash FROM audit_events WHERE log = ?", (log,))
    return {int(row["position"]): str(row["chain_hash"]) for row in rows}


def _problem(kind: str, log: str, position: int) -> dict[str, Any]:
    explanations = {
        "altered": "the stored event differs from the one projected into the audit trail",
        "missing": "an event in the audit trail is no longer in the event store",
        "unexpected": "the event store holds an event the audit trail never saw at this position",
    }
    return {"kind": kind, "log": log, "position": position, "detail": explanations[kind]}


@dataclass(frozen=True)
class AuditFilter:
    aggregate_id: str | None = None
    type: str | None = None
    actor: str | None = None
    log: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_events(
    store: ReadModelStore,
    where: AuditFilter,
    *,
    newest_first: bool,
    limit: int,
    after: tuple[Any, ...] | None,
) -> tuple[list[dict[str, Any]], tuple[Any, ...] | None]:
    """One page of the trail in time order (or reversed), and the key of the next page."""
    listing = Listing(
        table="audit_events",
        order=("occurred_at", "log", "position"),
        equal={
            "aggregate_id": where.aggregate_id,
            "type": where.type,
            "principal": where.actor,
            "log": where.log,
        },
        at_least={"occurred_at": utc_text(where.since)},
        before={"occurred_at": utc_text(where.until)},
    )
    rows, next_key = page(store, listing, limit=limit, after=after, descending=newest_first)
    return [_event(row) for row in rows], next_key


def _event(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "log": row["log"],
        "position": f"{row['log']}:{row['position']}",
        "aggregate_id": row["aggregate_id"],
        "version": int(row["version"]),
        "type": row["type"],
        "topic": row["topic"],
        "occurred_at": row["occurred_at"],
        "metadata": {
            "principal": row["principal"],
            "roles": json.loads(row["roles"] or "[]"),
            "request_id": row["request_id"],
            "command": row["command"],
            "on_behalf_of": row["on_behalf_of"],
        },
        "payload": json.loads(row["payload"]),
        "chain_hash": row["chain_hash"],
    }
