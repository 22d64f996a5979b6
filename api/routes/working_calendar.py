"""/calendar/{year}: the company's working-day calendar (hr and management change it).

Leave requests count their working days by it. A year with no calendar counts
weekends only, and the answer says so (``"calendar": "weekends-only"``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from api.answers import command_answer, events_answer, read_answer
from api.commands import roles_extra
from api.deps import Caller, ServicesDep, commanded_by
from api.schemas.calendar import CalendarOut, CalendarPutRequest, named_days, recorded_version
from api.schemas.common import PROBLEM_RESPONSES, CommandOut, EventsOut
from application.context import CommandContext
from application.errors import AggregateNotFound
from domain.calendar import FIRST_YEAR, LAST_YEAR, WorkingCalendar, calendar_id
from domain.vocabulary import Role

router = APIRouter(prefix="/calendar", tags=["calendar"], responses=PROBLEM_RESPONSES)

EDITORS = (Role.HR, Role.MANAGEMENT)
YearPath = Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR, examples=[2026])]
Editor = Annotated[CommandContext, Depends(commanded_by(*EDITORS))]


@router.get("/{year}", response_model=CalendarOut)
def get_calendar(
    year: YearPath, _: Caller, services: ServicesDep, response: Response
) -> CalendarOut:
    """The year's holidays and adjusted working days; ``calendar`` says whether they
    are the shipped State Council schedule, edited, or none (weekends only)."""
    calendar = services.employees.working_calendar(year)
    return read_answer(CalendarOut.of(year, calendar), recorded_version(calendar), response)


@router.get("/{year}/events", response_model=EventsOut)
def calendar_events(
    year: YearPath, _: Caller, services: ServicesDep, response: Response
) -> EventsOut:
    """Who recorded or changed the year's calendar, and when (none while it is as shipped
    or weekends-only: 404)."""
    try:
        events = services.employees.history(calendar_id(year), WorkingCalendar)
    except AggregateNotFound:
        raise AggregateNotFound(
            f"no calendar changes recorded for {year}: it is as shipped or weekends-only"
        ) from None
    return events_answer(calendar_id(year), events, response)


@router.put(
    "/{year}",
    response_model=CommandOut,
    openapi_extra=roles_extra(*EDITORS),
    name="put_calendar",
)
def put_calendar(
    year: YearPath,
    body: CalendarPutRequest,
    ctx: Editor,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Replace the year's holidays and adjusted working days (hr, management).
    Answers 201 when the year had no calendar, else 200."""
    result = services.employees.put_calendar(
        year,
        holidays=named_days(body.holidays),
        working_days=named_days(body.working_days),
        ctx=ctx,
    )
    answer = command_answer(result, request, response)
    if result.created:
        response.headers["Location"] = request.url.path
    return answer
