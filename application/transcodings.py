"""How domain values are written into stored events and snapshots."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

import domain


@functools.cache
def domain_enum_types() -> tuple[type[Enum], ...]:
    """Every Enum defined in the domain package: events and snapshots may hold any.

    Each is stored under its class name, so two domain Enums may not share a name,
    and renaming one needs an alias here, never a rewrite of stored events.
    """
    found: dict[str, type[Enum]] = {}
    for module_info in pkgutil.iter_modules(domain.__path__, "domain."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            is_enum = isinstance(value, type) and issubclass(value, Enum) and value is not Enum
            if not is_enum or value.__module__ != module.__name__:
                continue
            if value.__name__ in found:
                raise TypeError(f"two domain Enums are named {value.__name__}")
            found[value.__name__] = value
    return tuple(found.values())


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EnumAsValue(Transcoding):
    """Stores an Enum member as its value, under the Enum class's name."""

    def __init__(self, enum_type: type[Enum]) -> None:
        self.type = enum_type
        self.name = enum_type.__name__

    def encode(self, obj: Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> Enum:
        return self.type(data)


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    for enum_type in domain_enum_types():
        transcoder.register(EnumAsValue(enum_type))
