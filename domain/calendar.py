"""The company's working-day calendar: per year, the statutory holidays (法定节假日)
and the adjusted working days (调休上班) that turn a weekend into a working day.

A working day is a Monday to Friday that is no holiday, or an adjusted working day.
A year with no calendar counts weekends only (``WEEKENDS_ONLY``) and says so.
The State Council's published schedules ship as data (``holidays_cn.json``); they
are each year's default, loaded into the year's calendar the first time it is used,
and editable afterwards (a ``Replaced`` event, so the history shows who changed what).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from typing import Any, TypedDict
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValue

CALENDAR_NAMESPACE = UUID("5b0f7c1e-3c1d-4b7a-9a51-0c6f3f2a7d10")
FIRST_YEAR, LAST_YEAR = 2000, 2100
SHIPPED = "shipped"
EDITED = "edited"
WEEKENDS_ONLY = "weekends-only"
MAX_DAYS = 60  # per list: no year has anywhere near this many holidays or adjusted days


class NamedDay(TypedDict):
    date: date
    name: str


class CalendarYearInvalid(InvalidValue):
    slug = "calendar-year-invalid"
    title = "A calendar year runs from 2000 to 2100"


class CalendarDateOutsideYear(InvalidValue):
    slug = "calendar-date-outside-year"
    title = "Every day of a year's calendar lies inside that year"


class CalendarDayRepeated(InvalidValue):
    slug = "calendar-day-repeated"
    title = "A day is listed once among the holidays and once among the working days at most"


class CalendarDayBothHolidayAndWorking(InvalidValue):
    slug = "calendar-day-both-holiday-and-working"
    title = "A day is either a holiday or an adjusted working day, not both"


class AdjustedWorkingDayNotWeekend(InvalidValue):
    slug = "adjusted-working-day-not-weekend"
    title = "An adjusted working day (调休上班) is a Saturday or Sunday made a working day"


class CalendarDayNameRequired(InvalidValue):
    slug = "calendar-day-name-required"
    title = "Every holiday and adjusted working day has a name"


class CalendarTooManyDays(InvalidValue):
    slug = "calendar-too-many-days"
    title = "A year's calendar lists at most 60 holidays and 60 adjusted working days"


def check_year(year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarYearInvalid(f"year {year} is not from {FIRST_YEAR} to {LAST_YEAR}")


def check_days(year: int, holidays: list[NamedDay], working_days: list[NamedDay]) -> None:
    """The rules of a year's calendar; refused with the first offending field."""
    check_year(year)
    for key, days in (("holidays", holidays), ("working_days", working_days)):
        if len(days) > MAX_DAYS:
            raise CalendarTooManyDays(f"{len(days)} {key} given", fields=(key,))
        seen: set[date] = set()
        for index, day in enumerate(days):
            where = f"{key}.{index}"
            if day["date"].year != year:
                raise CalendarDateOutsideYear(
                    f"{day['date'].isoformat()} lies outside {year}", fields=(f"{where}.date",)
                )
            if day["date"] in seen:
                raise CalendarDayRepeated(
                    f"{day['date'].isoformat()} is listed twice in {key}", fields=(f"{where}.date",)
                )
            seen.add(day["date"])
            if not day["name"].strip():
                raise CalendarDayNameRequired(
                    f"{day['date'].isoformat()} has no name", fields=(f"{where}.name",)
                )
            if key == "working_days" and day["date"].weekday() < 5:
                raise AdjustedWorkingDayNotWeekend(
                    f"{day['date'].isoformat()} is a {day['date'].strftime('%A')}: "
                    "a working day already",
                    fields=(f"{where}.date",),
                )
    both = {d["date"] for d in holidays} & {d["date"] for d in working_days}
    if both:
        first = min(both).isoformat()
        raise CalendarDayBothHolidayAndWorking(
            f"{first} is listed as a holiday and as a working day", fields=("working_days",)
        )


