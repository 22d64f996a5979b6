"""/metrics: Prometheus text format, no token (serve it to the scraper's network only).

The counters and histograms of application/metrics.py, then what is measured at
scrape time: each projection's lag per log, and the PostgreSQL pools' usage.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from application.services import Services
from projections.runner import ProjectionRunner

router = APIRouter(tags=["health"])


class ScrapeTime(Collector):
    """The gauges read when scraped: projection lag, pool usage."""

    def __init__(self, runner: ProjectionRunner, pools: dict[str, Any]) -> None:
        self.runner = runner
        self.pools = pools

    def collect(self) -> Iterator[GaugeMetricFamily]:
        events = GaugeMetricFamily(
            "opsledger_projection_lag_events",
            "Events of the log the projection has not applied yet",
            labels=["projection", "log"],
        )
        seconds = GaugeMetricFamily(
            "opsledger_projection_lag_seconds",
            "Age of the oldest event of the log the projection has not applied yet (0: none)",
            labels=["projection", "log"],
        )
        for (projection, log), lag in self.runner.lag_by_log().items():
            events.add_metric([projection, log], lag.events)
            seconds.add_metric([projection, log], lag.seconds)
        yield events
        yield seconds
        if not self.pools:
            return
        connections = GaugeMetricFamily(
            "opsledger_pool_connections",
            "PostgreSQL connections of this process's pools: open (size), idle (available), "
            "and requests waiting for one",
            labels=["pool", "state"],
        )
        for name, pool in sorted(self.pools.items()):
            stats = pool.get_stats()
            connections.add_metric([name, "open"], stats.get("pool_size", 0))
            connections.add_metric([name, "idle"], stats.get("pool_available", 0))
            connections.add_metric([name, "waiting"], stats.get("requests_waiting", 0))
        yield connections


def pools_of(services: Services, tokens: Any) -> dict[str, Any]:
    """The psycopg pools this process holds, by name (none on SQLite): the event store's
    one pool, which every application shares, is ``events``."""
    pools: dict[str, Any] = {}
    for app in services.all():
        pool = getattr(getattr(app.recorder, "datastore", None), "pool", None)
        if pool is not None and hasattr(pool, "get_stats") and pool not in pools.values():
            pools["events" if not pools else app.name] = pool
    token_pool = getattr(tokens, "_pool", None)
    if token_pool is not None:
        pools["tokens"] = token_pool
    return pools


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text exposition of this process (or, in multiprocess mode, all workers)."""
    state = request.app.state
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    measured = CollectorRegistry(auto_describe=False)
    measured.register(ScrapeTime(state.projections, pools_of(state.services, state.tokens)))
    body = generate_latest(counted) + generate_latest(measured)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
