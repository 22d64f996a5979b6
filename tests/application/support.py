"""Helpers for application tests: actors, contexts, replays, aggregates made by commands."""

from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.application import project_aggregate
from eventsourcing.domain import Aggregate

from application.base import OpsApplication
from application.context import Actor, CommandContext, Idempotency
from application.services import Services
from application.store import StoreConfig
from domain.vocabulary import (
    AcquisitionChannel,
    ComplaintCategory,
    Department,
    Role,
    RootCause,
    ServiceChannel,
)

MARKETING = Actor("mei.marketing", frozenset({Role.MARKETING}))
OPERATIONS = Actor("oscar.ops", frozenset({Role.OPERATIONS}))
SALES = Actor("sam.sales", frozenset({Role.SALES}))
AGENT = Actor("cs.li", frozenset({Role.CUSTOMER_SERVICE}))
OTHER_AGENT = Actor("cs.wang", frozenset({Role.CUSTOMER_SERVICE}))
MANAGER = Actor("mgr.zhao", frozenset({Role.MANAGEMENT, Role.CUSTOMER_SERVICE}))

_request_numbers = itertools.count(1)


def as_(
    actor: Actor,
    *,
    request_id: str | None = None,
    expected_version: int | None = None,
    key: str | None = None,
    fingerprint: str = "fp-1",
    on_behalf_of: str | None = None,
) -> CommandContext:
    """The context of one request by ``actor``; ``key`` adds an Idempotency-Key."""
    return CommandContext(
        actor=actor,
        request_id=request_id or f"req-{next(_request_numbers)}",
        expected_version=expected_version,
        idempotency=None if key is None else Idempotency(key, fingerprint),
        on_behalf_of=on_behalf_of,
    )


def open_services(store_config: StoreConfig) -> Services:
    """Another Services on the same store, as another server process would open it.

    Small pools: every Services opens one pool per application, and the
    PostgreSQL server's connections are shared with the other test sessions.
    """
    return Services.open(replace(store_config, pool_size=1, max_overflow=1))


def state_of(aggregate: Aggregate) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def replayed(app: OpsApplication, aggregate_id: UUID, lte: int | None = None) -> Aggregate:
    """The aggregate rebuilt from its stored events alone, never from a snapshot."""
    aggregate = project_aggregate(None, app.events.get(aggregate_id, lte=lte))
    assert aggregate is not None
    return aggregate


def register(services: Services, **overrides: Any) -> UUID:
    fields: dict[str, Any] = {
        "name": "Wang Fang",
        "email": "wang.fang@example.com",
        "phone": None,
        "channel": AcquisitionChannel.SEARCH,
        "marketing_consent": True,
        "ctx": as_(MARKETING),
    }
    fields.update(overrides)
    return services.customers.register_customer(**fields).id


def receive(services: Services, customer_id: UUID, **overrides: Any) -> UUID:
    fields: dict[str, Any] = {
        "customer_id": customer_id,
        "channel": ServiceChannel.PHONE,
        "category": ComplaintCategory.DELIVERY,
        "description": "parcel arrived broken",
        "remedy_sought": "replacement",
        "ctx": as_(AGENT),
    }
    fields.update(overrides)
    return services.complaints.receive_complaint(**fields).id


def investigating(services: Services, severity: int = 3) -> UUID:
    """A complaint acknowledged and assessed, under investigation."""
    complaint_id = receive(services, register(services))
    complaints = services.complaints
    complaints.acknowledge_complaint(complaint_id, message="on it", ctx=as_(AGENT))
    complaints.assess_complaint(
        complaint_id,
        severity=severity,
        department=Department.CUSTOMER_SERVICE,
        assignee=AGENT.principal,
        ctx=as_(AGENT),
    )
    return complaint_id


def propose(services: Services, complaint_id: UUID, actor: Actor = AGENT, **kw: Any) -> None:
    services.complaints.propose_resolution(
        complaint_id,
        root_cause=RootCause.THIRD_PARTY,
        analysis="courier dropped it",
        plan="send a new one",
        compensation=Decimal("20.00"),
        ctx=as_(actor),
        **kw,
    )
