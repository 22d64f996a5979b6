"""Load the demo company's customers and complaints through the applications' own commands.

Everything goes in through the command methods of the Applications (never
straight into the database), so the demo's events carry the same metadata,
rules and idempotency as real traffic.

Re-running is safe. Every command is sent with a deterministic
Idempotency-Key (``demo:{seed}:...``), a fixed fingerprint per key and a fixed
principal per key, so a repeated command answers what it answered the first
time and writes nothing. The keys never depend on ``now``: the company is
planned in "days before now", so a re-run on another day makes the same
decisions and finds every command remembered.

Each customer and each complaint is planned from its own seeded
``random.Random`` (seeded from ``seed`` and its index), so a smaller ``scale``
loads a subset of the same company: customer 17 is the same person at every
scale.

Business times (``received_at``, ``purchased_at``, ...) are back-dated by
swapping the Application's ``clock`` for the duration of each command. The
events' own recording timestamps stay real time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from application.context import CommandResult
from application.services import Services
from demo.complaints import FIRST_SCENARIOS, ComplaintPlan, plan_complaint
from demo.customers import CustomerPlan, plan_customer
from demo.planning import Acting, Step, acting_on
from demo.runner import App, Keys, Runner, hashed, request_ids_in

__all__ = ["DemoSummary", "load_demo"]

# Part of every fingerprint: bump it only together with a new key namespace.
DEMO_FINGERPRINT_VERSION = "opsledger-demo/1"
REQUEST_NAMESPACE = uuid.UUID("6f1d3c52-5a0e-4c1b-9a57-0c2f3d1e8b41")

FULL_CUSTOMERS = 300
FULL_COMPLAINTS = 100
MIN_CUSTOMERS = 30


@dataclass(frozen=True)
class DemoSummary:
    """What one load_demo call loaded (or found already loaded)."""

    customers: int
    complaints: int
    events_written: int
    commands: int
    customer_ids: tuple[UUID, ...] = field(repr=False)
    complaint_ids: tuple[UUID, ...] = field(repr=False)


class _Company:
    """Runs the customers' and the complaints' plans."""

    def __init__(self, services: Services, now: datetime, seed: int) -> None:
        self.services = services
        self.now = now
        self.runner = Runner(
            Keys(
                f"demo:{seed}",
                request_id=request_ids_in(REQUEST_NAMESPACE),
                fingerprint=hashed(DEMO_FINGERPRINT_VERSION),
            )
        )

    def at(self, ago: float) -> datetime:
        return self.now - timedelta(days=ago)

    def send(self, app: App, scope: str, step: Step[Acting[App]], target: UUID) -> CommandResult:
        """Send the planned ``step`` of ``scope`` to what ``target`` identifies."""
        command = acting_on(step.send, target)
        return self.runner.run(app, f"{scope}:{step.label}", step.actor, self.at(step.ago), command)

    def customer(self, plan: CustomerPlan) -> UUID:
        app, scope, register = self.services.customers, f"customer:{plan.index}", plan.register
        customer_id = self.runner.run(
            app, f"{scope}:{register.label}", register.actor, self.at(register.ago), register.send
        ).id
        for step in plan.steps:
            self.send(app, scope, step, customer_id)
        return customer_id

    def complaint(self, plan: ComplaintPlan, customer_id: UUID) -> UUID:
        app, scope = self.services.complaints, f"complaint:{plan.index}"
        receive, *rest = plan.steps
        complaint_id = self.send(app, scope, receive, customer_id).id
        for step in rest:
            self.send(app, scope, step, complaint_id)
        follow_up = plan.follow_up
        if follow_up is not None:
            # The complaint's own customer: a complaint loaded earlier at another
            # scale may belong to someone else than this plan's pick.
            complainant = app.get_complaint(complaint_id).customer_id
            if not self.services.customers.get_customer(complainant).service_consent:
                return complaint_id  # surveys need service consent
            self.runner.run(
                self.services.customers,
                f"{scope}:survey",
                follow_up.actor,
                self.at(follow_up.ago),
                lambda app, ctx: app.answer_survey(
                    complainant,
                    survey=f"complaint-follow-up:{complaint_id}",
                    csat=follow_up.csat,
                    comment=follow_up.comment,
                    ctx=ctx,
                ),
            )
        return complaint_id


def _position(services: Services) -> int:
    return sum(app.recorder.max_notification_id() or 0 for app in services.all())


def load_demo(
    services: Services, *, now: datetime | None = None, seed: int = 7, scale: float = 1.0
) -> DemoSummary:
    """Load (or complete) the demo company for ``seed``; a re-run writes nothing.

    ``now`` anchors the back-dated business times (default: the real now);
    the plan itself never depends on it. ``scale`` shrinks or grows the
    company (1.0: 300 customers, 100 complaints); a smaller company is a
    subset of the larger one with the same seed.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    anchor = datetime.now(UTC) if now is None else now
    anchor = anchor.replace(tzinfo=UTC) if anchor.tzinfo is None else anchor.astimezone(UTC)
    n_customers = max(MIN_CUSTOMERS, round(FULL_CUSTOMERS * scale))
    n_complaints = max(len(FIRST_SCENARIOS), round(FULL_COMPLAINTS * scale))

    customer_plans = [plan_customer(seed, i) for i in range(n_customers)]
    complaint_plans = [plan_complaint(seed, j, customer_plans) for j in range(n_complaints)]

    before = _position(services)
    company = _Company(services, anchor, seed)
    customer_ids = tuple(company.customer(plan) for plan in customer_plans)
    complaint_ids = tuple(
        company.complaint(plan, customer_ids[plan.customer]) for plan in complaint_plans
    )
    return DemoSummary(
        customers=len(customer_ids),
        complaints=len(complaint_ids),
        events_written=_position(services) - before,
        commands=company.runner.commands,
        customer_ids=customer_ids,
        complaint_ids=complaint_ids,
    )
