"""GET /inbox: what awaits the caller, each with the commands to act."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from api.schemas.reads.common import ReadOut, UtcText


class InboxActionOut(ReadOut):
    name: str = Field(description="The command, as its path's last segment names it")
    method: Literal["POST"]
    path: str = Field(description="The command's path, ids filled in")
    roles: list[str] = Field(description="The roles the command's route accepts")


class InboxItemOut(ReadOut):
    id: str = Field(description="Stable while the item awaits (`approval:budget:<id>:...`)")
    kind: Literal["approval", "decision", "overdue", "alert"]
    aggregate_type: Literal["customer", "complaint", "budget", "employee", "risk", "alert"]
    aggregate_id: UUID
    summary: str = Field(description="Why it awaits the caller")
    since: UtcText = Field(description="Since when it awaits (or was due)")
    actions: list[InboxActionOut]


class InboxOut(ReadOut):
    items: list[InboxItemOut]
    count: int
