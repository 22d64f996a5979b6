"""Opaque cursors for keyset paging, and the page size parameter."""

import base64
import json
from typing import Annotated, Any

from fastapi import Query

from api.problems import Problem

Limit = Annotated[int, Query(ge=1, le=500, description="Page size (default 50, at most 500)")]
Cursor = Annotated[str | None, Query(description="From a previous page's `next_cursor`")]


def encode_cursor(key: tuple[Any, ...] | None) -> str | None:
    if key is None:
        return None
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


INT64 = range(-(2**63), 2**63)


def _encodable(text: str) -> bool:
    """Whether ``text`` is proper Unicode (JSON's ``\\ud800`` gives a lone surrogate,
    which no database text column takes)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _fits(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and value in INT64
    if kind is str:
        return isinstance(value, str) and "\x00" not in value and _encodable(value)
    return isinstance(value, kind)


def decode_cursor(cursor: str | None, *kinds: type) -> tuple[Any, ...] | None:
    """The sort key in ``cursor``, whose values must be of ``kinds`` in order; else 422."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, RecursionError):  # not base64 JSON, or nested past any sense
        key = None
    well_formed = isinstance(key, list) and len(key) == len(kinds)
    if not well_formed or not all(_fits(v, k) for v, k in zip(key, kinds, strict=True)):
        raise Problem(
            422,
            "invalid-request",
            "The request has invalid fields",
            "cursor is not one this API gave out",
            errors=[{"field": "cursor", "message": "unknown cursor"}],
        )
    return tuple(key)
