"""/inbox: everything awaiting the caller — approvals (budget stages, adjustments,
complaint plans, risk acceptances, leave requests), decisions, overdue items and
open alerts — each with the command paths to act. Built from the read models (it
may lag behind commands by a moment); never an item the caller may not act on.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Caller, Now, ReadModelsDep
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.reads.inbox import InboxOut
from projections.queries.inbox import InboxCaller

router = APIRouter(tags=["inbox"], responses=PROBLEM_RESPONSES)


@router.get("/inbox", response_model=InboxOut)
def inbox(caller: Caller, read_models: ReadModelsDep, now: Now) -> dict[str, Any]:
    """What awaits the caller, oldest first."""
    who = InboxCaller(
        principal=caller.principal,
        roles=frozenset(role.value for role in caller.roles),
        employee_id=str(caller.employee_id) if caller.employee_id else None,
    )
    items = read_models.inbox(who, now)
    return {"items": items, "count": len(items)}
