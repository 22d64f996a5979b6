"""/health: is the service up and its store reachable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import RunnerDep, ServicesDep
from api.schemas.reads.health import HealthOut

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthOut,
    # ok answers hold logs and projections, unavailable ones a detail: not nulls.
    response_model_exclude_unset=True,
    responses={503: {"model": HealthOut, "description": "The store is unreachable"}},
)
def health(
    services: ServicesDep,
    response: Response,
    runner: RunnerDep,
) -> dict[str, Any]:
    """Store reachable, the head of each log, and how far behind each projection is."""
    logs: dict[str, int] = {}
    try:
        for app in services.all():
            logs[app.name] = app.recorder.max_notification_id() or 0
        lag = {name: vars(value) for name, value in runner.lag().items()}
    except Exception as error:  # any store failure means: not healthy
        response.status_code = 503
        response.headers["Retry-After"] = "2"
        return {"status": "unavailable", "store": services.store_kind, "detail": str(error)}
    return {"status": "ok", "store": services.store_kind, "logs": logs, "projections": lag}
