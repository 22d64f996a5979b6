"""The company's working-day calendar (domain/calendar.py) and its shipped data."""

from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import (
    EDITED,
    SHIPPED,
    AdjustedWorkingDayNotWeekend,
    CalendarDateOutsideYear,
    CalendarDayBothHolidayAndWorking,
    CalendarDayNameRequired,
    CalendarDayRepeated,
    CalendarYearInvalid,
    NamedDay,
    Schedule,
    WorkingCalendar,
    shipped_days,
    shipped_years,
)
from domain.errors import DomainError
from tests.domain.support import assert_refused, assert_replays_to_same_state, settled


def day(text: str, name: str = "x") -> NamedDay:
    return NamedDay(date=date.fromisoformat(text), name=name)


def shipped_2026() -> WorkingCalendar:
    found = shipped_days(2026)
    assert found is not None
    holidays, working, source = found
    return WorkingCalendar.load(2026, holidays, working, SHIPPED, source)


def test_the_2026_schedule_ships_with_its_source() -> None:
    calendar = shipped_2026()
    assert len(calendar.holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert [d["date"].isoformat() for d in calendar.working_days] == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    assert calendar.source is not None
    assert calendar.source["title"] == "国务院办公厅关于2026年部分节假日安排的通知"
    assert calendar.source["date"] == "2025-11-04"
    # No schedule was found published for 2027: none is shipped, none invented.
    assert set(shipped_years()) == {2026}
    assert shipped_days(2027) is None


def test_working_days_skip_weekends_and_holidays_and_count_adjusted_days() -> None:
    schedule = shipped_2026().schedule()
    # National Day: 1-7 October off; Thursday 8, Friday 9 and Saturday 10 October worked.
    assert schedule.working_days_between(date(2026, 9, 28), date(2026, 10, 11)) == 3 + 2 + 1
    # 2-6 March 2026, an ordinary week.
    assert schedule.working_days_between(date(2026, 3, 2), date(2026, 3, 6)) == 5
    # Spring Festival: 15-23 February off, 14 and 28 February (Saturdays) worked.
    assert schedule.working_days_between(date(2026, 2, 14), date(2026, 2, 28)) == 1 + 4 + 1
    weekends = Schedule.weekends_only(2027)
    assert weekends.kind == "weekends-only"
    assert weekends.working_days_between(date(2027, 10, 1), date(2027, 10, 7)) == 5


def test_2026_has_248_working_days() -> None:
    schedule = shipped_2026().schedule()
    year = schedule.working_days_between(date(2026, 1, 1), date(2026, 12, 31))
    weekday_holidays = sum(1 for d in schedule.holidays if d.weekday() < 5)
    assert year == 261 - weekday_holidays + 6 == 248


def test_a_replacement_is_recorded_and_the_same_days_again_change_nothing() -> None:
    calendar = settled(shipped_2026())
    holidays = [day("2026-01-01", "元旦"), day("2026-12-24", "company day")]
    assert calendar.replace(holidays, [day("2026-12-26", "make-up day")]) is True
    assert calendar.origin == EDITED
    assert calendar.schedule().is_working_day(date(2026, 12, 26))
    assert not calendar.schedule().is_working_day(date(2026, 12, 24))
    assert calendar.replace(holidays, [day("2026-12-26", "make-up day")]) is False
    assert calendar.version == 2


@pytest.mark.parametrize(
    ("holidays", "working", "error"),
    [
        ([day("2027-01-01")], [], CalendarDateOutsideYear),
        ([], [day("2025-12-27")], CalendarDateOutsideYear),
        ([day("2026-05-01"), day("2026-05-01")], [], CalendarDayRepeated),
        ([day("2026-10-10")], [day("2026-10-10")], CalendarDayBothHolidayAndWorking),
        ([], [day("2026-10-12")], AdjustedWorkingDayNotWeekend),
        ([day("2026-10-12", " ")], [], CalendarDayNameRequired),
    ],
)
def test_a_calendar_makes_sense(
    holidays: list[NamedDay], working: list[NamedDay], error: type[DomainError]
) -> None:
    with pytest.raises(error):
        WorkingCalendar.load(2026, holidays, working, EDITED)
    assert_refused(settled(shipped_2026()), error, lambda c: c.replace(holidays, working))


def test_a_year_lies_in_the_range() -> None:
    with pytest.raises(CalendarYearInvalid):
        WorkingCalendar.load(1999, [], [], EDITED)


def test_a_calendar_replays_to_the_same_state() -> None:
    calendar = shipped_2026()
    calendar.replace([day("2026-01-01", "元旦")], [])
    assert_replays_to_same_state(calendar)
