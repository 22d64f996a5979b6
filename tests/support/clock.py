"""A business clock the test moves by hand, and the ``clock`` fixture that sets it
on every application of the services under test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from application.services import Services

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class Clock:
    """A business clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock_start() -> datetime:
    """When the ``clock`` starts; a module overrides this fixture to start elsewhere."""
    return T0


@pytest.fixture
def clocked(services: Services) -> Services:
    """The services whose applications the ``clock`` drives (the API tests': the app's)."""
    return services


@pytest.fixture
def clock(clocked: Services, clock_start: datetime, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """One business clock for every application, restored after the test."""
    clock = Clock(clock_start)
    for app in clocked.all():
        monkeypatch.setattr(app, "clock", clock)
    return clock
