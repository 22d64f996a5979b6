"""Budget: the annual budget cycle of §7.1, the cost control of §7.2 and the funds of §7.3."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from enum import Enum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.clock import check_happened
from domain.errors import FourEyesViolation, InvalidValue, NotPermitted, RuleViolation
from domain.money import CENT, non_negative_money, positive_money
from domain.vocabulary import Department, Role

# Budget ids are derived from (department, fiscal year): the store's unique
# (id, version) key then refuses a second budget for the same pair.
BUDGET_NAMESPACE = UUID("6f1c5a52-3c1e-5b53-9a4e-0b7d2f6c1b07")
FIRST_FISCAL_YEAR = 2000
LAST_FISCAL_YEAR = 2100
MONTHS = 12
WARNING_THRESHOLDS = (80, 100)  # per cent of a line's budget
# Finance approves adjustments on its own while all the budget's adjustments of
# its fiscal year together (approved, and pending with finance) stay within this
# share of the budget's planned spending (cost + expense); beyond it management
# does (§7.1.3; "Controls that cannot be split around").
FINANCE_ADJUSTMENT_LIMIT = Decimal("0.10")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


class BudgetStatus(Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    FINANCE_REVIEWED = "finance_reviewed"
    MANAGEMENT_APPROVED = "management_approved"
    BOARD_APPROVED = "board_approved"  # active: spent against
    CLOSED = "closed"

    @property
    def rank(self) -> int:
        return list(BudgetStatus).index(self)


class BudgetControl(Enum):
    """What happens to spending beyond a line's available amount."""

    STOP = "stop"
    WARN = "warn"


class BudgetLineCategory(Enum):
    REVENUE = "revenue"
    COST = "cost"
    EXPENSE = "expense"


SPENDING = frozenset({BudgetLineCategory.COST, BudgetLineCategory.EXPENSE})


