"""What the plans of the demo's customers and complaints share: who acts, time, seeded choices.

A plan is made before anything runs and never depends on ``now``: its times are
in days before now, and each of its steps holds the command it will send, bound
to its arguments when planned.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar
from uuid import UUID

from application.context import Actor, CommandContext, CommandResult
from demo.runner import App, Command
from domain.vocabulary import Role

T = TypeVar("T")
Send = TypeVar("Send")

HISTORY_DAYS = 365.0
MIN_AGO = 0.01  # days: nothing is planned closer to "now" than ~15 minutes
HOUR = 1 / 24

# A planned command on an aggregate, given the aggregate's id once it is known.
Acting = Callable[[App, UUID, CommandContext], CommandResult]


def acting_on(send: Acting[App], target: UUID) -> Command[App]:
    """The planned ``send``, given the id of what it acts on."""
    return lambda app, ctx: send(app, target, ctx)


@dataclass(frozen=True)
class Step(Generic[Send]):
    """One command of a plan, ``ago`` days before now."""

    ago: float
    label: str  # unique within its aggregate: part of the Idempotency-Key
    actor: Actor
    send: Send


# --------------------------------------------------------------------------
# Who acts.


def _actor(principal: str, *roles: Role) -> Actor:
    return Actor(principal=principal, roles=frozenset(roles))


MARKETING = (_actor("mei.marketing", Role.MARKETING), _actor("he.marketing", Role.MARKETING))
OPERATIONS = (_actor("wang.ops", Role.OPERATIONS), _actor("sun.ops", Role.OPERATIONS))
SALES = (_actor("zhao.sales", Role.SALES), _actor("qian.sales", Role.SALES))
LIN_CS = _actor("lin.cs", Role.CUSTOMER_SERVICE)
CHEN_CS = _actor("chen.cs", Role.CUSTOMER_SERVICE)  # the customer-service team lead
XU_CS = _actor("xu.cs", Role.CUSTOMER_SERVICE)
CUSTOMER_SERVICE = (LIN_CS, CHEN_CS, XU_CS)
MANAGER = _actor("liu.manager", Role.MANAGEMENT)


# --------------------------------------------------------------------------
# Small helpers for seeded choices.


def weighted(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights=weights, k=1)[0]


def money(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.01"))
