"""GET /alerts: alerts from the alerts read model."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from api.schemas.reads.common import NextCursor, Processed, ReadOut, UtcText

AlertStatusText = Literal["open", "acknowledged", "resolved"]


class AlertItemOut(ReadOut):
    id: UUID
    version: int
    kind: str = Field(
        description="What happened: `sla_breached`, `kri_red`, ... (docs/policies.md)"
    )
    status: AlertStatusText
    subject_type: str = Field(description="The kind of aggregate the alert is about")
    subject_id: UUID
    summary: str
    for_roles: list[str]
    for_principals: list[str]
    raised_at: UtcText
    acknowledged_by: str | None
    acknowledged_at: UtcText | None
    resolved_by: str | None
    resolved_at: UtcText | None
    resolution: str | None
    resolved_automatically: bool = Field(description="Resolved because its cause was gone")
    cause_log: str | None = Field(description="The log of the event that caused it, if any")
    cause_position: int | None


class AlertPageOut(ReadOut):
    items: list[AlertItemOut]
    next_cursor: NextCursor
    processed: Processed
