"""All of opsledger's Applications, opened together from one store config."""

from __future__ import annotations

from dataclasses import dataclass

from application.alerts import Alerts
from application.base import OpsApplication
from application.budgets import Budgets
from application.complaints import Complaints
from application.customers import Customers
from application.employees import Employees
from application.risks import Risks
from application.store import StoreConfig
from application.webhooks import Webhooks
from domain.alert import RECIPIENTS


@dataclass
class Services:
    customers: Customers
    complaints: Complaints
    risks: Risks
    employees: Employees
    budgets: Budgets
    alerts: Alerts
    webhooks: Webhooks
    store_kind: str

    @classmethod
    def open(cls, config: StoreConfig) -> Services:
        customers = Customers(env=config.app_env(Customers.name))
        complaints = Complaints(env=config.app_env(Complaints.name), customers=customers)
        risks = Risks(env=config.app_env(Risks.name))
        employees = Employees(env=config.app_env(Employees.name))
        budgets = Budgets(env=config.app_env(Budgets.name))
        complaints.budgets = budgets
        alerts = Alerts(env=config.app_env(Alerts.name))
        webhooks = Webhooks(env=config.app_env(Webhooks.name))
        kind = "postgresql" if config.postgres else "sqlite"
        services = cls(
            customers=customers,
            complaints=complaints,
            risks=risks,
            employees=employees,
            budgets=budgets,
            alerts=alerts,
            webhooks=webhooks,
            store_kind=kind,
        )
        webhooks.know_aggregates(
            aggregate
            for app in services.all()
            if app is not webhooks
            for aggregate in (app.snapshotting_intervals or {})
        )
        webhooks.alert_kinds = frozenset(RECIPIENTS)
        for app in services.all():
            app.idempotency_peers = [peer for peer in services.all() if peer is not app]
        return services

    def all(self) -> tuple[OpsApplication, ...]:
        return (
            self.customers,
            self.complaints,
            self.risks,
            self.employees,
            self.budgets,
            self.alerts,
            self.webhooks,
        )

    def close(self) -> None:
        for app in self.all():
            app.close()
