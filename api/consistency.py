"""Read your writes: a read-model read may wait for a position the client has seen.

The wait happens in a dependency on the event loop (``asyncio.sleep`` between short
position reads in the thread pool), before the read itself runs: a waiting read
holds no worker thread, so waits never delay other requests. Each principal may
have ``OPSLEDGER_MAX_WAITS_PER_PRINCIPAL`` reads waiting at once; more answer 429.

No `from __future__ import annotations`: FastAPI reads these annotations.
"""

import asyncio
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, ReadModelsDep
from api.problems import Problem
from projections.queries.read_models import ReadModels

POSITION = re.compile(r"^([a-z_]+):(\d+)$")
WAIT_SECONDS = 5.0
FIRST_POLL_SECONDS, LAST_POLL_SECONDS = 0.02, 0.25


class Waits:
    """The reads waiting for a position, per worker process: how many each principal
    has, and the positions they watch, read once per poll however many wait."""

    def __init__(self, per_principal: int, seconds: float = WAIT_SECONDS) -> None:
        self.per_principal = per_principal
        self.seconds = seconds
        self._waiting: dict[str, int] = {}
        self._lock = threading.Lock()
        self._read: dict[tuple[str, str], tuple[int, float]] = {}
        self._reading: dict[tuple[str, str], asyncio.Lock] = {}

    async def position(self, read_models: ReadModels, name: str, log: str, fresh: float) -> int:
        """How far ``name`` has got in ``log``, read at most ``fresh`` seconds ago: fifty
        waiting reads make one position read per poll, not fifty (each would take a
        worker thread and a pooled connection from the reads that do work)."""
        key = (name, log)
        lock = self._reading.setdefault(key, asyncio.Lock())
        async with lock:
            known = self._read.get(key)
            if known is not None and time.monotonic() - known[1] < fresh:
                return known[0]
            position = await run_in_threadpool(read_models.position, name, log)
            self._read[key] = (position, time.monotonic())
            return position

    def waiting(self, principal: str) -> int:
        return self._waiting.get(principal, 0)

    @contextmanager
    def held(self, principal: str) -> Iterator[None]:
        with self._lock:
            if self.waiting(principal) >= self.per_principal:
                raise Problem(
                    429,
                    "too-many-waits",
                    "Too many reads waiting for a position",
                    f"{principal} has {self.per_principal} reads waiting for min_position "
                    "already; retry when one has answered",
                    headers={"Retry-After": "1"},
                )
            self._waiting[principal] = self.waiting(principal) + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._waiting[principal] - 1
                if left:
                    self._waiting[principal] = left
                else:
                    del self._waiting[principal]


def _parse(token: str) -> tuple[str, int]:
    match = POSITION.match(token.strip())
    if match is None:
        raise Problem(
            422,
            "invalid-request",
            "The request has invalid fields",
            f"min_position must look like 'complaints:42', not {token!r}",
            errors=[{"field": "min_position", "message": "expected <log>:<n>"}],
        )
    return match.group(1), int(match.group(2))


async def wait_for_position(
    read_models: ReadModels, waits: Waits, principal: str, name: str, token: str
) -> None:
    """Wait until the read model ``name`` has processed ``token`` (``log:n``), or answer 503."""
    log, position = _parse(token)
    if log not in read_models.follows(name):
        raise Problem(
            422,
            "invalid-request",
            "The request has invalid fields",
            f"{name} does not follow the log {log!r}",
            errors=[{"field": "min_position", "message": f"unknown log {log!r}"}],
        )
    if await waits.position(read_models, name, log, fresh=0.0) >= position:
        return
    with waits.held(principal):
        read_models.nudge()
        deadline = time.monotonic() + waits.seconds
        poll = FIRST_POLL_SECONDS
        while True:
            reached = await waits.position(read_models, name, log, fresh=FIRST_POLL_SECONDS)
            if reached >= position:
                return
            if time.monotonic() >= deadline:
                raise Problem(
                    503,
                    "projection-behind",
                    "The read model has not reached that position yet",
                    f"{name} has processed {log}:{reached}, not {log}:{position}",
                    headers={"Retry-After": "1"},
                )
            await asyncio.sleep(poll)
            poll = min(poll * 2, LAST_POLL_SECONDS)


MIN_POSITION = (
    "Wait (up to 5 seconds) until the read model has processed this position: `<log>:<n>`, "
    "e.g. `complaints:42` from a command's answer. Malformed, or a log the read model does "
    "not follow: 422; not reached in time: 503 projection-behind with Retry-After; more "
    "reads of one principal waiting at once than allowed: 429 too-many-waits."
)
MinPositionQuery = Annotated[
    str | None, Query(description=MIN_POSITION, examples=["complaints:42"])
]
MinPositionHeader = Annotated[
    str | None,
    Header(
        alias="X-Min-Position",
        description=f"{MIN_POSITION} The query parameter wins when both are given.",
        examples=["complaints:42"],
    ),
]


def reached(name: str) -> Callable[..., Awaitable[str | None]]:
    """The dependency that waits, before the read runs, until the read model ``name``
    has processed the position the client asked for (``min_position`` or
    ``X-Min-Position``); it gives that position on. With ``as_of`` it waits for
    nothing: the read refuses the pair."""

    async def wait(
        request: Request,
        actor: Caller,
        read_models: ReadModelsDep,
        min_position: MinPositionQuery = None,
        x_min_position: MinPositionHeader = None,
    ) -> str | None:
        token = min_position or x_min_position
        if token is not None and "as_of" not in request.query_params:
            waits: Waits = request.app.state.waits
            await wait_for_position(read_models, waits, actor.principal, name, token)
        return token

    return wait


def MinPosition(name: str) -> object:
    """``min_position: Annotated[str | None, MinPosition(CUSTOMERS)]``."""
    return Depends(reached(name))
