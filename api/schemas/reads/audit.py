"""GET /audit/events and GET /audit/verify: the audit trail and its tamper check."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from api.schemas.reads.common import NextCursor, Processed, ReadOut, UtcText


class AuditEventMetadataOut(ReadOut):
    """Who caused the event, as the command recorded it (null for what it did not say)."""

    principal: str | None
    roles: list[str]
    request_id: str | None
    command: str | None
    on_behalf_of: str | None


class AuditEventOut(ReadOut):
    log: str
    position: str = Field(description="The event's position token, `log:n`")
    aggregate_id: UUID
    version: int = Field(description="The aggregate's version this event made")
    type: str
    topic: str
    occurred_at: UtcText
    metadata: AuditEventMetadataOut
    payload: dict[str, Any] = Field(description="The event's fields, personal data redacted")
    chain_hash: str = Field(description="SHA-256 over the previous hash and this event (hex)")


class AuditEventPageOut(ReadOut):
    events: list[AuditEventOut]
    next_cursor: NextCursor
    processed: Processed


class AuditProblemOut(ReadOut):
    kind: Literal["altered", "missing", "unexpected"]
    log: str
    position: int
    detail: str


class AuditLogCheckOut(ReadOut):
    verified_events: int = Field(description="Events whose hash matched, from the first on")
    projected_up_to: str = Field(description="How far the trail reaches in this log, `log:n`")
    problems: list[AuditProblemOut] = Field(description="The first break, if any")


class AuditVerificationOut(ReadOut):
    status: Literal["intact", "altered"]
    logs: dict[str, AuditLogCheckOut] = Field(description="Log name -> its check")
