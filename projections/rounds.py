"""Rounds of catching up, spaced so that the commands of a few milliseconds share one.

A command wakes the projection runner and the webhook follower at once. Woken
every time, they would write a page (a durable transaction) per projection after
every command; spaced by a round interval, one page carries every command that
arrived meanwhile. Reads that wait for their own write (``min_position``) wait
at most one interval longer.
"""

from __future__ import annotations

import threading
import time

ROUND_INTERVAL = 0.02
"""Seconds at least between the starts of two rounds."""


class Rounds:
    """Paces a catching-up loop: ``begin`` returns when the next round may start."""

    def __init__(self, stop: threading.Event, interval: float = ROUND_INTERVAL) -> None:
        self.stop = stop
        self.interval = interval
        self._started = 0.0

    def begin(self) -> bool:
        """Wait out the rest of the interval since the last round began; False once
        ``stop`` is set."""
        pause = self._started + self.interval - time.monotonic()
        if pause > 0 and self.stop.wait(pause):
            return False
        self._started = time.monotonic()
        return not self.stop.is_set()
