"""Risk register rules (docs/domain.md §8)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import product
from uuid import UUID, uuid4

import pytest

from domain.clock import DateInFuture
from domain.errors import FourEyesViolation, NotPermitted
from domain.risk import (
    LEVEL_BANDS,
    REVIEW_CADENCE_MONTHS,
    AcceptanceAuthorityMissing,
    AcceptanceDecisionPending,
    AcceptanceExpiryNotInFuture,
    AcceptanceExpiryRequired,
    ActionAlreadyCompleted,
    ActionAlreadyStarted,
    ActionCancelled,
    CounterpartyRequired,
    InherentAssessmentLocked,
    KriDirection,
    KriNameTaken,
    KriReadingOutOfOrder,
    KriStatus,
    KriThresholdsOutOfOrder,
    KriValueInvalid,
    NoAcceptancePending,
    NotActionOwner,
    NotRiskOwner,
    OpenActionsRemain,
    PlannedAction,
    ProposerCannotDecideAcceptance,
    RejectionReasonRequired,
    ResidualAboveInherent,
    ResidualReductionUnearned,
    ReviewOutOfOrder,
    Risk,
    RiskActionStatus,
    RiskCategory,
    RiskClosed,
    RiskLevel,
    RiskNotAssessed,
    RiskNotClosed,
    RiskStatus,
    ScoreOutOfRange,
    TreatmentActionsRequired,
    TreatmentStrategy,
    UnknownKri,
    UnknownRiskAction,
    add_months,
    kri_status,
    level_of,
    next_review,
)
from domain.vocabulary import Department, Role
from tests.domain.support import assert_refused, assert_replays_to_same_state, settled

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
OWNER = "tech.tang"
OWNER_ROLES = frozenset({Role.TECHNOLOGY})
OTHER = "ops.ou"
OTHER_ROLES = frozenset({Role.OPERATIONS})
MANAGER = "mgmt.meng"
MGMT = frozenset({Role.MANAGEMENT})
BOARD_MEMBER = "board.bai"
BOARD = frozenset({Role.BOARD})
ACTION_OWNER = "dev.du"


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def new_risk() -> Risk:
    """A risk just identified, its first event still pending."""
    return Risk(
        category=RiskCategory.TECHNICAL,
        title="Payment gateway outage",
        description="The single payment provider fails during a sale.",
        cause="one provider, no failover",
        risk_event="checkout unavailable for hours",
        consequence="lost orders and complaints",
        owner=OWNER,
        department=Department.TECHNOLOGY,
        identified_by=OTHER,
        identified_at=T0,
    )


def identified() -> Risk:
    return settled(new_risk())


def assessed(likelihood: int = 3, impact: int = 4) -> Risk:
    risk = identified()
    risk.assess(likelihood, impact, OWNER, OWNER_ROLES, at(1))
    return settled(risk)


def action(title: str = "add a second provider", owner: str = ACTION_OWNER) -> PlannedAction:
    return PlannedAction(uuid4(), title, owner, date(2025, 6, 30))


def planned(*actions: PlannedAction, likelihood: int = 3, impact: int = 4) -> Risk:
    risk = assessed(likelihood, impact)
    risk.plan_treatment(
        TreatmentStrategy.REDUCE, None, list(actions or (action(),)), OWNER, OWNER_ROLES, at(2)
    )
    return settled(risk)


def action_ids(risk: Risk) -> list[UUID]:
    return [UUID(a) for a in risk.actions]


def pending_acceptance(likelihood: int = 2, impact: int = 2) -> Risk:
    risk = assessed(likelihood, impact)
    risk.plan_treatment(TreatmentStrategy.ACCEPT, None, [], OWNER, OWNER_ROLES, at(2))
    return settled(risk)


def with_kri(direction: KriDirection = KriDirection.ABOVE) -> tuple[Risk, UUID]:
    risk = assessed()
    kri_id = uuid4()
    amber, red = ("5", "10") if direction == KriDirection.ABOVE else ("99.5", "99.0")
    risk.define_kri(
        kri_id, "failed payments", "share", direction, amber, red, "%", OWNER, OWNER_ROLES
    )
    return settled(risk), kri_id


def event_types(risk: Risk) -> list[str]:
    return [type(e).__name__ for e in risk.collect_events()]


# --------------------------------------------------------------------------
# Level bands and cadence.


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (1, RiskLevel.LOW),
        (4, RiskLevel.LOW),
        (5, RiskLevel.MEDIUM),
        (9, RiskLevel.MEDIUM),
        (10, RiskLevel.HIGH),
        (16, RiskLevel.HIGH),
        (20, RiskLevel.CRITICAL),
        (25, RiskLevel.CRITICAL),
    ],
)
def test_level_bands_at_every_boundary(score: int, level: RiskLevel) -> None:
    assert level_of(score) == level


@pytest.mark.parametrize("score", [0, 17, 18, 19, 26, -1])
def test_scores_outside_the_bands_have_no_level(score: int) -> None:
    with pytest.raises(ScoreOutOfRange):
        level_of(score)


def test_every_product_of_two_scores_has_a_level_and_none_falls_in_17_to_19() -> None:
    products = {a * b for a, b in product(range(1, 6), repeat=2)}
    assert not products & {17, 18, 19}
    covered = {score for band, _ in LEVEL_BANDS for score in band}
    assert products <= covered


@pytest.mark.parametrize(
    ("likelihood", "impact", "level"),
    [(1, 4, RiskLevel.LOW), (1, 5, RiskLevel.MEDIUM), (3, 3, RiskLevel.MEDIUM),
     (2, 5, RiskLevel.HIGH), (4, 4, RiskLevel.HIGH), (4, 5, RiskLevel.CRITICAL),
     (5, 5, RiskLevel.CRITICAL)],
)  # fmt: skip
def test_assessment_scores_likelihood_times_impact(
    likelihood: int, impact: int, level: RiskLevel
) -> None:
    risk = assessed(likelihood, impact)
    assert risk.inherent == {
        "likelihood": likelihood,
        "impact": impact,
        "score": likelihood * impact,
    }
    assert risk.inherent_level == risk.current_level == level
    assert risk.status == RiskStatus.ASSESSED


@pytest.mark.parametrize(
    ("level", "due"),
    [
        (RiskLevel.CRITICAL, date(2025, 4, 4)),
        (RiskLevel.HIGH, date(2025, 6, 4)),
        (RiskLevel.MEDIUM, date(2025, 9, 4)),
        (RiskLevel.LOW, date(2026, 3, 4)),
    ],
)
def test_review_cadence_by_level(level: RiskLevel, due: date) -> None:
    assert next_review(date(2025, 3, 4), level) == due
    assert REVIEW_CADENCE_MONTHS[RiskLevel.CRITICAL] == 1


def test_add_months_clamps_to_the_end_of_a_short_month() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_assessment_sets_the_next_review_date_by_level() -> None:
    risk = assessed(4, 5)  # critical: monthly
    assert risk.next_review_due == date(2025, 4, 4)
    low = assessed(1, 2)
    assert low.next_review_due == date(2026, 3, 4)


# --------------------------------------------------------------------------
# Identification and assessment.


def test_identified_risk_records_cause_event_consequence() -> None:
    risk = identified()
    assert risk.status == RiskStatus.IDENTIFIED
    assert (risk.cause, risk.risk_event, risk.consequence) == (
        "one provider, no failover",
        "checkout unavailable for hours",
        "lost orders and complaints",
    )
    assert risk.owner == OWNER and risk.identified_by == OTHER


@pytest.mark.parametrize(
    ("likelihood", "impact", "field"),
    [(0, 3, "likelihood"), (6, 3, "likelihood"), (3, 0, "impact"), (3, 6, "impact"),
     (True, 3, "likelihood")],
)  # fmt: skip
def test_cannot_assess_out_of_range_scores(likelihood: int, impact: int, field: str) -> None:
    error = assert_refused(
        identified(),
        ScoreOutOfRange,
        lambda r: r.assess(likelihood, impact, OWNER, OWNER_ROLES, T0),
    )
    assert error.fields == (field,)


def test_only_the_owner_or_management_assesses() -> None:
    error = assert_refused(
        identified(), NotRiskOwner, lambda r: r.assess(3, 3, OTHER, OTHER_ROLES, at(1))
    )
    assert isinstance(error, NotPermitted)
    board_only = assert_refused(
        identified(), NotRiskOwner, lambda r: r.assess(3, 3, BOARD_MEMBER, BOARD, at(1))
    )
    assert board_only.slug == "not-risk-owner"
    risk = identified()
    risk.assess(3, 3, MANAGER, MGMT, at(1))
    assert risk.inherent is not None and risk.inherent["score"] == 9


def test_inherent_assessment_is_locked_once_treatment_is_planned() -> None:
    risk = assessed()
    risk.assess(2, 2, OWNER, OWNER_ROLES, at(1))  # reassessing before treatment is fine
    assert risk.current_level == RiskLevel.LOW
    assert_refused(
        planned(), InherentAssessmentLocked, lambda r: r.assess(2, 2, OWNER, OWNER_ROLES, at(3))
    )


# --------------------------------------------------------------------------
# Treatment.


def test_cannot_plan_treatment_before_assessment() -> None:
    assert_refused(
        identified(),
        RiskNotAssessed,
        lambda r: r.plan_treatment(
            TreatmentStrategy.REDUCE, None, [action()], OWNER, OWNER_ROLES, at(1)
        ),
    )


def test_transfer_needs_a_counterparty() -> None:
    error = assert_refused(
        assessed(),
        CounterpartyRequired,
        lambda r: r.plan_treatment(
            TreatmentStrategy.TRANSFER, None, [action()], OWNER, OWNER_ROLES, at(2)
        ),
    )
    assert error.fields == ("counterparty",)
    risk = assessed()
    risk.plan_treatment(
        TreatmentStrategy.TRANSFER, "PICC insurance", [action()], OWNER, OWNER_ROLES, at(2)
    )
    assert risk.counterparty == "PICC insurance"
    assert risk.status == RiskStatus.TREATMENT_PLANNED


@pytest.mark.parametrize(
    "strategy", [TreatmentStrategy.AVOID, TreatmentStrategy.REDUCE, TreatmentStrategy.TRANSFER]
)
def test_avoid_reduce_transfer_need_actions(strategy: TreatmentStrategy) -> None:
    assert_refused(
        assessed(),
        TreatmentActionsRequired,
        lambda r: r.plan_treatment(strategy, "insurer", [], OWNER, OWNER_ROLES, at(2)),
    )


def test_only_the_owner_or_management_plans_treatment() -> None:
    assert_refused(
        assessed(),
        NotRiskOwner,
        lambda r: r.plan_treatment(
            TreatmentStrategy.REDUCE, None, [action()], OTHER, OTHER_ROLES, at(2)
        ),
    )


def test_actions_move_the_risk_from_planned_to_treating_to_monitoring() -> None:
    risk = planned(action("failover"), action("load test"))
    first, second = action_ids(risk)
    assert risk.status == RiskStatus.TREATMENT_PLANNED
    assert risk.actions[str(first)]["due"] == date(2025, 6, 30)
    risk.start_action(first, ACTION_OWNER, frozenset({Role.TECHNOLOGY}), at(3))
    assert risk.status == RiskStatus.TREATING
    assert risk.actions[str(first)]["status"] == RiskActionStatus.IN_PROGRESS
    risk.complete_action(first, at(4).date(), "done", ACTION_OWNER, frozenset(), at(4))
    assert risk.status == RiskStatus.TREATING
    risk.complete_action(second, at(5).date(), None, OWNER, OWNER_ROLES, at(5))
    assert risk.status == RiskStatus.MONITORING
    assert risk.open_actions == []
    assert risk.actions[str(second)]["completed_by"] == OWNER


def test_completing_an_action_is_refused_twice_in_the_future_and_for_strangers() -> None:
    risk = planned()
    (only,) = action_ids(risk)
    assert_refused(
        risk,
        NotActionOwner,
        lambda r: r.complete_action(only, T0.date(), None, OTHER, OTHER_ROLES, at(3)),
    )
    assert_refused(
        risk,
        DateInFuture,
        lambda r: r.complete_action(only, at(10).date(), None, OWNER, OWNER_ROLES, at(3)),
    )
    assert_refused(
        risk,
        UnknownRiskAction,
        lambda r: r.complete_action(uuid4(), T0.date(), None, OWNER, OWNER_ROLES, at(3)),
    )
    risk.complete_action(only, at(3).date(), None, MANAGER, MGMT, at(3))
    settled(risk)
    assert_refused(
        risk,
        ActionAlreadyCompleted,
        lambda r: r.complete_action(only, at(3).date(), None, OWNER, OWNER_ROLES, at(3)),
    )
    assert_refused(
        risk, ActionAlreadyCompleted, lambda r: r.start_action(only, OWNER, OWNER_ROLES, at(3))
    )


def test_an_action_starts_once() -> None:
    risk = planned()
    (only,) = action_ids(risk)
    risk.start_action(only, OWNER, OWNER_ROLES, at(3))
    settled(risk)
    assert_refused(
        risk, ActionAlreadyStarted, lambda r: r.start_action(only, OWNER, OWNER_ROLES, at(3))
    )


def test_a_new_plan_cancels_the_open_actions_of_the_previous_one() -> None:
    risk = planned(action("a"), action("b"))
    first, second = action_ids(risk)
    risk.complete_action(first, at(3).date(), None, OWNER, OWNER_ROLES, at(3))
    replacement = action("insure")
    risk.plan_treatment(
        TreatmentStrategy.TRANSFER, "insurer", [replacement], OWNER, OWNER_ROLES, at(4)
    )
    settled(risk)
    assert risk.actions[str(first)]["status"] == RiskActionStatus.COMPLETED
    assert risk.actions[str(second)]["status"] == RiskActionStatus.CANCELLED
    assert risk.actions[str(replacement.action_id)]["status"] == RiskActionStatus.OPEN
    assert risk.strategy == TreatmentStrategy.TRANSFER
    assert_refused(
        risk,
        ActionCancelled,
        lambda r: r.complete_action(second, at(4).date(), None, OWNER, OWNER_ROLES, at(4)),
    )


# --------------------------------------------------------------------------
# Acceptance.


def test_accepting_proposes_an_acceptance() -> None:
    risk = pending_acceptance()
    assert risk.status == RiskStatus.ACCEPTANCE_PENDING
    assert risk.proposed_by == OWNER


@pytest.mark.parametrize(
    ("likelihood", "impact", "approver", "roles", "justification"),
    [(1, 2, MANAGER, MGMT, None), (2, 2, MANAGER, MGMT, None), (2, 2, BOARD_MEMBER, BOARD, None),
     (2, 3, BOARD_MEMBER, BOARD, "cheaper to carry than to insure"),
     (3, 4, BOARD_MEMBER, BOARD, "exit planned within the year"),
     (5, 5, BOARD_MEMBER, BOARD, "the whole business rests on it")],
)  # fmt: skip
def test_acceptance_approved_by_the_authority_of_its_level(
    likelihood: int, impact: int, approver: str, roles: frozenset[Role], justification: str | None
) -> None:
    risk = pending_acceptance(likelihood, impact)
    risk.decide_acceptance(True, date(2025, 12, 31), None, approver, roles, at(3), justification)
    assert risk.status == RiskStatus.ACCEPTED
    assert risk.acceptance is not None
    assert risk.acceptance["justification"] == justification
    assert risk.acceptance["approved_by"] == approver
    assert risk.acceptance["expires_on"] == date(2025, 12, 31)
    assert risk.acceptance["proposed_by"] == OWNER
    assert not risk.acceptance_expired(date(2025, 12, 30))
    assert risk.acceptance_expired(date(2025, 12, 31))


@pytest.mark.parametrize(
    ("likelihood", "impact", "approver", "roles"),
    [(3, 4, MANAGER, MGMT), (5, 5, MANAGER, MGMT), (2, 3, OTHER, OTHER_ROLES),
     (1, 1, OTHER, OTHER_ROLES)],
)  # fmt: skip
def test_acceptance_without_the_authority_of_its_level_is_refused(
    likelihood: int, impact: int, approver: str, roles: frozenset[Role]
) -> None:
    assert_refused(
        pending_acceptance(likelihood, impact),
        AcceptanceAuthorityMissing,
        lambda r: r.decide_acceptance(True, date(2025, 12, 31), None, approver, roles, at(3)),
    )


def test_the_proposer_never_decides_on_the_acceptance() -> None:
    risk = assessed(2, 3)
    risk.plan_treatment(TreatmentStrategy.ACCEPT, None, [], MANAGER, MGMT, at(2))
    settled(risk)
    error = assert_refused(
        risk,
        ProposerCannotDecideAcceptance,
        lambda r: r.decide_acceptance(True, date(2025, 12, 31), None, MANAGER, MGMT, at(3)),
    )
    assert isinstance(error, FourEyesViolation)


def test_acceptance_always_has_an_expiry_in_the_future() -> None:
    risk = pending_acceptance()
    assert_refused(
        risk,
        AcceptanceExpiryRequired,
        lambda r: r.decide_acceptance(True, None, None, MANAGER, MGMT, at(3)),
    )
    today, yesterday = at(3).date(), at(2).date()
    assert_refused(
        risk,
        AcceptanceExpiryNotInFuture,
        lambda r: r.decide_acceptance(True, today, None, MANAGER, MGMT, at(3)),
    )
    assert_refused(
        risk,
        AcceptanceExpiryNotInFuture,
        lambda r: r.decide_acceptance(True, yesterday, None, MANAGER, MGMT, at(3)),
    )


def test_rejecting_an_acceptance_needs_a_reason_and_returns_to_assessed() -> None:
    risk = pending_acceptance()
    assert_refused(
        risk,
        RejectionReasonRequired,
        lambda r: r.decide_acceptance(False, None, None, MANAGER, MGMT, at(3)),
    )
    risk.decide_acceptance(False, None, "too likely to accept", MANAGER, MGMT, at(3))
    assert risk.status == RiskStatus.ASSESSED
    assert risk.strategy is None and risk.acceptance is None


def test_a_rejected_acceptance_cancels_the_actions_of_its_plan() -> None:
    risk = new_risk()
    risk.assess(2, 3, OWNER, OWNER_ROLES, at(1))
    watch = action("watch the supplier")
    risk.plan_treatment(TreatmentStrategy.ACCEPT, None, [watch], OWNER, OWNER_ROLES, at(2))
    risk.decide_acceptance(False, None, "reduce it", MANAGER, MGMT, at(3))
    assert risk.actions[str(watch.action_id)]["status"] == RiskActionStatus.CANCELLED
    assert risk.open_actions == []
    assert_replays_to_same_state(risk)


@pytest.mark.parametrize(
    ("likelihood", "impact", "above"), [(1, 4, False), (3, 3, False), (2, 5, True), (5, 5, True)]
)
def test_above_appetite_means_above_medium(likelihood: int, impact: int, above: bool) -> None:
    assert assessed(likelihood, impact).above_appetite is above
    assert identified().above_appetite is False


def test_no_decision_without_a_proposed_acceptance() -> None:
    assert_refused(
        planned(),
        NoAcceptancePending,
        lambda r: r.decide_acceptance(True, date(2025, 12, 31), None, MANAGER, MGMT, at(3)),
    )


def test_a_pending_acceptance_blocks_replanning_residual_and_closing() -> None:
    risk = pending_acceptance()
    assert_refused(
        risk,
        AcceptanceDecisionPending,
        lambda r: r.plan_treatment(
            TreatmentStrategy.REDUCE, None, [action()], OWNER, OWNER_ROLES, at(3)
        ),
    )
    assert_refused(
        risk,
        AcceptanceDecisionPending,
        lambda r: r.assess_residual(2, 3, OWNER, OWNER_ROLES, at(3)),
    )
    assert_refused(
        risk, AcceptanceDecisionPending, lambda r: r.close("x", OWNER, OWNER_ROLES, at(3))
    )


# --------------------------------------------------------------------------
# Residual assessment.


def test_residual_is_never_above_inherent() -> None:
    risk = planned(likelihood=3, impact=4)
    assert_refused(
        risk, ResidualAboveInherent, lambda r: r.assess_residual(4, 4, OWNER, OWNER_ROLES, at(3))
    )
    assert_refused(
        risk, ScoreOutOfRange, lambda r: r.assess_residual(6, 1, OWNER, OWNER_ROLES, at(3))
    )


def test_residual_below_inherent_needs_a_completed_action() -> None:
    risk = planned(likelihood=3, impact=4)
    assert_refused(
        risk,
        ResidualReductionUnearned,
        lambda r: r.assess_residual(2, 4, OWNER, OWNER_ROLES, at(3)),
    )
    risk.assess_residual(4, 3, OWNER, OWNER_ROLES, at(3))  # equal score needs no action
    assert risk.residual == {"likelihood": 4, "impact": 3, "score": 12}
    (only,) = action_ids(risk)
    risk.complete_action(only, at(4).date(), None, OWNER, OWNER_ROLES, at(4))
    risk.assess_residual(1, 4, OWNER, OWNER_ROLES, at(5))
    assert risk.current_level == RiskLevel.LOW
    assert risk.inherent_level == RiskLevel.HIGH
    # The cadence follows the residual level from the last review/assessment.
    assert risk.next_review_due == next_review(at(1).date(), RiskLevel.LOW)


def test_residual_needs_an_assessment_and_an_open_risk() -> None:
    assert_refused(
        identified(), RiskNotAssessed, lambda r: r.assess_residual(1, 1, OWNER, OWNER_ROLES, at(1))
    )
    assert_refused(
        planned(), NotRiskOwner, lambda r: r.assess_residual(3, 4, OTHER, OTHER_ROLES, at(1))
    )


# --------------------------------------------------------------------------
# Key risk indicators.


@pytest.mark.parametrize(
    ("direction", "amber", "red"),
    [(KriDirection.ABOVE, "10", "5"), (KriDirection.ABOVE, "5", "5"),
     (KriDirection.BELOW, "99.0", "99.5"), (KriDirection.BELOW, "99", "99.00")],
)  # fmt: skip
def test_kri_thresholds_must_be_in_order_for_the_direction(
    direction: KriDirection, amber: str, red: str
) -> None:
    error = assert_refused(
        assessed(),
        KriThresholdsOutOfOrder,
        lambda r: r.define_kri(uuid4(), "k", "m", direction, amber, red, None, OWNER, OWNER_ROLES),
    )
    assert error.fields == ("amber", "red")


def test_kri_values_are_decimals_never_floats() -> None:
    assert_refused(
        assessed(),
        KriValueInvalid,
        lambda r: r.define_kri(
            uuid4(),
            "k",
            "m",
            KriDirection.ABOVE,
            0.5,  # type: ignore[arg-type]
            "1",
            None,
            OWNER,
            OWNER_ROLES,
        ),
    )
    assert_refused(
        assessed(),
        KriValueInvalid,
        lambda r: r.define_kri(
            uuid4(), "k", "m", KriDirection.ABOVE, "NaN", "1", None, OWNER, OWNER_ROLES
        ),
    )


def test_kri_names_are_unique_per_risk_and_owner_only() -> None:
    risk, _ = with_kri()
    assert_refused(
        risk,
        KriNameTaken,
        lambda r: r.define_kri(
            uuid4(), "failed payments", "m", KriDirection.ABOVE, "1", "2", None, OWNER, OWNER_ROLES
        ),
    )
    assert_refused(
        risk,
        NotRiskOwner,
        lambda r: r.define_kri(
            uuid4(), "other", "m", KriDirection.ABOVE, "1", "2", None, OTHER, OTHER_ROLES
        ),
    )


@pytest.mark.parametrize(
    ("direction", "value", "status"),
    [(KriDirection.ABOVE, "4.99", KriStatus.GREEN), (KriDirection.ABOVE, "5", KriStatus.AMBER),
     (KriDirection.ABOVE, "9.99", KriStatus.AMBER), (KriDirection.ABOVE, "10", KriStatus.RED),
     (KriDirection.BELOW, "99.51", KriStatus.GREEN), (KriDirection.BELOW, "99.5", KriStatus.AMBER),
     (KriDirection.BELOW, "99.01", KriStatus.AMBER), (KriDirection.BELOW, "99.0", KriStatus.RED)],
)  # fmt: skip
def test_kri_status_counts_a_threshold_as_reached_at_the_threshold(
    direction: KriDirection, value: str, status: KriStatus
) -> None:
    amber, red = ("5", "10") if direction == KriDirection.ABOVE else ("99.5", "99.0")
    assert kri_status(direction, Decimal(amber), Decimal(red), Decimal(value)) == status


def test_readings_raise_watch_then_early_warning_then_clear() -> None:
    risk, kri = with_kri()
    risk.record_kri_reading(kri, "2", at(2), OWNER, OWNER_ROLES, at(2))
    assert event_types(risk) == ["KriReadingRecorded"]
    risk.record_kri_reading(kri, "6", at(3), OWNER, OWNER_ROLES, at(3))
    assert event_types(risk) == ["KriReadingRecorded", "KriWatchRaised"]
    risk.record_kri_reading(kri, "12.5", at(4), OWNER, OWNER_ROLES, at(4))
    assert event_types(risk) == ["KriReadingRecorded", "EarlyWarningRaised"]
    assert risk.kris[str(kri)]["status"] == KriStatus.RED
    assert len(risk.open_early_warnings) == 1
    assert risk.open_early_warnings[0]["value"] == Decimal("12.5")
    risk.record_kri_reading(
        kri, "15", at(5), OWNER, OWNER_ROLES, at(5)
    )  # still red: no second warning
    assert event_types(risk) == ["KriReadingRecorded"]
    risk.record_kri_reading(
        kri, "7", at(6), OWNER, OWNER_ROLES, at(6)
    )  # down to amber: warning cleared, watch on
    assert event_types(risk) == ["KriReadingRecorded", "KriWatchRaised"]
    assert risk.open_early_warnings == []
    risk.record_kri_reading(kri, "11", at(7), OWNER, OWNER_ROLES, at(7))
    risk.record_kri_reading(kri, "1", at(8), OWNER, OWNER_ROLES, at(8))
    assert event_types(risk) == [
        "KriReadingRecorded",
        "EarlyWarningRaised",
        "KriReadingRecorded",
        "KriBackToNormal",
    ]
    assert risk.kris[str(kri)]["status"] == KriStatus.GREEN
    assert [w["cleared_at"] for w in risk.early_warnings] == [at(6), at(8)]
    assert risk.kris[str(kri)]["readings"] == 7
    assert risk.kris[str(kri)]["last_value"] == Decimal("1")


def test_below_direction_warns_when_the_value_falls() -> None:
    risk, kri = with_kri(KriDirection.BELOW)
    risk.record_kri_reading(kri, "98.7", at(2), OWNER, OWNER_ROLES, at(2))
    assert event_types(risk) == ["KriReadingRecorded", "EarlyWarningRaised"]


def test_readings_refused_for_unknown_kri_future_time_or_out_of_order() -> None:
    risk, kri = with_kri()
    error = assert_refused(
        risk,
        UnknownKri,
        lambda r: r.record_kri_reading(uuid4(), "1", at(2), OWNER, OWNER_ROLES, at(2)),
    )
    assert error.fields == ("kri_id",)
    assert_refused(
        risk,
        DateInFuture,
        lambda r: r.record_kri_reading(kri, "1", at(3), OWNER, OWNER_ROLES, at(2)),
    )
    assert_refused(
        risk,
        KriValueInvalid,
        lambda r: r.record_kri_reading(kri, "x", at(2), OWNER, OWNER_ROLES, at(2)),
    )
    risk.record_kri_reading(kri, "1", at(2), OWNER, OWNER_ROLES, at(2))
    settled(risk)
    assert_refused(
        risk,
        KriReadingOutOfOrder,
        lambda r: r.record_kri_reading(kri, "1", at(1), OWNER, OWNER_ROLES, at(2)),
    )


def test_naive_observation_times_are_taken_as_utc() -> None:
    risk, kri = with_kri()
    risk.record_kri_reading(kri, "1", datetime(2025, 3, 4, 8, 0), OWNER, OWNER_ROLES, at(2))
    assert risk.kris[str(kri)]["last_observed_at"] == datetime(2025, 3, 4, 8, 0, tzinfo=UTC)


# --------------------------------------------------------------------------
# Reviews.


def test_review_sets_the_next_review_by_the_current_level() -> None:
    risk = assessed(4, 5)  # critical
    risk.record_review(date(2025, 3, 20), "still critical", OWNER, OWNER_ROLES, at(20))
    assert risk.last_reviewed_on == date(2025, 3, 20)
    assert risk.next_review_due == date(2025, 4, 20)
    assert risk.reviews == 1
    assert risk.review_overdue(date(2025, 4, 21))
    assert not risk.review_overdue(date(2025, 4, 20))


def test_reviews_refused_before_assessment_in_the_future_or_out_of_order() -> None:
    assert_refused(
        identified(),
        RiskNotAssessed,
        lambda r: r.record_review(T0.date(), "n", OWNER, OWNER_ROLES, at(1)),
    )
    risk = assessed()
    assert_refused(
        risk, DateInFuture, lambda r: r.record_review(at(5).date(), "n", OWNER, OWNER_ROLES, at(1))
    )
    assert_refused(
        risk, NotRiskOwner, lambda r: r.record_review(at(1).date(), "n", OTHER, OTHER_ROLES, at(1))
    )
    risk.record_review(at(3).date(), "n", OWNER, OWNER_ROLES, at(3))
    settled(risk)
    assert_refused(
        risk,
        ReviewOutOfOrder,
        lambda r: r.record_review(at(2).date(), "n", OWNER, OWNER_ROLES, at(3)),
    )


# --------------------------------------------------------------------------
# Closing and reopening.


def test_cannot_close_with_open_actions() -> None:
    risk = planned()
    assert_refused(risk, OpenActionsRemain, lambda r: r.close("done", OWNER, OWNER_ROLES, at(3)))
    (only,) = action_ids(risk)
    risk.complete_action(only, at(3).date(), None, OWNER, OWNER_ROLES, at(3))
    risk.close("done", OWNER, OWNER_ROLES, at(4))
    assert risk.status == RiskStatus.CLOSED and risk.closed_at == at(4)


def test_a_closed_risk_refuses_every_command_but_reopen() -> None:
    risk = assessed()
    risk.close("no longer relevant", OWNER, OWNER_ROLES, at(2))
    settled(risk)
    assert_refused(risk, RiskClosed, lambda r: r.assess_residual(1, 1, OWNER, OWNER_ROLES, at(3)))
    assert_refused(risk, RiskClosed, lambda r: r.close("again", OWNER, OWNER_ROLES, at(3)))
    assert_refused(
        risk, RiskClosed, lambda r: r.record_review(at(3).date(), "n", OWNER, OWNER_ROLES, at(3))
    )
    assert_refused(
        risk,
        RiskClosed,
        lambda r: r.define_kri(
            uuid4(), "k", "m", KriDirection.ABOVE, "1", "2", None, OWNER, OWNER_ROLES
        ),
    )


def test_only_a_closed_risk_reopens_and_is_assessed_again() -> None:
    assert_refused(assessed(), RiskNotClosed, lambda r: r.reopen("why", OWNER, OWNER_ROLES, at(2)))
    risk = assessed()
    risk.close("gone", OWNER, OWNER_ROLES, at(2))
    settled(risk)
    assert_refused(risk, NotRiskOwner, lambda r: r.reopen("back", OTHER, OTHER_ROLES, at(3)))
    risk.reopen("it came back", MANAGER, MGMT, at(3))
    assert risk.status == RiskStatus.REOPENED and risk.reopen_count == 1
    settled(risk)
    assert_refused(
        risk,
        RiskNotAssessed,
        lambda r: r.plan_treatment(
            TreatmentStrategy.REDUCE, None, [action()], OWNER, OWNER_ROLES, at(4)
        ),
    )
    risk.assess(5, 5, OWNER, OWNER_ROLES, at(4))
    assert risk.status == RiskStatus.ASSESSED and risk.current_level == RiskLevel.CRITICAL


def test_a_full_lifecycle_replays_to_the_same_state() -> None:
    risk = new_risk()
    risk.assess(4, 5, OWNER, OWNER_ROLES, at(1))
    risk.plan_treatment(
        TreatmentStrategy.REDUCE, None, [action("a"), action("b")], OWNER, OWNER_ROLES, at(2)
    )
    first, second = (UUID(a) for a in risk.actions)
    risk.start_action(first, OWNER, OWNER_ROLES, at(3))
    risk.complete_action(first, at(4).date(), "ok", OWNER, OWNER_ROLES, at(4))
    risk.complete_action(second, at(5).date(), None, OWNER, OWNER_ROLES, at(5))
    risk.assess_residual(2, 5, OWNER, OWNER_ROLES, at(6))
    kri = uuid4()
    risk.define_kri(kri, "k", "m", KriDirection.ABOVE, "1", "2", "%", OWNER, OWNER_ROLES)
    risk.record_kri_reading(kri, "3", at(7), OWNER, OWNER_ROLES, at(7))
    risk.record_kri_reading(kri, "1.5", at(8), OWNER, OWNER_ROLES, at(8))
    risk.record_review(at(9).date(), "fine", OWNER, OWNER_ROLES, at(9))
    risk.plan_treatment(TreatmentStrategy.ACCEPT, None, [], OWNER, OWNER_ROLES, at(10))
    risk.decide_acceptance(
        True, date(2026, 1, 1), None, BOARD_MEMBER, BOARD, at(11), "insured beyond this"
    )
    risk.close("accepted and stable", OWNER, OWNER_ROLES, at(12))
    risk.reopen("again", OWNER, OWNER_ROLES, at(13))
    risk.assess(1, 2, OWNER, OWNER_ROLES, at(14))
    risk.plan_treatment(TreatmentStrategy.ACCEPT, None, [], OWNER, OWNER_ROLES, at(15))
    risk.decide_acceptance(True, at(20).date(), None, MANAGER, MGMT, at(16))
    risk.assess_residual(1, 2, OWNER, OWNER_ROLES, at(25))  # the lapse is recorded first
    risk.close("reassessed and gone", OWNER, OWNER_ROLES, at(26))
    assert_replays_to_same_state(risk)
