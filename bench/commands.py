"""The command benchmark (issue 7): opsledger's write path against the database's own speed.

    python -m bench.commands [--quick] [--postgres URL] [--no-postgres]
                             [--levels 1,4,16] [--seconds S]

Starts `opsledger serve` as real processes (1 and 2 workers) on PostgreSQL and on
SQLite, drives a mixed command load over HTTP from this process on loopback at
several concurrency levels, and measures in the same run the baselines: raw
single-row INSERT + COMMIT loops (psycopg; sqlite3 with the service's durability
settings) from one connection and from 16 at once (group commit; SQLite's one
writer at a time), and a bare eventsourcing save loop. Each level also records the
server processes' CPU time per command. Also times a command on aggregates with
10, 1,000 and 10,000 past events. Prints a table, and writes
bench/results/commands.json and bench/results/commands.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import baselines
from bench.machine import describe, one_line
from bench.results import save
from bench.server import OPSLEDGER, Server, _children, cpu_seconds, serve

BUDGET_DEPARTMENTS = ("sales", "marketing", "operations", "technology")
RISKS = 4


@dataclass
class LevelResult:
    store: str
    workers: int
    concurrency: int
    rate_limit: float | None
    commands: int
    seconds: float
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    conflicts: int
    errors: int
    error_kinds: dict[str, int] = field(default_factory=dict)
    # The server's processes (the server and its workers): CPU seconds over the level
    # (setup excluded, load-generator excluded) per command.
    cpu_ms_per_command: float = 0.0
    # This process (the load generator: HTTP client and pacing), the same way.
    client_cpu_ms_per_command: float = 0.0


def _pct(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)


# The scenario: a company at work.


@dataclass
class Company:
    """Tokens and the aggregates the mixed load works on."""

    tokens: dict[str, str]
    budgets: list[str]
    risks: list[tuple[str, str]]  # (risk id, kri id)
    customers: list[str] = field(default_factory=list)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def _post(client: httpx.Client, company: Company, who: str, path: str, body: Any) -> Any:
    response = client.post(path, json=body, headers=company.auth(who))
    if response.status_code >= 300:
        raise RuntimeError(f"setup {path}: {response.status_code} {response.text}")
    return response.json()


def set_up_company(server: Server) -> Company:
    tokens = {
        "marketing": server.token("bench-mkt", "marketing"),
        "sales": server.token("bench-sales", "sales"),
        "operations": server.token("bench-ops", "operations"),
        "technology": server.token("bench-tech", "technology"),
        "cs": server.token("bench-cs", "customer_service"),
        "finance": server.token("bench-fin", "finance"),
        "finance2": server.token("bench-fin2", "finance"),
        "management": server.token("bench-mgmt", "management"),
        "board": server.token("bench-board", "board"),
    }
    company = Company(tokens=tokens, budgets=[], risks=[])
    year = datetime.now(UTC).year
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        for department in BUDGET_DEPARTMENTS:
            budget = _post(
                client,
                company,
                department,
                "/budgets",
                {
                    "department": department,
                    "fiscal_year": year,
                    "control": "warn",
                    "lines": [{"code": "OPEX-1", "category": "expense", "amount": "900000000.00"}],
                },
            )
            path = f"/budgets/{budget['id']}"
            _post(client, company, department, f"{path}/submit", {})
            _post(client, company, "finance", f"{path}/finance-review", {"approved": True})
            _post(client, company, "management", f"{path}/management-approval", {"approved": True})
            _post(client, company, "board", f"{path}/board-approval", {"approved": True})
            company.budgets.append(budget["id"])
        for number in range(RISKS):
            risk = _post(
                client,
                company,
                "management",
                "/risks",
                {
                    "category": "operational",
                    "title": f"Order pipeline backlog {number}",
                    "description": "Orders pile up when the warehouse system slows down",
                    "owner": "bench-mgmt",
                },
            )
            path = f"/risks/{risk['id']}"
            _post(client, company, "management", f"{path}/assess", {"likelihood": 3, "impact": 3})
            kri = _post(
                client,
                company,
                "management",
                f"{path}/kris",
                {
                    "name": "Backlog",
                    "metric": "orders waiting",
                    "direction": "above",
                    "amber": "800",
                    "red": "950",
                },
            )
            company.risks.append((risk["id"], kri["kri_id"]))
        for _ in range(20):
            customer = _post(
                client,
                company,
                "marketing",
                "/customers",
                {"name": "种子客户", "email": "seed@example.com", "channel": "search"},
            )
            company.customers.append(customer["id"])
    return company


class VirtualUser:
    """One client working through the mixed load: customers, purchases, a complaint's
    whole lifecycle, budget actuals and risk readings."""

    COMPLAINT_STEPS = (
        "receive",
        "acknowledge",
        "assess",
        "propose-resolution",
        "respond",
        "customer-decision",
        "close",
    )

    def __init__(self, company: Company, rng: random.Random) -> None:
        self.company = company
        self.rng = rng
        self.complaint: str | None = None
        self.step = 0

    def next_command(self) -> tuple[str, str, dict[str, Any]]:
        """(token, path, body) of the next command."""
        roll = self.rng.random()
        company = self.company
        if roll < 0.15:
            return (
                "marketing",
                "/customers",
                {
                    "name": "张伟",
                    "phone": f"+86 138 {self.rng.randrange(10**8):08d}",
                    "channel": self.rng.choice(["search", "social", "content", "referral"]),
                },
            )
        if roll < 0.35:
            customer = self.rng.choice(company.customers)
            body = {"amount": f"{self.rng.randrange(10, 900)}.00", "order_ref": uuid.uuid4().hex}
            return "sales", f"/customers/{customer}/purchases", body
        if roll < 0.75:
            return self._complaint_step()
        if roll < 0.90:
            budget = self.rng.choice(company.budgets)
            body = {
                "line": "OPEX-1",
                "amount": "12.50",
                "document_ref": uuid.uuid4().hex,
                "date": date.today().isoformat(),
            }
            return "finance", f"/budgets/{budget}/actuals", body
        risk, kri = self.rng.choice(company.risks)
        body = {"kri_id": kri, "value": str(self.rng.randrange(100, 700))}
        return "management", f"/risks/{risk}/kri-readings", body

    def _complaint_step(self) -> tuple[str, str, dict[str, Any]]:
        step = self.COMPLAINT_STEPS[self.step]
        if step == "receive":
            body: dict[str, Any] = {
                "customer_id": self.rng.choice(self.company.customers),
                "channel": "online_chat",
                "category": "delivery",
                "description": "The parcel arrived two days late",
            }
            return "cs", "/complaints", body
        bodies: dict[str, dict[str, Any]] = {
            "acknowledge": {"message": "Sorry, we are looking into it"},
            "assess": {"severity": 3, "department": "operations", "assignee": "wang"},
            "propose-resolution": {"root_cause": "third_party", "plan": "Refund the shipping"},
            "respond": {"message": "We refunded the shipping fee"},
            "customer-decision": {"accepted": True},
            "close": {"note": "Customer satisfied"},
        }
        return "cs", f"/complaints/{self.complaint}/{step}", bodies[step]

    def advance(self, path: str, status: int, answer: dict[str, Any]) -> None:
        if not path.startswith("/complaints") or status >= 300:
            if path == "/customers" and status < 300:
                self.company.customers.append(answer["id"])
            return
        if path == "/complaints":
            self.complaint = answer["id"]
        self.step = (self.step + 1) % len(self.COMPLAINT_STEPS)


class Pace:
    """Open-loop pacing: hands out send times at a fixed rate."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate
        self.next_at = time.perf_counter()

    async def wait(self) -> None:
        at = self.next_at
        self.next_at += self.interval
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)


