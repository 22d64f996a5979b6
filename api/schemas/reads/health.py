"""GET /health: the store, each log's head and each projection's lag."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas.reads.common import Absent, ReadOut


class ProjectionLagOut(ReadOut):
    events: int = Field(description="Events written but not yet applied")
    seconds: float = Field(description="Age of the oldest event not yet applied")


class HealthOut(ReadOut):
    """`ok` with the logs and projections; `unavailable` (503) with the failure's detail."""

    status: Literal["ok", "unavailable"]
    store: str = Field(description="sqlite or postgresql")
    logs: dict[str, int] | Absent = Field(
        default=None, description="Log name -> its last position (absent when unavailable)"
    )
    projections: dict[str, ProjectionLagOut] | Absent = Field(
        default=None, description="Projection name -> its lag (absent when unavailable)"
    )
    detail: str | Absent = Field(
        default=None, description="Why the store is unreachable (absent when ok)"
    )


class ReadyOut(ReadOut):
    """The store answers and every projection has a runner."""

    status: Literal["ready"]
    store: str = Field(description="sqlite or postgresql")
    logs: dict[str, int] = Field(description="Log name -> its last position")
