"""Back-dating an Application's business clock, for loading a believable history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from application.base import OpsApplication


@contextmanager
def clock_at(app: OpsApplication, moment: datetime) -> Iterator[None]:
    """Run commands on ``app`` as if it were ``moment``; the clock is restored after.

    Not thread-safe: only for an Application that serves no requests meanwhile.
    """
    own: dict[str, Any] = vars(app)
    had_own_clock = "clock" in own
    previous = own.get("clock")
    app.clock = lambda: moment
    try:
        yield
    finally:
        if had_own_clock:
            own["clock"] = previous
        else:
            del own["clock"]
