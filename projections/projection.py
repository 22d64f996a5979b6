"""A projection: the tables of one read model and how each event changes them."""

from __future__ import annotations

from abc import ABC
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.persistence import Notification

from projections.store import ReadCursor, ReadModelStore


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


def deliveries_of(app: Any, notifications: Iterable[Notification]) -> Iterator[Delivery]:
    """The notifications of ``app``'s log as projections receive them, decoded one by
    one as they are taken (decoding decrypts personal data: take only what is used)."""
    return (Delivery(app.name, n, app.mapper.to_domain_event(n)) for n in notifications)


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


Handler = Callable[[Any, ReadCursor, Any, Delivery], None]
"""A projection's method for one kind of event: ``(self, cursor, event, delivery)``."""
THandler = TypeVar("THandler", bound=Callable[..., None])
HANDLED_EVENTS = "handled_events"
"""The attribute ``@handles`` leaves on a method: the event classes it handles."""


def handles(*event_classes: type[DomainEvent]) -> Callable[[THandler], THandler]:
    """Make the method the projection's handler of these event classes."""

    def register(method: THandler) -> THandler:
        setattr(method, HANDLED_EVENTS, event_classes)
        return method

    return register


def events_of(aggregate: type[Aggregate]) -> Any:
    """The aggregate, for naming its event classes: ``events_of(Customer).Registered``.

    eventsourcing makes an aggregate's event classes from its ``@event`` methods
    when the class is defined, so a type checker cannot see them; a misspelt one
    still fails, at import.
    """
    return aggregate


class Projection(ABC):
    """One read model. ``tables`` are portable DDL (SQLite and PostgreSQL alike:
    TEXT, BIGINT, DOUBLE PRECISION; money as BIGINT cents; times as ISO text in UTC).

    Events go to the methods marked ``@handles(SomeAggregate.SomeEvent)``, found
    once per class. Every event class of the aggregates a projection ``follows``
    is either handled or listed in ``ignores``: a test holds every projection to
    that, so an event added to an aggregate cannot be forgotten here unnoticed.
    A projection that writes every event alike (the audit trail) overrides
    ``apply_page`` and says ``handles_every_event``.
    """

    name: ClassVar[str]
    sources: tuple[str, ...]
    """The logs (application names) this projection follows."""
    follows: ClassVar[tuple[type[Aggregate], ...]] = ()
    """The aggregates in those logs whose events change this read model."""
    ignores: ClassVar[tuple[type[DomainEvent], ...]] = ()
    """Event classes of those aggregates that change nothing here, deliberately."""
    handles_every_event: ClassVar[bool] = False
    handlers: ClassVar[Mapping[type[DomainEvent], Handler]] = {}
    """Each handled event class's method, from the ``@handles`` marks."""
    tables: ClassVar[tuple[str, ...]]
    # Table names, dropped and recreated by a rebuild.
    table_names: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers: dict[type[DomainEvent], Handler] = {}
        for klass in reversed(cls.__mro__):  # a subclass's handlers win over its bases'
            marked: dict[type[DomainEvent], Handler] = {}
            for method in vars(klass).values():
                for event_class in getattr(method, HANDLED_EVENTS, ()):
                    if event_class in marked:
                        raise TypeError(f"{cls.__name__} handles {event_class.__qualname__} twice")
                    marked[event_class] = method
            handlers.update(marked)
        cls.handlers = handlers

    def wanted_topics(self) -> frozenset[str] | None:
        """The topics of the only events this projection needs to see, if it says so
        (a policy: the events it reacts to); None: every event of its logs."""
        return None

    def apply(self, cursor: ReadCursor, delivery: Delivery) -> None:
        """Write what ``delivery`` changes; called inside the page's transaction.

        The event goes to the handler of its class; an ignored event changes nothing.
        """
        handler = self.handlers.get(type(delivery.event))
        if handler is not None:
            handler(self, cursor, delivery.event, delivery)

    def page_committed(self, store: ReadModelStore, deliveries: Sequence[Delivery]) -> None:
        """Called once a page's transaction has committed (for work outside it)."""
        return

    def apply_page(self, cursor: ReadCursor, deliveries: Sequence[Delivery]) -> None:
        """A page of one log's events, in order, in one transaction."""
        for delivery in deliveries:
            self.apply(cursor, delivery)


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
