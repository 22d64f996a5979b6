"""Risk controls that cannot be split around (DOMAIN.md; §8.2, §8.2.4, §8.3)."""

from __future__ import annotations

import copy
import functools
from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.risk import (
    AcceptanceAuthorityMissing,
    AcceptanceBeyondLimits,
    AcceptanceJustificationRequired,
    AcceptanceLapsed,
    CloseBeforeAssessment,
    KriDirection,
    NotKriReporter,
    ResidualReductionUnearned,
    Risk,
    RiskLevel,
    RiskStatus,
    TreatmentStrategy,
    UnknownKri,
)
from tests.domain.support import assert_refused, settled
from tests.domain.test_risk import (
    BOARD,
    BOARD_MEMBER,
    MANAGER,
    MGMT,
    OTHER,
    OTHER_ROLES,
    OWNER,
    OWNER_ROLES,
    action,
    assessed,
    at,
    identified,
    new_risk,
    pending_acceptance,
)

REPORTER = "data.dai"
EXPIRY = at(10).date()


def reduced_then_accept(likelihood: int, impact: int, residual: tuple[int, int]) -> Risk:
    """Assessed, one action completed, the residual lowered, then proposed for acceptance."""
    risk = assessed(likelihood, impact)
    small = action("write a wiki page")
    risk.plan_treatment(TreatmentStrategy.REDUCE, None, [small], OWNER, OWNER_ROLES, at(2))
    risk.complete_action(small.action_id, at(3).date(), None, OWNER, OWNER_ROLES, at(3))
    risk.assess_residual(*residual, OWNER, OWNER_ROLES, at(3))
    risk.plan_treatment(TreatmentStrategy.ACCEPT, None, [], OWNER, OWNER_ROLES, at(4))
    return settled(risk)


def accepted(expires_on: date = EXPIRY) -> Risk:
    risk = pending_acceptance(1, 2)
    risk.decide_acceptance(True, expires_on, None, MANAGER, MGMT, at(3))
    return settled(risk)


# --------------------------------------------------------------------------
# Acceptance authority follows the higher of the inherent and the current level.


def test_acceptance_authority_follows_the_higher_of_inherent_and_current_level() -> None:
    risk = reduced_then_accept(5, 5, residual=(1, 1))
    assert risk.current_level == RiskLevel.LOW
    assert risk.acceptance_authority_level == RiskLevel.CRITICAL
    error = assert_refused(
        risk,
        AcceptanceAuthorityMissing,
        lambda r: r.decide_acceptance(True, EXPIRY, None, MANAGER, MGMT, at(5)),
    )
    assert "critical" in error.detail and "board" in error.detail
    assert_refused(
        risk,
        AcceptanceAuthorityMissing,
        lambda r: r.decide_acceptance(False, None, "no", MANAGER, MGMT, at(5)),
    )
    # Within §8.2.4's limits now, so the board needs no justification.
    risk.decide_acceptance(True, EXPIRY, None, BOARD_MEMBER, BOARD, at(5))
    assert risk.acceptance is not None and risk.acceptance["level"] == RiskLevel.LOW


def test_management_accepts_a_medium_inherent_risk_reduced_within_the_limits() -> None:
    risk = reduced_then_accept(3, 3, residual=(2, 2))
    risk.decide_acceptance(True, EXPIRY, None, MANAGER, MGMT, at(5))
    assert risk.status == RiskStatus.ACCEPTED


# --------------------------------------------------------------------------
# §8.2.4: accept only what is unlikely (likelihood ≤ 2) and small (impact ≤ 2).


@pytest.mark.parametrize(("likelihood", "impact"), [(2, 3), (3, 2), (1, 4)])
def test_beyond_the_limits_management_cannot_accept(likelihood: int, impact: int) -> None:
    error = assert_refused(
        pending_acceptance(likelihood, impact),
        AcceptanceBeyondLimits,
        lambda r: r.decide_acceptance(True, EXPIRY, None, MANAGER, MGMT, at(3), "we can live"),
    )
    assert f"likelihood {likelihood} (limit 2)" in error.detail
    assert f"impact {impact} (limit 2)" in error.detail


def test_beyond_the_limits_the_board_accepts_only_with_a_written_justification() -> None:
    risk = pending_acceptance(2, 5)
    for missing in (None, "", "   "):
        error = assert_refused(
            risk,
            AcceptanceJustificationRequired,
            lambda r, j=missing: r.decide_acceptance(  # type: ignore[misc]
                True, EXPIRY, None, BOARD_MEMBER, BOARD, at(3), j
            ),
        )
        assert error.fields == ("justification",)
    risk.decide_acceptance(
        True, EXPIRY, None, BOARD_MEMBER, BOARD, at(3), " credit line covers it "
    )
    (approved,) = risk.collect_events()
    assert type(approved).__name__ == "AcceptanceApproved"
    assert approved.justification == "credit line covers it"  # type: ignore[attr-defined]
    assert risk.acceptance is not None
    assert risk.acceptance["justification"] == "credit line covers it"


