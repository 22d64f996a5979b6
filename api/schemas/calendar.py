"""The company's working-day calendar: requests and responses."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import CommandIn, Name
from domain.calendar import MAX_DAYS, WEEKENDS_ONLY, NamedDay, Schedule, WorkingCalendar


class NamedDayIn(CommandIn):
    date: dt.date
    name: Name


class CalendarPutRequest(CommandIn):
    """The whole year: its statutory holidays (every day off, weekends inside a
    holiday included) and its adjusted working days (调休上班: a Saturday or Sunday
    worked). They replace what the calendar held."""

    holidays: list[NamedDayIn] = Field(max_length=MAX_DAYS)
    working_days: list[NamedDayIn] = Field(default_factory=list, max_length=MAX_DAYS)


class NamedDayOut(BaseModel):
    date: dt.date
    name: str


class CalendarOut(BaseModel):
    year: int
    calendar: str = Field(
        description="shipped: the State Council's schedule that came with the code; "
        "edited: changed by hr or management; weekends-only: no calendar for the year, "
        "Monday to Friday count as working days"
    )
    id: UUID | None = Field(
        default=None, description="The year's calendar (GET /calendar/{year}/events)"
    )
    version: int = Field(
        description="Events recorded for the year: 0 while it is as shipped or weekends-only"
    )
    holidays: list[NamedDayOut]
    working_days: list[NamedDayOut] = Field(description="Adjusted working days (调休上班)")
    working_days_in_year: int = Field(description="Working days of the year by this calendar")
    source: dict[str, Any] | None = Field(
        description="Where the shipped schedule comes from (title, document number, date, url)"
    )

    @classmethod
    def of(cls, year: int, calendar: WorkingCalendar | None) -> CalendarOut:
        if calendar is None:
            schedule = Schedule.weekends_only(year)
            return cls(
                year=year,
                calendar=WEEKENDS_ONLY,
                version=0,
                holidays=[],
                working_days=[],
                working_days_in_year=schedule.working_days_between(
                    dt.date(year, 1, 1), dt.date(year, 12, 31)
                ),
                source=None,
            )
        schedule = calendar.schedule()
        return cls(
            year=year,
            calendar=calendar.origin,
            id=calendar.id,
            version=recorded_version(calendar),
            holidays=[NamedDayOut(**d) for d in calendar.holidays],
            working_days=[NamedDayOut(**d) for d in calendar.working_days],
            working_days_in_year=schedule.working_days_between(
                dt.date(year, 1, 1), dt.date(year, 12, 31)
            ),
            source=calendar.source,
        )


def named_days(days: list[NamedDayIn]) -> list[NamedDay]:
    return [NamedDay(date=d.date, name=d.name) for d in days]


def recorded_version(calendar: WorkingCalendar | None) -> int:
    """0 for none, and for a shipped calendar not yet recorded (its events pending)."""
    if calendar is None or calendar.pending_events:
        return 0
    return calendar.version
