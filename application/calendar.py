"""The company's working-day calendar, one ``WorkingCalendar`` per year, in the
employees log (leave requests count their days by it).

A year's shipped schedule (the State Council's, ``domain/holidays_cn.json``) is
the year's calendar while no event exists for it: reads and leave requests use
it as shipped, and nothing is written by a read or by a refused command. The
first ``PUT /calendar/{year}`` records it (``Loaded``, origin ``shipped``, with
its source) and the change (``Replaced``) together, so the history shows what
the year started from and who changed what. A year with neither counts weekends
only.
"""

from __future__ import annotations

from datetime import datetime

from application.base import OpsApplication, command
from application.context import CommandContext, CommandResult
from application.errors import AggregateNotFound, VersionMismatch
from domain.calendar import (
    EDITED,
    SHIPPED,
    NamedDay,
    Schedule,
    WorkingCalendar,
    calendar_id,
    check_year,
    shipped_days,
)


def shipped_calendar(year: int) -> WorkingCalendar | None:
    """The shipped schedule of ``year`` as a calendar not yet saved, or None."""
    shipped = shipped_days(year)
    if shipped is None:
        return None
    holidays, working_days, source = shipped
    return WorkingCalendar.load(year, holidays, working_days, SHIPPED, source)


class CalendarCommands(OpsApplication):
    """The calendar's reads and its one command, for the Employees application."""

    def stored_calendar(self, year: int, version: int | None = None) -> WorkingCalendar | None:
        try:
            return self.get(calendar_id(year), WorkingCalendar, version)
        except AggregateNotFound:
            if version is not None:
                raise
            return None

    def working_calendar(self, year: int) -> WorkingCalendar | None:
        """The year's calendar: as stored, else as shipped (unsaved), else None."""
        return self.stored_calendar(year) or shipped_calendar(year)

    def working_calendar_as_of(self, year: int, moment: datetime) -> WorkingCalendar:
        return self.get_as_of(calendar_id(year), WorkingCalendar, moment)

    def schedule(self, year: int) -> Schedule:
        """The year's working days: its calendar, else weekends only."""
        calendar = self.working_calendar(year)
        return Schedule.weekends_only(year) if calendar is None else calendar.schedule()

    @command
    def put_calendar(
        self,
        year: int,
        *,
        holidays: list[NamedDay],
        working_days: list[NamedDay],
        ctx: CommandContext,
    ) -> CommandResult:
        """The year's holidays and adjusted working days replace what it held."""
        check_year(year)
        stored = self.stored_calendar(year)
        if stored is not None:
            calendar = self.load(stored.id, WorkingCalendar, ctx)
            if calendar.replace(holidays, working_days):
                return self.record(calendar, ctx)
            # The same days again: nothing to write; the log's head is a safe token.
            head = self.recorder.max_notification_id() or 0
            return CommandResult(
                id=calendar.id, version=calendar.version, position=self.position_token(head)
            )
        if ctx.expected_version not in (None, 0):
            raise VersionMismatch(
                f"the {year} calendar has no recorded version yet, not {ctx.expected_version}",
                current_version=0,
            )
        shipped = shipped_calendar(year)
        if shipped is None:
            created = WorkingCalendar.load(year, holidays, working_days, EDITED)
            return self.record(created, ctx, created=True)
        # The shipped schedule is recorded first, then the change, in one save.
        shipped.replace(holidays, working_days)
        return self.record(shipped, ctx, created=True)
