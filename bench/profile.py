"""Where a command's time goes: py-spy samples `opsledger serve` under the mixed load.

    python -m bench.profile [--postgres URL] [--concurrency N] [--seconds S] [--workers W]

Starts the real server (SQLite unless --postgres: then on a new database of that
server's, dropped afterwards), sets up the benchmark's company,
drives the mixed command load while py-spy (``pip install py-spy``) samples every
thread of the server's processes, and prints a summary: the share of samples in
each part of the write path, and the functions that take the most time themselves.
Idle threads (waiting on a lock, a socket or a sleep) are left out. First it
prints the CPU time of each thread of the server's processes per command (from
/proc, over the load only): the projection runner, the request threads, the
event loop. The raw collapsed stacks are left in bench/results/profile-<store>.txt
(or --name) for a flame graph. ``--opsledger`` profiles another checkout's install.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.baselines import fresh_databases
from bench.commands import drive, set_up_company
from bench.machine import describe, one_line
from bench.results import RESULTS
from bench.server import OPSLEDGER, _children, cpu_ticks, serve

# Frames (function name, then file) that mark a part of the path; the first part
# with a frame anywhere in a stack names the stack's part.
PARTS = (
    ("projections", ("projections/runner.py", "projections/delivery.py")),
    ("scheduler", ("projections/scheduler.py",)),
    ("event store write", ("eventsourcing/postgres.py:insert_events", "sqlite.py:insert_events")),
    ("aggregate load", ("eventsourcing/application.py:get",)),
    ("authentication", ("api/tokens.py", "api/deps.py")),
    ("idempotency", ("application/idempotency.py",)),
    ("domain", ("domain/",)),
    ("pydantic", ("pydantic",)),
    ("fastapi", ("fastapi/",)),
    ("http", ("uvicorn/", "h11", "httptools", "starlette/")),
)
IDLE = (
    "wait (threading.py",
    "_wait_for_tstate_lock",
    "select (selectors.py",
    "sleep",
    "run_forever",
    "_run_once (asyncio",
    "poll (selectors.py",
    "worker (concurrent",
    "get (queue.py",
    "wait (psycopg",
    "notifies",
    "_listen",
)


def summarise(collapsed: Path, top: int = 25) -> str:
    parts: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        leaf = frames[-1]
        if any(marker in leaf for marker in IDLE):
            continue
        count = int(count_text)
        total += count
        own[leaf] += count
        parts[_part(frames)] += count
    lines = [f"{total} busy samples", "", "share by part of the path:"]
    lines += [f"  {n / total:6.1%}  {part}" for part, n in parts.most_common()]
    lines += ["", f"top {top} functions by own time:"]
    lines += [f"  {n / total:6.1%}  {leaf}" for leaf, n in own.most_common(top)]
    return "\n".join(lines)


def _part(frames: list[str]) -> str:
    for part, markers in PARTS:
        if any(_matches(frame, marker) for frame in frames for marker in markers):
            return part
    return "other"


def _matches(frame: str, marker: str) -> bool:
    if ":" in marker:  # file:function
        path, function = marker.split(":")
        return frame.startswith(f"{function} (") and path in frame
    return marker in frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--gil", action="store_true", help="sample only the thread holding the GIL")
    parser.add_argument("--opsledger", default=OPSLEDGER, help="the opsledger executable to serve")
    parser.add_argument("--name", default=None, help="bench/results/NAME.txt for the stacks")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("py-spy is not installed: pip install py-spy")
    store = "postgresql" if args.postgres else "sqlite"
    print(f"Machine: {one_line(describe(args.postgres))}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{args.name or 'profile-' + store}.txt"
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_databases(args.postgres) as fresh,  # never the server's own databases
        serve(
            data_dir=Path(tmp),
            database_url=fresh(),
            workers=args.workers,
            executable=args.opsledger,
        ) as server,
    ):
        company = set_up_company(server)
        pids = [server.process.pid, *_children(server.process.pid)]
        names = {tid: name for pid in pids for tid, name in _thread_names(py_spy, pid).items()}
        spy = subprocess.Popen(
            [py_spy, "record", "--pid", str(server.process.pid), "--subprocesses"]
            + ["--nonblocking", "--format", "raw", "--rate", "200", "--output", str(out)]
            + ["--duration", str(int(args.seconds))]
            + (["--gil"] if args.gil else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1)
        before = {tid: ticks for pid in pids for tid, ticks in _thread_ticks(pid).items()}
        latencies, outcomes = asyncio.run(
            drive(server, company, concurrency=args.concurrency, seconds=args.seconds)
        )
        after = {tid: ticks for pid in pids for tid, ticks in _thread_ticks(pid).items()}
        spy.wait(timeout=args.seconds + 30)
    commands = max(1, len(latencies))
    by_thread: Counter[str] = Counter()
    for tid, ticks in after.items():
        by_thread[names.get(tid, "other")] += ticks - before.get(tid, 0)
    tick = os.sysconf("SC_CLK_TCK")
    print(
        f"{store}, {args.workers} worker(s), concurrency {args.concurrency}: "
        f"{len(latencies) / args.seconds:.1f} commands/s, {dict(outcomes)}; server CPU "
        f"{sum(by_thread.values()) * 1000 / tick / commands:.2f} ms per command, by thread "
        "(all processes):"
    )
    for name, ticks in by_thread.most_common():
        if ticks:
            print(f"  {ticks * 1000 / tick / commands:6.2f} ms  {name}")
    print(summarise(out))


def _thread_names(py_spy: str, pid: int) -> dict[int, str]:
    """Thread id -> Python thread name, from ``py-spy dump`` (request threads: AnyIO's)."""
    dump = subprocess.run([py_spy, "dump", "--pid", str(pid)], capture_output=True, text=True)
    names = {}
    for line in dump.stdout.splitlines():
        if line.startswith("Thread ") and '"' in line:
            names[int(line.split()[1], 0)] = line.split('"')[1].split(" (")[0]
    return names


def _thread_ticks(pid: int) -> dict[int, int]:
    tasks = Path(f"/proc/{pid}/task")
    return {int(task.name): cpu_ticks(task / "stat") for task in tasks.iterdir()}


if __name__ == "__main__":
    main()
