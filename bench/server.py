"""A real `opsledger serve` process for benchmarks, with tokens made by the real CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

OPSLEDGER = str(Path(sys.executable).with_name("opsledger"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    executable: str = OPSLEDGER

    def token(self, name: str, *roles: str) -> str:
        args = [self.executable, "token", "create", "--name", name]
        for role in roles:
            args += ["--role", role]
        out = subprocess.run(args, env=self.env, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"opsledger token create failed: {out.stderr.strip()}")
        return out.stdout.strip()

    def worker_memory_mib(self) -> list[float]:
        """Resident memory of each process serving requests (the workers, or the server)."""
        pids = _children(self.process.pid) or [self.process.pid]
        return [round(_rss_kib(pid) / 1024, 1) for pid in pids]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    # uvicorn --workers N: a supervisor whose children are the workers (plus a
    # multiprocessing helper that serves nothing and uses little memory).
    return [p for p in found if _rss_kib(p) > 20_000]


def cpu_ticks(stat: Path) -> int:
    """utime + stime, in clock ticks, from a /proc stat file (0 once it is gone)."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process so far (0 once it is gone)."""
    return cpu_ticks(Path(f"/proc/{pid}/stat")) / os.sysconf("SC_CLK_TCK")


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@contextmanager
def serve(
    *,
    data_dir: Path,
    database_url: str | None,
    workers: int,
    pool_size: int = 4,
    executable: str = OPSLEDGER,
) -> Iterator[Server]:
    """``executable``: the `opsledger` to run (by default the one beside this Python;
    another checkout's, to measure its code with this benchmark)."""
    env = {
        **os.environ,
        "OPSLEDGER_DATA_DIR": str(data_dir),
        "OPSLEDGER_POOL_SIZE": str(pool_size),
        "OPSLEDGER_LOG_LEVEL": "WARNING",
    }
    env.pop("OPSLEDGER_DATABASE_URL", None)
    if database_url:
        env["OPSLEDGER_DATABASE_URL"] = database_url
    port = free_port()
    server_log = data_dir / "server.log"
    process = subprocess.Popen(
        [executable, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=server_log.open("wb"),
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        try:
            _wait_healthy(base_url, process)
        except RuntimeError as error:
            raise RuntimeError(f"{error}; its log ends:\n{_tail(server_log)}") from None
        try:
            yield Server(base_url=base_url, env=env, process=process, executable=executable)
        except BaseException:
            state = "running" if process.poll() is None else f"exited {process.returncode}"
            print(f"the server ({state}); its log ends:\n{_tail(server_log, 60)}", flush=True)
            raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"opsledger serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("opsledger serve did not become healthy within 60 s")
