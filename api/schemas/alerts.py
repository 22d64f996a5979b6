"""Alert commands and the alert as the event store has it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from api.schemas.common import CommandIn, Text
from domain.alert import Alert


class AlertResolveRequest(CommandIn):
    note: Text | None = None


class AlertCauseOut(BaseModel):
    event_id: str | None
    log: str | None
    position: int | None


class AlertOut(BaseModel):
    id: UUID
    version: int
    kind: str
    status: str
    for_roles: list[str]
    for_principals: list[str]
    subject_type: str
    subject_id: UUID
    summary: str
    raised_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolution: str | None
    cause: AlertCauseOut

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        state: dict[str, Any] = alert.state()
        return cls(**state)
