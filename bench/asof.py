"""As-of benchmark: what ``GET /dashboards/*?as_of=`` costs next to the live read.

    python -m bench.asof [--events 100000] [--repeat 5]

On SQLite files in a temporary directory it

1. loads the demo company (customers, complaints, budgets, employees, risks) and
   catches the read models up;
2. for each dashboard, times the live read (the query on the live store), the
   first as-of read (scratch stores built from every event recorded up to T,
   then the same query; "events applied" counts them, per read model: the
   complaints dashboard reads the customers view too) and a repeated as-of read
   (the kept stores, caught up again, then the query), at T after the last event
   (the worst case) and at T half-way through the customers log;
3. with ``--events N`` (0: skip), does the same on a store of N customer and
   complaint events (``bench.projections.write_history``), for the customer and
   complaint dashboards.

The dashboards are called as their routes call them (``ReadModels``), in process:
no HTTP. Prints the machine and the figures, and writes ``bench/results/asof.json``
and ``bench/results/asof.md``. Not a test: it passes or fails nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from application.services import Services
from application.store import StoreConfig
from bench.machine import describe, one_line
from bench.projections import fresh_store, write_history
from bench.results import save
from demo import load_budgets_demo, load_demo, load_employees_demo, load_risks_demo
from projections.catalog import all_projections
from projections.queries.budgets import BudgetFilter
from projections.queries.complaints import ComplaintFilter
from projections.queries.customers import CustomerFilter
from projections.queries.employees import WorkforceFilter
from projections.queries.read_models import (
    BUDGETS,
    COMPLAINTS,
    CUSTOMERS,
    EMPLOYEES,
    RISKS,
    ReadModels,
)
from projections.queries.risks import ACCEPTANCE_WARNING_DAYS, RiskFilter
from projections.runner import ProjectionRunner

Read = Callable[[ReadModels, datetime], Any]
DASHBOARDS: dict[str, tuple[tuple[str, ...], Read]] = {
    "customers": ((CUSTOMERS,), lambda rm, now: rm.customers_dashboard(CustomerFilter())),
    "complaints": (
        (COMPLAINTS, CUSTOMERS),
        lambda rm, now: rm.complaints_dashboard(ComplaintFilter(), now),
    ),
    "budgets": (
        (BUDGETS,),
        lambda rm, now: rm.budgets_dashboard(BudgetFilter(fiscal_year=now.year), now),
    ),
    "workforce": (
        (EMPLOYEES,),
        lambda rm, now: rm.workforce_dashboard(WorkforceFilter(), now.date()),
    ),
    "risks": (
        (RISKS,),
        lambda rm, now: rm.risks_dashboard(RiskFilter(), now.date(), ACCEPTANCE_WARNING_DAYS),
    ),
}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def measure(
    runner: ProjectionRunner,
    read_models: ReadModels,
    name: str,
    moment: datetime,
    repeat: int,
) -> dict[str, Any]:
    """One dashboard: the live read, the first as-of read, and a repeated one (ms)."""
    names, read = DASHBOARDS[name]
    live = []
    for _ in range(repeat):
        started = time.perf_counter()
        read(read_models, moment)
        live.append(_ms(started))
    started = time.perf_counter()
    with read_models.as_of(moment, *names) as past:
        read(past, moment)
        first = _ms(started)
        applied = sum(past.position(n, log) for n in names for log in past.follows(n))
    kept = []
    for _ in range(repeat):
        started = time.perf_counter()
        with read_models.as_of(moment, *names) as past:
            read(past, moment)
        kept.append(_ms(started))
    return {
        "dashboard": name,
        "events_applied": applied,
        "live_ms": statistics.median(live),
        "as_of_first_ms": first,
        "as_of_kept_ms": statistics.median(kept),
    }


def _half_way(runner: ProjectionRunner, log: str) -> datetime:
    """The recorded time of the event half-way through ``log``."""
    app = runner.apps[log]
    middle = (app.recorder.max_notification_id() or 0) // 2
    [notification] = app.recorder.select_notifications(start=middle, limit=1)
    moment: datetime = app.mapper.to_domain_event(notification).timestamp  # type: ignore[attr-defined]
    return moment


def bench(
    config: StoreConfig, load: Callable[[Services], None], dashboards: list[str], repeat: int
) -> dict[str, Any]:
    services = Services.open(config)
    runner = ProjectionRunner(services, config, all_projections(services))
    read_models = ReadModels.of(runner)
    try:
        started = time.perf_counter()
        load(services)
        loaded = _ms(started)
        started = time.perf_counter()
        runner.catch_up()
        caught_up = _ms(started)
        end = datetime.now(UTC)
        # A moment of its own per dashboard (a microsecond apart): none reuses another's
        # kept store (the complaints dashboard reads the customers view too).
        rows = [
            measure(runner, read_models, name, end + timedelta(microseconds=n), repeat)
            for n, name in enumerate(dashboards)
        ]
        half = _half_way(runner, "customers")
        halves = [
            measure(runner, read_models, name, half + timedelta(microseconds=n), repeat)
            for n, name in enumerate(dashboards)
            if name in ("customers", "complaints")
        ]
        return {
            "events": sum(a.recorder.max_notification_id() or 0 for a in services.all()),
            "load_ms": loaded,
            "catch_up_ms": caught_up,
            "dashboards": [{**row, "at": "end"} for row in rows]
            + [{**row, "at": "half-way"} for row in halves],
        }
    finally:
        read_models.close()
        runner.close()
        services.close()


def _demo(services: Services) -> None:
    now = datetime.now(UTC)
    load_demo(services, now=now)
    load_budgets_demo(services, now=now)
    load_employees_demo(services, now=now)
    load_risks_demo(services, now=now)


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Machine: {one_line(report['machine'])}; SQLite; medians of {report['repeat']} reads.",
        "",
        "| store | dashboard | T | events applied | live read | as-of, first | as-of, kept |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for run in report["runs"]:
        for row in run["dashboards"]:
            lines.append(
                f"| {run['name']} ({run['events']} events) | {row['dashboard']} | {row['at']} "
                f"| {row['events_applied']} | {row['live_ms']} ms | {row['as_of_first_ms']} ms "
                f"| {row['as_of_kept_ms']} ms |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.asof", description=__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="0: the demo only")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": describe(None),
        "repeat": args.repeat,
        "runs": [],
    }
    print("machine:", json.dumps(report["machine"]), flush=True)
    with fresh_store("sqlite", "") as config:
        run = bench(config, _demo, list(DASHBOARDS), args.repeat)
        report["runs"].append({"name": "demo", **run})
        print(json.dumps(report["runs"][-1]), flush=True)
    if args.events:
        with fresh_store("sqlite", "") as config:

            def history(services: Services) -> None:
                write_history(services, args.events)

            run = bench(config, history, ["customers", "complaints"], args.repeat)
            report["runs"].append({"name": f"{args.events // 1000}k", **run})
            print(json.dumps(report["runs"][-1]), flush=True)
    save("asof", report, markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
