"""How domain values are written into stored events and snapshots."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.complaint import ComplaintStatus
from domain.customer import CustomerStatus
from domain.vocabulary import (
    AcquisitionChannel,
    ComplaintCategory,
    Department,
    MembershipTier,
    RootCause,
    ServiceChannel,
)

# Every Enum that events or snapshots hold. Their names are stored with the
# value, so renaming one of these classes needs an alias here, never a rewrite.
ENUM_TYPES: tuple[type[Enum], ...] = (
    AcquisitionChannel,
    ComplaintCategory,
    ComplaintStatus,
    CustomerStatus,
    Department,
    MembershipTier,
    RootCause,
    ServiceChannel,
)


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
    for enum_type in ENUM_TYPES:
        transcoder.register(EnumAsValue(enum_type))
