"""The Budgets application on the real stores: the cycle, bulk approval, actuals, adjustments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.base import SNAPSHOT_INTERVAL
from application.context import Actor
from application.errors import AggregateNotFound, ConcurrentWriteConflict
from application.services import Services
from application.store import StoreConfig
from domain.budget import (
    ActualAlreadyReversed,
    AdjustmentAboveFinanceLimit,
    Budget,
    BudgetAdjustmentStatus,
    BudgetAlreadyExists,
    BudgetControl,
    BudgetDutiesNotSegregated,
    BudgetLineCategory,
    BudgetLinesLocked,
    BudgetNotActive,
    BudgetStageSkipped,
    BudgetStatus,
    FiscalYearDutiesNotSegregated,
    FiscalYearNotReady,
    NoBudgetAwaitingApproval,
    NotDepartmentHead,
    SpendingExceedsAvailable,
)
from domain.clock import DateInFuture
from domain.errors import DomainError, FourEyesViolation
from domain.money import AmountNegative
from domain.vocabulary import Department, Role
from tests.application.support import (
    as_,
    open_services,
    replayed,
    state_of,
)
from tests.support.clock import Clock
from tests.support.refusals import refused, stored_event_count

YEAR = 2025
T0 = datetime(YEAR - 1, 12, 2, 9, 0, tzinfo=UTC)
SALES_HEAD = Actor("head.sales", frozenset({Role.SALES}))
MARKETING_HEAD = Actor("head.marketing", frozenset({Role.MARKETING}))
ADMIN_HEAD = Actor("mgr.wu", frozenset({Role.MANAGEMENT}))
FIN = Actor("fin.chen", frozenset({Role.FINANCE}))
BOOKKEEPER = Actor("fin.wang", frozenset({Role.FINANCE}))
MGR = Actor("mgr.zhao", frozenset({Role.MANAGEMENT}))
BOARD = Actor("board.li", frozenset({Role.BOARD}))
# A sales head who also works in finance: four-eyes still applies to them.
SALES_AND_FINANCE = Actor("head.sales", frozenset({Role.SALES, Role.FINANCE}))

LINES: list[dict[str, Any]] = [
    {"code": "6001", "category": "revenue", "amount": Decimal("500000.00")},
    {"code": "6601", "category": "expense", "amount": Decimal("100000.00")},
    {"code": "6401", "category": "cost", "amount": Decimal("400000.00")},
]


def lines() -> list[dict[str, Any]]:
    return [dict(line, category=BudgetLineCategory(line["category"])) for line in LINES]


@pytest.fixture
def clock_start() -> datetime:
    return T0


def draft(
    services: Services,
    department: Department = Department.SALES,
    head: Actor = SALES_HEAD,
    control: BudgetControl = BudgetControl.STOP,
    year: int = YEAR,
) -> UUID:
    return services.budgets.draft_budget(
        department=department, fiscal_year=year, lines=lines(), control=control, ctx=as_(head)
    ).id


def to_stage(services: Services, budget_id: UUID, status: BudgetStatus, head: Actor) -> None:
    budgets = services.budgets
    steps: list[tuple[BudgetStatus, Callable[[], Any]]] = [
        (BudgetStatus.SUBMITTED, lambda: budgets.submit_budget(budget_id, ctx=as_(head))),
        (
            BudgetStatus.FINANCE_REVIEWED,
            lambda: budgets.review_budget(budget_id, approved=True, ctx=as_(FIN)),
        ),
        (
            BudgetStatus.MANAGEMENT_APPROVED,
            lambda: budgets.approve_budget_by_management(budget_id, approved=True, ctx=as_(MGR)),
        ),
        (
            BudgetStatus.BOARD_APPROVED,
            lambda: budgets.approve_budget_by_board(budget_id, approved=True, ctx=as_(BOARD)),
        ),
    ]
    for reached, step in steps:
        step()
        if reached == status:
            return


def active(
    services: Services,
    control: BudgetControl = BudgetControl.STOP,
    department: Department = Department.SALES,
    head: Actor = SALES_HEAD,
) -> UUID:
    budget_id = draft(services, department, head, control)
    to_stage(services, budget_id, BudgetStatus.BOARD_APPROVED, head)
    return budget_id


def spend(
    services: Services, budget_id: UUID, line: str, amount: str, ref: str, on: date | None = None
) -> Any:
    return services.budgets.record_actual(
        budget_id,
        line=line,
        amount=Decimal(amount),
        document_ref=ref,
        date=on or date(YEAR, 3, 15),
        ctx=as_(BOOKKEEPER),
    )


# Drafting: one budget per department and year.


def test_draft_derives_the_id_from_department_and_year(services: Services, clock: Clock) -> None:
    result = services.budgets.draft_budget(
        department=Department.SALES,
        fiscal_year=YEAR,
        lines=lines(),
        ctx=as_(SALES_HEAD, request_id="req-draft"),
    )

    assert result.id == Budget.create_id(Department.SALES, YEAR)
    assert (result.created, result.version) == (True, 1)
    assert result.position.startswith("budgets:")
    budget = services.budgets.get_budget(result.id)
    assert budget.control == BudgetControl.STOP
    assert budget.drafted_at == T0
    (drafted,) = services.budgets.history(result.id, Budget)
    assert drafted.type == "Drafted"
    assert drafted.metadata["principal"] == "head.sales"
    assert drafted.metadata["command"] == "draft_budget"
    assert drafted.payload["lines"][0]["amount"] == Decimal("500000.00")


def test_duplicate_department_year_is_refused(services: Services, clock: Clock) -> None:
    draft(services)

    with refused(services.budgets, BudgetAlreadyExists):
        draft(services)
    draft(services, year=YEAR + 1)  # another year is another budget


def test_duplicate_lost_in_a_race_is_still_budget_already_exists(
    services: Services, store_config: StoreConfig, clock: Clock
) -> None:
    other = open_services(store_config)
    try:
        # The other process checked before this one's draft was saved.
        other.budgets.find_budget = lambda *_: None  # type: ignore[method-assign]
        draft(services)
        before = stored_event_count(services.budgets)
        with pytest.raises(BudgetAlreadyExists) as raised:
            draft(other)
    finally:
        other.close()
    assert not isinstance(raised.value, ConcurrentWriteConflict)
    assert "sales budget for 2025 exists already" in raised.value.detail
    assert stored_event_count(services.budgets) == before


def test_only_the_department_head_drafts(services: Services, clock: Clock) -> None:
    with refused(services.budgets, NotDepartmentHead):
        draft(services, Department.SALES, MARKETING_HEAD)
    with refused(services.budgets, NotDepartmentHead):
        draft(services, Department.SALES, MGR)
    draft(services, Department.ADMINISTRATION, ADMIN_HEAD)  # no own role: management


def test_negative_line_is_refused(services: Services, clock: Clock) -> None:
    bad = [dict(lines()[0], amount=Decimal("-1.00"))]
    with refused(services.budgets, AmountNegative):
        services.budgets.draft_budget(
            department=Department.SALES, fiscal_year=YEAR, lines=bad, ctx=as_(SALES_HEAD)
        )


def test_lines_are_replaced_only_in_draft(services: Services, clock: Clock) -> None:
    budget_id = draft(services)
    services.budgets.replace_budget_lines(budget_id, lines=lines()[:2], ctx=as_(SALES_HEAD))
    assert list(services.budgets.get_budget(budget_id).lines) == ["6001", "6601"]
    with refused(services.budgets, NotDepartmentHead):
        services.budgets.replace_budget_lines(budget_id, lines=lines(), ctx=as_(MARKETING_HEAD))

    to_stage(services, budget_id, BudgetStatus.FINANCE_REVIEWED, SALES_HEAD)

    with refused(services.budgets, BudgetLinesLocked):
        services.budgets.replace_budget_lines(budget_id, lines=lines(), ctx=as_(SALES_HEAD))


# The cycle.


def test_full_cycle_records_each_approver(services: Services, clock: Clock) -> None:
    budget_id = draft(services)
    to_stage(services, budget_id, BudgetStatus.BOARD_APPROVED, SALES_HEAD)

    budget = services.budgets.get_budget(budget_id)
    assert budget.status == BudgetStatus.BOARD_APPROVED
    assert budget.submitted_by == "head.sales"
    assert {k: v["by"] for k, v in budget.approvals.items()} == {
        "finance": "fin.chen",
        "management": "mgr.zhao",
        "board": "board.li",
    }
    history = services.budgets.history(budget_id, Budget)
    assert [(e.type, e.metadata["principal"]) for e in history] == [
        ("Drafted", "head.sales"),
        ("Submitted", "head.sales"),
        ("FinanceReviewed", "fin.chen"),
        ("ManagementApproved", "mgr.zhao"),
        ("BoardApproved", "board.li"),
    ]
    assert history[1].payload["submitted_by"] == "head.sales"


def test_skipping_a_stage_is_refused(services: Services, clock: Clock) -> None:
    budget_id = draft(services)
    services.budgets.submit_budget(budget_id, ctx=as_(SALES_HEAD))

    with refused(services.budgets, BudgetStageSkipped):
        services.budgets.approve_budget_by_board(budget_id, approved=True, ctx=as_(BOARD))


def test_submitter_never_approves_whatever_their_roles(services: Services, clock: Clock) -> None:
    budget_id = draft(services)
    services.budgets.submit_budget(budget_id, ctx=as_(SALES_AND_FINANCE))

    with refused(services.budgets, BudgetDutiesNotSegregated):
        services.budgets.review_budget(budget_id, approved=True, ctx=as_(SALES_AND_FINANCE))


def test_returned_budget_goes_back_to_draft(services: Services, clock: Clock) -> None:
    budget_id = draft(services)
    to_stage(services, budget_id, BudgetStatus.FINANCE_REVIEWED, SALES_HEAD)

    services.budgets.approve_budget_by_management(
        budget_id, approved=False, reason="cut travel", ctx=as_(MGR)
    )

    budget = services.budgets.get_budget(budget_id)
    assert budget.status == BudgetStatus.DRAFT
    assert budget.returns[0]["reason"] == "cut travel"
    assert services.budgets.history(budget_id, Budget)[-1].type == "ReturnedToDraft"


# Bulk approval of a fiscal year.


def reviewed_year(services: Services) -> list[UUID]:
    ids = []
    for department, head in (
        (Department.SALES, SALES_HEAD),
        (Department.MARKETING, MARKETING_HEAD),
        (Department.ADMINISTRATION, ADMIN_HEAD),
    ):
        budget_id = draft(services, department, head)
        to_stage(services, budget_id, BudgetStatus.FINANCE_REVIEWED, head)
        ids.append(budget_id)
    return ids


def test_bulk_approval_approves_every_budget_in_one_go(services: Services, clock: Clock) -> None:
    ids = reviewed_year(services)
    draft(services, year=YEAR + 1)  # another year is not touched

    result = services.budgets.approve_fiscal_year_by_management(YEAR, ctx=as_(MGR, key="k1"))

    budgets = [services.budgets.get_budget(i) for i in ids]
    assert {b.status for b in budgets} == {BudgetStatus.MANAGEMENT_APPROVED}
    assert {a["id"] for a in result.extra["approved"]} == {str(i) for i in ids}
    assert result.position == f"budgets:{services.budgets.recorder.max_notification_id()}"
    assert stored_event_count(services.budgets) == 3 * 3 + 1 + 3
    # A retry with the same key answers the same and writes nothing.
    again = services.budgets.approve_fiscal_year_by_management(YEAR, ctx=as_(MGR, key="k1"))
    assert again.extra == result.extra
    assert stored_event_count(services.budgets) == 3 * 3 + 1 + 3

    board = services.budgets.approve_fiscal_year_by_board(YEAR, ctx=as_(BOARD))
    assert len(board.extra["approved"]) == 3
    assert all(services.budgets.get_budget(i).is_active for i in ids)


def test_bulk_approval_refuses_the_lot_naming_the_laggards(
    services: Services, clock: Clock
) -> None:
    reviewed_year(services)
    lagging = draft(services, Department.HR, Actor("head.hr", frozenset({Role.HR})))

    with refused(services.budgets, FiscalYearNotReady):
        services.budgets.approve_fiscal_year_by_management(YEAR, ctx=as_(MGR))
    with pytest.raises(FiscalYearNotReady) as raised:
        services.budgets.approve_fiscal_year_by_management(YEAR, ctx=as_(MGR))
    assert f"hr (draft, {lagging})" in raised.value.detail
    assert "sales" not in raised.value.detail


def test_bulk_approval_respects_four_eyes(services: Services, clock: Clock) -> None:
    reviewed_year(services)  # administration was submitted by mgr.wu (management)

    with refused(services.budgets, FiscalYearDutiesNotSegregated):
        services.budgets.approve_fiscal_year_by_management(YEAR, ctx=as_(ADMIN_HEAD))
    with pytest.raises(FiscalYearDutiesNotSegregated) as raised:
        services.budgets.approve_fiscal_year_by_management(YEAR, ctx=as_(ADMIN_HEAD))
    assert "administration" in raised.value.detail and "drafting" in raised.value.detail
    assert "sales" not in raised.value.detail
    assert all(
        b.status == BudgetStatus.FINANCE_REVIEWED for b in services.budgets.budgets_of_year(YEAR)
    )


def test_bulk_approval_needs_a_budget_at_the_stage(services: Services, clock: Clock) -> None:
    with refused(services.budgets, NoBudgetAwaitingApproval):
        services.budgets.approve_fiscal_year_by_board(YEAR, ctx=as_(BOARD))


# Execution.


def test_actuals_need_an_active_budget(services: Services, clock: Clock) -> None:
    budget_id = draft(services)
    to_stage(services, budget_id, BudgetStatus.MANAGEMENT_APPROVED, SALES_HEAD)
    clock.now = datetime(YEAR, 4, 1, tzinfo=UTC)

    with refused(services.budgets, BudgetNotActive):
        spend(services, budget_id, "6601", "1.00", "INV-1")


def test_stop_refuses_and_warn_warns(services: Services, clock: Clock) -> None:
    stop = active(services)
    warn = active(services, BudgetControl.WARN, Department.MARKETING, MARKETING_HEAD)
    clock.now = datetime(YEAR, 4, 1, tzinfo=UTC)

    with refused(services.budgets, SpendingExceedsAvailable):
        spend(services, stop, "6601", "100000.01", "INV-1")
    result = spend(services, warn, "6601", "100000.01", "INV-1")

    assert result.version == 5 + 4  # actual, overrun, 80 %, 100 %
    types = [e.type for e in services.budgets.history(warn, Budget)][-4:]
    assert types == ["ActualRecorded", "OverrunWarned", "ThresholdReached", "ThresholdReached"]


def test_actual_date_not_in_future(services: Services, clock: Clock) -> None:
    budget_id = active(services)
    clock.now = datetime(YEAR, 4, 1, tzinfo=UTC)

    with refused(services.budgets, DateInFuture):
        spend(services, budget_id, "6601", "1.00", "INV-1", on=date(YEAR, 4, 2))


# Adjustments.


def test_adjustment_is_requested_then_approved_by_the_right_role(
    services: Services, clock: Clock
) -> None:
    budget_id = active(services)
    clock.now = datetime(YEAR, 5, 1, tzinfo=UTC)
    budgets = services.budgets

    small = budgets.request_adjustment(
        budget_id, to_line="6601", amount=Decimal("20000.00"), reason="fair", ctx=as_(SALES_HEAD)
    )
    large = budgets.request_adjustment(
        budget_id,
        from_line="6401",
        to_line="6601",
        amount=Decimal("150000.00"),
        reason="new campaign",
        ctx=as_(FIN),
    )
    small_id, large_id = UUID(small.extra["adjustment_id"]), UUID(large.extra["adjustment_id"])
    budgets.approve_adjustment(budget_id, small_id, ctx=as_(BOOKKEEPER))
    with refused(services.budgets, AdjustmentAboveFinanceLimit):
        budgets.approve_adjustment(budget_id, large_id, ctx=as_(BOOKKEEPER))
    with refused(services.budgets, FourEyesViolation):
        budgets.approve_adjustment(
            budget_id, large_id, ctx=as_(Actor("fin.chen", frozenset({Role.MANAGEMENT})))
        )
    budgets.approve_adjustment(budget_id, large_id, ctx=as_(MGR))

    budget = budgets.get_budget(budget_id)
    assert budget.line_budget("6601") == Decimal("270000.00")
    assert budget.line_budget("6401") == Decimal("250000.00")
    assert budgets.get_adjustment(budget_id, large_id)["status"] == (
        BudgetAdjustmentStatus.APPROVED
    )


def test_adjustment_requested_by_another_department_is_refused(
    services: Services, clock: Clock
) -> None:
    budget_id = active(services)
    with refused(services.budgets, NotDepartmentHead):
        services.budgets.request_adjustment(
            budget_id,
            to_line="6601",
            amount=Decimal("1.00"),
            reason="x",
            ctx=as_(MARKETING_HEAD),
        )


def test_unknown_adjustment_is_not_found(services: Services, clock: Clock) -> None:
    budget_id = active(services)
    with refused(services.budgets, AggregateNotFound):
        services.budgets.approve_adjustment(budget_id, uuid4(), ctx=as_(MGR))
    with pytest.raises(AggregateNotFound):
        services.budgets.get_adjustment(budget_id, uuid4())


# Close, history, snapshots.


def test_close_after_year_end(services: Services, clock: Clock) -> None:
    budget_id = active(services)
    clock.now = datetime(YEAR + 1, 1, 8, tzinfo=UTC)

    services.budgets.close_budget(budget_id, ctx=as_(FIN))

    assert services.budgets.get_budget(budget_id).status == BudgetStatus.CLOSED


def test_long_history_replays_to_the_snapshot_state(services: Services, clock: Clock) -> None:
    budget_id = active(services, BudgetControl.WARN)
    clock.now = datetime(YEAR, 12, 1, tzinfo=UTC)
    for n in range(SNAPSHOT_INTERVAL + 5):
        spend(services, budget_id, "6601", "2000.00", f"INV-{n}", on=date(YEAR, 1 + n % 11, 3))

    budget = services.budgets.get_budget(budget_id)
    assert budget.lines["6601"]["actual"] == Decimal("110000.00")
    assert len(budget.warnings) == 2 + 5  # 80 %, 100 %, then five overruns
    assert state_of(budget) == state_of(replayed(services.budgets, budget_id))
    earlier = services.budgets.get_budget(budget_id, version=5)
    assert earlier.status == BudgetStatus.BOARD_APPROVED
    assert earlier.lines["6601"]["actual"] == Decimal("0.00")


def test_as_of_reads_the_past(services: Services, clock: Clock) -> None:
    budget_id = draft(services)
    moment = datetime.now(UTC)
    services.budgets.submit_budget(budget_id, ctx=as_(SALES_HEAD))

    assert services.budgets.budget_as_of(budget_id, moment).status == BudgetStatus.DRAFT
    assert services.budgets.budget_as_of(budget_id, moment + timedelta(days=1)).version == 2


def test_every_domain_refusal_is_a_domain_error(services: Services, clock: Clock) -> None:
    budget_id = draft(services)
    with pytest.raises(DomainError):
        services.budgets.close_budget(budget_id, ctx=as_(FIN))


# Controls that cannot be split around (issue 11), through the store.


def test_a_budget_snapshotted_before_version_2_is_rebuilt_from_its_events(
    services: Services, clock: Clock, store_config: StoreConfig
) -> None:
    budget_id = active(services)
    clock.now = datetime(YEAR, 4, 1, tzinfo=UTC)
    spend(services, budget_id, "6601", "900.00", "INV-1")
    # A snapshot as Budget version 1 took it: without the state version 2 added.
    snapshot = Budget.Snapshot.take(services.budgets.get_budget(budget_id))
    state = snapshot.state
    for key in ("class_version", "acted", "actuals", "reversals", "history_incomplete"):
        del state[key]
    for line in state["lines"].values():
        del line["by_month"]
    assert services.budgets.snapshots is not None
    services.budgets.snapshots.put([snapshot])

    reopened = Services.open(store_config)
    try:
        loaded = reopened.budgets.get_budget(budget_id)
        assert loaded.history_incomplete is False
        assert loaded.actuals["INV-1"]["amount"] == Decimal("900.00")
        assert loaded.spent_through("6601", 3) == Decimal("900.00")
        assert loaded.acted["finance"] == [FIN.principal]
        reopened.budgets.reverse_actual(
            budget_id, document_ref="INV-1", reason="wrong line", ctx=as_(FIN)
        )
        assert reopened.budgets.get_budget(budget_id).lines["6601"]["actual"] == Decimal("0.00")
    finally:
        reopened.close()


def test_a_reversal_is_its_own_event_by_finance(services: Services, clock: Clock) -> None:
    budget_id = active(services)
    clock.now = datetime(YEAR, 4, 1, tzinfo=UTC)
    spend(services, budget_id, "6601", "900.00", "INV-1")

    services.budgets.reverse_actual(budget_id, document_ref="INV-1", reason="wrong", ctx=as_(FIN))
    with refused(services.budgets, ActualAlreadyReversed):
        services.budgets.reverse_actual(
            budget_id, document_ref="INV-1", reason="wrong", ctx=as_(FIN)
        )

    history = services.budgets.history(budget_id, Budget)
    assert [e.type for e in history][-2:] == ["ActualRecorded", "ActualReversed"]
    assert history[-1].metadata["principal"] == FIN.principal
    assert history[-1].payload["amount"] == Decimal("900.00")
