"""/health: is the service up and its store reachable."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from api.consistency import get_runner
from api.deps import ServicesDep
from projections.runner import ProjectionRunner

router = APIRouter(tags=["health"])


@router.get("/health")
def health(
    services: ServicesDep,
    response: Response,
    runner: Annotated[ProjectionRunner, Depends(get_runner)],
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
