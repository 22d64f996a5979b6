"""Rules about business time: things that happened cannot lie in the future."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.errors import InvalidValue


class DateInFuture(InvalidValue):
    slug = "date-in-future"
    title = "A business date of something that happened may not lie in the future"


def utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted to it."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def check_happened(moment: datetime | date, now: datetime, field: str) -> None:
    in_future = utc(moment) > now if isinstance(moment, datetime) else moment > now.date()
    if in_future:
        raise DateInFuture(f"{field} {moment.isoformat()} lies in the future", fields=(field,))
