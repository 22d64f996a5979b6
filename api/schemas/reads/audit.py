"""GET /audit/events, /audit/verify and /audit/checkpoints: the audit trail, its tamper
check and its signed checkpoints."""

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
    kind: Literal[
        "altered",
        "missing",
        "unexpected",
        "reordered",
        "truncated",
        "checkpoint_mismatch",
        "bad_signature",
    ]
    log: str
    position: int
    detail: str


class AuditLogCheckOut(ReadOut):
    verified_events: int = Field(description="Events whose hash matched, from the first on")
    projected_up_to: str = Field(description="How far the trail reaches in this log, `log:n`")
    problems: list[AuditProblemOut] = Field(
        description="The first break against the trail and the first against the checkpoints, "
        "if any, by position"
    )


class AuditVerificationOut(ReadOut):
    status: Literal["intact", "altered"]
    logs: dict[str, AuditLogCheckOut] = Field(description="Log name -> its check")


class AuditCheckpointOut(ReadOut):
    log: str
    position: int = Field(description="The log's position whose chain hash is signed")
    chain_hash: str
    signed_at: str = Field(description="When it was signed (UTC, ISO 8601), as signed")
    public_key: str = Field(description="The signing key, `ed25519:<base64>`")
    fingerprint: str = Field(description="SHA-256 (hex) of the raw public key")
    signature: str = Field(
        description="Base64 Ed25519 signature of `opsledger-checkpoint-v1|log|position|hash|time`"
    )


class AuditCheckpointsOut(ReadOut):
    public_key: str | None = Field(description="The server's audit key (null: none configured)")
    fingerprint: str | None
    checkpoints: list[AuditCheckpointOut]