async def drive(
    server: Server,
    company: Company,
    *,
    concurrency: int,
    seconds: float,
    rate: float | None = None,
) -> tuple[list[float], Counter[str]]:
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    pace = Pace(rate) if rate else None
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def user(number: int) -> None:
            vu = VirtualUser(company, random.Random(number))
            while time.perf_counter() < deadline:
                if pace is not None:
                    await pace.wait()
                who, path, body = vu.next_command()
                started = time.perf_counter()
                response = await client.post(path, json=body, headers=company.auth(who))
                latencies.append(time.perf_counter() - started)
                status = response.status_code
                outcomes[_outcome(status, response)] += 1
                vu.advance(path, status, response.json() if status < 300 else {})

        await asyncio.gather(*(user(n) for n in range(concurrency)))
    return latencies, outcomes


def _outcome(status: int, response: httpx.Response) -> str:
    if status < 300:
        return "ok"
    kind = (
        response.json().get("type", "")
        if "json" in response.headers.get("content-type", "")
        else ""
    )
    return f"{status} {kind}"


def run_level(
    server: Server,
    company: Company,
    *,
    store: str,
    workers: int,
    concurrency: int,
    seconds: float,
    rate: float | None = None,
) -> LevelResult:
    cpu_before, client_before = server_cpu_seconds(server), time.process_time()
    started = time.perf_counter()
    latencies, outcomes = asyncio.run(
        drive(server, company, concurrency=concurrency, seconds=seconds, rate=rate)
    )
    elapsed = time.perf_counter() - started
    cpu = server_cpu_seconds(server) - cpu_before
    client_cpu = time.process_time() - client_before
    conflicts = sum(n for kind, n in outcomes.items() if kind.startswith("409 concurrent-write"))
    errors = {k: n for k, n in outcomes.items() if k != "ok" and not k.startswith("409 concurrent")}
    return LevelResult(
        store=store,
        workers=workers,
        concurrency=concurrency,
        rate_limit=rate,
        commands=len(latencies),
        seconds=round(elapsed, 2),
        per_second=round(len(latencies) / elapsed, 1),
        p50_ms=_pct(latencies, 0.50),
        p95_ms=_pct(latencies, 0.95),
        p99_ms=_pct(latencies, 0.99),
        conflicts=conflicts,
        errors=sum(errors.values()),
        error_kinds=errors,
        cpu_ms_per_command=round(cpu * 1000 / max(1, len(latencies)), 2),
        client_cpu_ms_per_command=round(client_cpu * 1000 / max(1, len(latencies)), 2),
    )


