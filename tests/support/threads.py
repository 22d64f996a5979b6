"""Attempts run in parallel threads, for tests of races."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def start_all(attempts: list[Callable[[], Any]]) -> tuple[list[Any], list[threading.Thread]]:
    """Start each attempt in a thread of its own; its outcome (a result or the
    exception) lands in the returned list once its thread is done."""
    outcomes: list[Any] = [RuntimeError("never ran")] * len(attempts)

    def run(index: int) -> None:
        try:
            outcomes[index] = attempts[index]()
        except Exception as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    return outcomes, threads


def join(threads: list[threading.Thread], timeout: float) -> None:
    for thread in threads:
        thread.join(timeout=timeout)
        assert not thread.is_alive(), "a writer hung"


def run_together(attempts: list[Callable[[], Any]], timeout: float = 60) -> list[Any]:
    """Run the attempts in parallel threads; each outcome is a result or the exception."""
    outcomes, threads = start_all(attempts)
    join(threads, timeout)
    return outcomes
