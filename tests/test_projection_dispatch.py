"""Every projection accounts for every event class of the aggregates it follows:
each is handled or deliberately ignored, and nothing else is handled. An event
added to an aggregate and forgotten in a read model fails here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.domain import Aggregate, DomainEvent

import projections.catalog  # noqa: F401 (imports every projection opsledger runs)
from domain.customer import Customer
from projections.customers import CustomerEvents, CustomersView
from projections.policy import Policy
from projections.projection import Delivery, Projection, RowProjection, handles
from projections.store import ReadCursor


def _subclasses(cls: type[Projection]) -> Iterator[type[Projection]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


PROJECTIONS = sorted(
    {
        cls
        for cls in _subclasses(Projection)
        if cls.__module__.startswith("projections.") and "name" in vars(cls)
    },
    key=lambda cls: cls.name,
)


def event_classes(aggregate: type[Aggregate]) -> set[type[DomainEvent]]:
    """The aggregate's own event classes, less the two bases eventsourcing makes
    for every aggregate (``Event`` and ``Created``), which are never stored as such."""
    bases = {aggregate.Event, aggregate.Created}
    return {
        value
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, DomainEvent) and value not in bases
    }


def names(classes: set[type[DomainEvent]]) -> list[str]:
    return sorted(c.__qualname__ for c in classes)


def test_every_projection_is_checked() -> None:
    assert {cls.__name__ for cls in PROJECTIONS} == {
        "Alerting",
        "AlertsView",
        "AuditTrail",
        "BudgetsView",
        "CompensationBudget",
        "ComplaintsView",
        "CustomersView",
        "DetractorReopen",
        "EmployeesView",
        "InboxView",
        "RecurringRootCause",
        "RisksView",
    }


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda cls: cls.name)
def test_every_event_of_the_followed_aggregates_is_handled_or_ignored(
    projection: type[Projection],
) -> None:
    if projection.handles_every_event:
        # A generic projection takes every event alike: it has no handlers to forget.
        assert projection.apply_page is not Projection.apply_page
        assert projection.handlers == {} and projection.ignores == ()
        return
    if issubclass(projection, Policy):
        # A policy reacts to the few events its rules name, and to no others.
        assert projection.handlers and projection.follows == ()
        return
    assert projection.follows, "say which aggregates' events this projection reads"
    events = set().union(*(event_classes(aggregate) for aggregate in projection.follows))
    assert events
    handled, ignored = set(projection.handlers), set(projection.ignores)
    assert names(events - handled - ignored) == [], "neither handled nor ignored"
    assert names(handled & ignored) == [], "both handled and ignored"
    assert names((handled | ignored) - events) == [], "not an event of the followed aggregates"


def test_an_aggregates_event_classes_are_its_stored_events() -> None:
    events = event_classes(Customer)
    assert CustomerEvents.Registered in events and CustomerEvents.WelcomeSent in events
    assert Customer.Created not in events and Customer.Event not in events
    assert CustomersView.handlers[CustomerEvents.Registered] is vars(CustomersView)["on_registered"]


# Dispatch itself: by the event's class, found once per projection class.


class Recording(RowProjection):
    follows = (Customer,)
    ignores = (CustomerEvents.WelcomeSent,)

    def __init__(self) -> None:
        self.seen: list[str] = []

    @handles(CustomerEvents.Activated, CustomerEvents.Churned)
    def on_change(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self.seen.append(type(event).__name__)


def deliver(projection: Projection, event_class: type[DomainEvent]) -> None:
    event = object.__new__(event_class)  # dispatch looks at nothing but the class
    projection.apply(None, Delivery("customers", None, event))  # type: ignore[arg-type]


def test_an_event_goes_to_the_handler_of_its_class() -> None:
    recording = Recording()
    for event_class in (
        CustomerEvents.Activated,
        CustomerEvents.WelcomeSent,
        CustomerEvents.Churned,
    ):
        deliver(recording, event_class)
    assert recording.seen == ["Activated", "Churned"]


def test_a_subclass_keeps_its_bases_handlers_and_may_replace_one() -> None:
    class Replacing(Recording):
        @handles(CustomerEvents.Churned)
        def on_churned(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
            self.seen.append("replaced")

    replacing = Replacing()
    deliver(replacing, CustomerEvents.Activated)
    deliver(replacing, CustomerEvents.Churned)
    assert replacing.seen == ["Activated", "replaced"]


def test_an_event_class_cannot_have_two_handlers_in_one_projection() -> None:
    with pytest.raises(TypeError, match=r"Twice handles Customer\.Activated twice"):

        class Twice(Recording):
            @handles(CustomerEvents.Activated)
            def first(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None: ...

            @handles(CustomerEvents.Activated)
            def second(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None: ...