def test_the_limits_judge_the_current_scores_and_rejection_needs_no_board() -> None:
    # Inherent 3x3 (beyond), reduced to 2x2 (within): management may accept.
    assert reduced_then_accept(3, 3, residual=(2, 2)).within_acceptance_limits
    # Rejecting beyond the limits stays with the level's authority.
    risk = pending_acceptance(2, 3)
    risk.decide_acceptance(False, None, "reduce it instead", MANAGER, MGMT, at(3))
    assert risk.status == RiskStatus.ASSESSED


# --------------------------------------------------------------------------
# Only completed actions of the current treatment plan earn a reduction.


def test_completed_actions_of_a_replaced_plan_earn_no_reduction() -> None:
    risk = assessed(3, 4)
    first, second = action("first"), action("second")
    risk.plan_treatment(TreatmentStrategy.REDUCE, None, [first], OWNER, OWNER_ROLES, at(2))
    risk.complete_action(first.action_id, at(3).date(), None, OWNER, OWNER_ROLES, at(3))
    risk.plan_treatment(TreatmentStrategy.REDUCE, None, [second], OWNER, OWNER_ROLES, at(4))
    settled(risk)
    error = assert_refused(
        risk,
        ResidualReductionUnearned,
        lambda r: r.assess_residual(2, 4, OWNER, OWNER_ROLES, at(5)),
    )
    assert "current treatment plan" in error.detail
    risk.complete_action(second.action_id, at(5).date(), None, OWNER, OWNER_ROLES, at(5))
    risk.assess_residual(2, 4, OWNER, OWNER_ROLES, at(5))
    assert risk.residual is not None and risk.residual["score"] == 8


def test_completed_actions_of_a_rejected_accept_plan_earn_no_reduction() -> None:
    risk = assessed(2, 3)
    watch = action("watch the supplier")
    risk.plan_treatment(TreatmentStrategy.ACCEPT, None, [watch], OWNER, OWNER_ROLES, at(2))
    risk.complete_action(watch.action_id, at(3).date(), None, OWNER, OWNER_ROLES, at(3))
    risk.decide_acceptance(False, None, "reduce it", MANAGER, MGMT, at(4))
    assert_refused(
        settled(risk),
        ResidualReductionUnearned,
        lambda r: r.assess_residual(1, 3, OWNER, OWNER_ROLES, at(5)),
    )


def test_after_reopening_a_reassessment_starts_over() -> None:
    risk = assessed(3, 4)
    done = action("done before the close")
    risk.plan_treatment(TreatmentStrategy.REDUCE, None, [done], OWNER, OWNER_ROLES, at(2))
    risk.complete_action(done.action_id, at(3).date(), None, OWNER, OWNER_ROLES, at(3))
    risk.assess_residual(1, 4, OWNER, OWNER_ROLES, at(4))
    risk.close("gone", OWNER, OWNER_ROLES, at(5))
    risk.reopen("back", OWNER, OWNER_ROLES, at(6))
    risk.assess(3, 4, OWNER, OWNER_ROLES, at(7))
    assert_refused(
        settled(risk),
        ResidualReductionUnearned,
        lambda r: r.assess_residual(1, 4, OWNER, OWNER_ROLES, at(8)),
    )


# --------------------------------------------------------------------------
# An acceptance lapses at its expiry date: the risk must be reassessed.


def test_before_its_expiry_an_accepted_risk_closes() -> None:
    risk = accepted()
    assert not risk.acceptance_lapsed(at(9).date())
    risk.close("stable", OWNER, OWNER_ROLES, at(9))
    assert risk.status == RiskStatus.CLOSED


def test_at_its_expiry_the_acceptance_lapses_and_closing_or_replanning_is_refused() -> None:
    risk = accepted()
    assert risk.acceptance_lapsed(EXPIRY)
    error = assert_refused(
        risk, AcceptanceLapsed, lambda r: r.close("stable", OWNER, OWNER_ROLES, at(10))
    )
    assert EXPIRY.isoformat() in error.detail
    assert_refused(
        risk,
        AcceptanceLapsed,
        lambda r: r.plan_treatment(TreatmentStrategy.ACCEPT, None, [], OWNER, OWNER_ROLES, at(10)),
    )


def test_a_residual_reassessment_records_the_lapse_then_the_risk_closes() -> None:
    risk = accepted()
    risk.assess_residual(1, 2, OWNER, OWNER_ROLES, at(11))
    names = [type(e).__name__ for e in risk.collect_events()]
    assert names == ["AcceptanceLapsed", "ResidualAssessed"]
    assert risk.status == RiskStatus.ASSESSED
    assert risk.acceptance is None and risk.strategy is None
    assert not risk.acceptance_lapsed(at(11).date())
    risk.close("reassessed", OWNER, OWNER_ROLES, at(11))
    assert risk.status == RiskStatus.CLOSED


def test_an_inherent_reassessment_also_ends_a_lapsed_acceptance() -> None:
    risk = accepted()
    risk.assess(2, 2, OWNER, OWNER_ROLES, at(11))
    assert risk.status == RiskStatus.ASSESSED and risk.acceptance is None
    assert not risk.acceptance_lapsed(at(11).date())


