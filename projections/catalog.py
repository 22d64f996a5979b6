"""Every projection opsledger runs."""

from __future__ import annotations

from application.services import Services
from projections.audit import AuditTrail
from projections.complaints import ComplaintsView
from projections.customers import CustomersView
from projections.projection import Projection


def all_projections(services: Services) -> list[Projection]:
    logs = [app.name for app in services.all()]
    return [AuditTrail(sources=logs), CustomersView(), ComplaintsView()]
