"""A refused command raises its error and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from application.base import OpsApplication


def stored_event_count(app: OpsApplication) -> int:
    """How many events the application's log holds (ids may have gaps on PostgreSQL)."""
    return len(app.recorder.select_notifications(start=None, limit=1_000_000))


@contextmanager
def refused(
    app: OpsApplication, error: type[Exception]
) -> Iterator[pytest.ExceptionInfo[Exception]]:
    """The block raises exactly ``error`` and ``app``'s log stays as it was."""
    before = stored_event_count(app)
    with pytest.raises(Exception) as raised:
        yield raised
    assert type(raised.value) is error, f"expected {error.__name__}, got {raised.value!r}"
    assert stored_event_count(app) == before
