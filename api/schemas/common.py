"""Field types and models shared by every collection."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
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
MONEY_TEXT = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,2})?")


def _money_text(value: Any) -> Any:
    """Money sent as text is ASCII digits with at most two decimals, nothing else:
    no full-width or Arabic-Indic digits, no ``_`` separators, no spaces, no exponent
    (Python's Decimal would take them all)."""
    if isinstance(value, str) and not MONEY_TEXT.fullmatch(value):
        raise PydanticCustomError(
            "invalid_money",
            'must be a decimal of ASCII digits with at most two decimal places, like "1234.50"',
        )
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_money_text),
    Field(max_digits=14, decimal_places=2, examples=["1234.50"], description="CNY, as a string"),
]


MAX_NESTING = 32
"""How deep lists and objects may nest inside one command field: no command needs
more than a few levels, and a bound keeps every later walk over the value cheap."""


def _check_text(value: Any) -> None:
    """Refuse NUL characters and nesting deeper than ``MAX_NESTING`` anywhere in
    ``value``: walked with a stack, not recursion, so no depth can exhaust it."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise PydanticCustomError("nul_character", "must not contain a NUL character")
            continue
        if not isinstance(item, dict | list):
            continue
        if depth >= MAX_NESTING:
            raise PydanticCustomError(
                "nesting_too_deep",
                "lists and objects may nest at most {max_nesting} levels",
                {"max_nesting": MAX_NESTING},
            )
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)


class CommandIn(BaseModel):
    """Base of every command body: unknown fields are refused, so typos are caught,
    and no text may hold a NUL character (no database text column can store it)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        _check_text(value)
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_far_dates(cls, value: Any) -> Any:
        """Every day and moment of a command, wherever it is, lies in the years
        ``FIRST_YEAR`` to ``LAST_YEAR`` (a hire day of 0001-01-01 or leave in 9999 is
        a typo, and beyond 9999 no date type reaches)."""
        items = value if isinstance(value, list | tuple | set) else (value,)
        for item in items:
            if isinstance(item, date) and not FIRST_YEAR <= item.year <= LAST_YEAR:
                raise PydanticCustomError(
                    "date_out_of_range",
                    "must lie between the years {first} and {last}",
                    {"first": FIRST_YEAR, "last": LAST_YEAR},
                )
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
