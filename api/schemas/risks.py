"""Risk register requests and responses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import Code, CommandIn, Day, Moment, Name, Text
from domain.risk import (
    KriDirection,
    KriStatus,
    Risk,
    RiskActionStatus,
    RiskCategory,
    RiskLevel,
    TreatmentStrategy,
    level_of,
)
from domain.vocabulary import Department

Score = Annotated[int, Field(ge=1, le=5)]
KriNumber = Annotated[
    Decimal, Field(max_digits=20, examples=["0.95"], description="A decimal, best sent as a string")
]


class RiskIdentifyRequest(CommandIn):
    category: RiskCategory
    title: Name
    description: Text
    owner: Name = Field(description="The principal who owns, assesses and treats the risk")
    department: Department | None = None
    cause: Text | None = None
    event: Text | None = Field(default=None, description="What could happen (cause -> event)")
    consequence: Text | None = None


class RiskAssessRequest(CommandIn):
    likelihood: Score
    impact: Score


class RiskActionInput(CommandIn):
    title: Name
    owner: Name
    due: Day = Field(description="A plan: may lie in the future")


class RiskTreatmentRequest(CommandIn):
    strategy: TreatmentStrategy
    counterparty: Name | None = Field(default=None, description="Required to transfer")
    actions: list[RiskActionInput] = Field(default_factory=list, max_length=50)


class RiskActionCompleteRequest(CommandIn):
    completed_on: Day | None = Field(default=None, description="Default: today")
    note: Text | None = None


class RiskAcceptanceRequest(CommandIn):
    approved: bool
    expires_on: Day | None = Field(default=None, description="Required to approve; after today")
    reason: Text | None = Field(default=None, description="Required to reject")
    justification: Text | None = Field(
        default=None,
        description="The written justification, recorded on the event: required to approve "
        "beyond §8.2.4's limits (current likelihood or impact above 2), which only the board "
        "does",
    )


class KriDefineRequest(CommandIn):
    name: Name
    metric: Name
    direction: KriDirection = Field(description="Which way the indicator gets worse")
    amber: KriNumber
    red: KriNumber
    unit: Code | None = None
    reporter: Name | None = Field(
        default=None,
        description="A principal who records readings, besides the risk's owner and management",
    )


class KriReadingRequest(CommandIn):
    kri_id: UUID
    value: KriNumber
    observed_at: Moment | None = Field(default=None, description="Default: now; never future")


class RiskReviewRequest(CommandIn):
    note: Text
    reviewed_on: Day | None = Field(default=None, description="Default: today; never future")


class ScoreOut(BaseModel):
    likelihood: int
    impact: int
    score: int
    level: RiskLevel

    @classmethod
    def of(cls, scores: dict[str, Any] | None) -> ScoreOut | None:
        if scores is None:
            return None
        return cls(**scores, level=level_of(scores["score"]))


class ActionOut(BaseModel):
    action_id: UUID
    title: str
    owner: str
    due: date
    status: RiskActionStatus
    completed_on: date | None
    completed_by: str | None
    note: str | None


class AcceptanceOut(BaseModel):
    proposed_by: str | None
    approved_by: str
    level: RiskLevel
    expires_on: date
    approved_at: datetime
    justification: str | None = Field(
        default=None, description="Written by the board to accept beyond §8.2.4's limits"
    )
    expired: bool


class ReadingOut(BaseModel):
    value: Decimal
    observed_at: datetime
    status: KriStatus


class KriOut(BaseModel):
    kri_id: UUID
    name: str
    metric: str
    direction: KriDirection
    amber: Decimal
    red: Decimal
    unit: str | None
    reporter: str | None = Field(
        default=None, description="Records readings besides the risk's owner and management"
    )
    status: KriStatus
    readings: int
    last_value: Decimal | None
    last_observed_at: datetime | None
    recent: list[ReadingOut]

    @classmethod
    def of(cls, kri: dict[str, Any]) -> KriOut:
        return cls(**kri)


class EarlyWarningOut(BaseModel):
    kri_id: UUID
    name: str
    value: Decimal
    threshold: Decimal
    raised_at: datetime
    cleared_at: datetime | None


class RiskOut(BaseModel):
    id: UUID
    version: int
    status: str
    category: RiskCategory
    title: str
    description: str
    cause: str | None
    event: str | None
    consequence: str | None
    owner: str
    department: Department | None
    identified_by: str
    identified_at: datetime
    inherent: ScoreOut | None
    residual: ScoreOut | None
    level: RiskLevel | None = Field(description="The residual level where assessed, else inherent")
    above_appetite: bool = Field(description="The level is above the risk appetite (medium)")
    strategy: TreatmentStrategy | None
    counterparty: str | None
    proposed_by: str | None
    actions: list[ActionOut]
    open_actions: int
    acceptance: AcceptanceOut | None
    acceptance_lapsed: bool = Field(
        description="As of today: the acceptance reached its expiry date and the risk awaits "
        "reassessment (inherent or residual); until then closing and replanning are refused"
    )
    kris: list[KriOut]
    early_warnings: list[EarlyWarningOut]
    open_early_warnings: int
    last_reviewed_on: date | None
    next_review_due: date | None
    review_overdue: bool = Field(description="As of today")
    reviews: int
    closed_at: datetime | None
    reopen_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, risk: Risk) -> RiskOut:
        today = datetime.now(UTC).date()
        acceptance = None
        if risk.acceptance is not None:
            acceptance = AcceptanceOut(**risk.acceptance, expired=risk.acceptance_expired(today))
        return cls(
            id=risk.id,
            version=risk.version,
            status=risk.status.value,
            category=risk.category,
            title=risk.title,
            description=risk.description,
            cause=risk.cause,
            event=risk.risk_event,
            consequence=risk.consequence,
            owner=risk.owner,
            department=risk.department,
            identified_by=risk.identified_by,
            identified_at=risk.identified_at,
            inherent=ScoreOut.of(risk.inherent),
            residual=ScoreOut.of(risk.residual),
            level=risk.current_level,
            above_appetite=risk.above_appetite,
            strategy=risk.strategy,
            counterparty=risk.counterparty,
            proposed_by=risk.proposed_by,
            actions=[ActionOut(**a) for a in risk.actions.values()],
            open_actions=len(risk.open_actions),
            acceptance=acceptance,
            acceptance_lapsed=risk.acceptance_lapsed(today),
            kris=[KriOut.of(k) for k in risk.kris.values()],
            early_warnings=[EarlyWarningOut(**w) for w in risk.early_warnings],
            open_early_warnings=len(risk.open_early_warnings),
            last_reviewed_on=risk.last_reviewed_on,
            next_review_due=risk.next_review_due,
            review_overdue=risk.review_overdue(today),
            reviews=risk.reviews,
            closed_at=risk.closed_at,
            reopen_count=risk.reopen_count,
            created_at=risk.created_on,
            updated_at=risk.modified_on,
        )