def server_cpu_seconds(server: Server) -> float:
    """utime + stime so far of the server process and its workers."""
    pid = server.process.pid
    return sum(cpu_seconds(p) for p in [pid, *_children(pid)])


# Aggregate loading: a command on a customer with a long history.


def time_long_histories(
    server: Server, company: Company, sizes: tuple[int, ...], repeats: int
) -> dict[int, float]:
    """Median milliseconds of one follow-up command on a customer with N past events."""
    medians = {}
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        for size in sizes:
            customer = _post(
                client,
                company,
                "marketing",
                "/customers",
                {"name": "Long history", "email": "long@example.com", "channel": "content"},
            )["id"]
            baselines.append_follow_ups(server, customer, size - 2)
            timings = []
            for _ in range(repeats):
                started = time.perf_counter()
                _post(
                    client,
                    company,
                    "operations",
                    f"/customers/{customer}/follow-ups",
                    {"channel": "phone", "note": "Checked in after delivery"},
                )
                timings.append(time.perf_counter() - started)
            medians[size] = round(statistics.median(timings) * 1000, 2)
    return medians


# The run.


@dataclass
class StoreRun:
    store: str
    raw_commits_per_second: float
    raw_commits_16_connections_per_second: float
    bare_eventsourcing_saves_per_second: float
    levels: list[LevelResult]
    history_ms: dict[int, float]
    worker_memory_mib: dict[int, list[float]]


def bench_store(
    store: str,
    database_url: Callable[[], Awaitable[str] | str | None],
    *,
    levels: tuple[int, ...],
    seconds: float,
    history_sizes: tuple[int, ...],
    executable: str = OPSLEDGER,
) -> StoreRun:
    url = database_url()
    assert not isinstance(url, Awaitable)
    with tempfile.TemporaryDirectory() as tmp:
        raw = baselines.raw_commit_rate(url, Path(tmp), seconds=3)
        raw16 = baselines.raw_commit_rate_concurrent(url, Path(tmp), seconds=3, connections=16)
        bare = baselines.bare_eventsourcing_rate(url, Path(tmp), seconds=3)
        print(
            f"  {store}: raw commits {raw}/s, from 16 connections {raw16}/s, "
            f"bare eventsourcing saves {bare}/s",
            flush=True,
        )
    results: list[LevelResult] = []
    memory: dict[int, list[float]] = {}
    history: dict[int, float] = {}
    for workers in (1, 2):
        url = database_url()
        assert not isinstance(url, Awaitable)
        with (
            tempfile.TemporaryDirectory() as tmp,
            serve(
                data_dir=Path(tmp), database_url=url, workers=workers, executable=executable
            ) as server,
        ):
            company = set_up_company(server)
            run_level(server, company, store=store, workers=workers, concurrency=4, seconds=2)
            for concurrency in levels:
                result = run_level(
                    server,
                    company,
                    store=store,
                    workers=workers,
                    concurrency=concurrency,
                    seconds=seconds,
                )
                print(f"  {_row(result)}", flush=True)
                results.append(result)
            peak = max((r for r in results if r.workers == workers), key=lambda r: r.per_second)
            paced = run_level(
                server,
                company,
                store=store,
                workers=workers,
                concurrency=max(levels),
                seconds=seconds,
                rate=round(peak.per_second * 0.8, 1),
            )
            print(f"  {_row(paced)}", flush=True)
            results.append(paced)
            memory[workers] = server.worker_memory_mib()
            if workers == 1:
                history = time_long_histories(server, company, history_sizes, repeats=15)
                print(f"  command on a history of N events (ms): {history}", flush=True)
    return StoreRun(
        store=store,
        raw_commits_per_second=raw,
        raw_commits_16_connections_per_second=raw16,
        bare_eventsourcing_saves_per_second=bare,
        levels=results,
        history_ms=history,
        worker_memory_mib=memory,
    )


