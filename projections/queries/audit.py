"""The audit trail's queries: a page of events, and the tamper check that recomputes
each log's hash chain from the event store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import Notification

from application.base import OpsApplication
from projections.audit import GENESIS, chain_hash, log_pages
from projections.checkpoints import Checkpoint, check_checkpoints
from projections.listing import Listing, page
from projections.projection import utc_text
from projections.store import ReadModelStore

VERIFY_PAGE = 1000


@dataclass
class LogVerification:
    log: str
    verified: int = 0
    projected_up_to: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)


def verify_log(
    app: OpsApplication,
    store: ReadModelStore,
    checkpoints: Sequence[Checkpoint] = (),
    trusted: Ed25519PublicKey | None = None,
) -> LogVerification:
    """Recompute ``app``'s chain from the event store and compare it with the trail,
    up to where the trail has been projected, and with each signed checkpoint
    (signatures checked under ``trusted``, or the key each names); the first break
    of each check."""
    result = LogVerification(log=app.name, projected_up_to=store.position(app.name))
    chain = _chain_problem(app, store, result)
    signed = check_checkpoints(app, list(checkpoints), trusted)
    result.problems = sorted(
        (p for p in (chain, signed) if p is not None), key=lambda p: int(p["position"])
    )
    return result


def _chain_problem(
    app: OpsApplication, store: ReadModelStore, result: LogVerification
) -> dict[str, Any] | None:
    """The first break between the event store and the trail; both are read a page
    at a time, side by side."""
    expected = _trail_hashes(store, app.name, result.projected_up_to)
    previous, last = GENESIS, 0
    for stored in log_pages(app, 0, result.projected_up_to, VERIFY_PAGE):
        for notification in stored:
            row = next(expected, None)
            problem = _check(notification, row, previous, app.name)
            if problem is not None:
                return _named(problem, notification, store)
            assert row is not None
            previous = row[1]
            result.verified += 1
        last = stored[-1].id
    left_over = next(expected, None)
    if left_over is not None:
        return _problem("missing", app.name, left_over[0])
    if last < result.projected_up_to:
        return _problem("truncated", app.name, last + 1)
    return None


def _check(
    notification: Notification, expected: tuple[int, str] | None, previous: str, log: str
) -> dict[str, Any] | None:
    if expected is not None and expected[0] < notification.id:
        return _problem("missing", log, expected[0])
    if expected is None or expected[0] > notification.id:
        return _problem("unexpected", log, notification.id)
    if expected[1] != chain_hash(previous, log, notification):
        return _problem("altered", log, notification.id)
    return None


def _named(
    problem: dict[str, Any], notification: Notification, store: ReadModelStore
) -> dict[str, Any]:
    """An event that differs from the trail's at its position: the trail's own event
    altered, one of its events moved here (reordered), or one it never saw (inserted)."""
    if problem["kind"] != "altered":
        return problem
    rows = store.read(
        "SELECT position FROM audit_events WHERE log = ? AND aggregate_id = ? AND version = ?",
        (problem["log"], str(notification.originator_id), notification.originator_version),
    )
    if not rows:
        return _problem("unexpected", problem["log"], notification.id)
    if int(rows[0]["position"]) != notification.id:
        return _problem("reordered", problem["log"], notification.id)
    return problem


def _trail_hashes(store: ReadModelStore, log: str, up_to: int) -> Iterator[tuple[int, str]]:
    """(position, chain hash) of the trail's rows of ``log`` up to ``up_to`` in order,
    a page at a time (rows projected meanwhile are left for the next check)."""
    after = 0
    while True:
        rows = store.read(
            "SELECT position, chain_hash FROM audit_events WHERE log = ? AND position > ? "
            "AND position <= ? ORDER BY position LIMIT ?",
            (log, after, up_to, VERIFY_PAGE),
        )
        for row in rows:
            yield int(row["position"]), str(row["chain_hash"])
        if len(rows) < VERIFY_PAGE:
            return
        after = int(rows[-1]["position"])


def _problem(kind: str, log: str, position: int) -> dict[str, Any]:
    explanations = {
        "altered": "the stored event differs from the one projected into the audit trail",
        "missing": "an event in the audit trail is no longer in the event store",
        "unexpected": "the event store holds an event the audit trail never saw at this position",
        "reordered": "the event stored here was projected into the trail at another position",
        "truncated": "the event store ends before where the audit trail reached",
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
    return [trail_event(row) for row in rows], next_key


def trail_event(row: dict[str, Any]) -> dict[str, Any]:
    """A row of the trail as /audit/events answers it."""
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
