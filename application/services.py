"""All of opsledger's Applications, opened together from one store config."""

from __future__ import annotations

from dataclasses import dataclass

from application.base import OpsApplication
from application.complaints import Complaints
from application.customers import Customers
from application.store import StoreConfig


@dataclass
class Services:
    customers: Customers
    complaints: Complaints
    store_kind: str

    @classmethod
    def open(cls, config: StoreConfig) -> Services:
        customers = Customers(env=config.app_env(Customers.name))
        complaints = Complaints(env=config.app_env(Complaints.name), customers=customers)
        kind = "postgresql" if config.postgres else "sqlite"
        return cls(customers=customers, complaints=complaints, store_kind=kind)

    def all(self) -> tuple[OpsApplication, ...]:
        return (self.customers, self.complaints)

    def close(self) -> None:
        for app in self.all():
            app.close()
