"""Budget controls that cannot be split around (issue 11; DOMAIN.md "Controls that
cannot be split around"): finance's cumulative authority, segregation of the stages,
the monthly split, reversals, cuts and warnings that fire anew."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from domain.budget import (
    ActualAlreadyReversed,
    AdjustmentAboveFinanceLimit,
    AdjustmentExceedsAvailable,
    AdjustmentLineRequired,
    Budget,
    BudgetAdjustmentAuthority,
    BudgetControl,
    BudgetDutiesNotSegregated,
    BudgetLineCategory,
    BudgetReviewStage,
    FinanceAdjustmentAuthorityUsed,
    FiscalYearDutiesNotSegregated,
    PlannedLine,
    ReversalExceedsActual,
    ReversalReasonRequired,
    SpendingExceedsAvailable,
    SpendingExceedsMonthlyBudget,
    UnknownActual,
    checked_lines,
    ready_for_review,
)
from domain.errors import FourEyesViolation
from domain.vocabulary import Role
from tests.domain.support import assert_refused, assert_replays_to_same_state, settled
from tests.domain.test_budget import (
    BOARD,
    FINANCE,
    HEAD,
    LINES,
    MANAGER,
    NOW,
    YEAR,
    active,
    at,
    drafted,
    event_names,
    request,
    reviewed,
    spend,
    submitted,
)

FIN, MGMT = {Role.FINANCE}, {Role.MANAGEMENT}
SPLIT = [Decimal("1000.00")] * 12
MONTHLY_LINES = [
    PlannedLine("6601", BudgetLineCategory.EXPENSE, Decimal("12000.00"), SPLIT),
    PlannedLine("6602", BudgetLineCategory.EXPENSE, Decimal("12000.00")),
]


def activated(budget: Budget) -> Budget:
    budget.submit(HEAD, at(1))
    for stage, by in (
        (BudgetReviewStage.FINANCE, FINANCE),
        (BudgetReviewStage.MANAGEMENT, MANAGER),
        (BudgetReviewStage.BOARD, BOARD),
    ):
        budget.review(stage, True, None, by, at(2))
    return settled(budget)


def approve(budget: Budget, adjustment_id: UUID, by: str = FINANCE, roles: set[Role] = FIN) -> None:
    budget.approve_adjustment(adjustment_id, by, roles, at(11))


# Finance's 10 % authority counts the whole year, against the spending.


def test_finance_limit_is_ten_percent_of_the_planned_spending_never_revenue() -> None:
    budget = active()  # revenue 500000.00, cost 400000.00, expense 100000.00
    assert budget.planned_spending == Decimal("500000.00")
    assert budget.finance_approval_limit == Decimal("50000.00")

    richer = drafted(lines=[*LINES[1:], PlannedLine("6002", BudgetLineCategory.REVENUE, "9000000")])
    assert richer.finance_approval_limit == Decimal("50000.00")


def test_five_adjustments_of_ten_percent_are_not_all_finance_s() -> None:
    budget = active()
    ids = [request(budget, "50000.00") for _ in range(5)]

    authorities = [budget.adjustment(i)["authority"] for i in ids]
    assert (
        authorities
        == [BudgetAdjustmentAuthority.FINANCE] + [BudgetAdjustmentAuthority.MANAGEMENT] * 4
    )
    approve(budget, ids[0])
    settled(budget)
    error = assert_refused(budget, AdjustmentAboveFinanceLimit, lambda b: approve(b, ids[1]))
    assert error.figures == {
        "limit": "50000.00",
        "used": "50000.00",
        "left": "0.00",
        "amount": "50000.00",
    }
    approve(budget, ids[1], MANAGER, MGMT)
    assert budget.line_budget("6601") == Decimal("200000.00")
    assert budget.finance_approval_left == Decimal("0.00")


def test_finance_approves_only_what_its_limit_has_left_when_it_approves() -> None:
    budget = active()
    small = request(budget, "30000.00")  # finance's: nothing committed yet
    big = request(budget, "40000.00")  # beyond: management's
    approve(budget, big, MANAGER, MGMT)
    settled(budget)

    error = assert_refused(budget, FinanceAdjustmentAuthorityUsed, lambda b: approve(b, small))
    assert error.slug == "finance-adjustment-authority-used"
    assert error.figures == {
        "limit": "50000.00",
        "used": "40000.00",
        "left": "10000.00",
        "amount": "30000.00",
    }
    assert "40000.00 is used and 10000.00 left" in error.detail
    approve(budget, small, MANAGER, MGMT)  # management has no such limit


def test_a_rejected_adjustment_gives_finance_its_room_back() -> None:
    budget = active()
    first = request(budget, "50000.00")
    budget.reject_adjustment(first, "no", FINANCE, FIN, at(11))

    later = request(budget, "50000.00")

    assert budget.adjustment(later)["authority"] == BudgetAdjustmentAuthority.FINANCE


# Cuts: an approved adjustment can lower a line, under the same authority.


def test_a_line_is_cut_by_an_approved_adjustment() -> None:
    budget = active()
    cut = request(budget, "30000.00", from_line="6601", to=None)
    approve(budget, cut)

    assert budget.adjustment(cut)["to_line"] is None
    assert budget.line_budget("6601") == Decimal("70000.00")
    assert budget.finance_approval_used == Decimal("30000.00")
    assert_replays_to_same_state(budget)


def test_a_cut_follows_the_same_authority_and_never_takes_what_is_spent() -> None:
    budget = active()
    spend(budget, "6401", "380000.00", "INV-1")
    settled(budget)
    assert_refused(
        budget,
        AdjustmentExceedsAvailable,
        lambda b: request(b, "20000.01", from_line="6401", to=None),
    )
    large = request(budget, "60000.00", from_line="6601", to=None)
    assert budget.adjustment(large)["authority"] == BudgetAdjustmentAuthority.MANAGEMENT


def test_an_adjustment_names_a_line() -> None:
    error = assert_refused(
        active(),
        AdjustmentLineRequired,
        lambda b: b.request_adjustment(uuid4(), None, None, Decimal("1.00"), "x", HEAD, at(10)),
    )
    assert error.fields == ("to_line",)


def test_a_cut_that_brings_the_line_past_a_threshold_warns_at_approval() -> None:
    budget = active()
    spend(budget, "6601", "70000.00", "INV-1")  # 70 %
    cut = request(budget, "10000.00", from_line="6601", to=None)
    settled(budget)

    approve(budget, cut)  # 70000 of 90000: 77.8 %, not yet
    assert event_names(budget) == ["AdjustmentApproved"]
    cut = request(budget, "2000.00", from_line="6601", to=None)
    settled(budget)
    approve(budget, cut)  # 70000 of 88000: 79.5 %
    spend(budget, "6601", "400.00", "INV-2")  # 70400 of 88000: 80 %
    assert event_names(budget) == ["AdjustmentApproved", "ActualRecorded", "ThresholdReached"]
    cut = request(budget, "17600.00", from_line="6601", to=None)
    settled(budget)
    approve(budget, cut)  # 70400 of 70400: 100 %
    assert event_names(budget) == ["AdjustmentApproved", "ThresholdReached"]


# Segregation of duties: no principal at two stages of one budget.


def test_one_principal_with_every_review_role_passes_one_stage_only() -> None:
    budget = submitted()
    budget.review(BudgetReviewStage.FINANCE, True, None, "omni", at(2))
    settled(budget)

    error = assert_refused(
        budget,
        BudgetDutiesNotSegregated,
        lambda b: b.review(BudgetReviewStage.MANAGEMENT, True, None, "omni", at(3)),
    )
    assert error.figures == {"principal": "omni", "stage": "management", "acted_at": "finance"}
    budget.review(BudgetReviewStage.MANAGEMENT, True, None, MANAGER, at(3))
    assert_refused(
        settled(budget),
        BudgetDutiesNotSegregated,
        lambda b: b.review(BudgetReviewStage.BOARD, True, None, "omni", at(4)),
    )


@pytest.mark.parametrize("approved", [True, False])
@pytest.mark.parametrize("principal", [HEAD, "head.deputy"])
def test_a_drafter_who_did_not_submit_still_cannot_review(approved: bool, principal: str) -> None:
    budget = drafted()  # drafted by HEAD
    budget.submit("head.deputy", at(1))
    settled(budget)

    assert_refused(
        budget,
        BudgetDutiesNotSegregated,
        lambda b: b.review(BudgetReviewStage.FINANCE, approved, "x", principal, at(2)),
    )


def test_who_edits_the_lines_drafts_and_cannot_review() -> None:
    budget = drafted()
    budget.replace_lines(LINES[:2], "head.deputy")
    budget.submit(HEAD, at(1))
    settled(budget)

    assert_refused(
        budget,
        BudgetDutiesNotSegregated,
        lambda b: b.review(BudgetReviewStage.FINANCE, True, None, "head.deputy", at(2)),
    )


def test_returning_a_budget_is_acting_at_that_stage() -> None:
    budget = reviewed(BudgetReviewStage.FINANCE)
    budget.review(BudgetReviewStage.MANAGEMENT, False, "too high", "mgr.wu", at(3))
    settled(budget)

    assert_refused(budget, BudgetDutiesNotSegregated, lambda b: b.submit("mgr.wu", at(4)))
    assert_refused(budget, BudgetDutiesNotSegregated, lambda b: b.replace_lines(LINES, "mgr.wu"))
    budget.submit(HEAD, at(4))
    budget.review(BudgetReviewStage.FINANCE, True, None, FINANCE, at(5))  # the same stage again
    budget.review(BudgetReviewStage.MANAGEMENT, True, None, "mgr.wu", at(6))  # its own stage
    assert budget.acted["management"] == ["mgr.wu"]
    assert_refused(
        settled(budget),
        BudgetDutiesNotSegregated,
        lambda b: b.review(BudgetReviewStage.BOARD, True, None, "mgr.wu", at(7)),
    )


def test_a_drafter_never_approves_an_adjustment() -> None:
    budget = drafted()
    budget.submit("head.deputy", at(1))
    for stage, by in (
        (BudgetReviewStage.FINANCE, FINANCE),
        (BudgetReviewStage.MANAGEMENT, MANAGER),
        (BudgetReviewStage.BOARD, BOARD),
    ):
        budget.review(stage, True, None, by, at(2))
    adjustment = uuid4()
    budget.request_adjustment(adjustment, None, "6601", Decimal("1.00"), "x", FINANCE, at(9))
    settled(budget)
    assert_refused(budget, FourEyesViolation, lambda b: approve(b, adjustment, HEAD, MGMT))


def test_a_fiscal_year_approval_refuses_the_lot_a_principal_acted_on() -> None:
    acted_on = reviewed(BudgetReviewStage.FINANCE)  # FINANCE reviewed it
    other = submitted()
    other.review(BudgetReviewStage.FINANCE, True, None, "fin.two", at(2))

    with pytest.raises(FiscalYearDutiesNotSegregated) as raised:
        ready_for_review(BudgetReviewStage.MANAGEMENT, [acted_on, other], YEAR, FINANCE)

    assert f"sales ({acted_on.id}): finance" in raised.value.detail
    assert raised.value.figures["budgets"] == str(acted_on.id)
    assert ready_for_review(BudgetReviewStage.MANAGEMENT, [acted_on, other], YEAR, MANAGER) == [
        acted_on,
        other,
    ]


def test_old_line_replacements_without_a_principal_still_apply() -> None:
    budget = drafted()
    # As the store's mapper rebuilds an event stored before issue 11: no replaced_by.
    old = object.__new__(Budget.LinesReplaced)  # type: ignore[attr-defined]
    state = {
        "originator_id": budget.id,
        "originator_version": budget.version + 1,
        "timestamp": NOW,
        "lines": checked_lines(LINES[:1]),
    }
    object.__setattr__(old, "__dict__", state)

    replayed = old.mutate(budget)

    assert list(replayed.lines) == ["6001"]
    assert replayed.acted["drafting"] == [HEAD]


# The monthly split is a control.


def test_under_stop_a_split_line_spends_no_more_than_its_months_so_far() -> None:
    budget = activated(drafted(BudgetControl.STOP, MONTHLY_LINES))
    spend(budget, "6601", "1000.00", "INV-1", date(YEAR, 1, 15))
    settled(budget)

    error = assert_refused(
        budget,
        SpendingExceedsMonthlyBudget,
        lambda b: spend(b, "6601", "0.01", "INV-2", date(YEAR, 1, 31)),
    )
    assert error.figures == {
        "month": 1,
        "limit": "1000.00",
        "used": "1000.00",
        "left": "0.00",
        "amount": "0.01",
    }
    spend(budget, "6601", "1000.00", "INV-3", date(YEAR, 2, 1))  # February's budget
    spend(budget, "6601", "3000.00", "INV-4", date(YEAR, 5, 2))  # March to May
    assert budget.spent_through("6601", 5) == Decimal("5000.00")


def test_a_back_dated_actual_is_judged_by_its_own_month() -> None:
    budget = activated(drafted(BudgetControl.STOP, MONTHLY_LINES))
    spend(budget, "6601", "5000.00", "INV-1", date(YEAR, 6, 1))  # within June's 6000.00
    settled(budget)
    # March: 3000.00 budgeted through March and nothing dated so far.
    spend(budget, "6601", "1000.00", "INV-2", date(YEAR, 3, 10))
    assert budget.spent_through("6601", 3) == Decimal("1000.00")


def test_an_unsplit_line_stays_annual() -> None:
    budget = activated(drafted(BudgetControl.STOP, MONTHLY_LINES))
    spend(budget, "6602", "12000.00", "INV-1", date(YEAR, 1, 2))
    assert budget.available("6602") == Decimal("0.00")


def test_an_approved_increase_is_available_at_once_in_the_monthly_budget() -> None:
    budget = activated(drafted(BudgetControl.STOP, MONTHLY_LINES))
    raise_it = request(budget, "500.00")
    approve(budget, raise_it)

    spend(budget, "6601", "1500.00", "INV-1", date(YEAR, 1, 20))
    assert budget.monthly_budget("6601", 1) == Decimal("1500.00")


def test_under_warn_a_split_line_beyond_its_months_is_warned() -> None:
    budget = activated(drafted(BudgetControl.WARN, MONTHLY_LINES))
    spend(budget, "6601", "1500.00", "INV-1", date(YEAR, 1, 20))

    assert event_names(budget) == ["ActualRecorded", "MonthlyOverrunWarned"]
    assert budget.warnings[-1]["kind"] == "monthly_overrun"
    assert budget.warnings[-1]["amount"] == Decimal("500.00")


# Reversals: a booked actual is taken back by name, with a reason.


def test_a_reversal_takes_the_actual_back() -> None:
    budget = activated(drafted(BudgetControl.STOP, MONTHLY_LINES))
    spend(budget, "6601", "1000.00", "INV-1", date(YEAR, 1, 15))
    settled(budget)

    budget.reverse_actual("INV-1", "wrong cost centre", FINANCE, NOW)

    assert event_names(budget) == ["ActualReversed"]
    assert budget.lines["6601"]["actual"] == Decimal("0.00")
    assert budget.spent_through("6601", 1) == Decimal("0.00")
    assert budget.reversals[0]["amount"] == Decimal("1000.00")
    assert budget.document_refs == ["INV-1"]  # the reference stays used
    spend(budget, "6601", "1000.00", "INV-2", date(YEAR, 1, 16))  # January's room is back


def test_a_reversal_names_an_actual_of_this_budget() -> None:
    error = assert_refused(
        active(), UnknownActual, lambda b: b.reverse_actual("INV-9", "x", FINANCE, NOW)
    )
    assert error.fields == ("document_ref",)


def test_an_actual_is_never_reversed_twice() -> None:
    budget = active()
    spend(budget, "6601", "100.00", "INV-1")
    budget.reverse_actual("INV-1", "wrong", FINANCE, NOW, Decimal("40.00"))
    settled(budget)

    error = assert_refused(
        budget, ActualAlreadyReversed, lambda b: b.reverse_actual("INV-1", "again", FINANCE, NOW)
    )
    assert error.figures == {"reversed": "40.00"}
    assert budget.lines["6601"]["actual"] == Decimal("60.00")


def test_a_reversal_never_exceeds_the_actual() -> None:
    budget = active()
    spend(budget, "6601", "100.00", "INV-1")
    settled(budget)

    error = assert_refused(
        budget,
        ReversalExceedsActual,
        lambda b: b.reverse_actual("INV-1", "x", FINANCE, NOW, Decimal("100.01")),
    )
    assert error.figures == {"limit": "100.00", "amount": "100.01"}


def test_a_reversal_needs_a_reason() -> None:
    budget = active()
    spend(budget, "6601", "100.00", "INV-1")
    settled(budget)
    assert_refused(
        budget, ReversalReasonRequired, lambda b: b.reverse_actual("INV-1", "  ", FINANCE, NOW)
    )


def test_a_reversal_frees_the_line_under_stop() -> None:
    budget = active()
    spend(budget, "6601", "100000.00", "INV-1")
    settled(budget)
    assert_refused(budget, SpendingExceedsAvailable, lambda b: spend(b, "6601", "1.00", "INV-2"))
    budget.reverse_actual("INV-1", "booked twice", FINANCE, NOW, Decimal("1.00"))
    spend(budget, "6601", "1.00", "INV-2")
    assert budget.available("6601") == Decimal("0.00")


# Warnings fire again when a line crosses its thresholds anew.


def test_a_raised_line_warns_again_when_it_crosses_its_new_thresholds() -> None:
    budget = active()
    spend(budget, "6601", "85000.00", "INV-1")  # 85 %: warned at 80
    increase = request(budget, "20000.00")
    approve(budget, increase)  # 85000 of 120000: 70.8 %
    settled(budget)
    assert budget.lines["6601"]["warned"] == []

    spend(budget, "6601", "11000.00", "INV-2")  # 96000 of 120000: 80 %

    assert event_names(budget) == ["ActualRecorded", "ThresholdReached"]
    assert [w["threshold"] for w in budget.warnings] == [80, 80]


def test_a_line_still_beyond_its_threshold_after_a_raise_is_not_warned_twice() -> None:
    budget = active()
    spend(budget, "6601", "95000.00", "INV-1")
    approve(budget, request(budget, "10000.00"))  # 95000 of 110000: 86 %, still beyond 80
    settled(budget)
    spend(budget, "6601", "1.00", "INV-2")
    assert event_names(budget) == ["ActualRecorded"]


def test_a_reversed_line_warns_again_when_it_crosses_anew() -> None:
    budget = active()
    spend(budget, "6601", "85000.00", "INV-1")
    budget.reverse_actual("INV-1", "wrong line", FINANCE, NOW)
    settled(budget)

    spend(budget, "6601", "80000.00", "INV-2")

    assert event_names(budget) == ["ActualRecorded", "ThresholdReached"]


def test_the_controls_replay_to_the_same_state() -> None:
    budget = drafted(BudgetControl.WARN, MONTHLY_LINES)
    budget.submit(HEAD, at(1))
    for stage, by in (
        (BudgetReviewStage.FINANCE, FINANCE),
        (BudgetReviewStage.MANAGEMENT, MANAGER),
        (BudgetReviewStage.BOARD, BOARD),
    ):
        budget.review(stage, True, None, by, at(2))
    spend(budget, "6601", "1500.00", "INV-1", date(YEAR, 1, 20))  # a monthly overrun
    spend(budget, "6602", "10000.00", "INV-2", date(YEAR, 2, 1))  # the 80 % warning
    budget.reverse_actual("INV-2", "wrong line", FINANCE, NOW, Decimal("4000.00"))
    approve(budget, request(budget, "1000.00", from_line="6602", to=None))
    approve(budget, request(budget, "500.00"))

    assert budget.lines["6602"]["actual"] == Decimal("6000.00")
    assert budget.line_budget("6602") == Decimal("11000.00")
    assert_replays_to_same_state(budget)
