"""Risk: the risk register of §8 — identification, 5x5 assessment, treatment,
acceptance, key risk indicators with early warnings, reviews."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.clock import check_happened, utc
from domain.errors import FourEyesViolation, InvalidValue, NotPermitted, RuleViolation
from domain.vocabulary import Department, Role


class RiskCategory(Enum):
    MARKET = "market"
    TECHNICAL = "technical"
    OPERATIONAL = "operational"
    LEGAL = "legal"
    FINANCIAL = "financial"


class RiskStatus(Enum):
    IDENTIFIED = "identified"
    ASSESSED = "assessed"
    TREATMENT_PLANNED = "treatment_planned"
    ACCEPTANCE_PENDING = "acceptance_pending"
    ACCEPTED = "accepted"
    TREATING = "treating"
    MONITORING = "monitoring"
    CLOSED = "closed"
    REOPENED = "reopened"


class RiskLevel(Enum):
    """Risk levels, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(RiskLevel).index(self)


class TreatmentStrategy(Enum):
    AVOID = "avoid"
    REDUCE = "reduce"
    TRANSFER = "transfer"
    ACCEPT = "accept"


class RiskActionStatus(Enum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class KriDirection(Enum):
    """Which way a key risk indicator gets worse."""

    ABOVE = "above"
    BELOW = "below"


class KriStatus(Enum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


# --------------------------------------------------------------------------
# The policy's tables, each in one place.

SCALE = range(1, 6)
"""Likelihood and impact are scored 1 (rare, minor) to 5 (almost certain, severe)."""

# The level bands of a likelihood x impact score. 17-19 cannot occur: no product
# of two numbers from 1 to 5 lies there (4x4 = 16, 4x5 = 20).
LEVEL_BANDS: tuple[tuple[range, RiskLevel], ...] = (
    (range(1, 5), RiskLevel.LOW),
    (range(5, 10), RiskLevel.MEDIUM),
    (range(10, 17), RiskLevel.HIGH),
    (range(20, 26), RiskLevel.CRITICAL),
)

# How often a risk is reviewed, by its current level (months between reviews).
REVIEW_CADENCE_MONTHS: dict[RiskLevel, int] = {
    RiskLevel.CRITICAL: 1,
    RiskLevel.HIGH: 3,
    RiskLevel.MEDIUM: 6,
    RiskLevel.LOW: 12,
}

# Who may decide on accepting a risk of each level (§8.2.4): any one of the roles.
ACCEPTANCE_AUTHORITY: dict[RiskLevel, frozenset[Role]] = {
    RiskLevel.LOW: frozenset({Role.MANAGEMENT, Role.BOARD}),
    RiskLevel.MEDIUM: frozenset({Role.MANAGEMENT, Role.BOARD}),
    RiskLevel.HIGH: frozenset({Role.BOARD}),
    RiskLevel.CRITICAL: frozenset({Role.BOARD}),
}

# §8.2.4: "accept only what is unlikely and small": the current likelihood and impact
# each at most 2 (unlikely, minor). Anything else is accepted only by the board, with
# a written justification.
ACCEPTABLE_LIKELIHOOD = 2
ACCEPTABLE_IMPACT = 2
BEYOND_LIMITS_AUTHORITY = Role.BOARD

RISK_APPETITE = RiskLevel.MEDIUM
"""The highest level the company carries without reporting it as above appetite."""

STRATEGIES_NEEDING_ACTIONS = frozenset(
    {TreatmentStrategy.AVOID, TreatmentStrategy.REDUCE, TreatmentStrategy.TRANSFER}
)
UNFINISHED = frozenset({RiskActionStatus.OPEN, RiskActionStatus.IN_PROGRESS})
RECENT_READINGS = 12
"""How many recent readings each KRI keeps in the state; every reading stays in the events."""


# --------------------------------------------------------------------------
# Errors, named after the rule they enforce.


class ScoreOutOfRange(InvalidValue):
    slug = "score-out-of-range"
    title = "Likelihood and impact are each scored 1 to 5"


class KriValueInvalid(InvalidValue):
    slug = "kri-value-invalid"
    title = "A KRI value or threshold must be a finite decimal number, never a float"


class KriThresholdsOutOfOrder(InvalidValue):
    slug = "kri-thresholds-out-of-order"
    title = "KRI thresholds must be in order: amber below red for 'above', above red for 'below'"


class UnknownKri(InvalidValue):
    slug = "unknown-kri"
    title = "The risk has no key risk indicator with this id"


class UnknownRiskAction(InvalidValue):
    slug = "unknown-risk-action"
    title = "The risk has no treatment action with this id"


class CounterpartyRequired(InvalidValue):
    slug = "counterparty-required"
    title = "Transferring a risk needs the counterparty it is transferred to"


class TreatmentActionsRequired(InvalidValue):
    slug = "treatment-actions-required"
    title = "Avoiding, reducing or transferring a risk needs at least one action"


class AcceptanceExpiryRequired(InvalidValue):
    slug = "acceptance-expiry-required"
    title = "An accepted risk always has an expiry date for the acceptance"


class AcceptanceExpiryNotInFuture(InvalidValue):
    slug = "acceptance-expiry-not-in-future"
    title = "The acceptance's expiry date must lie in the future"


class AcceptanceJustificationRequired(InvalidValue):
    slug = "acceptance-justification-required"
    title = "The board accepts a risk beyond the §8.2.4 limits only with a written justification"


class RejectionReasonRequired(InvalidValue):
    slug = "rejection-reason-required"
    title = "Rejecting a proposed acceptance needs a reason"


class NotRiskOwner(NotPermitted):
    """Only the risk's owner, or management, may do this.

    The rule for owner-only commands (assess, treat, residual, KRIs, reviews,
    close, reopen): the acting principal is the risk's owner, or holds the
    management role. Nobody else, whatever their other roles.
    """

    slug = "not-risk-owner"
    title = "Only the risk's owner, or management, may do this"


class NotActionOwner(NotPermitted):
    slug = "not-action-owner"
    title = "Only the action's owner, the risk's owner or management may work an action"


class AcceptanceAuthorityMissing(NotPermitted):
    """Authority follows the higher of the inherent and the current level, so that a
    reduction the owner records cannot move the decision down to a lower authority."""

    slug = "acceptance-authority-missing"
    title = (
        "Accepting a risk whose higher of inherent and current level is low or medium needs "
        "management or the board, high or critical the board"
    )


class AcceptanceBeyondLimits(NotPermitted):
    slug = "acceptance-beyond-limits"
    title = (
        "§8.2.4: only a risk of likelihood 2 or less and impact 2 or less is accepted "
        "below the board; anything else needs the board"
    )


class NotKriReporter(NotPermitted):
    slug = "not-kri-reporter"
    title = "Only the risk's owner, management or the KRI's named reporter records its readings"


class ProposerCannotDecideAcceptance(FourEyesViolation):
    slug = "proposer-cannot-decide-acceptance"
    title = "Nobody decides on the acceptance they proposed"


class RiskClosed(RuleViolation):
    slug = "risk-closed"
    title = "The risk is closed: it can only be reopened"


class RiskNotAssessed(RuleViolation):
    slug = "risk-not-assessed"
    title = "The risk needs an (inherent) assessment first"


class InherentAssessmentLocked(RuleViolation):
    slug = "inherent-assessment-locked"
    title = (
        "The inherent risk is assessed before treatment or after reopening; assess the residual "
        "instead"
    )


class AcceptanceDecisionPending(RuleViolation):
    slug = "acceptance-decision-pending"
    title = "A proposed acceptance awaits its decision first"


class NoAcceptancePending(RuleViolation):
    slug = "no-acceptance-pending"
    title = "No acceptance of this risk has been proposed"


class ResidualAboveInherent(RuleViolation):
    slug = "residual-above-inherent"
    title = "The residual score may never be above the inherent score"


class ResidualReductionUnearned(RuleViolation):
    slug = "residual-reduction-unearned"
    title = "A residual score below the inherent one needs at least one completed action"


class ActionAlreadyStarted(RuleViolation):
    slug = "action-already-started"
    title = "The action is in progress already"


class ActionAlreadyCompleted(RuleViolation):
    slug = "action-already-completed"
    title = "The action was completed already"


class ActionCancelled(RuleViolation):
    slug = "action-cancelled"
    title = "The action was cancelled when its plan was replaced"


class KriNameTaken(RuleViolation):
    slug = "kri-name-taken"
    title = "Each key risk indicator of a risk has its own name"


class KriReadingOutOfOrder(RuleViolation):
    slug = "kri-reading-out-of-order"
    title = "A KRI reading may not be older than the KRI's latest reading"


class ReviewOutOfOrder(RuleViolation):
    slug = "review-out-of-order"
    title = "A review may not be dated before the risk's previous review"


class OpenActionsRemain(RuleViolation):
    slug = "open-actions-remain"
    title = "A risk is closed only when none of its actions is open"


class AcceptanceLapsed(RuleViolation):
    slug = "acceptance-lapsed"
    title = "The risk's acceptance lapsed at its expiry date: reassess the risk first"


class CloseBeforeAssessment(RuleViolation):
    slug = "close-before-assessment"
    title = "A risk is closed only after it was assessed"


class RiskNotClosed(RuleViolation):
    slug = "risk-not-closed"
    title = "Only a closed risk can be reopened"


# --------------------------------------------------------------------------
# Pure functions of the tables.


def level_of(score: int) -> RiskLevel:
    """The level band of a likelihood x impact score."""
    for band, level in LEVEL_BANDS:
        if score in band:
            return level
    raise ScoreOutOfRange(f"no risk level for the score {score}", fields=("score",))


def check_score(value: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
        raise ScoreOutOfRange(f"{field} {value!r} is not between 1 and 5", fields=(field,))
    return value


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def next_review(after: date, level: RiskLevel) -> date:
    return add_months(after, REVIEW_CADENCE_MONTHS[level])


def kri_value(value: Decimal | int | str, field: str) -> Decimal:
    """A KRI value as a Decimal, refusing floats (they cannot be compared exactly)."""
    if isinstance(value, float | bool):
        raise KriValueInvalid(f"{field} must be a decimal string, not {value!r}", fields=(field,))
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise KriValueInvalid(f"{field} is not a decimal number", fields=(field,)) from None
    if not number.is_finite():
        raise KriValueInvalid(f"{field} is not a finite number", fields=(field,))
    return number


def kri_status(direction: KriDirection, amber: Decimal, red: Decimal, value: Decimal) -> KriStatus:
    """Green, amber or red: a threshold counts as reached at the threshold itself."""
    worse = (lambda a, b: a >= b) if direction == KriDirection.ABOVE else (lambda a, b: a <= b)
    if worse(value, red):
        return KriStatus.RED
    if worse(value, amber):
        return KriStatus.AMBER
    return KriStatus.GREEN


@dataclass(frozen=True)
class PlannedAction:
    """One action of a treatment plan, as proposed (its id is given by the caller)."""

    action_id: UUID
    title: str
    owner: str
    due: date


# --------------------------------------------------------------------------


class Risk(Aggregate):
    """One risk in the register (§8), from identification to closing."""

    # Defaults for state snapshotted before these attributes existed: an unknown
    # current plan (``None``: every action not cancelled counts as the plan's), and
    # no lapsed acceptance awaiting reassessment.
    plan_action_ids: list[str] | None = None
    reassessment_due: bool = False

    @event("Identified")
    def __init__(
        self,
        category: RiskCategory,
        title: str,
        description: str,
        cause: str | None,
        risk_event: str | None,
        consequence: str | None,
        owner: str,
        department: Department | None,
        identified_by: str,
        identified_at: datetime,
    ) -> None:
        self.category = category
        self.title = title
        self.description = description
        self.cause = cause
        self.risk_event = risk_event
        self.consequence = consequence
        self.owner = owner
        self.department = department
        self.identified_by = identified_by
        self.identified_at = identified_at
        self.status = RiskStatus.IDENTIFIED
        self.inherent: dict[str, Any] | None = None
        self.residual: dict[str, Any] | None = None
        self.assessed_on: date | None = None
        self.strategy: TreatmentStrategy | None = None
        self.counterparty: str | None = None
        self.proposed_by: str | None = None
        self.actions: dict[str, dict[str, Any]] = {}
        self.plan_action_ids = []
        self.acceptance: dict[str, Any] | None = None
        self.kris: dict[str, dict[str, Any]] = {}
        self.early_warnings: list[dict[str, Any]] = []
        self.last_reviewed_on: date | None = None
        self.next_review_due: date | None = None
        self.reviews = 0
        self.closed_at: datetime | None = None
        self.reopen_count = 0

    # Derived views.

    @property
    def inherent_level(self) -> RiskLevel | None:
        return None if self.inherent is None else level_of(self.inherent["score"])

    @property
    def current_level(self) -> RiskLevel | None:
        """The residual level where assessed, else the inherent one."""
        scores = self.residual or self.inherent
        return None if scores is None else level_of(scores["score"])

    @property
    def above_appetite(self) -> bool:
        level = self.current_level
        return level is not None and level.rank > RISK_APPETITE.rank

    @property
    def open_actions(self) -> list[dict[str, Any]]:
        return [a for a in self.actions.values() if a["status"] in UNFINISHED]

    @property
    def plan_actions(self) -> list[dict[str, Any]]:
        """The actions of the current treatment plan (none after a rejection, a lapse or a
        reopening)."""
        if self.plan_action_ids is None:
            return [a for a in self.actions.values() if a["status"] != RiskActionStatus.CANCELLED]
        return [self.actions[action_id] for action_id in self.plan_action_ids]

    @property
    def completed_plan_actions(self) -> list[dict[str, Any]]:
        return [a for a in self.plan_actions if a["status"] == RiskActionStatus.COMPLETED]

    @property
    def acceptance_authority_level(self) -> RiskLevel | None:
        """The higher of the inherent and the current level: whose authority an acceptance
        needs (§8.2.4)."""
        levels = [lv for lv in (self.inherent_level, self.current_level) if lv is not None]
        return max(levels, key=lambda lv: lv.rank, default=None)

    @property
    def within_acceptance_limits(self) -> bool:
        """§8.2.4: unlikely and small, by the current (residual, else inherent) scores."""
        scores = self.residual or self.inherent
        return (
            scores is not None
            and scores["likelihood"] <= ACCEPTABLE_LIKELIHOOD
            and scores["impact"] <= ACCEPTABLE_IMPACT
        )

    @property
    def open_early_warnings(self) -> list[dict[str, Any]]:
        return [w for w in self.early_warnings if w["cleared_at"] is None]

    def review_overdue(self, today: date) -> bool:
        return self.next_review_due is not None and self.next_review_due < today

    def acceptance_expired(self, today: date) -> bool:
        return self.acceptance is not None and self.acceptance["expires_on"] <= today

    def acceptance_lapsed(self, today: date) -> bool:
        """The acceptance reached its expiry date and the risk was not reassessed since.

        Whether the lapse is recorded yet (``AcceptanceLapsed``) or only due by the date.
        """
        return self.reassessment_due or self._lapses(today)

    def _lapses(self, today: date) -> bool:
        """Still accepted, but the expiry date has come: the lapse is due to be recorded."""
        return self.status == RiskStatus.ACCEPTED and self.acceptance_expired(today)

    # Checks shared by commands.

    def _check_open(self) -> None:
        if self.status == RiskStatus.CLOSED:
            raise RiskClosed(f"risk {self.id} is closed")

    def _check_owner(self, by: str, roles: frozenset[Role]) -> None:
        if by != self.owner and Role.MANAGEMENT not in roles:
            raise NotRiskOwner(f"{by} is not the owner of risk {self.id} ({self.owner})")

    def _check_assessed(self) -> None:
        if self.inherent is None or self.status in (RiskStatus.IDENTIFIED, RiskStatus.REOPENED):
            raise RiskNotAssessed(
                f"risk {self.id} is {self.status.value}: assess its likelihood and impact first"
            )

    def _check_no_pending_acceptance(self) -> None:
        if self.status == RiskStatus.ACCEPTANCE_PENDING:
            raise AcceptanceDecisionPending(f"risk {self.id} awaits an acceptance decision")

    def _check_not_lapsed(self, now: datetime) -> None:
        if self.acceptance_lapsed(now.date()):
            assert self.acceptance is not None
            expires_on = self.acceptance["expires_on"].isoformat()
            raise AcceptanceLapsed(
                f"the acceptance of risk {self.id} expired on {expires_on}: "
                "reassess the risk (inherent or residual) first"
            )

    def _action(self, action_id: UUID) -> dict[str, Any]:
        action = self.actions.get(str(action_id))
        if action is None:
            raise UnknownRiskAction(f"risk {self.id} has no action {action_id}")
        return action

    def _kri(self, kri_id: UUID) -> dict[str, Any]:
        kri = self.kris.get(str(kri_id))
        if kri is None:
            raise UnknownKri(f"risk {self.id} has no KRI {kri_id}", fields=("kri_id",))
        return kri

    # Assessment (§8.1.2).

    def assess(
        self, likelihood: int, impact: int, by: str, roles: frozenset[Role], at: datetime
    ) -> None:
        """The inherent likelihood x impact, before any treatment."""
        self._check_owner(by, roles)
        self._check_open()
        check_score(likelihood, "likelihood")
        check_score(impact, "impact")
        allowed = (RiskStatus.IDENTIFIED, RiskStatus.ASSESSED, RiskStatus.REOPENED)
        if self.status not in allowed and not self._lapses(at.date()):
            raise InherentAssessmentLocked(
                f"risk {self.id} is {self.status.value}: record a residual assessment instead"
            )
        score = likelihood * impact
        level = level_of(score)
        self.lapse_acceptance_if_due(at)
        self._assessed(
            likelihood=likelihood,
            impact=impact,
            score=score,
            level=level,
            at=at,
            next_review_due=next_review(at.date(), level),
        )

    @event("Assessed")
    def _assessed(
        self,
        likelihood: int,
        impact: int,
        score: int,
        level: RiskLevel,
        at: datetime,
        next_review_due: date,
    ) -> None:
        self.inherent = {"likelihood": likelihood, "impact": impact, "score": score}
        # A new inherent assessment is a new baseline: any residual was relative to the old one.
        self.residual = None
        # The only acceptance a risk can hold here is a lapsed one: reassessed, it goes.
        self.acceptance = None
        self.reassessment_due = False
        self.assessed_on = at.date()
        self.next_review_due = next_review_due
        self.status = RiskStatus.ASSESSED

    def assess_residual(
        self, likelihood: int, impact: int, by: str, roles: frozenset[Role], at: datetime
    ) -> None:
        """The risk left after treatment: never above inherent, lower only after a done action."""
        self._check_owner(by, roles)
        self._check_open()
        check_score(likelihood, "likelihood")
        check_score(impact, "impact")
        self._check_assessed()
        self._check_no_pending_acceptance()
        assert self.inherent is not None
        score, inherent = likelihood * impact, self.inherent["score"]
        if score > inherent:
            raise ResidualAboveInherent(
                f"residual score {score} is above the inherent score {inherent}",
                fields=("likelihood", "impact"),
            )
        # A lapsing acceptance ends its plan: its actions earn nothing.
        earned = [] if self._lapses(at.date()) else self.completed_plan_actions
        if score < inherent and not earned:
            raise ResidualReductionUnearned(
                f"residual score {score} is below the inherent {inherent}, "
                "but no action of the current treatment plan has been completed"
            )
        level = level_of(score)
        since = self.last_reviewed_on or self.assessed_on or at.date()
        self.lapse_acceptance_if_due(at)
        self._residual_assessed(
            likelihood=likelihood,
            impact=impact,
            score=score,
            level=level,
            at=at,
            next_review_due=next_review(since, level),
        )

    @event("ResidualAssessed")
    def _residual_assessed(
        self,
        likelihood: int,
        impact: int,
        score: int,
        level: RiskLevel,
        at: datetime,
        next_review_due: date,
    ) -> None:
        self.residual = {"likelihood": likelihood, "impact": impact, "score": score}
        self.next_review_due = next_review_due
        if self.reassessment_due:
            # The lapsed acceptance has been reassessed: it goes.
            self.acceptance = None
            self.reassessment_due = False

    # Treatment (§8.2).

    def plan_treatment(
        self,
        strategy: TreatmentStrategy,
        counterparty: str | None,
        actions: list[PlannedAction],
        by: str,
        roles: frozenset[Role],
        at: datetime,
    ) -> None:
        """A new plan replaces the previous one: the previous plan's open actions are cancelled."""
        self._check_owner(by, roles)
        self._check_open()
        self._check_assessed()
        self._check_no_pending_acceptance()
        self._check_not_lapsed(at)
        if strategy == TreatmentStrategy.TRANSFER and not counterparty:
            raise CounterpartyRequired(
                "name the party the risk is transferred to", fields=("counterparty",)
            )
        if strategy in STRATEGIES_NEEDING_ACTIONS and not actions:
            raise TreatmentActionsRequired(
                f"a plan to {strategy.value} the risk needs at least one action",
                fields=("actions",),
            )
        self._treatment_planned(
            strategy=strategy,
            counterparty=counterparty,
            actions=[
                {
                    "action_id": str(a.action_id),
                    "title": a.title,
                    "owner": a.owner,
                    "due": a.due,
                    "status": RiskActionStatus.OPEN,
                    "completed_on": None,
                    "completed_by": None,
                    "note": None,
                }
                for a in actions
            ],
            cancelled_action_ids=[a["action_id"] for a in self.open_actions],
            proposed_by=by,
            at=at,
        )

    @event("TreatmentPlanned")
    def _treatment_planned(
        self,
        strategy: TreatmentStrategy,
        counterparty: str | None,
        actions: list[dict[str, Any]],
        cancelled_action_ids: list[str],
        proposed_by: str,
        at: datetime,
    ) -> None:
        for action_id in cancelled_action_ids:
            self.actions[action_id]["status"] = RiskActionStatus.CANCELLED
        for action in actions:
            self.actions[action["action_id"]] = dict(action)
        self.plan_action_ids = [action["action_id"] for action in actions]
        self.strategy = strategy
        self.counterparty = counterparty
        self.proposed_by = proposed_by
        self.acceptance = None
        self.status = (
            RiskStatus.ACCEPTANCE_PENDING
            if strategy == TreatmentStrategy.ACCEPT
            else RiskStatus.TREATMENT_PLANNED
        )

    def start_action(self, action_id: UUID, by: str, roles: frozenset[Role], at: datetime) -> None:
        self._check_open()
        action = self._action(action_id)
        self._check_action_owner(action, by, roles)
        self._check_unfinished(action)
        if action["status"] == RiskActionStatus.IN_PROGRESS:
            raise ActionAlreadyStarted(f"action {action_id} is in progress already")
        self._action_started(action_id=str(action_id), started_by=by, at=at)

    @event("ActionStarted")
    def _action_started(self, action_id: str, started_by: str, at: datetime) -> None:
        self.actions[action_id]["status"] = RiskActionStatus.IN_PROGRESS
        if self.status == RiskStatus.TREATMENT_PLANNED:
            self.status = RiskStatus.TREATING

    def complete_action(
        self,
        action_id: UUID,
        completed_on: date,
        note: str | None,
        by: str,
        roles: frozenset[Role],
        now: datetime,
    ) -> None:
        self._check_open()
        action = self._action(action_id)
        self._check_action_owner(action, by, roles)
        self._check_unfinished(action)
        check_happened(completed_on, now, "completed_on")
        self._action_completed(
            action_id=str(action_id), completed_on=completed_on, note=note, completed_by=by
        )

    @event("ActionCompleted")
    def _action_completed(
        self, action_id: str, completed_on: date, note: str | None, completed_by: str
    ) -> None:
        action = self.actions[action_id]
        action.update(
            status=RiskActionStatus.COMPLETED,
            completed_on=completed_on,
            completed_by=completed_by,
            note=note,
        )
        # Work on a plan moves the risk on: treating while actions remain, then monitoring.
        if self.status in (RiskStatus.TREATMENT_PLANNED, RiskStatus.TREATING):
            self.status = RiskStatus.TREATING if self.open_actions else RiskStatus.MONITORING

    def _check_action_owner(self, action: dict[str, Any], by: str, roles: frozenset[Role]) -> None:
        if by not in (action["owner"], self.owner) and Role.MANAGEMENT not in roles:
            raise NotActionOwner(
                f"{by} owns neither action {action['action_id']} nor risk {self.id}"
            )

    @staticmethod
    def _check_unfinished(action: dict[str, Any]) -> None:
        if action["status"] == RiskActionStatus.COMPLETED:
            raise ActionAlreadyCompleted(f"action {action['action_id']} was completed already")
        if action["status"] == RiskActionStatus.CANCELLED:
            raise ActionCancelled(f"action {action['action_id']} was cancelled")

    # Acceptance (§8.2.4).

    def decide_acceptance(
        self,
        approved: bool,
        expires_on: date | None,
        reason: str | None,
        by: str,
        roles: frozenset[Role],
        at: datetime,
        justification: str | None = None,
    ) -> None:
        """Approve (with an expiry date) or reject a proposed acceptance.

        The authority follows the higher of the inherent and the current level;
        beyond §8.2.4's limits (likelihood or impact above 2) only the board
        approves, with a written ``justification``, recorded on the event.
        """
        self._check_open()
        if self.status != RiskStatus.ACCEPTANCE_PENDING:
            raise NoAcceptancePending(f"risk {self.id} is {self.status.value}")
        level, authority = self.current_level, self.acceptance_authority_level
        assert level is not None and authority is not None
        if not roles & ACCEPTANCE_AUTHORITY[authority]:
            needed = " or ".join(sorted(r.value for r in ACCEPTANCE_AUTHORITY[authority]))
            raise AcceptanceAuthorityMissing(
                f"the higher of the inherent and the current ({level.value}) level is "
                f"{authority.value}: deciding needs the role {needed}",
                figures={
                    "current_level": level.value,
                    "authority_level": authority.value,
                    "roles_needed": needed,
                },
            )
        if by == self.proposed_by:
            raise ProposerCannotDecideAcceptance(
                f"{by} proposed accepting risk {self.id} and cannot decide on it"
            )
        if approved:
            self._check_expiry(expires_on, at)
            assert expires_on is not None
            justification = self._check_limits(justification, roles)
            self._acceptance_approved(
                approved_by=by,
                level=level,
                expires_on=expires_on,
                at=at,
                justification=justification,
            )
        else:
            if not reason:
                raise RejectionReasonRequired("give the reason for rejecting", fields=("reason",))
            self._acceptance_rejected(
                rejected_by=by,
                reason=reason,
                cancelled_action_ids=[a["action_id"] for a in self.open_actions],
                at=at,
            )

    def _check_limits(self, justification: str | None, roles: frozenset[Role]) -> str | None:
        """§8.2.4: within the limits anyone with the authority accepts; beyond them only the
        board, with a written justification. Answers the justification to record."""
        justification = (justification or "").strip() or None
        if self.within_acceptance_limits:
            return justification
        scores = self.residual or self.inherent
        assert scores is not None
        described = (
            f"likelihood {scores['likelihood']} (limit {ACCEPTABLE_LIKELIHOOD}), "
            f"impact {scores['impact']} (limit {ACCEPTABLE_IMPACT})"
        )
        figures = {
            "likelihood": scores["likelihood"],
            "likelihood_limit": ACCEPTABLE_LIKELIHOOD,
            "impact": scores["impact"],
            "impact_limit": ACCEPTABLE_IMPACT,
        }
        if BEYOND_LIMITS_AUTHORITY not in roles:
            raise AcceptanceBeyondLimits(
                f"§8.2.4: {described} is beyond the limits: only the "
                f"{BEYOND_LIMITS_AUTHORITY.value} accepts it",
                figures=figures,
            )
        if justification is None:
            raise AcceptanceJustificationRequired(
                f"§8.2.4: {described} is beyond the limits: give the written justification",
                fields=("justification",),
                figures=figures,
            )
        return justification

    @staticmethod
    def _check_expiry(expires_on: date | None, at: datetime) -> None:
        if expires_on is None:
            raise AcceptanceExpiryRequired(
                "an acceptance needs an expiry date", fields=("expires_on",)
            )
        if expires_on <= at.date():
            raise AcceptanceExpiryNotInFuture(
                f"expiry {expires_on.isoformat()} is not after {at.date().isoformat()}",
                fields=("expires_on",),
            )

    @event("AcceptanceApproved")
    def _acceptance_approved(
        self,
        approved_by: str,
        level: RiskLevel,
        expires_on: date,
        at: datetime,
        justification: str | None = None,
    ) -> None:
        self.acceptance = {
            "proposed_by": self.proposed_by,
            "approved_by": approved_by,
            "level": level,
            "expires_on": expires_on,
            "approved_at": at,
            "justification": justification,
        }
        self.status = RiskStatus.ACCEPTED

    def lapse_acceptance_if_due(self, now: datetime) -> None:
        """Record the lapse the date has brought (``AcceptanceLapsed``), if it has.

        A reassessment records it first; the scheduler ("Policies that act") will
        record it at the expiry date itself. Either way the risk is then assessed,
        no longer accepted, and awaits its reassessment.
        """
        if self._lapses(now.date()):
            assert self.acceptance is not None
            self._acceptance_lapsed(expires_on=self.acceptance["expires_on"], at=now)

    @event("AcceptanceLapsed")
    def _acceptance_lapsed(self, expires_on: date, at: datetime) -> None:
        # No longer accepted: the accept plan ends and the risk awaits its reassessment.
        # The lapsed acceptance stays in the state until then.
        self.strategy = None
        self.proposed_by = None
        self.plan_action_ids = []
        self.reassessment_due = True
        self.status = RiskStatus.ASSESSED

    @event("AcceptanceRejected")
    def _acceptance_rejected(
        self, rejected_by: str, reason: str, cancelled_action_ids: list[str], at: datetime
    ) -> None:
        # The rejected plan no longer stands: the owner plans again.
        for action_id in cancelled_action_ids:
            self.actions[action_id]["status"] = RiskActionStatus.CANCELLED
        self.strategy = None
        self.proposed_by = None
        self.plan_action_ids = []
        self.status = RiskStatus.ASSESSED

    # Key risk indicators (§8.3).

    def define_kri(
        self,
        kri_id: UUID,
        name: str,
        metric: str,
        direction: KriDirection,
        amber: Decimal | int | str,
        red: Decimal | int | str,
        unit: str | None,
        by: str,
        roles: frozenset[Role],
        reporter: str | None = None,
    ) -> None:
        """A KRI, with the principal who reports its readings besides the owner and
        management (``reporter``, optional)."""
        self._check_owner(by, roles)
        self._check_open()
        amber_value, red_value = kri_value(amber, "amber"), kri_value(red, "red")
        in_order = (
            amber_value < red_value if direction == KriDirection.ABOVE else amber_value > red_value
        )
        if not in_order:
            wanted = "below" if direction == KriDirection.ABOVE else "above"
            raise KriThresholdsOutOfOrder(
                f"for direction {direction.value} amber ({amber_value}) must lie {wanted} "
                f"red ({red_value})",
                fields=("amber", "red"),
            )
        if any(k["name"] == name for k in self.kris.values()):
            raise KriNameTaken(f"risk {self.id} has a KRI named {name!r} already")
        self._kri_defined(
            kri_id=str(kri_id),
            name=name,
            metric=metric,
            direction=direction,
            amber=amber_value,
            red=red_value,
            unit=unit,
            reporter=reporter,
        )

    @event("KriDefined")
    def _kri_defined(
        self,
        kri_id: str,
        name: str,
        metric: str,
        direction: KriDirection,
        amber: Decimal,
        red: Decimal,
        unit: str | None,
        reporter: str | None = None,
    ) -> None:
        self.kris[kri_id] = {
            "kri_id": kri_id,
            "name": name,
            "metric": metric,
            "direction": direction,
            "amber": amber,
            "red": red,
            "unit": unit,
            "reporter": reporter,
            "status": KriStatus.GREEN,
            "readings": 0,
            "last_value": None,
            "last_observed_at": None,
            "recent": [],
        }

    def record_kri_reading(
        self,
        kri_id: UUID,
        value: Decimal | int | str,
        observed_at: datetime,
        by: str,
        roles: frozenset[Role],
        now: datetime,
    ) -> None:
        """Record a reading; crossing into red raises an early warning, into amber a watch."""
        self._check_reporter(kri_id, by, roles)
        self._check_open()
        kri = self._kri(kri_id)
        number = kri_value(value, "value")
        observed_at = utc(observed_at)
        check_happened(observed_at, now, "observed_at")
        last = kri["last_observed_at"]
        if last is not None and observed_at < last:
            raise KriReadingOutOfOrder(
                f"observed_at {observed_at.isoformat()} is before the latest reading "
                f"({last.isoformat()})",
                fields=("observed_at",),
            )
        status = kri_status(kri["direction"], kri["amber"], kri["red"], number)
        key = str(kri_id)
        self._kri_reading_recorded(kri_id=key, value=number, observed_at=observed_at, status=status)
        if status == kri["status"]:
            return
        if status == KriStatus.RED:
            self._early_warning_raised(
                kri_id=key, value=number, threshold=kri["red"], observed_at=observed_at
            )
        elif status == KriStatus.AMBER:
            self._kri_watch_raised(
                kri_id=key, value=number, threshold=kri["amber"], observed_at=observed_at
            )
        else:
            self._kri_back_to_normal(kri_id=key, value=number, observed_at=observed_at)

    def _check_reporter(self, kri_id: UUID, by: str, roles: frozenset[Role]) -> None:
        """The owner, management, or the reporter named on the KRI. Anyone else is refused
        before being told whether the KRI exists."""
        if by == self.owner or Role.MANAGEMENT in roles:
            return
        kri = self.kris.get(str(kri_id))
        if kri is None or kri.get("reporter") != by:
            raise NotKriReporter(
                f"{by} is neither the owner of risk {self.id} ({self.owner}) nor the "
                f"reporter named on KRI {kri_id}"
            )

    @event("KriReadingRecorded")
    def _kri_reading_recorded(
        self, kri_id: str, value: Decimal, observed_at: datetime, status: KriStatus
    ) -> None:
        kri = self.kris[kri_id]
        kri["readings"] += 1
        kri["last_value"] = value
        kri["last_observed_at"] = observed_at
        recent = [*kri["recent"], {"value": value, "observed_at": observed_at, "status": status}]
        kri["recent"] = recent[-RECENT_READINGS:]

    def _clear_warning(self, kri_id: str, at: datetime) -> None:
        for warning in self.early_warnings:
            if warning["kri_id"] == kri_id and warning["cleared_at"] is None:
                warning["cleared_at"] = at

    @event("EarlyWarningRaised")
    def _early_warning_raised(
        self, kri_id: str, value: Decimal, threshold: Decimal, observed_at: datetime
    ) -> None:
        self.kris[kri_id]["status"] = KriStatus.RED
        self.early_warnings.append(
            {
                "kri_id": kri_id,
                "name": self.kris[kri_id]["name"],
                "value": value,
                "threshold": threshold,
                "raised_at": observed_at,
                "cleared_at": None,
            }
        )

    @event("KriWatchRaised")
    def _kri_watch_raised(
        self, kri_id: str, value: Decimal, threshold: Decimal, observed_at: datetime
    ) -> None:
        # Down from red to amber clears the early warning but keeps a watch.
        self.kris[kri_id]["status"] = KriStatus.AMBER
        self._clear_warning(kri_id, observed_at)

    @event("KriBackToNormal")
    def _kri_back_to_normal(self, kri_id: str, value: Decimal, observed_at: datetime) -> None:
        self.kris[kri_id]["status"] = KriStatus.GREEN
        self._clear_warning(kri_id, observed_at)

    # Reviews.

    def record_review(
        self,
        reviewed_on: date,
        note: str,
        by: str,
        roles: frozenset[Role],
        now: datetime,
    ) -> None:
        """A periodic review; the next one falls due by the cadence of the current level."""
        self._check_owner(by, roles)
        self._check_open()
        self._check_assessed()
        check_happened(reviewed_on, now, "reviewed_on")
        if self.last_reviewed_on is not None and reviewed_on < self.last_reviewed_on:
            raise ReviewOutOfOrder(
                f"reviewed_on {reviewed_on.isoformat()} is before the previous review "
                f"({self.last_reviewed_on.isoformat()})",
                fields=("reviewed_on",),
            )
        level = self.current_level
        assert level is not None
        self._reviewed(
            reviewed_on=reviewed_on,
            note=note,
            reviewed_by=by,
            level=level,
            next_review_due=next_review(reviewed_on, level),
        )

    @event("Reviewed")
    def _reviewed(
        self,
        reviewed_on: date,
        note: str,
        reviewed_by: str,
        level: RiskLevel,
        next_review_due: date,
    ) -> None:
        self.reviews += 1
        self.last_reviewed_on = reviewed_on
        self.next_review_due = next_review_due

    # Closing and reopening.

    def close(self, reason: str, by: str, roles: frozenset[Role], at: datetime) -> None:
        self._check_owner(by, roles)
        self._check_open()
        if self.inherent is None:
            raise CloseBeforeAssessment(
                f"risk {self.id} was never assessed: assess its likelihood and impact first"
            )
        self._check_no_pending_acceptance()
        self._check_not_lapsed(at)
        unfinished = self.open_actions
        if unfinished:
            raise OpenActionsRemain(
                f"risk {self.id} has {len(unfinished)} open action(s): complete them first"
            )
        self._closed(reason=reason, closed_by=by, at=at)

    @event("Closed")
    def _closed(self, reason: str, closed_by: str, at: datetime) -> None:
        self.closed_at = at
        self.status = RiskStatus.CLOSED

    def reopen(self, reason: str, by: str, roles: frozenset[Role], at: datetime) -> None:
        """A closed risk came back: it is assessed again before any treatment."""
        self._check_owner(by, roles)
        if self.status != RiskStatus.CLOSED:
            raise RiskNotClosed(f"risk {self.id} is {self.status.value}")
        self._reopened(reason=reason, reopened_by=by, at=at)

    @event("Reopened")
    def _reopened(self, reason: str, reopened_by: str, at: datetime) -> None:
        self.reopen_count += 1
        self.closed_at = None
        self.acceptance = None
        # Assessed again from the start: no earlier plan's action earns a reduction.
        self.plan_action_ids = []
        self.status = RiskStatus.REOPENED
