"""Domain values as plain JSON values: enums by value, money as decimal strings."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from domain.customer import PersonalData
from domain.personal import PersonalText


def jsonable(value: Any) -> Any:
    if isinstance(value, PersonalText):
        # Opened words as text; never the ciphertext of words not opened.
        if value.text is not None:
            return value.text
        marker = "erased" if value.erased else "redacted"
        return {"subject": str(value.subject), marker: True}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def redacted(value: Any) -> Any:
    """Like ``jsonable``, with personal data left out: for copies kept outside the
    event store (read models), which a PIPL erasure could not reach."""
    if isinstance(value, PersonalData | PersonalText):
        return {"subject": str(value.subject), "redacted": True}
    if isinstance(value, dict):
        return {str(k): redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redacted(v) for v in value]
    return jsonable(value)
