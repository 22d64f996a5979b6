"""Webhook subscriptions and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import CommandOut
from domain.webhook import Webhook

EventName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class WebhookSubscribeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] = (
        Field(
            description="http(s) URL; its host may not resolve to link-local or metadata addresses"
        )
    )
    events: list[EventName] = Field(
        min_length=1,
        max_length=200,
        description="Event types (`Complaint.Reopened`), alert kinds (`alert.sla_breached`, "
        "`alert.*`) or `*` for every event",
        examples=[["Complaint.Reopened", "alert.sla_breached"]],
    )


class WebhookCreatedOut(CommandOut):
    secret: str | None = Field(
        description="The signing secret (`whsec_...`), answered this once and never again "
        "(null when an Idempotency-Key retry answers the first answer)"
    )


class WebhookOut(BaseModel):
    id: UUID
    version: int
    url: str
    events: list[str]
    secret_fingerprint: str = Field(description="The first 16 hex digits of the secret's SHA-256")
    subscribed_by: str
    subscribed_at: datetime
    deleted_at: datetime | None

    @classmethod
    def of(cls, hook: Webhook) -> WebhookOut:
        return cls(
            id=hook.id,
            version=hook.version,
            url=hook.url,
            events=list(hook.events),
            secret_fingerprint=hook.secret_fingerprint,
            subscribed_by=hook.subscribed_by,
            subscribed_at=hook.subscribed_at,
            deleted_at=hook.deleted_at,
        )


class WebhooksOut(BaseModel):
    items: list[WebhookOut]


class AttemptOut(BaseModel):
    attempt: int
    started_at: str
    duration_ms: float
    response_status: int | None
    error: str | None
    outcome: str = Field(description="`delivered` or `failed`")


class DeliveryOut(BaseModel):
    id: str = Field(description="The `webhook-id` header: the same on every retry")
    event_type: str
    event: str = Field(description="`log:position` of the event", examples=["complaints:42"])
    status: str = Field(description="`pending`, `delivered`, `failed` or `cancelled`")
    attempts: list[AttemptOut]
    queued_at: str
    next_attempt_at: str | None
    finished_at: str | None
    last_error: str | None

    @classmethod
    def of(cls, row: dict[str, Any], iso: Any) -> DeliveryOut:
        return cls(
            id=row["id"],
            event_type=row["event_type"],
            event=f"{row['log']}:{row['position']}",
            status=row["status"],
            attempts=[AttemptOut(**a) for a in row["attempt_list"]],
            queued_at=iso(row["queued_at"]),
            next_attempt_at=iso(row["next_attempt_at"]) if row["status"] == "pending" else None,
            finished_at=iso(row["finished_at"]) if row["finished_at"] is not None else None,
            last_error=row["last_error"],
        )


class DeliveriesOut(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None
