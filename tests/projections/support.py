"""Helpers for the projection tests: a mixed history written through the
application commands, the audit table's rows, and tampering with a stored event."""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import replace
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from application.context import Actor, CommandContext
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
from projections.audit import AuditTrail
from projections.catalog import all_projections
from projections.runner import ProjectionRunner
from projections.store import ReadModelStore

MARKETER = Actor("mkt.mei", frozenset({Role.MARKETING}))
SELLER = Actor("sales.sun", frozenset({Role.SALES}))
AGENT = Actor("cs.li", frozenset({Role.CUSTOMER_SERVICE}))
MANAGER = Actor("mgr.zhao", frozenset({Role.MANAGEMENT, Role.CUSTOMER_SERVICE}))

# Personal data written by the history: none of it may reach the audit trail.
NAMES = ("Wang Fang", "Chen Jing", "Liu Yang", "Zhao Lei")
EMAILS = ("wang.fang@example.cn", "chen.jing@example.cn", "liu.yang@example.cn")
PHONES = ("+86 138 0013 8000",)

_requests = itertools.count(1)


def ctx(actor: Actor, **kwargs: Any) -> CommandContext:
    return CommandContext(actor=actor, request_id=f"req-{next(_requests)}", **kwargs)


def register(services: Services, n: int = 0) -> UUID:
    return services.customers.register_customer(
        name=NAMES[n % len(NAMES)],
        email=EMAILS[n % len(EMAILS)] if n % 4 != 3 else None,
        phone=PHONES[0] if n % 2 else None,
        channel=list(AcquisitionChannel)[n % len(AcquisitionChannel)],
        marketing_consent=bool(n % 2),
        ctx=ctx(MARKETER),
    ).id


def customer_story(services: Services, n: int = 0) -> UUID:
    """Registered (+ welcome), activated, a purchase, a survey: 5 customer events."""
    customers = services.customers
    customer_id = register(services, n)
    customers.activate_customer(customer_id, ctx=ctx(SELLER))
    customers.record_purchase(
        customer_id, amount=Decimal("199.90"), order_ref=f"ORD-{n}", ctx=ctx(SELLER)
    )
    customers.answer_survey(customer_id, survey="csat-q1", csat=4, nps=9, ctx=ctx(MARKETER))
    return customer_id


def complaint_story(services: Services, customer_id: UUID) -> UUID:
    """Received, acknowledged, assessed, resolution proposed, responded, closed."""
    complaints = services.complaints
    complaint_id = complaints.receive_complaint(
        customer_id=customer_id,
        channel=ServiceChannel.PHONE,
        category=ComplaintCategory.DELIVERY,
        description="parcel arrived broken",
        remedy_sought="replacement",
        ctx=ctx(AGENT),
    ).id
    complaints.acknowledge_complaint(complaint_id, message="on it", ctx=ctx(AGENT))
    complaints.assess_complaint(
        complaint_id,
        severity=3,
        department=Department.CUSTOMER_SERVICE,
        assignee=AGENT.principal,
        ctx=ctx(AGENT),
    )
    complaints.propose_resolution(
        complaint_id,
        root_cause=RootCause.PROCESS_GAP,
        plan="send a new one",
        compensation=Decimal("20.00"),
        ctx=ctx(AGENT),
    )
    complaints.respond_to_complaint(complaint_id, message="a new one is on its way", ctx=ctx(AGENT))
    return complaint_id


def mixed_history(services: Services, customers: int = 3, start: int = 0) -> list[UUID]:
    """Customers with purchases and surveys, complaints, an erasure: ids of the customers."""
    ids = []
    for n in range(start, start + customers):
        customer_id = customer_story(services, n)
        ids.append(customer_id)
        if n % 2 == 0:
            complaint_story(services, customer_id)
    if customers > 1:
        services.customers.erase_customer(ids[-1], reason="PIPL request", ctx=ctx(MANAGER))
    return ids


def small_pools(config: StoreConfig) -> StoreConfig:
    """The same store with one pooled connection per application (PostgreSQL's
    connections are shared with every other test session on the server)."""
    return replace(config, pool_size=1, max_overflow=3)


def open_services(config: StoreConfig) -> Services:
    """Another Services on the same store, as another process would open it."""
    return Services.open(small_pools(config))


def make_runner(services: Services, config: StoreConfig) -> ProjectionRunner:
    """A runner of the audit trail alone (the dashboards have tests of their own)."""
    logs = [app.name for app in services.all()]
    return ProjectionRunner(services, small_pools(config), [AuditTrail(logs)])


def full_runner(services: Services, config: StoreConfig) -> ProjectionRunner:
    """A runner of every projection opsledger runs."""
    return ProjectionRunner(services, small_pools(config), all_projections(services))


def audit(runner: ProjectionRunner) -> AuditTrail:
    projection = runner.projection("audit")
    assert isinstance(projection, AuditTrail)
    return projection


def rows(store: ReadModelStore, log: str | None = None) -> list[dict[str, Any]]:
    """Every row of the audit table, in (log, position) order."""
    if log is None:
        return store.read("SELECT * FROM audit_events ORDER BY log, position")
    return store.read("SELECT * FROM audit_events WHERE log = ? ORDER BY position", (log,))


def positions_in_store(services: Services) -> dict[str, list[int]]:
    """The notification ids of every log, as the event store holds them."""
    return {
        app.name: [n.id for n in app.recorder.select_notifications(start=None, limit=1_000_000)]
        for app in services.all()
    }


def positions_in_trail(store: ReadModelStore, services: Services) -> dict[str, list[int]]:
    return {app.name: [int(r["position"]) for r in rows(store, app.name)] for app in services.all()}


def event_count(services: Services) -> int:
    return sum(len(ids) for ids in positions_in_store(services).values())


# Tampering with the event store behind the application's back.


def _sqlite(config: StoreConfig, log: str) -> sqlite3.Connection:
    return sqlite3.connect(config.sqlite_path(log))


def alter_event(config: StoreConfig, log: str, position: int) -> None:
    """Change a stored event's bytes (still valid JSON: a trailing space)."""
    if config.database_url is None:
        with _sqlite(config, log) as conn:
            (state,) = conn.execute(
                "SELECT state FROM stored_events WHERE rowid = ?", (position,)
            ).fetchone()
            changed = conn.execute(
                "UPDATE stored_events SET state = ? WHERE rowid = ?",
                (bytes(state) + b" ", position),
            ).rowcount
        assert changed == 1
        return
    pg = config.postgres
    assert pg is not None
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        changed = conn.execute(
            f"UPDATE {log}_events SET state = state || '\\x20'::bytea WHERE notification_id = %s",
            (position,),
        ).rowcount
    assert changed == 1


def delete_event(config: StoreConfig, log: str, position: int) -> None:
    if config.database_url is None:
        with _sqlite(config, log) as conn:
            changed = conn.execute(
                "DELETE FROM stored_events WHERE rowid = ?", (position,)
            ).rowcount
        assert changed == 1
        return
    pg = config.postgres
    assert pg is not None
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        changed = conn.execute(
            f"DELETE FROM {log}_events WHERE notification_id = %s", (position,)
        ).rowcount
    assert changed == 1
