"""Logging: one line per record, the access log already JSON."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("opsledger")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
