"""Alert: someone must act (§8.3 预警 means someone is told) — raised by a policy,
acknowledged or resolved by those it is for, or resolved when its cause is gone."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import NotPermitted, RuleViolation
from domain.vocabulary import Role

ALERT_NAMESPACE = UUID("5b0c7a52-6d2f-4a0e-9a7e-3f1c2d4b8e61")

SUBJECT_TYPES = ("customer", "complaint", "budget", "employee", "risk", "webhook")

RECIPIENTS: dict[str, tuple[str, ...]] = {
    # kind: the roles who must act (docs/policies.md has the table, with why).
    "sla_breached": ("management", "customer_service"),
    "kri_red": ("management",),
    "acceptance_lapsed": ("management", "board"),
    "review_overdue": ("management",),
    "action_overdue": ("management",),
    "probation_due": ("hr",),
    "budget_warning": ("finance", "management"),
    "year_end": ("finance",),
    "compensation_over_budget": ("customer_service", "finance"),
    "detractor_after_window": ("customer_service",),
    "recurring_root_cause": ("customer_service", "management"),
    "webhook_failed": ("technology", "management"),
}
"""Who receives each kind of alert, besides the principals an alert names (a risk's
owner, an action's owner) and, for a department's budget or risk, its head's role."""


def recipients_of(kind: str, department: Any = None) -> list[str]:
    """The roles an alert of ``kind`` is for; with the department whose budget or risk
    it is about, that department's head (the role of its name; management for
    administration)."""
    roles = list(RECIPIENTS.get(kind, ("management",)))
    name = getattr(department, "value", department)
    head = "management" if name == "administration" else name
    if head in {role.value for role in Role} and head not in roles:
        roles.append(head)
    return roles


class AlertStatus(Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class NotAlertRecipient(NotPermitted):
    slug = "not-alert-recipient"
    title = "Only those an alert is for acknowledge or resolve it"


class AlertAlreadyResolved(RuleViolation):
    slug = "alert-already-resolved"
    title = "The alert is resolved already"


class AlertAlreadyAcknowledged(RuleViolation):
    slug = "alert-already-acknowledged"
    title = "The alert is acknowledged already"


class Alert(Aggregate):
    """One alert about one subject (a complaint, a risk ...), caused by one event or deadline."""

    @staticmethod
    def create_id(kind: str, key: str) -> UUID:
        """The same cause raises the same alert: ``key`` names the cause (an event's
        log and position, or a deadline's subject and due time)."""
        return uuid5(ALERT_NAMESPACE, f"{kind}:{key}")

    @event("Raised")
    def __init__(
        self,
        kind: str,
        key: str,
        for_roles: list[str],
        for_principals: list[str],
        subject_type: str,
        subject_id: UUID,
        summary: str,
        cause_event_id: str | None,
        cause_log: str | None,
        cause_position: int | None,
        raised_at: datetime,
        scope: str = "",
    ) -> None:
        self.kind = kind
        self.key = key
        self.scope = scope
        self.for_roles = list(for_roles)
        self.for_principals = list(for_principals)
        self.subject_type = subject_type
        self.subject_id = subject_id
        self.summary = summary
        self.cause_event_id = cause_event_id
        self.cause_log = cause_log
        self.cause_position = cause_position
        self.raised_at = raised_at
        self.status = AlertStatus.OPEN
        self.acknowledged_by: str | None = None
        self.acknowledged_at: datetime | None = None
        self.resolved_by: str | None = None
        self.resolved_at: datetime | None = None
        self.resolution: str | None = None

    def is_for(self, principal: str, roles: frozenset[Role]) -> bool:
        return principal in self.for_principals or any(r.value in self.for_roles for r in roles)

    @property
    def resolved(self) -> bool:
        return self.status is AlertStatus.RESOLVED

    def _check_recipient(self, by: str, roles: frozenset[Role]) -> None:
        if not self.is_for(by, roles):
            raise NotAlertRecipient(
                f"alert {self.id} is for {', '.join(self.for_roles + self.for_principals)}"
            )

    def acknowledge(self, by: str, roles: frozenset[Role], at: datetime) -> None:
        self._check_recipient(by, roles)
        if self.resolved:
            raise AlertAlreadyResolved(f"alert {self.id} was resolved at {self.resolved_at}")
        if self.status is AlertStatus.ACKNOWLEDGED:
            raise AlertAlreadyAcknowledged(
                f"alert {self.id} was acknowledged by {self.acknowledged_by}"
            )
        self._acknowledged(by, at)

    @event("Acknowledged")
    def _acknowledged(self, acknowledged_by: str, at: datetime) -> None:
        self.status = AlertStatus.ACKNOWLEDGED
        self.acknowledged_by = acknowledged_by
        self.acknowledged_at = at

    def resolve(self, note: str | None, by: str, roles: frozenset[Role], at: datetime) -> None:
        self._check_recipient(by, roles)
        if self.resolved:
            raise AlertAlreadyResolved(f"alert {self.id} was resolved at {self.resolved_at}")
        self._resolved(by, note, False, at)

    def resolve_as_cause_gone(self, reason: str, by: str, at: datetime) -> bool:
        """The cause is gone (a KRI back to green, a complaint responded); whether it changed."""
        if self.resolved:
            return False
        self._resolved(by, reason, True, at)
        return True

    @event("Resolved")
    def _resolved(self, resolved_by: str, note: str | None, automatic: bool, at: datetime) -> None:
        self.status = AlertStatus.RESOLVED
        self.resolved_by = resolved_by
        self.resolution = note
        self.resolved_at = at

    def state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "kind": self.kind,
            "status": self.status.value,
            "for_roles": self.for_roles,
            "for_principals": self.for_principals,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "summary": self.summary,
            "raised_at": self.raised_at,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": self.acknowledged_at,
            "resolved_by": self.resolved_by,
            "resolved_at": self.resolved_at,
            "resolution": self.resolution,
            "cause": {
                "event_id": self.cause_event_id,
                "log": self.cause_log,
                "position": self.cause_position,
            },
        }
