"""The process's Prometheus metrics, in one place: every layer that counts something
imports its metric from here (``GET /metrics`` serves them, see api/routes/metrics.py).

Counters and histograms live in prometheus_client's default registry, one per
process. With ``PROMETHEUS_MULTIPROC_DIR`` set (an empty directory, emptied before
each start) the values are kept in files there and a scrape of any worker sees the
sum over all workers of ``opsledger serve --workers N``; without it a scrape sees the
worker that happened to accept it.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

from application.errors import (
    AggregateNotFound,
    ConcurrentWriteConflict,
    IdempotencyKeyReused,
    ReferencedAggregateNotFound,
    VersionMismatch,
)
from domain.errors import DomainError

REQUESTS = Counter(
    "opsledger_http_requests_total",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "opsledger_http_request_duration_seconds",
    "Time from the request's arrival to its answer, by method, route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
COMMANDS = Counter(
    "opsledger_commands_total",
    "Commands handled, by collection, command and outcome (ok, refused, conflict, "
    "not_found, error); for refusals ``rule`` is the problem's slug",
    ["collection", "command", "outcome", "rule"],
)
WEBHOOK_DELIVERIES = Counter(
    "opsledger_webhook_deliveries_total",
    "Webhook delivery attempts, by outcome (delivered, retrying, failed)",
    ["outcome"],
)
SCHEDULER_RUNS = Counter(
    "opsledger_scheduler_runs_total",
    "Deadline scheduler rounds, by kind of deadline (complaints, acceptances, ...)",
    ["kind"],
)


def command_outcome(error: BaseException | None) -> tuple[str, str]:
    """(outcome, rule) of a command that ended with ``error`` (None: it succeeded)."""
    if error is None:
        return "ok", ""
    if isinstance(error, ConcurrentWriteConflict | VersionMismatch):
        return "conflict", getattr(error, "slug", "")
    if isinstance(error, AggregateNotFound | ReferencedAggregateNotFound):
        return "not_found", getattr(error, "slug", "")
    if isinstance(error, DomainError | IdempotencyKeyReused):
        return "refused", str(getattr(error, "slug", type(error).__name__))
    return "error", type(error).__name__


def count_command(collection: str, command: str, error: BaseException | None) -> None:
    outcome, rule = command_outcome(error)
    COMMANDS.labels(collection=collection, command=command, outcome=outcome, rule=rule).inc()


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    labels: dict[str, Any] = {"method": method, "route": route, "status": str(status)}
    REQUESTS.labels(**labels).inc()
    REQUEST_SECONDS.labels(**labels).observe(seconds)
