"""What travels with a command: who acts, for which request, under which guards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.vocabulary import Role


@dataclass(frozen=True)
class Actor:
    """The authenticated principal issuing a command."""

    principal: str
    roles: frozenset[Role]
    employee_id: UUID | None = None

    def has_any(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class Idempotency:
    """A client's Idempotency-Key and the fingerprint of the request it was sent with."""

    key: str
    fingerprint: str


@dataclass(frozen=True)
class CommandContext:
    """Everything about a command that is not the command's own data."""

    actor: Actor
    request_id: str
    expected_version: int | None = None
    idempotency: Idempotency | None = None
    on_behalf_of: str | None = None
    command: str = ""
    cause: dict[str, Any] | None = None
    """What a policy reacted to: the triggering event's ``event_id``, ``log`` and
    ``position`` (or the deadline that passed); None for a person's request."""

    def metadata(self) -> dict[str, Any]:
        """The metadata every event written by this command records."""
        metadata: dict[str, Any] = {
            "principal": self.actor.principal,
            "roles": sorted(role.value for role in self.actor.roles),
            "request_id": self.request_id,
            "command": self.command,
            "on_behalf_of": self.on_behalf_of,
        }
        if self.cause is not None:
            metadata["cause"] = dict(self.cause)
        return metadata


@dataclass(frozen=True)
class CommandResult:
    """The answer to a command: the aggregate's new version and the log position."""

    id: UUID
    version: int
    position: str
    created: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