class BudgetAdjustmentStatus(Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class BudgetAdjustmentAuthority(Enum):
    """Who approves an adjustment: finance up to 10 % of the budget, management above."""

    FINANCE = "finance"
    MANAGEMENT = "management"


class BudgetReviewStage(Enum):
    """The three review stages, each leading from one status to the next."""

    FINANCE = "finance"
    MANAGEMENT = "management"
    BOARD = "board"


# The stages a principal acts at, for segregation of duties: drafting and
# submitting are one stage (the department's head), then the three reviews.
DRAFTING = "drafting"
STAGES = (DRAFTING, *(stage.value for stage in BudgetReviewStage))


REVIEWS: dict[BudgetReviewStage, tuple[BudgetStatus, BudgetStatus]] = {
    BudgetReviewStage.FINANCE: (BudgetStatus.SUBMITTED, BudgetStatus.FINANCE_REVIEWED),
    BudgetReviewStage.MANAGEMENT: (
        BudgetStatus.FINANCE_REVIEWED,
        BudgetStatus.MANAGEMENT_APPROVED,
    ),
    BudgetReviewStage.BOARD: (BudgetStatus.MANAGEMENT_APPROVED, BudgetStatus.BOARD_APPROVED),
}


# Errors, named after the rule they enforce.


class FiscalYearOutOfRange(InvalidValue):
    slug = "fiscal-year-out-of-range"
    title = "The fiscal year must lie between 2000 and 2100"


class BudgetLinesRequired(InvalidValue):
    slug = "budget-lines-required"
    title = "A budget needs at least one line"


class DuplicateLineCode(InvalidValue):
    slug = "duplicate-line-code"
    title = "Each line of a budget has its own account code"


class MonthlySplitNotTwelveMonths(InvalidValue):
    slug = "monthly-split-not-twelve-months"
    title = "A monthly split has exactly twelve amounts"


class MonthlySplitDoesNotSum(InvalidValue):
    slug = "monthly-split-does-not-sum"
    title = "A line's monthly split must sum to the line's amount"


class UnknownBudgetLine(InvalidValue):
    slug = "unknown-budget-line"
    title = "The budget has no line with this account code"


class ReturnReasonRequired(InvalidValue):
    slug = "return-reason-required"
    title = "Returning a budget to draft needs a reason"


class ActualOutsideFiscalYear(InvalidValue):
    slug = "actual-outside-fiscal-year"
    title = "An actual is dated inside the budget's fiscal year"


class AdjustmentLineRequired(InvalidValue):
    slug = "adjustment-line-required"
    title = "An adjustment names the line it raises (to_line), cuts (from_line), or both (a move)"


class UnknownActual(InvalidValue):
    slug = "unknown-actual"
    title = "The budget has no actual booked with this document reference"


class ReversalExceedsActual(InvalidValue):
    slug = "reversal-exceeds-actual"
    title = "A reversal takes back at most the actual's amount"


class ReversalReasonRequired(InvalidValue):
    slug = "reversal-reason-required"
    title = "A reversal says why the actual was wrong"


class AdjustmentSameLine(InvalidValue):
    slug = "adjustment-same-line"
    title = "An adjustment moves money between two different lines"


class NotDepartmentHead(NotPermitted):
    slug = "not-department-head"
    title = "Only the department's own head drafts, edits and submits its budget"


class AdjustmentAboveFinanceLimit(NotPermitted):
    slug = "adjustment-above-finance-limit"
    title = "Adjustments beyond 10 % of the budget's planned spending need management approval"


class FinanceAdjustmentAuthorityUsed(NotPermitted):
    slug = "finance-adjustment-authority-used"
    title = (
        "Finance's 10 % adjustment authority is used up by the budget's approved adjustments "
        "of the year: management approves the rest"
    )


class AdjustmentAuthorityMissing(NotPermitted):
    slug = "adjustment-authority-missing"
    title = "Adjustments are approved by finance (within 10 % of the budget) or management"


class BudgetDutiesNotSegregated(NotPermitted):
    slug = "budget-duties-not-segregated"
    title = (
        "No principal acts at two stages of one budget (drafting or submitting, finance "
        "review, management, board)"
    )


class FiscalYearDutiesNotSegregated(NotPermitted):
    slug = "fiscal-year-duties-not-segregated"
    title = "The principal acted at another stage of some of the year's budgets: none was approved"


class BudgetAlreadyExists(RuleViolation):
    slug = "budget-already-exists"
    title = "A department has one budget per fiscal year"


class CompensationOverBudget(RuleViolation):
    slug = "compensation-over-budget"
    title = "The compensation exceeds what the compensation budget line has available"


class BudgetClosed(RuleViolation):
    slug = "budget-closed"
    title = "The budget is closed: it only answers reads"


class BudgetNotDraft(RuleViolation):
    slug = "budget-not-draft"
    title = "Only a draft budget can be submitted"


class BudgetLinesLocked(RuleViolation):
    slug = "budget-lines-locked"
    title = "Lines are edited only in draft; an approved line changes only by approved adjustment"


class BudgetStageSkipped(RuleViolation):
    slug = "budget-stage-skipped"
    title = "Budget stages are passed in order: none can be skipped"


class BudgetStageAlreadyPassed(RuleViolation):
    slug = "budget-stage-already-passed"
    title = "The budget has passed this stage already"


class BudgetNotActive(RuleViolation):
    slug = "budget-not-active"
    title = "The command needs an active (board-approved) budget"


class DuplicateDocumentRef(RuleViolation):
    slug = "duplicate-document-ref"
    title = "A document reference is recorded once per budget"


class SpendingExceedsAvailable(RuleViolation):
    slug = "spending-exceeds-available"
    title = "Under stop control, spending may not exceed a line's available amount"


class SpendingExceedsMonthlyBudget(RuleViolation):
    slug = "spending-exceeds-monthly-budget"
    title = (
        "Under stop control, a line with a monthly split may not spend beyond its accumulated "
        "monthly budget through the month of the actual's date"
    )


class ActualAlreadyReversed(RuleViolation):
    slug = "actual-already-reversed"
    title = "An actual is reversed once"


class AdjustmentExceedsAvailable(RuleViolation):
    slug = "adjustment-exceeds-available"
    title = "A move cannot take more than the source line has available"


class AdjustmentMixesRevenueAndSpending(RuleViolation):
    slug = "adjustment-mixes-revenue-and-spending"
    title = "Money moves between revenue lines, or between cost and expense lines, not across"


class UnknownAdjustment(RuleViolation):
    slug = "unknown-adjustment"
    title = "The budget has no adjustment with this id"


class AdjustmentNotPending(RuleViolation):
    slug = "adjustment-not-pending"
    title = "The adjustment was decided already"


class AdjustmentsPending(RuleViolation):
    slug = "adjustments-pending"
    title = "A budget with pending adjustments cannot be closed"


class FiscalYearNotReady(RuleViolation):
    slug = "fiscal-year-not-ready"
    title = "Not every budget of the fiscal year is ready for this approval: none was approved"


class NoBudgetAwaitingApproval(RuleViolation):
    slug = "no-budget-awaiting-approval"
    title = "No budget of the fiscal year awaits this approval"


class FiscalYearNotOver(RuleViolation):
    slug = "fiscal-year-not-over"
    title = "A budget is closed at year end, once its fiscal year is over"


# Who heads a department's budget.


def department_heads(department: Department) -> frozenset[Role]:
    """The roles that head ``department``: its own role, else management."""
    own = [role for role in Role if role.value == department.value]
    return frozenset(own or [Role.MANAGEMENT])


def check_department_head(department: Department, roles: Iterable[Role]) -> None:
    heads = department_heads(department)
    if heads.isdisjoint(roles):
        names = ", ".join(sorted(r.value for r in heads))
        raise NotDepartmentHead(
            f"the {department.value} budget is kept by its department head (role: {names})"
        )


def check_fiscal_year(fiscal_year: int) -> None:
    if not FIRST_FISCAL_YEAR <= fiscal_year <= LAST_FISCAL_YEAR:
        raise FiscalYearOutOfRange(
            f"fiscal year {fiscal_year} is not between {FIRST_FISCAL_YEAR} and {LAST_FISCAL_YEAR}",
            fields=("fiscal_year",),
        )


def ready_for_review(
    stage: BudgetReviewStage, budgets: Iterable[Budget], fiscal_year: int, principal: str
) -> list[Budget]:
    """The budgets awaiting ``stage``, when none of the year's budgets lags behind it
    and ``principal`` acted at another stage of none of them.

    Budgets past the stage already are left as they are; one not ready yet
    refuses the lot, naming every budget that lags; so does one the principal
    drafted, submitted or reviewed at another stage, naming every such budget.
    """
    expected, _ = REVIEWS[stage]
    budgets = list(budgets)
    behind = [b for b in budgets if b.status.rank < expected.rank]
    if behind:
        names = ", ".join(f"{b.department.value} ({b.status.value}, {b.id})" for b in behind)
        raise FiscalYearNotReady(
            f"not every {fiscal_year} budget is {expected.value}: {names}; "
            f"no budget was given its {stage.value} approval"
        )
    ready = [b for b in budgets if b.status == expected]
    if not ready:
        raise NoBudgetAwaitingApproval(f"no {fiscal_year} budget is {expected.value}")
    conflicts = [(b, b.other_stages_of(principal, stage.value)) for b in ready]
    conflicts = [(b, stages) for b, stages in conflicts if stages]
    if conflicts:
        names = "; ".join(
            f"{b.department.value} ({b.id}): {', '.join(stages)}" for b, stages in conflicts
        )
        raise FiscalYearDutiesNotSegregated(
            f"{principal} acted at another stage of these {fiscal_year} budgets: {names}; "
            f"no budget was given its {stage.value} approval",
            figures={
                "principal": principal,
                "stage": stage.value,
                "budgets": ", ".join(str(b.id) for b, _ in conflicts),
            },
        )
    return ready


@dataclass(frozen=True)
class PlannedLine:
    """A budget line as a department plans it (not yet checked)."""

    code: str
    category: BudgetLineCategory
    amount: Decimal | int | str
    monthly: Sequence[Decimal | int | str] | None = None
    description: str | None = None
    compensation: bool = False
    """The line complaint compensations are booked on (at most one per budget)."""


def _checked_line(line: PlannedLine, index: int) -> dict[str, Any]:
    field = f"lines.{index}"
    amount = non_negative_money(line.amount, f"{field}.amount")
    monthly = None
    if line.monthly is not None:
        if len(line.monthly) != MONTHS:
            raise MonthlySplitNotTwelveMonths(
                f"line {line.code}: the monthly split has {len(line.monthly)} amounts, not 12",
                fields=(f"{field}.monthly",),
            )
        monthly = [
            non_negative_money(m, f"{field}.monthly.{i}") for i, m in enumerate(line.monthly)
        ]
        if sum(monthly, ZERO) != amount:
            raise MonthlySplitDoesNotSum(
                f"line {line.code}: the monthly split sums to {sum(monthly, ZERO)}, "
                f"not to the line's {amount}",
                fields=(f"{field}.monthly",),
            )
    checked: dict[str, Any] = {
        "code": line.code,
        "category": line.category,
        "amount": amount,
        "monthly": monthly,
        "description": line.description,
    }
    if line.compensation:  # only where flagged: the lines of older events are unchanged
        checked["compensation"] = True
    return checked


def checked_lines(lines: Sequence[PlannedLine]) -> list[dict[str, Any]]:
    """The lines as events record them: money normalised, split and codes checked."""
    if not lines:
        raise BudgetLinesRequired("give at least one budget line", fields=("lines",))
    checked = [_checked_line(line, i) for i, line in enumerate(lines)]
    seen: set[str] = set()
    for i, line in enumerate(checked):
        if line["code"] in seen:
            raise DuplicateLineCode(
                f"line code {line['code']} appears twice", fields=(f"lines.{i}.code",)
            )
        seen.add(line["code"])
    return checked


def _line_state(line: dict[str, Any]) -> dict[str, Any]:
    # A fresh dict: event payloads are never mutated by later state changes.
    monthly = line["monthly"]
    return {
        **line,
        "monthly": list(monthly) if monthly is not None else None,
        "adjusted": ZERO,
        "actual": ZERO,
        "by_month": [ZERO] * MONTHS,  # net actuals by the month of their document's date
        "warned": [],
    }


def _figures(**amounts: Decimal) -> dict[str, str]:
    """Money figures for a refusal's problem answer, as exact text."""
    return {name: str(amount) for name, amount in amounts.items()}


class Budget(Aggregate):
    """A department's budget for one fiscal year (§7.1)."""

    # Version 2 keeps who acted at which stage, each actual by its document and the
    # lines' actuals by month. A version-1 snapshot lacks them: it is marked
    # ``history_incomplete`` and the application rebuilds the budget from its events.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["history_incomplete"] = True
        state["acted"] = {stage: [] for stage in STAGES}
        state["actuals"] = {}
        state["reversals"] = []
        for line in state["lines"].values():
            line["by_month"] = [ZERO] * MONTHS

    @staticmethod
    def create_id(department: Department, fiscal_year: int) -> UUID:
        return uuid5(BUDGET_NAMESPACE, f"{department.value}:{fiscal_year}")

    @event("Drafted")
    def __init__(
        self,
        department: Department,
        fiscal_year: int,
        control: BudgetControl,
        lines: list[dict[str, Any]],
        drafted_by: str,
        drafted_at: datetime,
    ) -> None:
        self.department = department
        self.fiscal_year = fiscal_year
        self.control = control
        self.lines: dict[str, dict[str, Any]] = {ln["code"]: _line_state(ln) for ln in lines}
        self.drafted_by = drafted_by
        self.drafted_at = drafted_at
        self.status = BudgetStatus.DRAFT
        self.submitted_by: str | None = None
        self.submitted_at: datetime | None = None
        self.approvals: dict[str, dict[str, Any]] = {}
        self.returns: list[dict[str, Any]] = []
        self.document_refs: list[str] = []
        self.actuals: dict[str, dict[str, Any]] = {}
        self.reversals: list[dict[str, Any]] = []
        self.adjustments: dict[str, dict[str, Any]] = {}
        self.warnings: list[dict[str, Any]] = []
        self.closed_at: datetime | None = None
        self.acted: dict[str, list[str]] = {stage: [] for stage in STAGES}
        self.history_incomplete = False
        self._acted_at(DRAFTING, drafted_by)

    @classmethod
    def draft(
        cls,
        *,
        department: Department,
        fiscal_year: int,
        control: BudgetControl,
        lines: Sequence[PlannedLine],
        drafted_by: str,
        at: datetime,
    ) -> Budget:
        check_fiscal_year(fiscal_year)
        return cls(
            department=department,
            fiscal_year=fiscal_year,
            control=control,
            lines=checked_lines(lines),
            drafted_by=drafted_by,
            drafted_at=at,
        )

    # Figures.

    @property
    def is_active(self) -> bool:
        return self.status == BudgetStatus.BOARD_APPROVED

    @property
    def compensation_line(self) -> str | None:
        """Where complaint compensations are booked: the line flagged so, else the first
        expense line (DOMAIN "Policies that act"); None when there is neither."""
        flagged = [code for code, line in self.lines.items() if line.get("compensation")]
        if flagged:
            return flagged[0]
        expense = [
            code
            for code, line in self.lines.items()
            if line["category"] in (BudgetLineCategory.EXPENSE, BudgetLineCategory.EXPENSE.value)
        ]
        return expense[0] if expense else None

    def check_compensation(self, amount: Decimal) -> tuple[str, Decimal] | None:
        """The compensation line and what is available on it, if this budget takes
        compensations; under ``stop`` a compensation above it is refused."""
        line = self.compensation_line
        if not self.is_active or line is None:
            return None
        available = self.available(line)
        if amount > available and self.control == BudgetControl.STOP:
            raise CompensationOverBudget(
                f"a compensation of {amount} exceeds the {available} available on line "
                f"{line} of the {self.department.value} {self.fiscal_year} budget",
                fields=("compensation",),
                figures={"line": line, "available": str(available), "amount": str(amount)},
            )
        return line, available

    @property
    def planned_total(self) -> Decimal:
        """The sum of the lines' planned amounts."""
        return sum((line["amount"] for line in self.lines.values()), ZERO)

    @property
    def planned_spending(self) -> Decimal:
        """The planned amounts of the cost and expense lines: the base of finance's limit."""
        return sum(
            (line["amount"] for line in self.lines.values() if line["category"] in SPENDING), ZERO
        )

    @property
    def finance_approval_limit(self) -> Decimal:
        """What finance approves on its own in the year: 10 % of the planned spending."""
        return (self.planned_spending * FINANCE_ADJUSTMENT_LIMIT).quantize(CENT, ROUND_DOWN)

    def _adjusted(self, *, pending_with_finance: bool = False) -> Decimal:
        """The amounts of the approved adjustments (and those pending with finance)."""

        def counts(a: dict[str, Any]) -> bool:
            if a["status"] == BudgetAdjustmentStatus.APPROVED:
                return True
            return (
                pending_with_finance
                and a["status"] == BudgetAdjustmentStatus.PENDING
                and a["authority"] == BudgetAdjustmentAuthority.FINANCE
            )

        return sum((a["amount"] for a in self.adjustments.values() if counts(a)), ZERO)

    @property
    def finance_approval_used(self) -> Decimal:
        """What the approved adjustments of the year have used of finance's limit."""
        return self._adjusted()

    @property
    def finance_approval_left(self) -> Decimal:
        return max(self.finance_approval_limit - self.finance_approval_used, ZERO)

    def _authority_figures(self, amount: Decimal) -> dict[str, str]:
        return _figures(
            limit=self.finance_approval_limit,
            used=self.finance_approval_used,
            left=self.finance_approval_left,
            amount=amount,
        )

    def line_budget(self, code: str) -> Decimal:
        """A line's planned amount plus its approved adjustments."""
        line = self.lines[code]
        return Decimal(line["amount"] + line["adjusted"])

    def available(self, code: str) -> Decimal:
        """What is left to spend on a line: its budget minus its actuals."""
        return self.line_budget(code) - self.lines[code]["actual"]

    def monthly_budget(self, code: str, month: int) -> Decimal | None:
        """A split line's accumulated budget through ``month``: its split's months so far
        plus its approved adjustments (available from their approval); None unsplit."""
        line = self.lines[code]
        if line["monthly"] is None:
            return None
        return Decimal(sum(line["monthly"][:month], ZERO) + line["adjusted"])

    def spent_through(self, code: str, month: int) -> Decimal:
        """A line's net actuals dated in ``month`` or before."""
        return Decimal(sum(self.lines[code]["by_month"][:month], ZERO))

    def utilisation(self, code: str) -> Decimal | None:
        """Actuals as a percentage of the line's budget (None for an empty budget)."""
        budget = self.line_budget(code)
        if budget == 0:
            return None
        return (self.lines[code]["actual"] * HUNDRED / budget).quantize(CENT)

    def pending_adjustments(self) -> list[dict[str, Any]]:
        return [
            a for a in self.adjustments.values() if a["status"] == BudgetAdjustmentStatus.PENDING
        ]

    # Segregation of duties: who acted at which stage.

    def _acted_at(self, stage: str, principal: str) -> None:
        if principal not in self.acted[stage]:
            self.acted[stage].append(principal)

    def other_stages_of(self, principal: str, stage: str) -> list[str]:
        """The stages other than ``stage`` that ``principal`` acted at on this budget."""
        return [s for s in STAGES if s != stage and principal in self.acted[s]]

    def _check_segregated(self, principal: str, stage: str, what: str) -> None:
        others = self.other_stages_of(principal, stage)
        if others:
            raise BudgetDutiesNotSegregated(
                f"{principal} acted at the {', '.join(others)} stage of budget {self.id} "
                f"and cannot {what}",
                figures={"principal": principal, "stage": stage, "acted_at": ", ".join(others)},
            )

    # Checks shared by commands.

    def _check_open(self) -> None:
        if self.status == BudgetStatus.CLOSED:
            raise BudgetClosed(f"budget {self.id} is closed")

    def _check_active(self) -> None:
        self._check_open()
        if not self.is_active:
            raise BudgetNotActive(
                f"budget {self.id} is {self.status.value}: it becomes active on board approval"
            )

    def _check_line(self, code: str, field: str) -> None:
        if code not in self.lines:
            raise UnknownBudgetLine(
                f"budget {self.id} has no line {code}; its lines are {', '.join(self.lines)}",
                fields=(field,),
            )

    def _check_not_drafter(self, principal: str, what: str) -> None:
        if principal in self.acted[DRAFTING]:
            raise FourEyesViolation(f"{principal} drafted or submitted this budget: cannot {what}")

    # Drafting and submission.

    def replace_lines(self, lines: Sequence[PlannedLine], replaced_by: str) -> None:
        """Replace every line, while the budget is a draft."""
        self._check_open()
        if self.status != BudgetStatus.DRAFT:
            raise BudgetLinesLocked(
                f"budget {self.id} is {self.status.value}: its lines change only through "
                "approved adjustments"
            )
        self._check_segregated(replaced_by, DRAFTING, "edit its lines")
        self._lines_replaced(lines=checked_lines(lines), replaced_by=replaced_by)

    @event("LinesReplaced")
    def _lines_replaced(self, lines: list[dict[str, Any]], replaced_by: str | None = None) -> None:
        self.lines = {ln["code"]: _line_state(ln) for ln in lines}
        if replaced_by is not None:  # events before issue 11 did not name who
            self._acted_at(DRAFTING, replaced_by)

    def submit(self, submitted_by: str, at: datetime) -> None:
        self._check_open()
        if self.status != BudgetStatus.DRAFT:
            raise BudgetNotDraft(f"budget {self.id} is {self.status.value}, not draft")
        self._check_segregated(submitted_by, DRAFTING, "submit it")
        self._submitted(submitted_by=submitted_by, at=at)

    @event("Submitted")
    def _submitted(self, submitted_by: str, at: datetime) -> None:
        self.submitted_by = submitted_by
        self.submitted_at = at
        self.status = BudgetStatus.SUBMITTED
        self._acted_at(DRAFTING, submitted_by)

    # Reviews: finance, management, board; each approves or returns to draft.

    def _check_stage(self, stage: BudgetReviewStage) -> None:
        self._check_open()
        expected, _ = REVIEWS[stage]
        if self.status.rank < expected.rank:
            raise BudgetStageSkipped(
                f"budget {self.id} is {self.status.value}: the {stage.value} review needs it "
                f"{expected.value}"
            )
        if self.status.rank > expected.rank:
            raise BudgetStageAlreadyPassed(
                f"budget {self.id} is {self.status.value}: it passed the {stage.value} "
                "review already"
            )

    def review(
        self,
        stage: BudgetReviewStage,
        approved: bool,
        reason: str | None,
        reviewer: str,
        at: datetime,
    ) -> None:
        """Approve at ``stage``, or return to draft with a reason: never by a principal
        who acted at another stage of this budget."""
        self._check_stage(stage)
        self._check_segregated(reviewer, stage.value, f"decide its {stage.value} review")
        if not approved:
            if not reason or not reason.strip():
                raise ReturnReasonRequired(
                    "say why the budget goes back to draft", fields=("reason",)
                )
            self._returned_to_draft(stage=stage, reason=reason, returned_by=reviewer, at=at)
            return
        approve = {
            BudgetReviewStage.FINANCE: self._finance_reviewed,
            BudgetReviewStage.MANAGEMENT: self._management_approved,
            BudgetReviewStage.BOARD: self._board_approved,
        }[stage]
        approve(approved_by=reviewer, reason=reason, at=at)

    def _approve(self, stage: BudgetReviewStage, approved_by: str, at: datetime) -> None:
        _, reached = REVIEWS[stage]
        self.approvals[stage.value] = {"by": approved_by, "at": at}
        self.status = reached
        self._acted_at(stage.value, approved_by)

    @event("FinanceReviewed")
    def _finance_reviewed(self, approved_by: str, reason: str | None, at: datetime) -> None:
        self._approve(BudgetReviewStage.FINANCE, approved_by, at)

    @event("ManagementApproved")
    def _management_approved(self, approved_by: str, reason: str | None, at: datetime) -> None:
        self._approve(BudgetReviewStage.MANAGEMENT, approved_by, at)

    @event("BoardApproved")
    def _board_approved(self, approved_by: str, reason: str | None, at: datetime) -> None:
        self._approve(BudgetReviewStage.BOARD, approved_by, at)

    @event("ReturnedToDraft")
    def _returned_to_draft(
        self, stage: BudgetReviewStage, reason: str, returned_by: str, at: datetime
    ) -> None:
        self.returns.append(
            {
                "stage": stage,
                "from_status": self.status,
                "by": returned_by,
                "reason": reason,
                "at": at,
            }
        )
        self.approvals = {}
        self.status = BudgetStatus.DRAFT
        self._acted_at(stage.value, returned_by)

    # Execution: actuals, control and warnings (§7.1.3, §7.2.1).

    def record_actual(
        self,
        line: str,
        amount: Decimal,
        document_ref: str,
        document_date: date,
        recorded_by: str,
        now: datetime,
        description: str | None = None,
    ) -> None:
        self._check_active()
        self._check_line(line, "line")
        amount = positive_money(amount)
        check_happened(document_date, now, "date")
        if document_date.year != self.fiscal_year:
            raise ActualOutsideFiscalYear(
                f"{document_date.isoformat()} is outside fiscal year {self.fiscal_year}",
                fields=("date",),
            )
        if document_ref in self.document_refs:
            raise DuplicateDocumentRef(
                f"document {document_ref} is recorded on budget {self.id} already"
            )
        spending = self.lines[line]["category"] in SPENDING
        stop = self.control == BudgetControl.STOP
        overrun = amount - self.available(line)
        if spending and overrun > 0 and stop:
            raise SpendingExceedsAvailable(
                f"line {line} has {self.available(line)} available; {amount} would overspend "
                f"it by {overrun} (control: stop)",
                figures=_figures(
                    limit=self.line_budget(line),
                    used=self.lines[line]["actual"],
                    left=self.available(line),
                    amount=amount,
                ),
            )
        month = document_date.month
        monthly_overrun = self._monthly_overrun(line, month, amount) if spending else ZERO
        if monthly_overrun > 0 and stop:
            self._refuse_monthly(line, month, amount, monthly_overrun)
        self._actual_recorded(
            line=line,
            amount=amount,
            document_ref=document_ref,
            document_date=document_date,
            description=description,
            recorded_by=recorded_by,
            at=now,
        )
        if not spending:
            return
        if overrun > 0:
            self._overrun_warned(line=line, overrun=overrun, document_ref=document_ref, at=now)
        if monthly_overrun > 0:
            self._monthly_overrun_warned(
                line=line, month=month, overrun=monthly_overrun, document_ref=document_ref, at=now
            )
        self._raise_threshold_warnings(line, now)

    def _monthly_overrun(self, line: str, month: int, amount: Decimal) -> Decimal:
        """How far ``amount`` dated in ``month`` takes a split line beyond its
        accumulated monthly budget (zero or less: within it; zero for unsplit lines)."""
        budget = self.monthly_budget(line, month)
        if budget is None:
            return ZERO
        return self.spent_through(line, month) + amount - budget

    def _refuse_monthly(self, line: str, month: int, amount: Decimal, overrun: Decimal) -> None:
        budget = self.monthly_budget(line, month)
        assert budget is not None
        used = self.spent_through(line, month)
        raise SpendingExceedsMonthlyBudget(
            f"line {line} has {budget} budgeted through month {month} and {used} spent: "
            f"{amount} would overspend it by {overrun} (control: stop)",
            figures={
                "month": month,
                **_figures(limit=budget, used=used, left=budget - used, amount=amount),
            },
        )

    def _reached(self, code: str, threshold: int) -> bool:
        actual = self.lines[code]["actual"]
        return bool(actual > 0 and actual * HUNDRED >= self.line_budget(code) * threshold)

    def _rearm_thresholds(self, code: str) -> None:
        """Forget the warnings of thresholds the line no longer reaches (its budget was
        raised or its actuals reversed): crossing them anew warns again."""
        line = self.lines[code]
        line["warned"] = [t for t in line["warned"] if self._reached(code, t)]

    def _raise_threshold_warnings(self, line: str, at: datetime) -> None:
        if self.lines[line]["category"] not in SPENDING:
            return
        budget = self.line_budget(line)
        for threshold in WARNING_THRESHOLDS:
            if threshold not in self.lines[line]["warned"] and self._reached(line, threshold):
                self._threshold_reached(
                    line=line,
                    threshold=threshold,
                    actual=self.lines[line]["actual"],
                    line_budget=budget,
                    at=at,
                )

    @event("ActualRecorded")
    def _actual_recorded(
        self,
        line: str,
        amount: Decimal,
        document_ref: str,
        document_date: date,
        description: str | None,
        recorded_by: str,
        at: datetime,
    ) -> None:
        self.lines[line]["actual"] += amount
        self.lines[line]["by_month"][document_date.month - 1] += amount
        self.document_refs.append(document_ref)
        self.actuals[document_ref] = {
            "line": line,
            "amount": amount,
            "date": document_date,
            "reversed": None,
        }

    @event("OverrunWarned")
    def _overrun_warned(self, line: str, overrun: Decimal, document_ref: str, at: datetime) -> None:
        self.warnings.append(
            {"kind": "overrun", "line": line, "amount": overrun, "threshold": None, "at": at}
        )

    @event("MonthlyOverrunWarned")
    def _monthly_overrun_warned(
        self, line: str, month: int, overrun: Decimal, document_ref: str, at: datetime
    ) -> None:
        self.warnings.append(
            {
                "kind": "monthly_overrun",
                "line": line,
                "amount": overrun,
                "threshold": None,
                "at": at,
            }
        )

    @event("ThresholdReached")
    def _threshold_reached(
        self, line: str, threshold: int, actual: Decimal, line_budget: Decimal, at: datetime
    ) -> None:
        self.lines[line]["warned"].append(threshold)
        self.warnings.append(
            {
                "kind": "threshold",
                "line": line,
                "amount": actual,
                "threshold": threshold,
                "at": at,
            }
        )

    # Reversals: a wrongly booked actual is taken back, never edited.

    def reverse_actual(
        self,
        document_ref: str,
        reason: str,
        reversed_by: str,
        at: datetime,
        amount: Decimal | None = None,
    ) -> None:
        """Reverse the actual booked as ``document_ref``: all of it, or ``amount`` of it."""
        self._check_active()
        actual = self.actuals.get(document_ref)
        if actual is None:
            raise UnknownActual(
                f"budget {self.id} has no actual {document_ref}", fields=("document_ref",)
            )
        if actual["reversed"] is not None:
            raise ActualAlreadyReversed(
                f"actual {document_ref} was reversed already ({actual['reversed']})",
                figures=_figures(reversed=actual["reversed"]),
            )
        if not reason.strip():
            raise ReversalReasonRequired("say why the actual is reversed", fields=("reason",))
        amount = actual["amount"] if amount is None else positive_money(amount)
        if amount > actual["amount"]:
            raise ReversalExceedsActual(
                f"actual {document_ref} is {actual['amount']}: a reversal of {amount} exceeds it",
                fields=("amount",),
                figures=_figures(limit=actual["amount"], amount=amount),
            )
        self._actual_reversed(
            document_ref=document_ref,
            line=actual["line"],
            amount=amount,
            document_date=actual["date"],
            reason=reason,
            reversed_by=reversed_by,
            at=at,
        )

    @event("ActualReversed")
    def _actual_reversed(
        self,
        document_ref: str,
        line: str,
        amount: Decimal,
        document_date: date,
        reason: str,
        reversed_by: str,
        at: datetime,
    ) -> None:
        self.lines[line]["actual"] -= amount
        self.lines[line]["by_month"][document_date.month - 1] -= amount
        self.actuals[document_ref]["reversed"] = amount
        self.reversals.append(
            {
                "document_ref": document_ref,
                "line": line,
                "amount": amount,
                "reason": reason,
                "by": reversed_by,
                "at": at,
            }
        )
        self._rearm_thresholds(line)

    # Adjustments (§7.1.3 调整): the only way to change an approved line.

    def request_adjustment(
        self,
        adjustment_id: UUID,
        from_line: str | None,
        to_line: str | None,
        amount: Decimal,
        reason: str,
        requested_by: str,
        at: datetime,
    ) -> None:
        """An increase (``to_line`` alone), a cut (``from_line`` alone) or a move."""
        self._check_active()
        if from_line is None and to_line is None:
            raise AdjustmentLineRequired(
                "name to_line (an increase), from_line (a cut) or both (a move)",
                fields=("to_line",),
            )
        if to_line is not None:
            self._check_line(to_line, "to_line")
        amount = positive_money(amount)
        if from_line is not None:
            self._check_source(from_line, to_line, amount)
        committed = self._adjusted(pending_with_finance=True)
        authority = (
            BudgetAdjustmentAuthority.FINANCE
            if committed + amount <= self.finance_approval_limit
            else BudgetAdjustmentAuthority.MANAGEMENT
        )
        self._adjustment_requested(
            adjustment_id=adjustment_id,
            from_line=from_line,
            to_line=to_line,
            amount=amount,
            reason=reason,
            authority=authority,
            requested_by=requested_by,
            at=at,
        )

    def _check_source(self, from_line: str, to_line: str | None, amount: Decimal) -> None:
        self._check_line(from_line, "from_line")
        if from_line == to_line:
            raise AdjustmentSameLine(
                f"from_line and to_line are both {to_line}", fields=("from_line",)
            )
        if to_line is not None:
            source = self.lines[from_line]["category"] in SPENDING
            target = self.lines[to_line]["category"] in SPENDING
            if source != target:
                raise AdjustmentMixesRevenueAndSpending(
                    f"line {from_line} is {self.lines[from_line]['category'].value} and line "
                    f"{to_line} is {self.lines[to_line]['category'].value}"
                )
        if amount > self.available(from_line):
            raise AdjustmentExceedsAvailable(
                f"line {from_line} has {self.available(from_line)} available, not {amount}"
            )

    @event("AdjustmentRequested")
    def _adjustment_requested(
        self,
        adjustment_id: UUID,
        from_line: str | None,
        to_line: str | None,
        amount: Decimal,
        reason: str,
        authority: BudgetAdjustmentAuthority,
        requested_by: str,
        at: datetime,
    ) -> None:
        self.adjustments[str(adjustment_id)] = {
            "id": adjustment_id,
            "from_line": from_line,
            "to_line": to_line,
            "amount": amount,
            "reason": reason,
            "authority": authority,
            "requested_by": requested_by,
            "requested_at": at,
            "status": BudgetAdjustmentStatus.PENDING,
            "decided_by": None,
            "decided_at": None,
            "decision_reason": None,
        }

    def adjustment(self, adjustment_id: UUID) -> dict[str, Any]:
        try:
            return self.adjustments[str(adjustment_id)]
        except KeyError:
            raise UnknownAdjustment(f"budget {self.id} has no adjustment {adjustment_id}") from None

    def _check_decidable(
        self, adjustment_id: UUID, decider: str, roles: Iterable[Role]
    ) -> dict[str, Any]:
        self._check_active()
        adjustment = self.adjustment(adjustment_id)
        if adjustment["status"] != BudgetAdjustmentStatus.PENDING:
            raise AdjustmentNotPending(
                f"adjustment {adjustment_id} was {adjustment['status'].value} already"
            )
        roles = frozenset(roles)
        if Role.MANAGEMENT in roles:
            return adjustment
        if Role.FINANCE not in roles:
            raise AdjustmentAuthorityMissing(f"{decider} is neither finance nor management")
        if adjustment["authority"] == BudgetAdjustmentAuthority.MANAGEMENT:
            raise AdjustmentAboveFinanceLimit(
                f"{adjustment['amount']} takes the year's adjustments beyond 10 % of the "
                f"planned spending ({self.finance_approval_limit}; "
                f"{self.finance_approval_used} used, {self.finance_approval_left} left): "
                "management approves it",
                figures=self._authority_figures(adjustment["amount"]),
            )
        return adjustment

    def _check_finance_authority_left(self, adjustment: dict[str, Any]) -> None:
        """Finance alone approves only within what its limit has left this year."""
        amount = adjustment["amount"]
        if amount > self.finance_approval_left:
            raise FinanceAdjustmentAuthorityUsed(
                f"finance approves {self.finance_approval_limit} of adjustments this year "
                f"(10 % of the planned spending); {self.finance_approval_used} is used and "
                f"{self.finance_approval_left} left, not {amount}: management approves it",
                figures=self._authority_figures(amount),
            )

    def approve_adjustment(
        self, adjustment_id: UUID, approver: str, roles: Iterable[Role], at: datetime
    ) -> None:
        roles = frozenset(roles)
        adjustment = self._check_decidable(adjustment_id, approver, roles)
        if approver == adjustment["requested_by"]:
            raise FourEyesViolation(f"{approver} requested this adjustment and cannot approve it")
        self._check_not_drafter(approver, "approve its adjustments")
        if Role.MANAGEMENT not in roles:
            self._check_finance_authority_left(adjustment)
        from_line = adjustment["from_line"]
        if from_line is not None and adjustment["amount"] > self.available(from_line):
            raise AdjustmentExceedsAvailable(
                f"line {from_line} has {self.available(from_line)} available now, "
                f"not {adjustment['amount']}"
            )
        self._adjustment_approved(adjustment_id=adjustment_id, approved_by=approver, at=at)
        if from_line is not None:  # a cut or a move: the source's thresholds come nearer
            self._raise_threshold_warnings(from_line, at)

    @event("AdjustmentApproved")
    def _adjustment_approved(self, adjustment_id: UUID, approved_by: str, at: datetime) -> None:
        adjustment = self.adjustments[str(adjustment_id)]
        adjustment.update(
            status=BudgetAdjustmentStatus.APPROVED, decided_by=approved_by, decided_at=at
        )
        to_line, from_line = adjustment["to_line"], adjustment["from_line"]
        if to_line is not None:
            self.lines[to_line]["adjusted"] += adjustment["amount"]
            self._rearm_thresholds(to_line)
        if from_line is not None:
            self.lines[from_line]["adjusted"] -= adjustment["amount"]

    def reject_adjustment(
        self, adjustment_id: UUID, reason: str, rejecter: str, roles: Iterable[Role], at: datetime
    ) -> None:
        self._check_decidable(adjustment_id, rejecter, roles)
        self._adjustment_rejected(
            adjustment_id=adjustment_id, reason=reason, rejected_by=rejecter, at=at
        )

    @event("AdjustmentRejected")
    def _adjustment_rejected(
        self, adjustment_id: UUID, reason: str, rejected_by: str, at: datetime
    ) -> None:
        self.adjustments[str(adjustment_id)].update(
            status=BudgetAdjustmentStatus.REJECTED,
            decided_by=rejected_by,
            decided_at=at,
            decision_reason=reason,
        )

    # Year-end close.

    def close(self, closed_by: str, at: datetime) -> None:
        self._check_active()
        if at.date() <= date(self.fiscal_year, 12, 31):
            raise FiscalYearNotOver(
                f"fiscal year {self.fiscal_year} is not over: close it from "
                f"{self.fiscal_year + 1}-01-01"
            )
        pending = self.pending_adjustments()
        if pending:
            ids = ", ".join(str(a["id"]) for a in pending)
            raise AdjustmentsPending(f"decide the pending adjustments first: {ids}")
        self._closed(closed_by=closed_by, at=at)

    @event("Closed")
    def _closed(self, closed_by: str, at: datetime) -> None:
        self.closed_at = at
        self.status = BudgetStatus.CLOSED
