"""Logging: every line the process writes is one JSON object (or, with
``OPSLEDGER_LOG_FORMAT=text``, one line for people at a terminal), uvicorn's own
lines and Python's warnings included.

A record may carry ``extra={"fields": {...}}``: those become keys of its object
(the access lines: request id, principal, route, status, duration).
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

FORMATS = ("json", "text")
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
        return line


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """One handler on stderr for the whole process: opsledger's loggers at ``level``,
    uvicorn's through the same handler (their own handlers removed)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(TextFormatter() if fmt == "text" else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    ours = logging.getLogger("opsledger")
    ours.handlers[:] = []
    ours.setLevel(level.upper())
    ours.propagate = True
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
        logger.setLevel(level.upper())
    # RequestMiddleware writes the access lines (with more in them). uvicorn's protocols
    # log their own whenever the access logger has a handler, whatever access_log says:
    # a logger with none and not propagating has none.
    logging.getLogger("uvicorn.access").propagate = False
    logging.captureWarnings(True)


def unknown_variables(known: Iterable[str], environ: dict[str, str] | None = None) -> list[str]:
    """A warning for each ``OPSLEDGER_*`` variable of the environment that nothing reads,
    naming the closest known one."""
    names = sorted(set(known))
    warnings = []
    for variable in sorted(environ if environ is not None else os.environ):
        if not variable.startswith("OPSLEDGER_") or variable in names:
            continue
        # Compared without the prefix, which every name shares.
        suffixes = [name.removeprefix("OPSLEDGER_") for name in names]
        close = difflib.get_close_matches(variable.removeprefix("OPSLEDGER_"), suffixes, n=1)
        hint = f"; did you mean OPSLEDGER_{close[0]}?" if close else ""
        warnings.append(f"unknown variable {variable} is ignored{hint}")
    return warnings
