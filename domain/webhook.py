"""Webhook: a subscription of a URL to event types and alert kinds.

Subscriptions are event-sourced like everything else, so who subscribed which
URL to what, who deleted it and who asked for a redelivery is in the audit
trail. The signing secret is not in any event (only its fingerprint): it is
kept beside the events and deleted with the subscription.
"""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValue, RuleViolation

EVERYTHING = "*"
ALERT_PREFIX = "alert."


class WebhookEventsRequired(InvalidValue):
    slug = "webhook-events-required"
    title = "A webhook subscribes to at least one event type or alert kind"


class UnknownEventType(InvalidValue):
    slug = "unknown-event-type"
    title = "No such event type or alert kind"


class WebhookUrlRefused(InvalidValue):
    slug = "webhook-url-refused"
    title = "The webhook URL is not one opsledger delivers to"


class WebhookDeleted(RuleViolation):
    slug = "webhook-deleted"
    title = "The webhook subscription was deleted"


class Webhook(Aggregate):
    @event("Subscribed")
    def __init__(
        self,
        url: str,
        events: list[str],
        secret_fingerprint: str,
        subscribed_by: str,
        subscribed_at: datetime,
    ) -> None:
        self.url = url
        self.events = list(events)
        self.secret_fingerprint = secret_fingerprint
        self.subscribed_by = subscribed_by
        self.subscribed_at = subscribed_at
        self.deleted_at: datetime | None = None
        self.redeliveries = 0

    @classmethod
    def subscribe(
        cls,
        *,
        url: str,
        events: list[str],
        secret_fingerprint: str,
        subscribed_by: str,
        subscribed_at: datetime,
    ) -> Webhook:
        if not events:
            raise WebhookEventsRequired("name event types, alert kinds or '*'", fields=("events",))
        unique = list(dict.fromkeys(events))
        return cls(
            url=url,
            events=unique,
            secret_fingerprint=secret_fingerprint,
            subscribed_by=subscribed_by,
            subscribed_at=subscribed_at,
        )

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    def check_active(self) -> None:
        if self.deleted:
            raise WebhookDeleted(f"webhook {self.id} was deleted")

    def delete(self, at: datetime) -> None:
        self.check_active()
        self._delete(at)

    @event("Deleted")
    def _delete(self, at: datetime) -> None:
        self.deleted_at = at

    def request_redelivery(self, delivery_id: str, at: datetime) -> None:
        self.check_active()
        self._request_redelivery(delivery_id, at)

    @event("RedeliveryRequested")
    def _request_redelivery(self, delivery_id: str, at: datetime) -> None:
        self.redeliveries += 1


ALERT_RAISED = "Alert.Raised"


def matches(patterns: list[str], event_type: str, kind: str | None = None) -> bool:
    """Whether a subscription to ``patterns`` wants an event of type ``event_type``
    (its class's qualname, ``Complaint.Reopened``): named, or ``*``; an alert's
    ``Alert.Raised`` also by its kind (``alert.sla_breached``, or ``alert.*``)."""
    if EVERYTHING in patterns or event_type in patterns:
        return True
    if event_type == ALERT_RAISED and kind is not None:
        return f"{ALERT_PREFIX}{kind}" in patterns or f"{ALERT_PREFIX}*" in patterns
    return False
