"""Webhook delivery latency: from an event's commit to its receipt by a subscriber.

    python -m bench.webhooks [--events 300] [--pause 0.01] [--stores sqlite,postgres]

For each store, in process: the applications, the webhook worker as ``opsledger
serve`` runs it (its follower and sender threads, woken by the commands), one
subscription to ``*`` and a receiver on 127.0.0.1 (a threading http.server that
answers 204). It registers ``--events`` customers one after another, ``--pause``
seconds apart, and notes when each command returned (its events are committed
then); the receiver notes when each delivery arrived. Latency = arrival - commit,
for every event (a registration writes two). Prints the machine and p50/p90/p99/max,
and writes ``bench/results/webhooks.json`` and ``bench/results/webhooks.md``.
Not a test: it passes or fails nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from application.context import Actor, CommandContext
from application.services import Services
from application.store import StoreConfig
from application.webhooks import new_secret
from bench.machine import describe, one_line
from bench.projections import DEFAULT_POSTGRES, fresh_store
from bench.results import save
from domain.vocabulary import AcquisitionChannel, Role
from projections.delivery import WebhookConfig, WebhookWorker

ACTOR = Actor("bench.hooks", frozenset({Role.MANAGEMENT, Role.MARKETING}))


class Arrivals:
    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()
        self.done = threading.Condition(self.lock)

    def add(self, event_id: str) -> None:
        now = time.time()
        with self.done:
            self.at.setdefault(event_id, now)
            self.done.notify_all()

    def wait(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.done:
            while len(self.at) < count and time.monotonic() < deadline:
                self.done.wait(max(0.0, deadline - time.monotonic()))


def start_receiver(arrivals: Arrivals) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            arrivals.add(json.loads(body)["data"]["event_id"])
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def bench_store(config: StoreConfig, events: int, pause: float) -> dict[str, Any]:
    arrivals = Arrivals()
    server = start_receiver(arrivals)
    services = Services.open(config)
    worker = WebhookWorker(services, config, WebhookConfig(poll_interval=0.5))
    for app in services.all():
        app.on_saved = worker.nudge
    worker.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        ctx = CommandContext(actor=ACTOR, request_id="bench-hooks")
        services.webhooks.subscribe_webhook(url=url, events=["*"], secret=new_secret(), ctx=ctx)
        committed: dict[str, float] = {}
        started = time.perf_counter()
        for n in range(events):
            before = services.customers.recorder.max_notification_id() or 0
            result = services.customers.register_customer(
                name=f"Bench Person {n}",
                email=None,
                phone="13800138000",
                channel=AcquisitionChannel.SEARCH,
                ctx=CommandContext(actor=ACTOR, request_id=f"bench-hooks-{n}"),
            )
            now = time.time()
            last = int(result.position.split(":")[1])
            for position in range(before + 1, last + 1):
                committed[f"customers:{position}"] = now
            if pause:
                time.sleep(pause)
        written_s = time.perf_counter() - started
        arrivals.wait(len(committed), timeout=120)
        latencies = [
            (arrivals.at[event_id] - at) * 1000
            for event_id, at in committed.items()
            if event_id in arrivals.at
        ]
        return {
            "store": "postgresql" if config.database_url else "sqlite",
            "events": len(committed),
            "delivered": len(latencies),
            "written_s": round(written_s, 2),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p90_ms": round(percentile(latencies, 90), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "max_ms": round(max(latencies), 1),
            "mean_ms": round(statistics.fmean(latencies), 1),
        }
    finally:
        worker.close()
        services.close()
        server.shutdown()
        server.server_close()


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Machine: {one_line(report['machine'])}; {report['pause_ms']} ms between commands; "
        f"load average before: {report['load_average_before'][0]}.",
        "",
        "| store | events | delivered | p50 | p90 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in report["runs"]:
        lines.append(
            f"| {run['store']} | {run['events']} | {run['delivered']} | {run['p50_ms']} ms "
            f"| {run['p90_ms']} ms | {run['p99_ms']} ms | {run['max_ms']} ms |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--events", type=int, default=300, help="customers registered")
    parser.add_argument("--pause", type=float, default=0.01, help="seconds between commands")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument(
        "--postgres", default=os.environ.get("OPSLEDGER_BENCH_POSTGRES", DEFAULT_POSTGRES)
    )
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.stores.split(",") if k.strip()]
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": describe(args.postgres if "postgres" in kinds else None),
        "pause_ms": round(args.pause * 1000, 1),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "runs": [],
    }
    print("machine:", json.dumps(report["machine"]), flush=True)
    for kind in kinds:
        with fresh_store(kind, args.postgres) as config:
            report["runs"].append(bench_store(config, args.events, args.pause))
            print(json.dumps(report["runs"][-1]), flush=True)
    save("webhooks", report, markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
