"""What every read answer shares: strict models, position tokens, pages."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

MoneyText = Annotated[
    str, Field(description="CNY as a decimal string, two places", examples=["1234.50"])
]
UtcText = Annotated[
    str,
    Field(
        description="A moment in UTC, ISO 8601",
        examples=["2026-03-01T09:30:00.000000Z"],
        json_schema_extra={"format": "date-time"},
    ),
]
DayText = Annotated[str, Field(description="A day, ISO 8601", json_schema_extra={"format": "date"})]
Rate = Annotated[
    float | None,
    Field(description="A fraction (0..1, 4 places); null when there is nothing to divide by"),
]
Processed = Annotated[
    dict[str, str],
    Field(
        description="How far the read model has got in each log it follows: the log's "
        "name -> a `log:n` position token (compare with a command's `position`)",
        examples=[{"customers": "customers:42"}],
    ),
]
Absent = SkipJsonSchema[None]
"""For a field some answers leave out (never null): ``X | Absent = None``; the route
answers with ``response_model_exclude_unset`` so that it stays out."""
NextCursor = Annotated[
    str | None, Field(description="Pass as `cursor` for the next page; null on the last page")
]


class ReadOut(BaseModel):
    """Base of every read answer: a field the server does not document is an error."""

    model_config = ConfigDict(extra="forbid")


class ReadPageOut(ReadOut):
    """One page of a list, oldest first (subclasses type the items)."""

    items: list[Any]
    next_cursor: NextCursor
    processed: Processed
