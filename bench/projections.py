"""Projection benchmark: rebuild throughput, raw read rate, and command-to-visible lag.

    python -m bench.projections [--events 100000] [--stores sqlite,postgres]

On each store (SQLite files in a temporary directory; a fresh PostgreSQL
database on ``OPSLEDGER_BENCH_POSTGRES``, default the local server) it

1. writes a mixed history of customers and complaints through the application
   layer, a batch of aggregates per transaction (``record_all``);
2. reads and decodes every event as a projection does (``select_notifications``
   + ``mapper.to_domain_event``, pages of the runner's size): the raw rate;
3. rebuilds the audit trail and the customer and complaint read models, each
   beside its live tables, and times them: the rebuild throughput;
4. serves a fresh store with ``opsledger serve`` and, under a steady write load
   over HTTP, measures the time from each command's answer until its position is
   visible in the read model (the store's tracking position, polled every
   millisecond), and until ``GET /dashboards/complaints?min_position=`` answers.

Prints the machine and the figures; writes ``bench/results/projections.json`` and
``bench/results/projections.md``. Not a test: it passes or fails nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg

from application.context import Actor, CommandContext
from application.services import Services
from application.store import PostgresUrl, StoreConfig
from bench.machine import describe, one_line
from bench.results import save
from domain.complaint import Complaint
from domain.customer import Customer
from domain.vocabulary import (
    AcquisitionChannel,
    ComplaintCategory,
    Department,
    Role,
    RootCause,
    ServiceChannel,
)
from projections import runner as runner_module
from projections.catalog import all_projections
from projections.runner import ProjectionRunner
from projections.store import ReadModelStore

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
REBUILT = ("audit", "customers_view", "complaints_view")
BATCH = 250
"""Customers (or complaints) per transaction when writing the history."""
ACTOR = Actor("bench", frozenset({Role.MARKETING, Role.SALES, Role.CUSTOMER_SERVICE}))


# Stores.


@contextmanager
def fresh_store(kind: str, server: str) -> Iterator[StoreConfig]:
    """An empty store of ``kind``: SQLite files in a temporary directory, or a new database."""
    directory = Path(tempfile.mkdtemp(prefix=f"opsledger-bench-{kind}-"))
    if kind == "sqlite":
        try:
            yield StoreConfig(database_url=None, data_dir=directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    admin = PostgresUrl.parse(server)
    name = f"opsledger_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://{admin.user}:{admin.password}@{admin.host}:{admin.port}/{name}"
    try:
        yield StoreConfig(database_url=url, data_dir=directory, pool_size=2, max_overflow=4)
    finally:
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(directory, ignore_errors=True)


# 1. The history.


def _ctx(n: int) -> CommandContext:
    return CommandContext(actor=ACTOR, request_id=f"bench-{n}", command="bench_batch")


def write_history(services: Services, events: int) -> tuple[int, float]:
    """Customers (5 events each) and for each a complaint (5 events): ``events`` or a few more.

    Customers and complaints are written by two threads, a batch of aggregates per
    transaction, through ``OpsApplication.record_all`` (metadata and all)."""
    units = -(-events // 10)
    now = datetime.now(UTC)
    channels, services_channels = list(AcquisitionChannel), list(ServiceChannel)
    categories, departments = list(ComplaintCategory), list(Department)
    saved: queue.Queue[list[Any] | None] = queue.Queue()

    def customers() -> None:
        for start in range(0, units, BATCH):
            batch = []
            for n in range(start, min(units, start + BATCH)):
                customer = Customer.register(
                    name=f"Customer {n}",
                    email=f"c{n}@example.cn",
                    phone=None,
                    channel=channels[n % len(channels)],
                    campaign=f"campaign-{n % 7}",
                    registered_at=now,
                    marketing_consent=bool(n % 2),
                )
                customer.activate()
                customer.record_purchase(Decimal("99.90") + n % 50, f"ORD-{n}", now, now)
                customer.answer_survey("csat-q1", 1 + n % 5, n % 11, None)
                batch.append(customer)
            services.customers.record_all(batch, _ctx(start))
            saved.put([customer.id for customer in batch])
        saved.put(None)

    def complaints() -> None:
        start = 0
        while (customer_ids := saved.get()) is not None:
            batch = []
            for n, customer_id in enumerate(customer_ids, start):
                complaint = Complaint(
                    customer_id=customer_id,
                    channel=services_channels[n % len(services_channels)],
                    category=categories[n % len(categories)],
                    description=f"complaint {n}",
                    remedy_sought=None,
                    received_at=now,
                )
                complaint.acknowledge("on it", now)
                complaint.assess(3 + n % 2, departments[n % len(departments)], "cs.li")
                complaint.propose_resolution(
                    RootCause.PROCESS_GAP, None, "fix it", Decimal("10.00"), "cs.li"
                )
                complaint.respond("fixed", now, "cs.li")
                batch.append(complaint)
            services.complaints.record_all(batch, _ctx(start))
            start += len(customer_ids)

    started = time.perf_counter()
    threads = [threading.Thread(target=customers), threading.Thread(target=complaints)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    total = sum(app.recorder.max_notification_id() or 0 for app in services.all())
    return total, seconds


# 2. The raw rate of reading and decoding.


def read_and_decode(services: Services, *, decode: bool = True) -> tuple[int, float]:
    count, started = 0, time.perf_counter()
    for app in services.all():
        position = 0
        while True:
            page = app.recorder.select_notifications(
                start=position, limit=runner_module.PAGE_SIZE, inclusive_of_start=False
            )
            if not page:
                break
            if decode:
                for notification in page:
                    app.mapper.to_domain_event(notification)
            count += len(page)
            position = page[-1].id
    return count, time.perf_counter() - started


# 3. Rebuilds.


def rebuild_all(services: Services, config: StoreConfig) -> dict[str, dict[str, Any]]:
    runner = ProjectionRunner(services, config, all_projections(services))
    figures = {}
    try:
        for name in REBUILT:
            started = time.perf_counter()
            events = runner.rebuild(name)
            seconds = time.perf_counter() - started
            figures[name] = {
                "events": events,
                "seconds": round(seconds, 2),
                "events_per_second": round(events / seconds),
                "live_runner_paused_seconds": round(runner.rebuild_pauses.get(name, 0.0), 3),
            }
            print(f"    rebuilt {name}: {events} events in {seconds:.1f}s", flush=True)
    finally:
        runner.close()
    return figures


# 4. Lag under a steady write load against `opsledger serve`.


@dataclass
class Observed:
    """When each position of a read model was first seen, polled from its tracking."""

    times: list[float] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)

    def visible_at(self, position: int) -> float | None:
        for moment, seen in zip(self.times, self.positions, strict=True):
            if seen >= position:
                return moment
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(config: StoreConfig) -> dict[str, str]:
    env = dict(os.environ)
    env["OPSLEDGER_DATA_DIR"] = str(config.data_dir)
    env["OPSLEDGER_LOG_LEVEL"] = "WARNING"
    env.pop("OPSLEDGER_DATABASE_URL", None)
    if config.database_url:
        env["OPSLEDGER_DATABASE_URL"] = config.database_url
    return env


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)

    return {
        "n": len(ordered),
        "p50_ms": at(0.50),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


def measure_lag(config: StoreConfig, seconds: float, rate: float) -> dict[str, Any]:
    env = _environment(config)
    cli = [sys.executable, "-m", "api.cli"]
    token = subprocess.run(
        [
            *cli,
            "token",
            "create",
            "--name",
            "bench",
            "--role",
            "marketing",
            "--role",
            "customer_service",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = _free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("opsledger serve did not start")
                time.sleep(0.1)
            return _steady_load(client, config, seconds, rate)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _steady_load(
    client: httpx.Client, config: StoreConfig, seconds: float, rate: float
) -> dict[str, Any]:
    customers = [_register(client, n)[0] for n in range(20)]
    stores = {
        "customers": ReadModelStore(config, "customers_view"),
        "complaints": ReadModelStore(config, "complaints_view"),
    }
    observed = {log: Observed() for log in stores}
    stop = threading.Event()

    def observe() -> None:
        while not stop.is_set():
            for log, store in stores.items():
                observed[log].times.append(time.perf_counter())
                observed[log].positions.append(store.position(log))
            time.sleep(0.001)

    watcher = threading.Thread(target=observe, daemon=True)
    watcher.start()
    answers: list[tuple[str, int, float]] = []
    dashboard: list[float] = []
    interval, started, n = 1.0 / rate, time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        due = started + n * interval
        time.sleep(max(0.0, due - time.perf_counter()))
        if n % 2 == 0:
            _, position, answered = _register(client, 1000 + n)
            answers.append(("customers", position, answered))
        else:
            position, answered = _complain(client, customers[n % len(customers)], n)
            answers.append(("complaints", position, answered))
            if n % 10 == 1:
                reply = client.get(
                    "/dashboards/complaints", params={"min_position": f"complaints:{position}"}
                )
                reply.raise_for_status()
                dashboard.append(time.perf_counter() - answered)
        n += 1
    time.sleep(1.0)
    stop.set()
    watcher.join()
    for store in stores.values():
        store.close()
    lags: dict[str, list[float]] = {"customers": [], "complaints": []}
    for log, position, answered in answers:
        visible = observed[log].visible_at(position)
        if visible is not None:
            lags[log].append(max(0.0, visible - answered))
    everything = lags["customers"] + lags["complaints"]
    return {
        "commands": len(answers),
        "commands_per_second": round(len(answers) / seconds, 1),
        "not_visible": len(answers) - len(everything),
        "visible": _percentiles(everything),
        "visible_customers": _percentiles(lags["customers"]),
        "visible_complaints": _percentiles(lags["complaints"]),
        "dashboard_read": _percentiles(dashboard),
    }


def _position(reply: httpx.Response) -> int:
    reply.raise_for_status()
    return int(str(reply.json()["position"]).rsplit(":", 1)[1])


def _register(client: httpx.Client, n: int) -> tuple[str, int, float]:
    reply = client.post(
        "/customers", json={"name": f"Lag {n}", "email": f"lag{n}@example.cn", "channel": "search"}
    )
    answered = time.perf_counter()
    return str(reply.json()["id"]), _position(reply), answered


def _complain(client: httpx.Client, customer_id: str, n: int) -> tuple[int, float]:
    reply = client.post(
        "/complaints",
        json={
            "customer_id": customer_id,
            "channel": "phone",
            "category": "delivery",
            "description": f"late parcel {n}",
        },
    )
    answered = time.perf_counter()
    return _position(reply), answered


# Putting it together.


def bench_store(
    kind: str, server: str, events: int, lag_seconds: float, rate: float
) -> dict[str, Any]:
    print(f"\n== {kind} ==", flush=True)
    result: dict[str, Any] = {"store": kind}
    with fresh_store(kind, server) as config:
        services = Services.open(config)
        try:
            written, seconds = write_history(services, events)
            result["history"] = {
                "events": written,
                "seconds": round(seconds, 1),
                "events_per_second": round(written / seconds),
            }
            print(f"    wrote {written} events in {seconds:.1f}s", flush=True)
            count, seconds = read_and_decode(services, decode=False)
            result["read_only"] = {
                "events": count,
                "seconds": round(seconds, 2),
                "events_per_second": round(count / seconds),
            }
            count, seconds = read_and_decode(services)
            result["read_and_decode"] = {
                "events": count,
                "seconds": round(seconds, 2),
                "events_per_second": round(count / seconds),
            }
            print(f"    read and decoded {count} events in {seconds:.1f}s", flush=True)
            result["rebuild"] = rebuild_all(services, config)
        finally:
            services.close()
    with fresh_store(kind, server) as config:
        result["lag"] = measure_lag(config, lag_seconds, rate)
        print(f"    lag: {result['lag']['visible']}", flush=True)
    return result


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Machine: {one_line(report['machine'])}; {report['events_requested']:,} events "
        f"(customers and complaints), page size {report['page_size']}.",
        "",
        "| store | read (ev/s) | read + decode (ev/s) | rebuild audit (ev/s) "
        "| rebuild customers_view (ev/s) | rebuild complaints_view (ev/s) "
        "| runner paused by switch (s, max) | lag p50 / p99 (ms) | dashboard read p50 / p99 (ms) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["stores"]:
        rb = r["rebuild"]
        pause = max(v["live_runner_paused_seconds"] for v in rb.values())
        lag, dash = r["lag"]["visible"], r["lag"]["dashboard_read"]
        lines.append(
            f"| {r['store']} | {r['read_only']['events_per_second']:,} "
            f"| {r['read_and_decode']['events_per_second']:,} "
            + " ".join(
                f"| {rb[name]['events_per_second']:,} ({rb[name]['events']:,} ev)"
                for name in REBUILT
            )
            + f" | {pause} | {lag.get('p50_ms')} / {lag.get('p99_ms')} "
            f"| {dash.get('p50_ms')} / {dash.get('p99_ms')} |"
        )
    lines.append("")
    lines.append(
        "Lag: from a command's HTTP answer until the read model's tracking position covers "
        "it, under a steady load of "
        f"{report['lag_rate']} commands/s for {report['lag_seconds']} s against "
        "`opsledger serve`; dashboard read: from the answer until "
        "`GET /dashboards/complaints?min_position=` answers."
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.projections", description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--lag-seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=20.0, help="commands per second")
    parser.add_argument(
        "--postgres", default=os.environ.get("OPSLEDGER_BENCH_POSTGRES", DEFAULT_POSTGRES)
    )
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.stores.split(",") if k.strip()]
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": describe(args.postgres if "postgres" in kinds else None),
        "events_requested": args.events,
        "page_size": runner_module.PAGE_SIZE,
        "lag_seconds": args.lag_seconds,
        "lag_rate": args.rate,
        "stores": [],
    }
    print("machine:", json.dumps(report["machine"]), flush=True)
    for kind in kinds:
        report["stores"].append(
            bench_store(kind, args.postgres, args.events, args.lag_seconds, args.rate)
        )
    save("projections", report, markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
