"""How command results and aggregate reads become HTTP answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Query, Request, Response
from pydantic import BaseModel

from api.problems import Problem
from api.schemas.common import CommandOut, EventOut, EventsOut, Moment, plain
from application.base import RecordedEvent
from application.context import CommandResult
from domain.clock import utc

T = TypeVar("T")


def command_answer(result: CommandResult, request: Request, response: Response) -> CommandOut:
    """200 (or 201 with Location for a creation), the version's ETag, id/version/position."""
    response.headers["ETag"] = f'"{result.version}"'
    if result.created:
        response.status_code = 201
        response.headers["Location"] = f"{request.url.path.rstrip('/')}/{result.id}"
    return CommandOut(
        id=result.id, version=result.version, position=result.position, **result.extra
    )


M = TypeVar("M", bound=BaseModel)


def read_answer(model: M, version: int, response: Response) -> M:
    response.headers["ETag"] = f'"{version}"'
    return model


VersionQuery = Annotated[
    int | None,
    Query(
        ge=1,
        le=2**63 - 1,
        description="The state as of this version; not with as_of (422)",
    ),
]
AsOfQuery = Annotated[
    Moment | None,
    Query(
        description="The state as it stood at this moment (ISO 8601, naive taken as UTC; "
        "years 1900 to 2200); not with version (422)"
    ),
]


def read_state(
    version: int | None,
    as_of: datetime | None,
    current: Callable[[int | None], T],
    at_moment: Callable[[datetime], T],
) -> T:
    """Pick the current, versioned or as-of state from the query parameters."""
    if version is not None and as_of is not None:
        raise Problem(
            422,
            "invalid-request",
            "The request has invalid fields",
            "give version or as_of, not both",
            errors=[{"field": "as_of", "message": "give version or as_of, not both"}],
        )
    if as_of is not None:
        return at_moment(utc(as_of))
    return current(version)


def events_answer(
    aggregate_id: object, events: list[RecordedEvent], response: Response
) -> EventsOut:
    version = events[-1].version if events else 0
    response.headers["ETag"] = f'"{version}"'
    return EventsOut(
        id=aggregate_id,  # type: ignore[arg-type]
        version=version,
        events=[
            EventOut(
                type=e.type,
                version=e.version,
                timestamp=e.timestamp,
                metadata=plain(e.metadata),
                payload=plain(e.payload),
            )
            for e in events
        ],
    )
