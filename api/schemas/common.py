"""Field types and models shared by every collection."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_TEXT = 10_000

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ()\-]{4,29}$")
]
Money = Annotated[
    Decimal,
    Field(max_digits=14, decimal_places=2, examples=["1234.50"], description="CNY, as a string"),
]


class CommandIn(BaseModel):
    """Base of every command body: unknown fields are refused, so typos are caught."""

    model_config = ConfigDict(extra="forbid")


class EmptyIn(CommandIn):
    pass


class CommandOut(BaseModel):
    """What every command answers: the aggregate's new version and the log position."""

    model_config = ConfigDict(extra="allow")

    id: UUID
    version: int = Field(description="The aggregate's version: the number of its events")
    position: str = Field(
        description="Consistency token `log:n`: the log position of the last event written",
        examples=["complaints:42"],
    )


class EventOut(BaseModel):
    type: str
    version: int
    timestamp: datetime
    metadata: dict[str, Any]
    payload: dict[str, Any]


class EventsOut(BaseModel):
    id: UUID
    version: int
    events: list[EventOut]


class ProblemOut(BaseModel):
    """An RFC 9457 problem."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


def plain(value: Any) -> Any:
    """Event payload values as JSON: enums by value, money as decimal strings."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemOut, "content": {"application/problem+json": {}}}
    for status in (400, 401, 403, 404, 409, 412, 413, 422, 503)
}
