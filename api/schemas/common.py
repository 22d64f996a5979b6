"""Field types and models shared by every collection."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

from application.jsonable import jsonable
from domain.personal import PersonalText

MAX_TEXT = 10_000
FIRST_YEAR, LAST_YEAR = 1900, 2200


def _in_utc(value: datetime) -> datetime:
    """Any sane moment, naive ones taken as UTC, converted to UTC."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must lie between the years {FIRST_YEAR} and {LAST_YEAR}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"must lie between the years {FIRST_YEAR} and {LAST_YEAR}") from None


def _sane_date(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must lie between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


Moment = Annotated[datetime, AfterValidator(_in_utc)]
"""A point in time; answers and events hold it in UTC."""
Day = Annotated[date, AfterValidator(_sane_date)]

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


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


class CommandIn(BaseModel):
    """Base of every command body: unknown fields are refused, so typos are caught,
    and no text may hold a NUL character (no database text column can store it)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise PydanticCustomError("nul_character", "must not contain a NUL character")
        return value


class EmptyRequest(CommandIn):
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


class ProblemField(BaseModel):
    """One field a problem is about."""

    field: str = Field(description="The field's name; dotted for nested ones (`lines.0.amount`)")
    message: str
    location: str | None = Field(default=None, description="`body`, `query`, `path` or `header`")
    type: str | None = Field(default=None, description="The validation error's kind")


class Problem(BaseModel):
    """An RFC 9457 problem: ``type`` is a stable slug (``four-eyes-violation``,
    ``complaint-not-responded``, ``version-mismatch`` ...). Some problems carry more:
    ``required_roles`` (403 role-not-allowed), ``current_version`` (412)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A stable slug naming the problem", examples=["not-found"])
    title: str
    status: int
    detail: str
    errors: list[ProblemField] | None = Field(
        default=None, description="The fields concerned, when the problem is about fields"
    )


class ValidationProblem(Problem):
    """422: the request's fields are invalid; ``errors`` names each one."""

    errors: list[ProblemField]


plain = jsonable


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ValidationProblem if status == 422 else Problem}
    for status in (400, 401, 403, 404, 409, 412, 413, 422, 503)
}
"""Errors as application/problem+json (RFC 9457); ``api.openapi`` files these models
under that media type (FastAPI puts a response model under application/json)."""


def words(value: Any) -> Any:
    """A free-text field as a read answers it: the words, or null when erased (an
    application's ``readable`` opened it)."""
    return value.text if isinstance(value, PersonalText) else value


def erased_fields(**fields: Any) -> list[str]:
    """The names of the free-text fields among ``fields`` whose words were erased."""
    return [
        name
        for name, value in fields.items()
        if isinstance(value, PersonalText) and value.text is None
    ]


ErasedFields = Annotated[
    list[str],
    Field(
        description="The free-text fields whose words were erased with the customer's "
        "personal data (PIPL): they read null. Empty while nothing is erased",
        examples=[["description", "remedy_sought"]],
    ),
]
