"""Read your writes: a read-model read may wait for a position the client has seen.

No `from __future__ import annotations`: FastAPI reads these annotations.
"""

import re
import time
from typing import Annotated

from fastapi import Header, Query, Request

from api.problems import Problem
from projections.runner import ProjectionRunner

POSITION = re.compile(r"^([a-z_]+):(\d+)$")
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.05


def get_runner(request: Request) -> ProjectionRunner:
    runner: ProjectionRunner = request.app.state.projections
    return runner


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


def wait_for_position(runner: ProjectionRunner, projection: str, token: str | None) -> None:
    """Wait until ``projection`` has processed ``token`` (``log:n``), or answer 503."""
    if token is None:
        return
    log, position = _parse(token)
    store = runner.store(projection)
    projection_logs = next(p.sources for p in runner.projections if p.name == projection)
    if log not in projection_logs:
        raise Problem(
            422,
            "invalid-request",
            "The request has invalid fields",
            f"{projection} does not follow the log {log!r}",
            errors=[{"field": "min_position", "message": f"unknown log {log!r}"}],
        )
    deadline = time.monotonic() + WAIT_SECONDS
    runner.nudge()
    while store.position(log) < position:
        if time.monotonic() >= deadline:
            raise Problem(
                503,
                "projection-behind",
                "The read model has not reached that position yet",
                f"{projection} has processed {log}:{store.position(log)}, not {log}:{position}",
                headers={"Retry-After": "1"},
            )
        time.sleep(POLL_SECONDS)


def processed(runner: ProjectionRunner, projection: str) -> dict[str, str]:
    """How far a read model has got in each log it follows: every read-model answer says it."""
    store = runner.store(projection)
    return {log: f"{log}:{store.position(log)}" for log in runner.projection(projection).sources}


MIN_POSITION = (
    "Wait (up to 5 seconds) until the read model has processed this position: `<log>:<n>`, "
    "e.g. `complaints:42` from a command's answer. Malformed, or a log the read model does "
    "not follow: 422; not reached in time: 503 projection-behind with Retry-After."
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
