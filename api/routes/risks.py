"""/risks: the risk register (§8).

Any department head identifies (every role but auditor). Owner-only commands
(assess, treat, residual, KRIs, reviews, close, reopen) pass the role check for
any department head and are then refused by the domain (403 `not-risk-owner`)
unless the caller is the risk's owner or management. Acceptance is decided by
management or the board, as the risk's level requires. Auditors read.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from api.answers import (
    AsOfQuery,
    VersionQuery,
    command_answer,
    events_answer,
    read_answer,
    read_state,
)
from api.deps import Caller, ServicesDep, commanded_by
from api.schemas.common import PROBLEM_RESPONSES, CommandOut, EmptyIn, EventsOut
from api.schemas.customers import ReasonIn
from api.schemas.risks import (
    AcceptanceIn,
    AssessIn,
    CompleteActionIn,
    DefineKriIn,
    IdentifyRiskIn,
    KriOut,
    KriReadingIn,
    ReviewIn,
    RiskOut,
    TreatmentIn,
)
from application.context import CommandContext
from application.risks import ActionDraft
from domain.risk import Risk
from domain.vocabulary import Role

router = APIRouter(prefix="/risks", tags=["risks"], responses=PROBLEM_RESPONSES)

DEPARTMENT_HEADS = tuple(role for role in Role if role != Role.AUDITOR)
DepartmentHead = Annotated[CommandContext, Depends(commanded_by(*DEPARTMENT_HEADS))]
Acceptor = Annotated[CommandContext, Depends(commanded_by(Role.MANAGEMENT, Role.BOARD))]


@router.post("", status_code=201, response_model=CommandOut)
def identify_risk(
    body: IdentifyRiskIn,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Identify a risk (§8.1.1): any department head."""
    result = services.risks.identify_risk(**body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.get("/{risk_id}", response_model=RiskOut)
def get_risk(
    risk_id: UUID,
    _: Caller,
    services: ServicesDep,
    response: Response,
    version: VersionQuery = None,
    as_of: AsOfQuery = None,
) -> RiskOut:
    risks = services.risks
    risk = read_state(
        version,
        as_of,
        lambda v: risks.get_risk(risk_id, v),
        lambda t: risks.risk_as_of(risk_id, t),
    )
    return read_answer(RiskOut.of(risk), risk.version, response)


@router.get("/{risk_id}/events", response_model=EventsOut)
def risk_events(risk_id: UUID, _: Caller, services: ServicesDep, response: Response) -> EventsOut:
    return events_answer(risk_id, services.risks.history(risk_id, Risk), response)


@router.get("/{risk_id}/kris/{kri_id}", response_model=KriOut)
def get_kri(risk_id: UUID, kri_id: UUID, _: Caller, services: ServicesDep) -> KriOut:
    return KriOut.of(services.risks.get_kri(risk_id, kri_id))


@router.post("/{risk_id}/assess", response_model=CommandOut)
def assess_risk(
    risk_id: UUID,
    body: AssessIn,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Inherent likelihood x impact (1-5 each): the owner, or management."""
    result = services.risks.assess_risk(risk_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{risk_id}/treatment", response_model=CommandOut)
def plan_treatment(
    risk_id: UUID,
    body: TreatmentIn,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Avoid, reduce, transfer (to a counterparty) or accept; answers the new `action_ids`.

    `accept` proposes an acceptance (status acceptance_pending) that management or
    the board decides at `/acceptance`.
    """
    result = services.risks.plan_treatment(
        risk_id,
        strategy=body.strategy,
        counterparty=body.counterparty,
        actions=[ActionDraft(a.title, a.owner, a.due) for a in body.actions],
        ctx=ctx,
    )
    return command_answer(result, request, response)


@router.post("/{risk_id}/actions/{action_id}/start", response_model=CommandOut)
def start_action(
    risk_id: UUID,
    action_id: UUID,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: EmptyIn | None = None,
) -> CommandOut:
    """The action's owner, the risk's owner or management starts work on an action."""
    result = services.risks.start_risk_action(risk_id, action_id, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{risk_id}/actions/{action_id}/complete", response_model=CommandOut)
def complete_action(
    risk_id: UUID,
    action_id: UUID,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: CompleteActionIn | None = None,
) -> CommandOut:
    """Complete an action; with none left open the risk moves to monitoring."""
    fields = body.model_dump() if body else {}
    result = services.risks.complete_risk_action(risk_id, action_id, **fields, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{risk_id}/acceptance", response_model=CommandOut)
def decide_acceptance(
    risk_id: UUID,
    body: AcceptanceIn,
    ctx: Acceptor,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Approve (with `expires_on`) or reject (with `reason`) a proposed acceptance.

    Low and medium risks: management (or the board); high and critical: the board.
    Never the proposer.
    """
    result = services.risks.decide_risk_acceptance(risk_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{risk_id}/residual", response_model=CommandOut)
def assess_residual(
    risk_id: UUID,
    body: AssessIn,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Residual assessment: never above inherent, lower only after a completed action."""
    result = services.risks.assess_residual_risk(risk_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{risk_id}/kris", status_code=201, response_model=CommandOut)
def define_kri(
    risk_id: UUID,
    body: DefineKriIn,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Define a key risk indicator; answers its `kri_id`."""
    result = services.risks.define_kri(risk_id, **body.model_dump(), ctx=ctx)
    answer = command_answer(result, request, response)
    response.headers["Location"] = f"/risks/{risk_id}/kris/{result.extra['kri_id']}"
    return answer


@router.post("/{risk_id}/kri-readings", response_model=CommandOut)
def record_kri_reading(
    risk_id: UUID,
    body: KriReadingIn,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """A reading at or past red raises an early warning, past amber a watch; back clears."""
    result = services.risks.record_kri_reading(risk_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{risk_id}/reviews", response_model=CommandOut)
def record_review(
    risk_id: UUID,
    body: ReviewIn,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """A periodic review: the next falls due by the level's cadence (critical monthly ...)."""
    result = services.risks.record_risk_review(risk_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{risk_id}/close", response_model=CommandOut)
def close_risk(
    risk_id: UUID,
    body: ReasonIn,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Close: only with no open actions."""
    result = services.risks.close_risk(risk_id, reason=body.reason, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{risk_id}/reopen", response_model=CommandOut)
def reopen_risk(
    risk_id: UUID,
    body: ReasonIn,
    ctx: DepartmentHead,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Reopen a closed risk: it is assessed again before any new treatment."""
    result = services.risks.reopen_risk(risk_id, reason=body.reason, ctx=ctx)
    return command_answer(result, request, response)
