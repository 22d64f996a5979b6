"""Webhook subscriptions: subscribe, delete, ask for a redelivery; their signing secrets.

A subscription is an event-sourced ``Webhook`` in a log of its own (auditable:
who subscribed which URL to what, and who deleted it). The signing secret is in
no event: it is kept in a table beside the events (like the personal data keys)
and deleted with the subscription, so the events and the audit trail never hold it.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import secrets
import socket
from collections.abc import Callable, Collection, Iterable
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.domain import DomainEvent
from eventsourcing.postgres import PostgresFactory

from application.base import OpsApplication, command
from application.context import CommandContext, CommandResult
from domain.webhook import (
    ALERT_PREFIX,
    EVERYTHING,
    UnknownEventType,
    Webhook,
    WebhookUrlRefused,
)

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
ALERT_KIND = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "169.254.170.2",  # AWS ECS task metadata
    )
)
MAX_URL = 2000


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def event_types_of(aggregate: type[Any]) -> set[str]:
    """The qualnames of an aggregate's stored event classes (``Complaint.Reopened``)."""
    bases = {aggregate.Event, aggregate.Created}
    return {
        value.__qualname__
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, DomainEvent) and value not in bases
    }


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why deliveries to ``address`` are refused (link-local, metadata, ...), or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast or address.is_unspecified:
        return "not a unicast address"
    return None


def check_webhook_url(
    url: str,
    *,
    allow_link_local: bool = False,
    resolve: Callable[[str, int], Iterable[str]] | None = None,
) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a link-local or cloud
    metadata address (unless ``allow_link_local``). Loopback and private networks pass."""
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookUrlRefused(
            f"the URL must be http:// or https:// with a host (at most {MAX_URL} characters)",
            fields=("url",),
        )
    if parts.username or parts.password:
        raise WebhookUrlRefused("the URL may not carry credentials", fields=("url",))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookUrlRefused("the URL's port is not a number", fields=("url",)) from None
    try:
        addresses = list((resolve or _resolve)(parts.hostname, port))
    except OSError:
        addresses = []
    if not addresses:
        raise WebhookUrlRefused(f"{parts.hostname} does not resolve", fields=("url",))
    if allow_link_local:
        return
    for text in addresses:
        why = _refused(ipaddress.ip_address(text.split("%")[0]))
        if why is not None:
            raise WebhookUrlRefused(
                f"{parts.hostname} resolves to {text}, {why}: opsledger does not deliver there "
                "(OPSLEDGER_WEBHOOK_ALLOW_LINK_LOCAL=true allows it)",
                fields=("url",),
            )


def _resolve(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class WebhookSecrets:
    """The signing secrets, one per subscription, in a table of the log's own database."""

    def __init__(self, datastore: Any, *, postgres: bool, table: str) -> None:
        self.datastore = datastore
        self.table = table
        self.mark = "%s" if postgres else "?"
        with datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {table} "
                "(webhook TEXT PRIMARY KEY, secret TEXT NOT NULL)"
            )

    def add(self, webhook_id: UUID, secret: str) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self.table} VALUES ({self.mark}, {self.mark}) "
                "ON CONFLICT (webhook) DO NOTHING",
                (webhook_id.hex, secret),
            )

    def get(self, webhook_id: UUID) -> str | None:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT secret FROM {self.table} WHERE webhook = {self.mark}", (webhook_id.hex,)
            )
            row = cursor.fetchone()
        return None if row is None else str(row["secret"])

    def delete(self, webhook_id: UUID) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"DELETE FROM {self.table} WHERE webhook = {self.mark}", (webhook_id.hex,)
            )


class Webhooks(OpsApplication):
    name = "webhooks"

    allow_link_local: bool = False
    """Deliver to link-local and metadata addresses too (OPSLEDGER_WEBHOOK_ALLOW_LINK_LOCAL)."""
    known_event_types: frozenset[str] = frozenset()
    """The event types a subscription may name (set from the other logs' aggregates)."""
    alert_kinds: Collection[str] | None = None
    """The alert kinds a subscription may name; None: any snake_case kind."""

    def construct_recorder(self) -> Any:
        recorder = super().construct_recorder()
        postgres = isinstance(self.factory, PostgresFactory)
        self.secrets = WebhookSecrets(
            self.factory.datastore,  # type: ignore[attr-defined]
            postgres=postgres,
            table=f"{self.name}_secrets",
        )
        return recorder

    def know_aggregates(self, aggregates: Iterable[type[Any]]) -> None:
        self.known_event_types = frozenset(
            name for aggregate in aggregates for name in event_types_of(aggregate)
        )

    def check_events(self, events: list[str]) -> None:
        for index, name in enumerate(events):
            if name == EVERYTHING or name in self.known_event_types:
                continue
            if name.startswith(ALERT_PREFIX):
                kind = name[len(ALERT_PREFIX) :]
                if kind == "*" or (
                    ALERT_KIND.match(kind)
                    and (self.alert_kinds is None or kind in self.alert_kinds)
                ):
                    continue
            raise UnknownEventType(
                f"{name!r} is neither an event type (such as Complaint.Reopened), "
                "an alert kind (alert.<kind>) nor '*'",
                fields=(f"events.{index}",),
            )

    def get_webhook(self, webhook_id: UUID) -> Webhook:
        return self.get(webhook_id, Webhook)

    def list_webhooks(self) -> list[Webhook]:
        """Every subscription not deleted, oldest first (the log is small: read it whole)."""
        ids: dict[Any, None] = {}
        position = 0
        while page := self.recorder.select_notifications(
            start=position, limit=500, inclusive_of_start=False
        ):
            for notification in page:
                ids.setdefault(notification.originator_id, None)
            position = page[-1].id
        found = (self.get_webhook(i) for i in ids)
        return [hook for hook in found if not hook.deleted]

    @command
    def subscribe_webhook(
        self, *, url: str, events: list[str], secret: str, ctx: CommandContext
    ) -> CommandResult:
        check_webhook_url(url, allow_link_local=self.allow_link_local)
        self.check_events(events)
        webhook = Webhook.subscribe(
            url=url,
            events=events,
            secret_fingerprint=secret_fingerprint(secret),
            subscribed_by=ctx.actor.principal,
            subscribed_at=self.clock(),
        )
        # Kept before the event is saved: a subscription never exists without its secret.
        self.secrets.add(webhook.id, secret)
        return self.record(webhook, ctx, created=True)

    @command
    def delete_webhook(self, webhook_id: UUID, *, ctx: CommandContext) -> CommandResult:
        result = self.change(webhook_id, Webhook, ctx, lambda w: w.delete(self.clock()))
        self.secrets.delete(webhook_id)
        return result

    @command
    def redeliver_webhook(
        self, webhook_id: UUID, *, delivery_id: str, ctx: CommandContext
    ) -> CommandResult:
        return self.change(
            webhook_id,
            Webhook,
            ctx,
            lambda w: w.request_redelivery(delivery_id, self.clock()),
            delivery_id=delivery_id,
        )
