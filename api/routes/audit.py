"""/audit: the audit trail for auditors, the tamper check and the signed checkpoints."""

from functools import partial
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from api.consistency import MinPosition
from api.csv_export import CSV_RESPONSE, FormatDep, csv_response
from api.deps import ReadModelsDep, ServicesDep, allow
from api.paging import Cursor, Limit, decode_cursor, encode_cursor
from api.schemas.common import PROBLEM_RESPONSES, Moment
from api.schemas.reads.audit import (
    AuditCheckpointsOut,
    AuditEventOut,
    AuditEventPageOut,
    AuditVerificationOut,
)
from application.context import Actor
from domain.clock import utc
from domain.vocabulary import Role
from projections.queries.audit import AuditFilter
from projections.queries.read_models import AUDIT

router = APIRouter(prefix="/audit", tags=["audit"], responses=PROBLEM_RESPONSES)

Auditor = Annotated[Actor, Depends(allow(Role.AUDITOR, Role.MANAGEMENT, Role.BOARD))]


@router.get("/events", response_model=AuditEventPageOut, responses=CSV_RESPONSE)
def audit_events(
    _: Auditor,
    read_models: ReadModelsDep,
    fmt: FormatDep,
    aggregate_id: UUID | None = None,
    type: str | None = None,
    actor: Annotated[str | None, Query(description="The acting principal")] = None,
    log: str | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    order: Literal["asc", "desc"] = "asc",
    limit: Limit = 50,
    cursor: Cursor = None,
    min_position: Annotated[str | None, MinPosition(AUDIT)] = None,
) -> dict[str, Any] | Response:
    """Every event of every log with its metadata, oldest (or newest) first."""
    where = AuditFilter(
        aggregate_id=str(aggregate_id) if aggregate_id else None,
        type=type,
        actor=actor,
        log=log,
        since=utc(since) if since else None,
        until=utc(until) if until else None,
    )
    fetch = partial(read_models.audit_events, where, newest_first=order == "desc")
    after = decode_cursor(cursor, str, str, int)
    if fmt.csv:
        return csv_response(AuditEventOut, fetch, after=after, fmt=fmt, name="audit-events")
    events, next_key = fetch(limit=limit, after=after)
    return {
        "events": events,
        "next_cursor": encode_cursor(next_key),
        "processed": read_models.processed(AUDIT),
    }


@router.get("/verify", response_model=AuditVerificationOut)
def audit_verify(_: Auditor, read_models: ReadModelsDep, services: ServicesDep) -> dict[str, Any]:
    """Recompute every log's hash chain from the event store and compare it with the trail
    and with every signed checkpoint."""
    results = read_models.verify_audit(services.all())
    intact = all(not r.problems for r in results)
    return {
        "status": "intact" if intact else "altered",
        "logs": {
            r.log: {
                "verified_events": r.verified,
                "projected_up_to": f"{r.log}:{r.projected_up_to}",
                "problems": r.problems,
            }
            for r in results
        },
    }


@router.get("/checkpoints", response_model=AuditCheckpointsOut)
def audit_checkpoints(
    _: Auditor, read_models: ReadModelsDep, log: str | None = None
) -> dict[str, Any]:
    """Every signed checkpoint of each log's chain head, oldest first, with the audit key."""
    signer = read_models.signer
    return {
        "public_key": signer.public_key if signer else None,
        "fingerprint": signer.fingerprint if signer else None,
        "checkpoints": [c.as_dict() for c in read_models.checkpoints(log)],
    }
