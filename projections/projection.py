"""A projection: the tables of one read model and how each event changes them."""

from __future__ import annotations

import re
from abc import ABC
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from eventsourcing.persistence import Notification

from projections.store import ReadCursor


@dataclass(frozen=True)
class Delivery:
    """An event as a projection receives it: decoded, with where it came from."""

    log: str
    notification: Notification
    event: Any

    @property
    def position(self) -> int:
        return self.notification.id

    @property
    def type(self) -> str:
        return type(self.event).__name__

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(getattr(self.event, "meta", {}))


def cents(amount: Decimal) -> int:
    """Money in read models is whole cents: exact sums in SQLite and PostgreSQL alike."""
    return int(amount * 100)


def money_text(total_cents: int) -> str:
    """Whole cents back to the API's decimal string: 6279330 -> "62793.30"."""
    return str((Decimal(total_cents) / 100).quantize(Decimal("0.01")))


def utc_text(moment: datetime | None) -> str | None:
    """A time as fixed-width ISO text in UTC, so that text order is time order."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str | None) -> datetime | None:
    return (
        None
        if text is None
        else datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    )


class Projection(ABC):
    """One read model. ``tables`` are portable DDL (SQLite and PostgreSQL alike:
    TEXT, BIGINT, DOUBLE PRECISION; money as BIGINT cents; times as ISO text in UTC)."""

    name: ClassVar[str]
    sources: tuple[str, ...]
    """The logs (application names) this projection follows."""
    tables: ClassVar[tuple[str, ...]]
    # Table names, dropped and recreated by a rebuild.
    table_names: ClassVar[tuple[str, ...]]

    def apply(self, cursor: ReadCursor, delivery: Delivery) -> None:
        """Write what ``delivery`` changes; called inside the page's transaction.

        By default an event ``Customer.Registered`` goes to ``on_registered``;
        events without a handler change nothing here.
        """
        handler = getattr(self, "on_" + _snake(delivery.type), None)
        if handler is not None:
            handler(cursor, delivery.event, delivery)

    def apply_page(self, cursor: ReadCursor, deliveries: Sequence[Delivery]) -> None:
        """A page of one log's events, in order, in one transaction."""
        for delivery in deliveries:
            self.apply(cursor, delivery)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class RowProjection(Projection):
    """A projection that keeps one row per aggregate in ``row_table`` (keyed by ``id``),
    with the aggregate's ``version`` and the time of its last event (``updated_at``)."""

    row_table: ClassVar[str]

    def _set(
        self, cursor: ReadCursor, delivery: Delivery, assignments: str = "", *values: Any
    ) -> None:
        """Update the aggregate's row; every event moves its version."""
        changes = f"{assignments}, " if assignments else ""
        cursor.execute(
            f"UPDATE {self.row_table} SET {changes}version = ?, updated_at = ? WHERE id = ?",
            (
                *values,
                delivery.notification.originator_version,
                utc_text(delivery.event.timestamp),
                str(delivery.notification.originator_id),
            ),
        )
