"""Dashboards as of a past moment: ``?as_of=2026-06-30`` (the end of that day, UTC) or
``?as_of=2026-06-30T12:00:00Z``.

No `from __future__ import annotations`: FastAPI reads these annotations.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import Query
from pydantic import TypeAdapter, ValidationError

from api.problems import Problem
from api.schemas.common import Moment
from projections.queries.read_models import ReadModels

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MOMENT: TypeAdapter[datetime] = TypeAdapter(Moment)

AS_OF = (
    "The dashboard as it stood at this moment: everything recorded up to then, nothing "
    "after, with SLAs, ages and the elapsed share of the year judged then. A day "
    "(`2026-06-30`: the end of that day, UTC) or a timestamp (naive ones are UTC). "
    "Not after now, and not with min_position (a past answer waits for nothing): 422."
)
AsOfQuery = Annotated[
    str | None,
    Query(description=AS_OF, max_length=64, examples=["2026-06-30", "2026-06-30T12:00:00Z"]),
]


def _refuse(detail: str) -> Problem:
    return Problem(
        422,
        "invalid-request",
        "The request has invalid fields",
        detail,
        errors=[{"field": "as_of", "message": detail}],
    )


def moment_of(text: str, now: datetime) -> datetime:
    """The moment ``as_of`` names (a day: its last microsecond, UTC), not after ``now``."""
    try:
        if DAY.match(text):
            moment = datetime.combine(date.fromisoformat(text), time.max, tzinfo=UTC)
            moment = MOMENT.validate_python(moment)
        else:
            moment = MOMENT.validate_python(text)
    except (ValueError, ValidationError):
        raise _refuse(
            f"expected a day (YYYY-MM-DD) or an ISO 8601 timestamp, not {text!r}"
        ) from None
    if moment > now and not (DAY.match(text) and moment.date() == now.date()):
        raise _refuse(f"{text} is after now: the future has no dashboard yet")
    return min(moment, now)


@contextmanager
def dashboard_read_models(
    read_models: ReadModels,
    names: tuple[str, ...],
    *,
    as_of: str | None,
    min_position: str | None,
    now: datetime,
) -> Iterator[tuple[ReadModels, datetime]]:
    """The read models a dashboard reads (``names``, the first the one ``min_position``
    refers to) and the moment it is judged at: live ones and ``now``, or those as of
    ``as_of`` and that moment."""
    if as_of is None:  # the read waited for min_position already (api.consistency.reached)
        yield read_models, now
        return
    if min_position is not None:
        raise Problem(
            422,
            "invalid-request",
            "The request has invalid fields",
            "as_of and min_position do not go together: a past answer waits for nothing",
            errors=[{"field": "min_position", "message": "not with as_of"}],
        )
    moment = moment_of(as_of, now)
    with read_models.as_of(moment, *names) as past:
        yield past, moment