def test_a_lapse_recorded_at_the_expiry_keeps_the_risk_waiting_for_reassessment() -> None:
    """What the scheduler will record: AcceptanceLapsed at the expiry date."""
    risk = accepted()
    risk.lapse_acceptance_if_due(at(9))
    assert risk.collect_events() == []  # not due yet
    risk.lapse_acceptance_if_due(at(10))
    assert risk.status == RiskStatus.ASSESSED and risk.reassessment_due
    settled(risk)
    assert risk.acceptance_lapsed(at(30).date())
    assert_refused(risk, AcceptanceLapsed, lambda r: r.close("x", OWNER, OWNER_ROLES, at(30)))
    risk.assess_residual(1, 2, OWNER, OWNER_ROLES, at(30))
    assert not risk.reassessment_due and risk.acceptance is None


# --------------------------------------------------------------------------
# KRI readings: the owner, management, or the reporter named on the KRI.


def with_reported_kri() -> tuple[Risk, UUID, UUID]:
    risk = assessed()
    named, unnamed = uuid4(), uuid4()
    for kri_id, name, reporter in ((named, "a", REPORTER), (unnamed, "b", None)):
        risk.define_kri(
            kri_id, name, "m", KriDirection.ABOVE, "5", "10", "%", OWNER, OWNER_ROLES, reporter
        )
    return settled(risk), named, unnamed


def test_kri_readings_come_from_the_owner_management_or_the_named_reporter() -> None:
    risk, named, unnamed = with_reported_kri()
    assert risk.kris[str(named)]["reporter"] == REPORTER
    risk.record_kri_reading(named, "1", at(2), OWNER, OWNER_ROLES, at(2))
    risk.record_kri_reading(named, "2", at(3), MANAGER, MGMT, at(3))
    risk.record_kri_reading(named, "3", at(4), REPORTER, OTHER_ROLES, at(4))
    risk.record_kri_reading(unnamed, "3", at(4), MANAGER, MGMT, at(4))
    assert risk.kris[str(named)]["readings"] == 3
    settled(risk)
    for by, kri_id in ((OTHER, named), (REPORTER, unnamed)):
        assert_refused(
            risk,
            NotKriReporter,
            lambda r, b=by, k=kri_id: r.record_kri_reading(  # type: ignore[misc]
                k, "1", at(5), b, OTHER_ROLES, at(5)
            ),
        )


def test_an_unknown_kri_is_answered_only_after_the_ownership_check() -> None:
    risk, _, _ = with_reported_kri()
    assert_refused(
        risk,
        NotKriReporter,
        lambda r: r.record_kri_reading(uuid4(), "1", at(2), OTHER, OTHER_ROLES, at(2)),
    )
    assert_refused(
        risk,
        UnknownKri,
        lambda r: r.record_kri_reading(uuid4(), "1", at(2), OWNER, OWNER_ROLES, at(2)),
    )


# --------------------------------------------------------------------------
# Closed only after it was assessed.


def test_a_risk_never_assessed_cannot_be_closed() -> None:
    risk = identified()
    assert_refused(risk, CloseBeforeAssessment, lambda r: r.close("x", OWNER, OWNER_ROLES, at(1)))
    assert_refused(risk, CloseBeforeAssessment, lambda r: r.close("x", MANAGER, MGMT, at(1)))


# --------------------------------------------------------------------------
# History written before these rules still loads.


def test_events_stored_without_the_new_fields_still_replay() -> None:
    risk = new_risk()
    risk.assess(1, 2, OWNER, OWNER_ROLES, at(1))
    risk.define_kri(uuid4(), "k", "m", KriDirection.ABOVE, "1", "2", "%", OWNER, OWNER_ROLES)
    risk.plan_treatment(TreatmentStrategy.ACCEPT, None, [], OWNER, OWNER_ROLES, at(2))
    risk.decide_acceptance(True, EXPIRY, None, MANAGER, MGMT, at(3))
    events = []
    for event in risk.collect_events():
        # As the store decodes them: the event's dict, without the fields added since.
        state = {k: v for k, v in vars(event).items() if k not in ("justification", "reporter")}
        old = object.__new__(type(event))
        object.__setattr__(old, "__dict__", state)
        events.append(old)
    replayed = functools.reduce(lambda a, e: e.mutate(a), events, None)
    assert isinstance(replayed, Risk)
    assert replayed.acceptance is not None and replayed.acceptance["justification"] is None
    assert [k["reporter"] for k in replayed.kris.values()] == [None]


def test_state_snapshotted_before_plans_were_tracked_counts_actions_not_cancelled() -> None:
    risk = assessed(3, 4)
    done = action()
    risk.plan_treatment(TreatmentStrategy.REDUCE, None, [done], OWNER, OWNER_ROLES, at(2))
    risk.complete_action(done.action_id, at(3).date(), None, OWNER, OWNER_ROLES, at(3))
    old = copy.deepcopy(settled(risk))
    del old.__dict__["plan_action_ids"]  # as a snapshot taken before the change holds it
    assert old.plan_action_ids is None and not old.reassessment_due
    old.assess_residual(1, 4, OWNER, OWNER_ROLES, at(4))
    assert old.residual is not None and old.residual["score"] == 4
