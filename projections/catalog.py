"""Every projection opsledger runs."""

from __future__ import annotations

from application.services import Services
from projections.alerting import Alerting
from projections.alerts import AlertsView
from projections.audit import AuditTrail
from projections.budgets import BudgetsView
from projections.complaints import ComplaintsView
from projections.customers import CustomersView
from projections.employees import EmployeesView
from projections.inbox import InboxView
from projections.loops import CompensationBudget, DetractorReopen, RecurringRootCause
from projections.projection import Projection
from projections.risks import RisksView


def all_projections(services: Services) -> list[Projection]:
    logs = [app.name for app in services.all()]
    return [
        AuditTrail(sources=logs),
        CustomersView(),
        ComplaintsView(),
        BudgetsView(),
        RisksView(),
        EmployeesView(),
        AlertsView(),
        InboxView(),
        # Policies: they act on what they follow (projections.policy).
        Alerting(services),
        DetractorReopen(services),
        CompensationBudget(services),
        RecurringRootCause(services),
    ]
