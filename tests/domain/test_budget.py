"""Budget rules (docs/domain.md §7; policy §7.1-§7.3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.budget import (
    ActualOutsideFiscalYear,
    AdjustmentAboveFinanceLimit,
    AdjustmentAuthorityMissing,
    AdjustmentExceedsAvailable,
    AdjustmentMixesRevenueAndSpending,
    AdjustmentNotPending,
    AdjustmentSameLine,
    AdjustmentsPending,
    Budget,
    BudgetAdjustmentAuthority,
    BudgetAdjustmentStatus,
    BudgetClosed,
    BudgetControl,
    BudgetDutiesNotSegregated,
    BudgetLineCategory,
    BudgetLinesLocked,
    BudgetLinesRequired,
    BudgetNotActive,
    BudgetNotDraft,
    BudgetReviewStage,
    BudgetStageAlreadyPassed,
    BudgetStageSkipped,
    BudgetStatus,
    DuplicateDocumentRef,
    DuplicateLineCode,
    FiscalYearNotOver,
    FiscalYearNotReady,
    FiscalYearOutOfRange,
    MonthlySplitDoesNotSum,
    MonthlySplitNotTwelveMonths,
    NoBudgetAwaitingApproval,
    NotDepartmentHead,
    PlannedLine,
    ReturnReasonRequired,
    SpendingExceedsAvailable,
    UnknownAdjustment,
    UnknownBudgetLine,
    check_department_head,
    department_heads,
    ready_for_review,
)
from domain.clock import DateInFuture
from domain.errors import FourEyesViolation
from domain.money import AmountNegative, AmountNotPositive, InvalidMoneyAmount
from domain.vocabulary import Department, Role
from tests.domain.support import assert_refused, assert_replays_to_same_state, settled

YEAR = 2025
T0 = datetime(YEAR, 1, 6, 9, 0, tzinfo=UTC)
NOW = datetime(YEAR, 6, 30, 18, 0, tzinfo=UTC)
HEAD = "head.sales"
FINANCE = "fin.chen"
MANAGER = "mgr.zhao"
BOARD = "board.li"

LINES = [
    PlannedLine("6001", BudgetLineCategory.REVENUE, Decimal("500000.00")),
    PlannedLine("6601", BudgetLineCategory.EXPENSE, Decimal("100000.00")),
    PlannedLine("6401", BudgetLineCategory.COST, Decimal("400000.00")),
]  # planned spending 500,000.00: finance approves adjustments up to 50,000.00 a year


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def drafted(control: BudgetControl = BudgetControl.STOP, lines: list[Any] | None = None) -> Budget:
    return Budget.draft(
        department=Department.SALES,
        fiscal_year=YEAR,
        control=control,
        lines=LINES if lines is None else lines,
        drafted_by=HEAD,
        at=T0,
    )


def submitted(control: BudgetControl = BudgetControl.STOP) -> Budget:
    budget = drafted(control)
    budget.submit(HEAD, at(1))
    return budget


def reviewed(stage: BudgetReviewStage, control: BudgetControl = BudgetControl.STOP) -> Budget:
    budget = submitted(control)
    for current, by in (
        (BudgetReviewStage.FINANCE, FINANCE),
        (BudgetReviewStage.MANAGEMENT, MANAGER),
        (BudgetReviewStage.BOARD, BOARD),
    ):
        budget.review(current, True, None, by, at(2))
        if current == stage:
            break
    return budget


def active(control: BudgetControl = BudgetControl.STOP) -> Budget:
    return reviewed(BudgetReviewStage.BOARD, control)


def spend(budget: Budget, line: str, amount: str, ref: str, on: date = date(YEAR, 5, 2)) -> None:
    budget.record_actual(line, Decimal(amount), ref, on, FINANCE, NOW)


def event_names(budget: Budget) -> list[str]:
    """The names of the events written since the last call (or since ``settled``)."""
    return [type(e).__name__ for e in budget.collect_events()]


# Identity: one budget per department and fiscal year.


def test_id_derives_from_department_and_year() -> None:
    assert drafted().id == Budget.create_id(Department.SALES, YEAR)
    assert Budget.create_id(Department.SALES, YEAR) != Budget.create_id(Department.SALES, 2026)
    assert Budget.create_id(Department.SALES, YEAR) != Budget.create_id(Department.HR, YEAR)


def test_draft_records_lines_with_exact_money() -> None:
    budget = drafted()

    assert budget.status == BudgetStatus.DRAFT
    assert budget.planned_total == Decimal("1000000.00")
    assert budget.available("6601") == Decimal("100000.00")
    assert budget.drafted_by == HEAD
    assert_replays_to_same_state(budget)


@pytest.mark.parametrize("year", [1999, 2101])
def test_fiscal_year_must_be_plausible(year: int) -> None:
    with pytest.raises(FiscalYearOutOfRange):
        Budget.draft(
            department=Department.SALES,
            fiscal_year=year,
            control=BudgetControl.STOP,
            lines=LINES,
            drafted_by=HEAD,
            at=T0,
        )


def test_draft_needs_a_line() -> None:
    with pytest.raises(BudgetLinesRequired):
        drafted(lines=[])


def test_line_codes_are_unique() -> None:
    with pytest.raises(DuplicateLineCode) as raised:
        drafted(lines=[LINES[0], LINES[0]])
    assert raised.value.fields == ("lines.1.code",)


def test_negative_line_amount_is_refused() -> None:
    line = PlannedLine("6601", BudgetLineCategory.EXPENSE, Decimal("-1.00"))
    with pytest.raises(AmountNegative) as raised:
        drafted(lines=[line])
    assert raised.value.fields == ("lines.0.amount",)


@pytest.mark.parametrize("amount", [0.1, "1.001", "NaN"])
def test_line_amount_must_be_exact_money(amount: Any) -> None:
    with pytest.raises(InvalidMoneyAmount):
        drafted(lines=[PlannedLine("6601", BudgetLineCategory.EXPENSE, amount)])


def test_monthly_split_sums_to_the_line() -> None:
    split = [Decimal("1000.00")] * 11 + [Decimal("1000.01")]
    budget = drafted(
        lines=[PlannedLine("6601", BudgetLineCategory.EXPENSE, Decimal("12000.01"), split)]
    )
    assert budget.lines["6601"]["monthly"] == split


def test_monthly_split_that_does_not_sum_is_refused() -> None:
    split = [Decimal("1000.00")] * 12
    with pytest.raises(MonthlySplitDoesNotSum) as raised:
        drafted(lines=[PlannedLine("6601", BudgetLineCategory.EXPENSE, Decimal("12000.01"), split)])
    assert raised.value.fields == ("lines.0.monthly",)


def test_monthly_split_has_twelve_months() -> None:
    with pytest.raises(MonthlySplitNotTwelveMonths):
        drafted(
            lines=[
                PlannedLine(
                    "6601", BudgetLineCategory.EXPENSE, Decimal("11.00"), [Decimal("1.00")] * 11
                )
            ]
        )


def test_monthly_split_amounts_are_not_negative() -> None:
    split = [Decimal("-1.00")] + [Decimal("1.00")] * 11
    with pytest.raises(AmountNegative):
        drafted(lines=[PlannedLine("6601", BudgetLineCategory.EXPENSE, Decimal("10.00"), split)])


# Department heads.


def test_department_heads_are_the_matching_role_else_management() -> None:
    assert department_heads(Department.SALES) == {Role.SALES}
    assert department_heads(Department.CUSTOMER_SERVICE) == {Role.CUSTOMER_SERVICE}
    assert department_heads(Department.ADMINISTRATION) == {Role.MANAGEMENT}


def test_another_department_cannot_keep_the_budget() -> None:
    check_department_head(Department.SALES, {Role.SALES})
    with pytest.raises(NotDepartmentHead):
        check_department_head(Department.SALES, {Role.MARKETING, Role.MANAGEMENT})


# Lines change only in draft.


def test_lines_are_replaced_in_draft() -> None:
    budget = drafted()
    budget.replace_lines([PlannedLine("6601", BudgetLineCategory.EXPENSE, Decimal("5.00"))], HEAD)

    assert list(budget.lines) == ["6601"]
    assert budget.planned_total == Decimal("5.00")
    assert_replays_to_same_state(budget)


@pytest.mark.parametrize(
    "stage", [BudgetReviewStage.FINANCE, BudgetReviewStage.MANAGEMENT, BudgetReviewStage.BOARD]
)
def test_approved_line_cannot_be_edited_directly(stage: BudgetReviewStage) -> None:
    assert_refused(reviewed(stage), BudgetLinesLocked, lambda b: b.replace_lines(LINES[:1], HEAD))


def test_submitted_lines_cannot_be_edited() -> None:
    assert_refused(submitted(), BudgetLinesLocked, lambda b: b.replace_lines(LINES[:1], HEAD))


def test_invalid_replacement_lines_are_refused() -> None:
    bad = [PlannedLine("6601", BudgetLineCategory.EXPENSE, Decimal("-5.00"))]
    assert_refused(drafted(), AmountNegative, lambda b: b.replace_lines(bad, HEAD))


# Stages.


def test_full_cycle_reaches_active() -> None:
    budget = drafted()
    budget.submit(HEAD, at(1))
    budget.review(BudgetReviewStage.FINANCE, True, None, FINANCE, at(2))
    budget.review(BudgetReviewStage.MANAGEMENT, True, "fits the plan", MANAGER, at(3))
    budget.review(BudgetReviewStage.BOARD, True, None, BOARD, at(4))

    assert budget.status == BudgetStatus.BOARD_APPROVED
    assert budget.is_active
    assert budget.submitted_by == HEAD
    assert budget.approvals["board"] == {"by": BOARD, "at": at(4)}
    assert_replays_to_same_state(budget)


def test_submit_twice_is_refused() -> None:
    assert_refused(submitted(), BudgetNotDraft, lambda b: b.submit(HEAD, at(2)))


@pytest.mark.parametrize(
    ("make", "stage"),
    [
        (drafted, BudgetReviewStage.FINANCE),
        (drafted, BudgetReviewStage.MANAGEMENT),
        (drafted, BudgetReviewStage.BOARD),
        (submitted, BudgetReviewStage.MANAGEMENT),
        (submitted, BudgetReviewStage.BOARD),
        (lambda: reviewed(BudgetReviewStage.FINANCE), BudgetReviewStage.BOARD),
    ],
)
def test_skipping_a_stage_is_refused(make: Any, stage: BudgetReviewStage) -> None:
    error = assert_refused(
        make(), BudgetStageSkipped, lambda b: b.review(stage, True, None, "someone", at(3))
    )
    assert error.slug == "budget-stage-skipped"


@pytest.mark.parametrize(
    "stage", [BudgetReviewStage.FINANCE, BudgetReviewStage.MANAGEMENT, BudgetReviewStage.BOARD]
)
def test_passed_stage_cannot_be_decided_again(stage: BudgetReviewStage) -> None:
    assert_refused(
        active(),
        BudgetStageAlreadyPassed,
        lambda b: b.review(stage, False, "again", "someone", at(3)),
    )


@pytest.mark.parametrize(
    "stage", [BudgetReviewStage.FINANCE, BudgetReviewStage.MANAGEMENT, BudgetReviewStage.BOARD]
)
def test_submitter_cannot_approve_at_any_stage(stage: BudgetReviewStage) -> None:
    previous = {
        BudgetReviewStage.FINANCE: submitted,
        BudgetReviewStage.MANAGEMENT: lambda: reviewed(BudgetReviewStage.FINANCE),
        BudgetReviewStage.BOARD: lambda: reviewed(BudgetReviewStage.MANAGEMENT),
    }[stage]
    error = assert_refused(
        previous(), BudgetDutiesNotSegregated, lambda b: b.review(stage, True, None, HEAD, at(3))
    )
    assert error.slug == "budget-duties-not-segregated"


@pytest.mark.parametrize(
    "stage", [BudgetReviewStage.FINANCE, BudgetReviewStage.MANAGEMENT, BudgetReviewStage.BOARD]
)
def test_any_review_stage_returns_to_draft_with_a_reason(stage: BudgetReviewStage) -> None:
    budget = submitted()
    for current, by in (
        (BudgetReviewStage.FINANCE, FINANCE),
        (BudgetReviewStage.MANAGEMENT, MANAGER),
    ):
        if current == stage:
            break
        budget.review(current, True, None, by, at(2))

    budget.review(stage, False, "travel line too high", "reviewer", at(3))

    assert budget.status == BudgetStatus.DRAFT
    assert budget.approvals == {}
    assert budget.returns[-1]["reason"] == "travel line too high"
    assert budget.returns[-1]["stage"] == stage
    budget.replace_lines(LINES[:2], HEAD)  # editable again
    budget.submit(HEAD, at(4))
    assert budget.status == BudgetStatus.SUBMITTED
    assert_replays_to_same_state(budget)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_return_needs_a_reason(reason: str | None) -> None:
    assert_refused(
        submitted(),
        ReturnReasonRequired,
        lambda b: b.review(BudgetReviewStage.FINANCE, False, reason, FINANCE, at(2)),
    )


# Bulk approval of a fiscal year.


def test_ready_for_review_picks_the_budgets_at_the_stage() -> None:
    waiting = reviewed(BudgetReviewStage.FINANCE)
    done = active()

    ready = ready_for_review(BudgetReviewStage.MANAGEMENT, [waiting, done], YEAR, MANAGER)

    assert ready == [waiting]


def test_ready_for_review_refuses_the_lot_naming_laggards() -> None:
    lagging = submitted()
    with pytest.raises(FiscalYearNotReady) as raised:
        ready_for_review(
            BudgetReviewStage.MANAGEMENT,
            [reviewed(BudgetReviewStage.FINANCE), lagging],
            YEAR,
            MANAGER,
        )
    assert "sales (submitted" in raised.value.detail


def test_ready_for_review_needs_one_budget_at_the_stage() -> None:
    with pytest.raises(NoBudgetAwaitingApproval):
        ready_for_review(BudgetReviewStage.BOARD, [active()], YEAR, BOARD)


# Actuals.


@pytest.mark.parametrize(
    "make", [drafted, submitted, lambda: reviewed(BudgetReviewStage.MANAGEMENT)]
)
def test_spending_on_a_budget_not_active_is_refused(make: Any) -> None:
    error = assert_refused(make(), BudgetNotActive, lambda b: spend(b, "6601", "1.00", "INV-1"))
    assert error.slug == "budget-not-active"


def test_actual_reduces_the_available_amount() -> None:
    budget = active()
    spend(budget, "6601", "1234.56", "INV-1")

    assert budget.lines["6601"]["actual"] == Decimal("1234.56")
    assert budget.available("6601") == Decimal("98765.44")
    assert_replays_to_same_state(budget)


def test_actual_on_unknown_line_is_refused() -> None:
    error = assert_refused(active(), UnknownBudgetLine, lambda b: spend(b, "9999", "1.00", "X"))
    assert error.fields == ("line",)


@pytest.mark.parametrize("amount", ["0.00", "-5.00"])
def test_actual_amount_must_be_positive(amount: str) -> None:
    assert_refused(active(), AmountNotPositive, lambda b: spend(b, "6601", amount, "X"))


def test_actual_date_may_not_lie_in_the_future() -> None:
    tomorrow = NOW.date() + timedelta(days=1)
    assert_refused(active(), DateInFuture, lambda b: spend(b, "6601", "1.00", "X", tomorrow))


def test_actual_date_lies_in_the_fiscal_year() -> None:
    assert_refused(
        active(),
        ActualOutsideFiscalYear,
        lambda b: spend(b, "6601", "1.00", "X", date(2024, 12, 31)),
    )


def test_document_reference_is_unique_per_budget() -> None:
    budget = active()
    spend(budget, "6601", "1.00", "INV-1")
    settled(budget)
    assert_refused(budget, DuplicateDocumentRef, lambda b: spend(b, "6401", "1.00", "INV-1"))


def test_stop_control_refuses_overspending() -> None:
    budget = active(BudgetControl.STOP)
    spend(budget, "6601", "99999.99", "INV-1")
    settled(budget)

    error = assert_refused(
        budget, SpendingExceedsAvailable, lambda b: spend(b, "6601", "0.02", "INV-2")
    )
    assert "overspend it by 0.01" in error.detail
    spend(budget, "6601", "0.01", "INV-3")  # exactly what is left is fine
    assert budget.available("6601") == Decimal("0.00")


def test_warn_control_accepts_overspending_with_an_overrun_warning() -> None:
    budget = settled(active(BudgetControl.WARN))
    spend(budget, "6601", "90000.00", "INV-1")
    settled(budget)

    spend(budget, "6601", "15000.00", "INV-2")

    assert budget.available("6601") == Decimal("-5000.00")
    assert event_names(budget) == ["ActualRecorded", "OverrunWarned", "ThresholdReached"]
    overrun = budget.warnings[-2]
    assert overrun["kind"] == "overrun" and overrun["amount"] == Decimal("5000.00")


def test_thresholds_warn_once_per_threshold_per_line() -> None:
    budget = settled(active())
    spend(budget, "6601", "79999.99", "INV-1")
    assert event_names(budget) == ["ActualRecorded"]
    spend(budget, "6601", "0.01", "INV-2")
    assert event_names(budget) == ["ActualRecorded", "ThresholdReached"]
    spend(budget, "6601", "10000.00", "INV-3")
    assert event_names(budget) == ["ActualRecorded"]
    spend(budget, "6601", "10000.00", "INV-4")
    assert event_names(budget) == ["ActualRecorded", "ThresholdReached"]
    assert budget.lines["6601"]["warned"] == [80, 100]
    assert [w["threshold"] for w in budget.warnings] == [80, 100]
    assert budget.utilisation("6601") == Decimal("100.00")


def test_one_actual_can_cross_both_thresholds() -> None:
    budget = settled(active())
    spend(budget, "6601", "100000.00", "INV-1")
    assert event_names(budget) == ["ActualRecorded", "ThresholdReached", "ThresholdReached"]


def test_revenue_lines_are_not_controlled() -> None:
    budget = settled(active(BudgetControl.STOP))
    spend(budget, "6001", "600000.00", "SO-1")

    assert event_names(budget) == ["ActualRecorded"]
    assert budget.lines["6001"]["actual"] == Decimal("600000.00")


def test_warnings_replay_to_the_same_state() -> None:
    budget = active(BudgetControl.WARN)
    spend(budget, "6601", "85000.00", "INV-1")
    spend(budget, "6601", "35000.00", "INV-2")
    request(budget, "1.00")
    assert len(budget.warnings) == 3
    assert_replays_to_same_state(budget)


# Adjustments.


def request(
    budget: Budget, amount: str, from_line: str | None = None, to: str | None = "6601"
) -> UUID:
    adjustment_id = uuid4()
    budget.request_adjustment(
        adjustment_id, from_line, to, Decimal(amount), "campaign", HEAD, at(10)
    )
    return adjustment_id


def test_adjustment_up_to_ten_percent_is_finance_s() -> None:
    budget = active()
    small = request(budget, "50000.00")
    large = request(budget, "0.01")  # the small one, pending with finance, used it all

    assert budget.adjustment(small)["authority"] == BudgetAdjustmentAuthority.FINANCE
    assert budget.adjustment(large)["authority"] == BudgetAdjustmentAuthority.MANAGEMENT


def test_finance_approves_a_small_increase() -> None:
    budget = active()
    adjustment_id = request(budget, "20000.00")

    budget.approve_adjustment(adjustment_id, FINANCE, {Role.FINANCE}, at(11))

    assert budget.adjustment(adjustment_id)["status"] == BudgetAdjustmentStatus.APPROVED
    assert budget.line_budget("6601") == Decimal("120000.00")
    assert budget.available("6601") == Decimal("120000.00")
    assert_replays_to_same_state(budget)


def test_adjustment_above_ten_percent_approved_by_finance_is_refused() -> None:
    budget = active()
    adjustment_id = request(budget, "150000.00")
    settled(budget)

    error = assert_refused(
        budget,
        AdjustmentAboveFinanceLimit,
        lambda b: b.approve_adjustment(adjustment_id, FINANCE, {Role.FINANCE}, at(11)),
    )
    assert error.slug == "adjustment-above-finance-limit"
    budget.approve_adjustment(adjustment_id, MANAGER, {Role.MANAGEMENT}, at(11))
    assert budget.line_budget("6601") == Decimal("250000.00")


def test_adjustment_needs_finance_or_management() -> None:
    budget = active()
    adjustment_id = request(budget, "10.00")
    settled(budget)
    assert_refused(
        budget,
        AdjustmentAuthorityMissing,
        lambda b: b.approve_adjustment(adjustment_id, BOARD, {Role.BOARD}, at(11)),
    )


def test_requester_cannot_approve_the_adjustment() -> None:
    budget = active()
    adjustment_id = request(budget, "10.00")
    settled(budget)
    assert_refused(
        budget,
        FourEyesViolation,
        lambda b: b.approve_adjustment(adjustment_id, HEAD, {Role.FINANCE}, at(11)),
    )


def test_submitter_cannot_approve_an_adjustment() -> None:
    budget = active()
    adjustment_id = uuid4()
    budget.request_adjustment(adjustment_id, None, "6601", Decimal("1.00"), "x", FINANCE, at(9))
    settled(budget)
    assert_refused(
        budget,
        FourEyesViolation,
        lambda b: b.approve_adjustment(adjustment_id, HEAD, {Role.MANAGEMENT}, at(11)),
    )


def test_move_between_lines_keeps_the_total() -> None:
    budget = active()
    adjustment_id = request(budget, "50000.00", from_line="6401")
    budget.approve_adjustment(adjustment_id, FINANCE, {Role.FINANCE}, at(11))  # all of 10 %

    assert budget.line_budget("6601") == Decimal("150000.00")
    assert budget.line_budget("6401") == Decimal("350000.00")
    assert budget.lines["6401"]["amount"] == Decimal("400000.00")  # the plan stays
    assert_replays_to_same_state(budget)


def test_move_cannot_take_more_than_available() -> None:
    budget = active()
    spend(budget, "6401", "390000.00", "INV-1")
    settled(budget)
    assert_refused(
        budget,
        AdjustmentExceedsAvailable,
        lambda b: request(b, "10000.01", from_line="6401"),
    )


def test_move_is_checked_again_on_approval() -> None:
    budget = active()
    adjustment_id = request(budget, "10000.00", from_line="6401")
    spend(budget, "6401", "395000.00", "INV-1")
    settled(budget)
    assert_refused(
        budget,
        AdjustmentExceedsAvailable,
        lambda b: b.approve_adjustment(adjustment_id, FINANCE, {Role.FINANCE}, at(11)),
    )


def test_move_to_the_same_line_is_refused() -> None:
    assert_refused(active(), AdjustmentSameLine, lambda b: request(b, "1.00", from_line="6601"))


def test_move_between_revenue_and_spending_is_refused() -> None:
    assert_refused(
        active(),
        AdjustmentMixesRevenueAndSpending,
        lambda b: request(b, "1.00", from_line="6001"),
    )


def test_adjustment_to_unknown_line_is_refused() -> None:
    error = assert_refused(active(), UnknownBudgetLine, lambda b: request(b, "1.00", to="0000"))
    assert error.fields == ("to_line",)


def test_adjustment_amount_must_be_positive() -> None:
    assert_refused(active(), AmountNotPositive, lambda b: request(b, "0.00"))


def test_adjustment_needs_an_active_budget() -> None:
    assert_refused(
        reviewed(BudgetReviewStage.MANAGEMENT), BudgetNotActive, lambda b: request(b, "1.00")
    )


def test_rejected_adjustment_changes_no_line() -> None:
    budget = active()
    adjustment_id = request(budget, "1000.00")
    budget.reject_adjustment(adjustment_id, "not now", FINANCE, {Role.FINANCE}, at(11))

    assert budget.adjustment(adjustment_id)["status"] == BudgetAdjustmentStatus.REJECTED
    assert budget.line_budget("6601") == Decimal("100000.00")
    assert_refused(
        settled(budget),
        AdjustmentNotPending,
        lambda b: b.approve_adjustment(adjustment_id, MANAGER, {Role.MANAGEMENT}, at(12)),
    )


def test_unknown_adjustment_is_refused() -> None:
    assert_refused(
        active(),
        UnknownAdjustment,
        lambda b: b.approve_adjustment(uuid4(), MANAGER, {Role.MANAGEMENT}, at(12)),
    )


def test_adjusted_line_raises_thresholds_on_its_new_budget() -> None:
    budget = active()
    adjustment_id = request(budget, "100000.00")
    budget.approve_adjustment(adjustment_id, MANAGER, {Role.MANAGEMENT}, at(11))
    settled(budget)
    spend(budget, "6601", "150000.00", "INV-1")
    assert event_names(budget) == ["ActualRecorded"]
    spend(budget, "6601", "10000.00", "INV-2")
    assert event_names(budget) == ["ActualRecorded", "ThresholdReached"]


# Year-end close.

AFTER_YEAR_END = datetime(YEAR + 1, 1, 5, tzinfo=UTC)


def test_close_after_year_end() -> None:
    budget = active()
    budget.close(FINANCE, AFTER_YEAR_END)

    assert budget.status == BudgetStatus.CLOSED
    assert budget.closed_at == AFTER_YEAR_END
    assert_replays_to_same_state(budget)


def test_close_before_year_end_is_refused() -> None:
    assert_refused(
        active(),
        FiscalYearNotOver,
        lambda b: b.close(FINANCE, datetime(YEAR, 12, 31, 23, tzinfo=UTC)),
    )


def test_close_needs_an_active_budget() -> None:
    assert_refused(submitted(), BudgetNotActive, lambda b: b.close(FINANCE, AFTER_YEAR_END))


def test_close_with_pending_adjustments_is_refused() -> None:
    budget = active()
    request(budget, "1.00")
    settled(budget)
    assert_refused(budget, AdjustmentsPending, lambda b: b.close(FINANCE, AFTER_YEAR_END))


@pytest.mark.parametrize(
    "act",
    [
        lambda b: spend(b, "6601", "1.00", "X"),
        lambda b: b.submit(HEAD, AFTER_YEAR_END),
        lambda b: b.replace_lines(LINES, HEAD),
        lambda b: b.review(BudgetReviewStage.BOARD, True, None, BOARD, AFTER_YEAR_END),
        lambda b: request(b, "1.00"),
        lambda b: b.close(FINANCE, AFTER_YEAR_END),
    ],
)
def test_closed_budget_refuses_every_command(act: Any) -> None:
    budget = active()
    budget.close(FINANCE, AFTER_YEAR_END)
    assert_refused(settled(budget), BudgetClosed, act)
