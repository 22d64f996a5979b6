"""Helpers for domain tests: refusals must leave the aggregate exactly as it was."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from eventsourcing.application import project_aggregate
from eventsourcing.domain import Aggregate

from domain.errors import DomainError
from domain.personal import PersonalText

TAggregate = TypeVar("TAggregate", bound=Aggregate)


def state_of(aggregate: Aggregate) -> dict[str, Any]:
    """The aggregate's state, without the events still waiting to be saved."""
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def settled(aggregate: TAggregate) -> TAggregate:
    """Drop the pending events, as if the aggregate had just been saved."""
    aggregate.collect_events()
    return aggregate


def assert_refused(
    aggregate: TAggregate, error: type[DomainError], act: Callable[[TAggregate], Any]
) -> DomainError:
    """``act`` raises exactly ``error`` and changes nothing: state, version, pending events."""
    before = copy.deepcopy(state_of(aggregate))
    version = aggregate.version
    pending = list(aggregate.pending_events)
    with pytest.raises(DomainError) as raised:
        act(aggregate)
    assert type(raised.value) is error, f"expected {error.__name__}, got {raised.value!r}"
    assert aggregate.version == version
    assert list(aggregate.pending_events) == pending
    assert state_of(aggregate) == before
    return raised.value


def assert_replays_to_same_state(aggregate: Aggregate) -> None:
    """Rebuilding from the aggregate's own events gives back the very same state."""
    events = aggregate.collect_events()
    assert len(events) == aggregate.version
    by_reduce = functools.reduce(lambda a, e: e.mutate(a), events, None)
    by_projection = project_aggregate(None, events)
    assert by_reduce is not None and by_projection is not None
    assert state_of(by_reduce) == state_of(aggregate)
    assert state_of(by_projection) == state_of(aggregate)
    assert type(by_reduce) is type(aggregate)


def words(value: Any) -> Any:
    """Free text as written, whether sealed for a subject (PersonalText) or not."""
    return value.text if isinstance(value, PersonalText) else value
