"""/risks: the risk register (§8).

Any department head identifies (every role but auditor). Owner-only commands
(assess, treat, residual, KRIs, reviews, close, reopen) pass the role check for
any department head and are then refused by the domain (403 `not-risk-owner`)
unless the caller is the risk's owner or management. KRI readings also come
from a reporter named on the KRI. Acceptance is decided by management or the
board, as the higher of the inherent and current level requires, and beyond
§8.2.4's limits (likelihood or impact above 2) by the board with a written
justification. Auditors read.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from api.answers import command_answer
from api.commands import CommandRoutes, roles_extra
from api.deps import Caller, ServicesDep, commanded_by
from api.schemas.common import PROBLEM_RESPONSES, CommandOut
from api.schemas.customers import ReasonRequest
from api.schemas.risks import (
    KriDefineRequest,
    KriOut,
    KriReadingRequest,
    RiskAcceptanceRequest,
    RiskActionCompleteRequest,
    RiskAssessRequest,
    RiskIdentifyRequest,
    RiskOut,
    RiskReviewRequest,
    RiskTreatmentRequest,
)
from application.context import CommandContext
from application.risks import ActionDraft, Risks
from domain.risk import Risk
from domain.vocabulary import Role

router = APIRouter(prefix="/risks", tags=["risks"], responses=PROBLEM_RESPONSES)
routes = CommandRoutes(
    router, Risks, lambda services: services.risks, id_name="risk_id", describe=False
)

DEPARTMENT_HEADS = tuple(role for role in Role if role != Role.AUDITOR)
DepartmentHead = Annotated[CommandContext, Depends(commanded_by(*DEPARTMENT_HEADS))]

routes.create(
    "identify_risk",
    *DEPARTMENT_HEADS,
    body=RiskIdentifyRequest,
    doc="Identify a risk (§8.1.1): any department head.",
)
routes.reads(Risk, RiskOut.of, RiskOut)


@router.get("/{risk_id}/kris/{kri_id}", response_model=KriOut)
def get_kri(risk_id: UUID, kri_id: UUID, _: Caller, services: ServicesDep) -> KriOut:
    return KriOut.of(services.risks.get_kri(risk_id, kri_id))


routes.on(
    "/assess",
    "assess_risk",
    *DEPARTMENT_HEADS,
    body=RiskAssessRequest,
    doc="Inherent likelihood x impact (1-5 each): the owner, or management.",
)


@router.post(
    "/{risk_id}/treatment",
    response_model=CommandOut,
    openapi_extra=roles_extra(*DEPARTMENT_HEADS),
)
def plan_treatment(
    risk_id: UUID,
    body: RiskTreatmentRequest,
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


routes.on(
    "/actions/{action_id}/start",
    "start_risk_action",
    *DEPARTMENT_HEADS,
    name="start_action",
    doc="The action's owner, the risk's owner or management starts work on an action.",
)
routes.on(
    "/actions/{action_id}/complete",
    "complete_risk_action",
    *DEPARTMENT_HEADS,
    body=RiskActionCompleteRequest,
    name="complete_action",
    doc="Complete an action; with none left open the risk moves to monitoring.",
)
routes.on(
    "/acceptance",
    "decide_risk_acceptance",
    Role.MANAGEMENT,
    Role.BOARD,
    body=RiskAcceptanceRequest,
    name="decide_acceptance",
    doc="""Approve (with `expires_on`) or reject (with `reason`) a proposed acceptance.

    By the higher of the inherent and current level: low and medium, management (or
    the board); high and critical, the board. Never the proposer. §8.2.4: approving
    a risk whose current likelihood or impact is above 2 takes the board and a
    written `justification`. At its expiry date the acceptance lapses: the risk is
    reassessed before it is closed or treated again.
    """,
)
routes.on(
    "/residual",
    "assess_residual_risk",
    *DEPARTMENT_HEADS,
    body=RiskAssessRequest,
    name="assess_residual",
    doc="Residual assessment: never above inherent, lower only after a completed action "
    "of the current treatment plan.",
)
routes.on(
    "/kris",
    "define_kri",
    *DEPARTMENT_HEADS,
    body=KriDefineRequest,
    status_code=201,
    location="/risks/{risk_id}/kris/{kri_id}",
    doc="Define a key risk indicator (optionally its `reporter`); answers its `kri_id`.",
)
routes.on(
    "/kri-readings",
    "record_kri_reading",
    *DEPARTMENT_HEADS,
    body=KriReadingRequest,
    doc="""Record a reading: the risk's owner, management or the KRI's `reporter`.

    A reading at or past red raises an early warning, past amber a watch; back clears.
    """,
)
routes.on(
    "/reviews",
    "record_risk_review",
    *DEPARTMENT_HEADS,
    body=RiskReviewRequest,
    name="record_review",
    doc="A periodic review: the next falls due by the level's cadence (critical monthly ...).",
)
routes.on(
    "/close",
    "close_risk",
    *DEPARTMENT_HEADS,
    body=ReasonRequest,
    doc="Close: only once assessed, with no open actions and no lapsed acceptance.",
)
routes.on(
    "/reopen",
    "reopen_risk",
    *DEPARTMENT_HEADS,
    body=ReasonRequest,
    doc="Reopen a closed risk: it is assessed again before any new treatment.",
)
