"""Policies that act: process managers that follow the logs like projections do, and
react by sending commands — the policy as the principal, the triggering event as the
cause.

A policy is a ``Projection``: the runner feeds it pages of events and records its
position per log in its own tracking table, in the same transaction as its own state
(its tables). The commands it sends write to other logs, which no transaction spans,
so a reaction is made idempotent instead: every command it sends carries an
Idempotency-Key derived from the triggering event (``policy:action:log:position``),
recorded atomically with the command's events. When a runner dies after the
command but before its tracking commits, the page is applied again and the command
answers its first answer, writing nothing; two runners at once are kept apart by
the projection lock, and were they not, by the same key. Alerts are idempotent by
their derived ids. Hence: every event, exactly one reaction.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.utils import get_topic

from application.context import Actor, CommandContext, Idempotency
from application.errors import ApplicationError
from application.services import Services
from domain.errors import DomainError
from domain.vocabulary import Role
from projections.projection import Delivery, Projection

log = logging.getLogger("opsledger.policies")


def cause_of(delivery: Delivery) -> dict[str, Any]:
    """The triggering event, as recorded in the metadata of what a policy does."""
    originator = delivery.notification.originator_id
    version = delivery.notification.originator_version
    return {
        "event_id": str(uuid5(NAMESPACE_URL, f"opsledger:{originator}:{version}")),
        "log": delivery.log,
        "position": delivery.position,
        "aggregate_id": str(originator),
        "version": version,
        "type": delivery.type,
    }


class Policy(Projection):
    """A process manager. ``principal`` names it in every event it causes; ``roles``
    are the roles its commands are checked against (the policy's authority)."""

    reacts: ClassVar[bool] = True
    principal: ClassVar[str]
    roles: ClassVar[frozenset[Role]] = frozenset()
    tables: ClassVar[tuple[str, ...]] = ()
    table_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, services: Services) -> None:
        self.services = services

    def wanted_topics(self) -> frozenset[str] | None:
        return frozenset(get_topic(event_class) for event_class in self.handlers)

    def context(self, delivery: Delivery, action: str) -> CommandContext:
        """The context of the command ``action`` this policy sends in reaction to ``delivery``."""
        key = f"{self.name}:{action}:{delivery.log}:{delivery.position}"
        return CommandContext(
            actor=Actor(principal=self.principal, roles=self.roles),
            request_id=key,
            idempotency=Idempotency(key=key, fingerprint=key),
            cause=cause_of(delivery),
        )

    def attempt(self, what: str, command: Any, *args: Any, **kwargs: Any) -> Any:
        """Send a command whose refusal is an answer, not a failure (the complaint was
        withdrawn meanwhile ...): log it and go on. Outages raise: the page rolls back
        and is applied again."""
        try:
            return command(*args, **kwargs)
        except (DomainError, ApplicationError) as refused:
            log.info("%s: %s refused: %s", self.name, what, refused)
            return None