def _sorted(days: list[NamedDay]) -> list[NamedDay]:
    return sorted((NamedDay(date=d["date"], name=d["name"]) for d in days), key=lambda d: d["date"])


@dataclass(frozen=True)
class Schedule:
    """One year's working days, as the calendar stood (or weekends only)."""

    year: int
    kind: str  # SHIPPED or EDITED for a loaded calendar, else WEEKENDS_ONLY
    holidays: dict[date, str] = field(default_factory=dict)
    working_days: dict[date, str] = field(default_factory=dict)

    @classmethod
    def weekends_only(cls, year: int) -> Schedule:
        return cls(year=year, kind=WEEKENDS_ONLY)

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def working_days_between(self, start: date, end: date) -> int:
        """Working days from ``start`` to ``end``, both included (inside this year)."""
        count, day = 0, start
        while day <= end:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count


def calendar_id(year: int) -> UUID:
    return uuid5(CALENDAR_NAMESPACE, f"calendar:{year}")


@functools.cache
def _shipped_text() -> str:
    return resources.files("domain").joinpath("holidays_cn.json").read_text(encoding="utf-8")


def shipped_years() -> dict[int, dict[str, Any]]:
    """The published schedules shipped with the code, by year (a fresh copy each time)."""
    years: dict[str, dict[str, Any]] = json.loads(_shipped_text())["years"]
    return {int(year): data for year, data in years.items()}


def shipped_days(year: int) -> tuple[list[NamedDay], list[NamedDay], dict[str, Any]] | None:
    """The shipped holidays (ranges expanded), adjusted working days and source of ``year``."""
    data = shipped_years().get(year)
    if data is None:
        return None
    holidays: list[NamedDay] = []
    for span in data["holidays"]:
        day, last = date.fromisoformat(span["from"]), date.fromisoformat(span["to"])
        while day <= last:
            holidays.append(NamedDay(date=day, name=span["name"]))
            day += timedelta(days=1)
    working = [
        NamedDay(date=date.fromisoformat(d["date"]), name=d["name"]) for d in data["working_days"]
    ]
    return holidays, working, data["source"]


class WorkingCalendar(Aggregate):
    """A year's company calendar; its id follows from the year."""

    @staticmethod
    def create_id(year: int) -> UUID:
        return calendar_id(year)

    @event("Loaded")
    def __init__(
        self,
        year: int,
        holidays: list[NamedDay],
        working_days: list[NamedDay],
        origin: str,
        source: dict[str, Any] | None,
    ) -> None:
        self.year = year
        self.holidays = holidays
        self.working_days = working_days
        self.origin = origin
        self.source = source

    @classmethod
    def load(
        cls,
        year: int,
        holidays: list[NamedDay],
        working_days: list[NamedDay],
        origin: str,
        source: dict[str, Any] | None = None,
    ) -> WorkingCalendar:
        check_days(year, holidays, working_days)
        return cls(
            year=year,
            holidays=_sorted(holidays),
            working_days=_sorted(working_days),
            origin=origin,
            source=source,
        )

    def replace(self, holidays: list[NamedDay], working_days: list[NamedDay]) -> bool:
        """hr or management correct the year: the new lists replace the old ones.
        The same days again change nothing (a PUT repeated): answers whether it changed."""
        check_days(self.year, holidays, working_days)
        holidays, working_days = _sorted(holidays), _sorted(working_days)
        if holidays == self.holidays and working_days == self.working_days:
            return False
        self._replaced(holidays=holidays, working_days=working_days)
        return True

    @event("Replaced")
    def _replaced(self, holidays: list[NamedDay], working_days: list[NamedDay]) -> None:
        self.holidays = holidays
        self.working_days = working_days
        self.origin = EDITED

    def schedule(self) -> Schedule:
        return Schedule(
            year=self.year,
            kind=self.origin,
            holidays={d["date"]: d["name"] for d in self.holidays},
            working_days={d["date"]: d["name"] for d in self.working_days},
        )
