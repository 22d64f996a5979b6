"""What machine a benchmark ran on."""

from __future__ import annotations

import os
import platform
import subprocess
from typing import Any


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
        return round(kib / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        return 0.0


def _postgres_version(conninfo: str | None) -> str | None:
    if not conninfo:
        return None
    try:
        out = subprocess.run(
            ["psql", conninfo, "-tAc", "SHOW server_version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def describe(postgres_url: str | None = None) -> dict[str, Any]:
    import sqlite3

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(postgres_url),
        "os": platform.platform(),
    }


def one_line(machine: dict[str, Any]) -> str:
    pg = f", PostgreSQL {machine['postgresql']}" if machine.get("postgresql") else ""
    return (
        f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"Python {machine['python']}, SQLite {machine['sqlite']}{pg}"
    )
