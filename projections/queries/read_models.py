"""The read side: what the read models answer, and how far each has got.

The projection runner is the worker that writes the read models; ``ReadModels``
only reads them. The API asks it, never the runner's stores: a dashboard, a page
of a list, a read model's positions, or a wait until it reaches a position.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from application.base import OpsApplication
from projections.alerts import AlertsView
from projections.audit import AuditTrail
from projections.budgets import BudgetsView
from projections.checkpoints import Checkpoint, CheckpointStore
from projections.complaints import ComplaintsView
from projections.customers import CustomersView
from projections.employees import EmployeesView
from projections.history import History
from projections.inbox import InboxView
from projections.listing import Listing, page
from projections.queries.alerts import alert_item, open_alerts_for
from projections.queries.audit import AuditFilter, LogVerification, list_events, verify_log
from projections.queries.budgets import BudgetFilter, budget_dashboard, budget_items
from projections.queries.complaints import ComplaintFilter, complaint_dashboard, complaint_item
from projections.queries.customers import (
    CustomerFilter,
    active_customers,
    customer_dashboard,
    customer_item,
)
from projections.queries.employees import WorkforceFilter, employee_item, workforce_dashboard
from projections.queries.inbox import (
    InboxCaller,
    actionable,
    alert_items,
    awaiting,
    overdue_complaints,
    overdue_risk_work,
)
from projections.queries.risks import RiskFilter, risk_dashboard, risk_item
from projections.risks import RisksView
from projections.runner import ProjectionRunner
from projections.signing import Signer
from projections.store import ReadModelStore

Key = tuple[Any, ...]
Page = tuple[list[dict[str, Any]], Key | None]
"""A page of items, and the sort key after which the next page starts (None: no more)."""

CUSTOMERS, COMPLAINTS, BUDGETS = CustomersView.name, ComplaintsView.name, BudgetsView.name
EMPLOYEES, RISKS, AUDIT = EmployeesView.name, RisksView.name, AuditTrail.name
ALERTS, INBOX = AlertsView.name, InboxView.name


class ReadModels:
    """Queries over the read models in ``stores`` (by projection name); ``follows``
    names the logs each one follows; ``nudge`` asks the worker to catch up now."""

    def __init__(
        self,
        stores: Mapping[str, ReadModelStore],
        follows: Mapping[str, tuple[str, ...]],
        nudge: Callable[[], None] = lambda: None,
        checkpoints: CheckpointStore | None = None,
        signer: Signer | None = None,
        history: History | None = None,
    ) -> None:
        self._stores = stores
        self._checkpoints = checkpoints
        self._signer = signer
        self._follows = follows
        self._nudge = nudge
        self._history = history

    @classmethod
    def of(cls, runner: ProjectionRunner) -> ReadModels:
        """The read models ``runner`` keeps up to date (its live stores), and their past."""
        return cls(
            runner.stores,
            {p.name: p.sources for p in runner.projections},
            runner.nudge,
            checkpoints=runner.checkpoints,
            signer=runner.signer,
            history=History(runner),
        )

    @contextmanager
    def as_of(self, moment: datetime, *names: str) -> Iterator[ReadModels]:
        """The read models ``names`` as they stood at ``moment`` (everything recorded up
        to then, nothing after), built from the logs by the same projections; for
        reading inside the block."""
        if self._history is None:
            raise LookupError("these read models keep no history")
        with self._history.stores(names, moment) as stores:
            yield ReadModels(stores, {name: self._follows[name] for name in names})

    def close(self) -> None:
        """Discard the as-of stores built so far."""
        if self._history is not None:
            self._history.close()

    # Positions.

    def follows(self, name: str) -> tuple[str, ...]:
        """The logs the read model ``name`` follows."""
        return self._follows[name]

    def position(self, name: str, log: str) -> int:
        """How far the read model ``name`` has got in ``log``."""
        return self._stores[name].position(log)

    def processed(self, name: str) -> dict[str, str]:
        """The read model's position in each log it follows, as ``log:n`` tokens."""
        return {log: f"{log}:{self.position(name, log)}" for log in self.follows(name)}

    def wait_until(
        self, name: str, log: str, position: int, *, timeout: float, poll: float
    ) -> bool:
        """Wait (up to ``timeout`` seconds) until the read model has processed ``log``
        up to ``position``; whether it has."""
        deadline = time.monotonic() + timeout
        self._nudge()
        while self.position(name, log) < position:
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)
        return True

    def _page(self, name: str, listing: Listing, limit: int, after: Key | None) -> Page:
        return page(self._stores[name], listing, limit=limit, after=after)

    # Customers and complaints.

    def customers_dashboard(self, filters: CustomerFilter) -> dict[str, Any]:
        return customer_dashboard(self._stores[CUSTOMERS], filters)

    def customers(self, listing: Listing, *, limit: int, after: Key | None) -> Page:
        rows, next_key = self._page(CUSTOMERS, listing, limit, after)
        return [customer_item(row) for row in rows], next_key

    def complaints_dashboard(self, filters: ComplaintFilter, now: datetime) -> dict[str, Any]:
        """The complaints dashboard, with rates per 1,000 active customers."""
        return complaint_dashboard(
            self._stores[COMPLAINTS],
            filters,
            now=now,
            active_customers=active_customers(self._stores[CUSTOMERS]),
        )

    def complaints(self, listing: Listing, *, limit: int, after: Key | None, now: datetime) -> Page:
        rows, next_key = self._page(COMPLAINTS, listing, limit, after)
        return [complaint_item(row, now) for row in rows], next_key

    # Budgets, employees, risks.

    def budgets_dashboard(self, filters: BudgetFilter, now: datetime) -> dict[str, Any]:
        return budget_dashboard(self._stores[BUDGETS], filters, now)

    def budgets(self, listing: Listing, *, limit: int, after: Key | None) -> Page:
        rows, next_key = self._page(BUDGETS, listing, limit, after)
        return budget_items(self._stores[BUDGETS], rows), next_key

    def workforce_dashboard(self, filters: WorkforceFilter, today: date) -> dict[str, Any]:
        return workforce_dashboard(self._stores[EMPLOYEES], filters, today)

    def employees(self, listing: Listing, *, limit: int, after: Key | None) -> Page:
        rows, next_key = self._page(EMPLOYEES, listing, limit, after)
        return [employee_item(row) for row in rows], next_key

    def risks_dashboard(
        self, filters: RiskFilter, today: date, expiring_within_days: int
    ) -> dict[str, Any]:
        return risk_dashboard(
            self._stores[RISKS], filters, today=today, expiring_within_days=expiring_within_days
        )

    def risks(self, listing: Listing, *, limit: int, after: Key | None, today: date) -> Page:
        rows, next_key = self._page(RISKS, listing, limit, after)
        return [risk_item(row, today) for row in rows], next_key

    # Alerts.

    def alerts(self, listing: Listing, *, limit: int, after: Key | None) -> Page:
        rows, next_key = self._page(ALERTS, listing, limit, after)
        return [alert_item(row) for row in rows], next_key

    def open_alerts_for(self, principal: str, roles: Iterable[str]) -> list[dict[str, Any]]:
        return open_alerts_for(self._stores[ALERTS], principal, roles)

    def inbox(self, caller: InboxCaller, now: datetime) -> list[dict[str, Any]]:
        """Everything awaiting ``caller`` that they may act on, oldest first."""
        items = [
            *awaiting(self._stores[INBOX], caller),
            *overdue_complaints(self._stores[COMPLAINTS], caller, now),
            *overdue_risk_work(self._stores[RISKS], caller, now),
            *alert_items(self._stores[ALERTS], caller),
        ]
        items.sort(key=lambda item: (item["since"] or "", item["id"]))
        return actionable(items, caller)

    # The audit trail.

    def audit_events(
        self, where: AuditFilter, *, newest_first: bool, limit: int, after: Key | None
    ) -> Page:
        return list_events(
            self._stores[AUDIT], where, newest_first=newest_first, limit=limit, after=after
        )

    def verify_audit(
        self, logs: Iterable[OpsApplication], trusted: Ed25519PublicKey | None = None
    ) -> list[LogVerification]:
        """Each log's hash chain recomputed from its event store, against the trail and
        against every signed checkpoint (under ``trusted``, else the audit key when there
        is one, else the key each checkpoint names)."""
        if trusted is None and self._signer is not None:
            trusted = self._signer.key.public_key()
        return [
            verify_log(app, self._stores[AUDIT], self.checkpoints(app.name), trusted)
            for app in logs
        ]

    def checkpoints(self, log: str | None = None) -> list[Checkpoint]:
        return self._checkpoints.all(log) if self._checkpoints else []

    @property
    def signer(self) -> Signer | None:
        return self._signer
