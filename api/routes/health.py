"""/health (liveness: the process answers, fast) and /ready (readiness: the store
answers and the projections run)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi import APIRouter, Response

from api.deps import RunnerDep, ServicesDep
from api.problems import RETRY_AFTER_SECONDS, Problem
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.reads.health import HealthOut, ReadyOut
from application.services import Services
from projections.runner import ProjectionRunner

router = APIRouter(tags=["health"])

HEALTH_SECONDS = 0.5
"""/health never takes longer: past it, the store counts as unreachable."""
READY_SECONDS = 2.0

# The checks run here, so that a store that does not answer holds up a check's
# thread, never the answer (a check's thread is itself bounded by the pool timeout).
# The routes are async: waiting for a check holds no thread of the request pool,
# which a database outage may fill with requests waiting for connections.
_checks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="health")
T = TypeVar("T")
Late = TimeoutError


async def _within(seconds: float, check: Callable[..., T], *args: Any) -> T:
    return await asyncio.wait_for(asyncio.wrap_future(_checks.submit(check, *args)), seconds)


def _logs(services: Services) -> dict[str, int]:
    return {app.name: app.recorder.max_notification_id() or 0 for app in services.all()}


def _health(services: Services, runner: ProjectionRunner) -> dict[str, Any]:
    lag = {name: vars(value) for name, value in runner.lag().items()}
    return {
        "status": "ok",
        "store": services.store_kind,
        "logs": _logs(services),
        "projections": lag,
    }


@router.get(
    "/health",
    response_model=HealthOut,
    # ok answers hold logs and projections, unavailable ones a detail: not nulls.
    response_model_exclude_unset=True,
    responses={503: {"model": HealthOut, "description": "The store is unreachable"}},
)
async def health(services: ServicesDep, response: Response, runner: RunnerDep) -> dict[str, Any]:
    """The process answers (within a second, whatever the store does); the head of each
    log and how far behind each projection is, or 503 when the store does not answer."""
    try:
        return await _within(HEALTH_SECONDS, _health, services, runner)
    except Late:
        detail = f"the store did not answer within {HEALTH_SECONDS:g}s"
    except Exception as error:  # any store failure means: not healthy
        detail = str(error)
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return {"status": "unavailable", "store": services.store_kind, "detail": detail}


def _ready(services: Services, runner: ProjectionRunner) -> dict[str, Any]:
    logs = _logs(services)
    running = runner.running()
    return {"logs": logs, "projections": running}


def _not_ready(detail: str) -> Problem:
    return Problem(
        503,
        "not-ready",
        "The service is not ready",
        detail,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


@router.get(
    "/ready",
    response_model=ReadyOut,
    responses={
        503: {
            **PROBLEM_RESPONSES[503],
            "description": "Not ready: the store does not answer, or a projection has no runner",
        }
    },
)
async def ready(services: ServicesDep, runner: RunnerDep) -> dict[str, Any]:
    """200 when the store answers and every projection has a runner working on it
    (in this process or another), else 503 not-ready: for load balancers and
    orchestrators, which send traffic only to ready instances."""
    try:
        checked = await _within(READY_SECONDS, _ready, services, runner)
    except Late:
        raise _not_ready(f"the store did not answer within {READY_SECONDS:g}s") from None
    except Exception as error:
        raise _not_ready(f"the store does not answer: {error}") from None
    idle = sorted(name for name, running in checked["projections"].items() if not running)
    if idle:
        raise _not_ready(f"no projection runner works on: {', '.join(idle)}")
    return {"status": "ready", "store": services.store_kind, "logs": checked["logs"]}
