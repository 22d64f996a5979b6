"""The one way the demo sends a command: named, remembered and back-dated.

Every command of the demo goes through :meth:`Runner.run` as a typed callable
on the application it runs on (``lambda app, ctx: app.submit_budget(budget_id,
ctx=ctx)``), so mypy checks each call against the command's signature.

Re-running is safe because each command carries a deterministic
Idempotency-Key, a fixed fingerprint and a fixed principal: a repeated command
answers what it answered the first time and writes nothing. :class:`Keys` holds
how one part of the demo derives them; those derivations are fixed forever, or
a re-run on an existing store would write everything again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from application.base import OpsApplication
from application.context import Actor, CommandContext, CommandResult, Idempotency
from demo.backdating import clock_at

App = TypeVar("App", bound=OpsApplication)

# A command ready to send: the application method, its arguments bound, ``ctx`` still open.
Command = Callable[[App, CommandContext], CommandResult]


@dataclass(frozen=True)
class Keys:
    """How one part of the demo names its commands."""

    prefix: str  # of every Idempotency-Key
    request_id: Callable[[str], str]  # Idempotency-Key -> the request id its events record
    fingerprint: Callable[[str], str]  # Idempotency-Key -> the fingerprint sent with it


def request_ids_in(namespace: uuid.UUID) -> Callable[[str], str]:
    """Request ids as name-based UUIDs of the key."""
    return lambda key: str(uuid.uuid5(namespace, key))


def fixed(fingerprint: str) -> Callable[[str], str]:
    """The same fingerprint for every key."""
    return lambda key: fingerprint


def hashed(version: str) -> Callable[[str], str]:
    """A fingerprint per key: the SHA-256 of the version and the key."""
    return lambda key: hashlib.sha256(f"{version}|{key}".encode()).hexdigest()


class Runner:
    """Sends one part of the demo's commands and counts them."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self.commands = 0

    def run(
        self, app: App, key: str, actor: Actor, at: datetime, command: Command[App]
    ) -> CommandResult:
        """Send ``command`` to ``app`` as ``actor``, as if it were ``at``, under ``key``."""
        full_key = f"{self.keys.prefix}:{key}"
        ctx = CommandContext(
            actor=actor,
            request_id=self.keys.request_id(full_key),
            idempotency=Idempotency(key=full_key, fingerprint=self.keys.fingerprint(full_key)),
        )
        self.commands += 1
        with clock_at(app, at):
            return command(app, ctx)