def _row(r: LevelResult) -> str:
    paced = f" paced at {r.rate_limit}/s" if r.rate_limit else ""
    return (
        f"{r.store} workers={r.workers} concurrency={r.concurrency}{paced}: "
        f"{r.per_second}/s p50 {r.p50_ms} p95 {r.p95_ms} p99 {r.p99_ms} ms, "
        f"server CPU {r.cpu_ms_per_command} ms/command (client {r.client_cpu_ms_per_command}), "
        f"conflicts {r.conflicts}, errors {r.errors} {r.error_kinds or ''}"
    )


def markdown(machine: dict[str, Any], runs: list[StoreRun], when: str) -> str:
    lines = [
        f"Command benchmark, {when}, on {one_line(machine)}.",
        "",
        "| store | workers | concurrency | commands/s | x raw commit | p50 ms | p95 ms | p99 ms "
        "| server CPU ms/command | client CPU ms/command | conflicts | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for r in run.levels:
            ratio = r.per_second / run.raw_commits_per_second if run.raw_commits_per_second else 0
            level = f"{r.concurrency} (paced {r.rate_limit}/s)" if r.rate_limit else r.concurrency
            lines.append(
                f"| {r.store} | {r.workers} | {level} | {r.per_second} | {ratio:.2f} | "
                f"{r.p50_ms} | {r.p95_ms} | {r.p99_ms} | {r.cpu_ms_per_command} | "
                f"{r.client_cpu_ms_per_command} | {r.conflicts} | {r.errors} |"
            )
    lines += [
        "",
        "| store | raw INSERT+COMMIT/s | raw 16 conns/s | bare eventsourcing save/s "
        "| best commands/s | best ÷ raw | best ÷ raw 16 | best ÷ bare | memory per worker (MiB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        best = max(r.per_second for r in run.levels)
        memory = "; ".join(f"{w} worker(s): {m}" for w, m in run.worker_memory_mib.items())
        raw16 = run.raw_commits_16_connections_per_second
        lines.append(
            f"| {run.store} | {run.raw_commits_per_second} | {raw16} | "
            f"{run.bare_eventsourcing_saves_per_second} | {best} | "
            f"{best / run.raw_commits_per_second:.2f} | "
            f"{best / raw16 if raw16 else 0:.2f} | "
            f"{best / run.bare_eventsourcing_saves_per_second:.2f} | {memory} |"
        )
    lines += ["", "| store | " + " | ".join(f"{n} events" for n in runs[0].history_ms) + " |"]
    lines.append("|---|" + "---|" * len(runs[0].history_ms))
    for run in runs:
        cells = " | ".join(f"{ms} ms" for ms in run.history_ms.values())
        lines.append(f"| {run.store}: a command on an aggregate with | {cells} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="short levels, for a smoke run")
    parser.add_argument(
        "--levels",
        type=_levels,
        default=None,
        help="comma-separated concurrencies (default 1,4,16,32; 1,4 with --quick)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="seconds per level (default 8; 3 with --quick)",
    )
    parser.add_argument(
        "--opsledger",
        default=OPSLEDGER,
        help="the opsledger executable to serve (another checkout's, for a before/after)",
    )
    parser.add_argument("--name", default="commands", help="bench/results/NAME.json and .md")
    args = parser.parse_args()
    levels = args.levels or ((1, 4) if args.quick else (1, 4, 16, 32))
    seconds = args.seconds or (3.0 if args.quick else 8.0)
    sizes = (10, 200) if args.quick else (10, 1_000, 10_000)
    machine = describe(None if args.no_postgres else args.postgres)
    print(f"Machine: {one_line(machine)}", flush=True)
    runs = []
    with baselines.fresh_databases(None if args.no_postgres else args.postgres) as fresh:
        if not args.no_postgres:
            runs.append(
                bench_store(
                    "postgresql",
                    fresh,
                    levels=levels,
                    seconds=seconds,
                    history_sizes=sizes,
                    executable=args.opsledger,
                )
            )
        runs.append(
            bench_store(
                "sqlite",
                lambda: None,
                levels=levels,
                seconds=seconds,
                history_sizes=sizes,
                executable=args.opsledger,
            )
        )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = {"when": when, "machine": machine, "runs": [asdict(r) for r in runs]}
    report["opsledger"] = args.opsledger
    save(args.name, report, markdown(machine, runs, when))


def _levels(text: str) -> tuple[int, ...]:
    try:
        levels = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not comma-separated integers: {text!r}") from None
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError(f"concurrencies must be positive integers: {text!r}")
    return levels


if __name__ == "__main__":
    main()
