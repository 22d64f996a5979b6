"""Read your writes: a read-model read may wait for a position the client has seen.

No `from __future__ import annotations`: FastAPI reads these annotations.
"""

import re
from typing import Annotated

from fastapi import Header, Query

from api.problems import Problem
from projections.queries.read_models import ReadModels

POSITION = re.compile(r"^([a-z_]+):(\d+)$")
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.05


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


def wait_for_position(read_models: ReadModels, name: str, token: str | None) -> None:
    """Wait until the read model ``name`` has processed ``token`` (``log:n``), or answer 503."""
    if token is None:
        return
    log, position = _parse(token)
    if log not in read_models.follows(name):
        raise Problem(
            422,
            "invalid-request",
            "The request has invalid fields",
            f"{name} does not follow the log {log!r}",
            errors=[{"field": "min_position", "message": f"unknown log {log!r}"}],
        )
    if not read_models.wait_until(name, log, position, timeout=WAIT_SECONDS, poll=POLL_SECONDS):
        raise Problem(
            503,
            "projection-behind",
            "The read model has not reached that position yet",
            f"{name} has processed {log}:{read_models.position(name, log)}, not {log}:{position}",
            headers={"Retry-After": "1"},
        )


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
