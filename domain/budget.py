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
# Up to this share of the budget's total planned amount finance approves an
# adjustment on its own; above it management does (§7.1.3).
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


class AdjustmentSameLine(InvalidValue):
    slug = "adjustment-same-line"
    title = "An adjustment moves money between two different lines"


class NotDepartmentHead(NotPermitted):
    slug = "not-department-head"
    title = "Only the department's own head drafts, edits and submits its budget"


class AdjustmentAboveFinanceLimit(NotPermitted):
    slug = "adjustment-above-finance-limit"
    title = "Adjustments above 10 % of the budget's planned total need management approval"


class AdjustmentAuthorityMissing(NotPermitted):
    slug = "adjustment-authority-missing"
    title = "Adjustments are approved by finance (up to 10 % of the budget) or management"


class BudgetAlreadyExists(RuleViolation):
    slug = "budget-already-exists"
    title = "A department has one budget per fiscal year"


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
    stage: BudgetReviewStage, budgets: Iterable[Budget], fiscal_year: int
) -> list[Budget]:
    """The budgets awaiting ``stage``, when none of the year's budgets lags behind it.

    Budgets past the stage already are left as they are; one not ready yet
    refuses the lot, naming every budget that lags.
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
    return ready


@dataclass(frozen=True)
class PlannedLine:
    """A budget line as a department plans it (not yet checked)."""

    code: str
    category: BudgetLineCategory
    amount: Decimal | int | str
    monthly: Sequence[Decimal | int | str] | None = None
    description: str | None = None


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
    return {
        "code": line.code,
        "category": line.category,
        "amount": amount,
        "monthly": monthly,
        "description": line.description,
    }


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
        "warned": [],
    }


class Budget(Aggregate):
    """A department's budget for one fiscal year (§7.1)."""

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
        self.adjustments: dict[str, dict[str, Any]] = {}
        self.warnings: list[dict[str, Any]] = []
        self.closed_at: datetime | None = None

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
    def planned_total(self) -> Decimal:
        """The sum of the lines' planned amounts: the base of the adjustment limit."""
        return sum((line["amount"] for line in self.lines.values()), ZERO)

    @property
    def finance_approval_limit(self) -> Decimal:
        """Adjustments up to this amount (10 % of the planned total) finance approves."""
        return (self.planned_total * FINANCE_ADJUSTMENT_LIMIT).quantize(CENT, ROUND_DOWN)

    def line_budget(self, code: str) -> Decimal:
        """A line's planned amount plus its approved adjustments."""
        line = self.lines[code]
        return Decimal(line["amount"] + line["adjusted"])

    def available(self, code: str) -> Decimal:
        """What is left to spend on a line: its budget minus its actuals."""
        return self.line_budget(code) - self.lines[code]["actual"]

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

    def _check_not_submitter(self, principal: str, what: str) -> None:
        if principal == self.submitted_by:
            raise FourEyesViolation(f"{principal} submitted this budget and cannot {what}")

    # Drafting and submission.

    def replace_lines(self, lines: Sequence[PlannedLine]) -> None:
        """Replace every line, while the budget is a draft."""
        self._check_open()
        if self.status != BudgetStatus.DRAFT:
            raise BudgetLinesLocked(
                f"budget {self.id} is {self.status.value}: its lines change only through "
                "approved adjustments"
            )
        self._lines_replaced(lines=checked_lines(lines))

    @event("LinesReplaced")
    def _lines_replaced(self, lines: list[dict[str, Any]]) -> None:
        self.lines = {ln["code"]: _line_state(ln) for ln in lines}

    def submit(self, submitted_by: str, at: datetime) -> None:
        self._check_open()
        if self.status != BudgetStatus.DRAFT:
            raise BudgetNotDraft(f"budget {self.id} is {self.status.value}, not draft")
        self._submitted(submitted_by=submitted_by, at=at)

    @event("Submitted")
    def _submitted(self, submitted_by: str, at: datetime) -> None:
        self.submitted_by = submitted_by
        self.submitted_at = at
        self.status = BudgetStatus.SUBMITTED

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
        """Approve at ``stage`` (never the submitter), or return to draft with a reason."""
        self._check_stage(stage)
        if not approved:
            if not reason or not reason.strip():
                raise ReturnReasonRequired(
                    "say why the budget goes back to draft", fields=("reason",)
                )
            self._returned_to_draft(stage=stage, reason=reason, returned_by=reviewer, at=at)
            return
        self._check_not_submitter(reviewer, f"give its {stage.value} approval")
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
        overrun = amount - self.available(line)
        if spending and overrun > 0 and self.control == BudgetControl.STOP:
            raise SpendingExceedsAvailable(
                f"line {line} has {self.available(line)} available; {amount} would overspend "
                f"it by {overrun} (control: stop)"
            )
        before = self.lines[line]["actual"]
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
        self._raise_threshold_warnings(line, before, now)

    def _raise_threshold_warnings(self, line: str, before: Decimal, at: datetime) -> None:
        budget = self.line_budget(line)
        actual = self.lines[line]["actual"]
        for threshold in WARNING_THRESHOLDS:
            if threshold in self.lines[line]["warned"] or actual <= before:
                continue
            if actual * HUNDRED >= budget * threshold:
                self._threshold_reached(
                    line=line,
                    threshold=threshold,
                    actual=actual,
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
        self.document_refs.append(document_ref)

    @event("OverrunWarned")
    def _overrun_warned(self, line: str, overrun: Decimal, document_ref: str, at: datetime) -> None:
        self.warnings.append(
            {"kind": "overrun", "line": line, "amount": overrun, "threshold": None, "at": at}
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

    # Adjustments (§7.1.3 调整): the only way to change an approved line.

    def request_adjustment(
        self,
        adjustment_id: UUID,
        from_line: str | None,
        to_line: str,
        amount: Decimal,
        reason: str,
        requested_by: str,
        at: datetime,
    ) -> None:
        self._check_active()
        self._check_line(to_line, "to_line")
        amount = positive_money(amount)
        if from_line is not None:
            self._check_move(from_line, to_line, amount)
        authority = (
            BudgetAdjustmentAuthority.FINANCE
            if amount <= self.finance_approval_limit
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

    def _check_move(self, from_line: str, to_line: str, amount: Decimal) -> None:
        self._check_line(from_line, "from_line")
        if from_line == to_line:
            raise AdjustmentSameLine(
                f"from_line and to_line are both {to_line}", fields=("from_line",)
            )
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
        to_line: str,
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
                f"{adjustment['amount']} is above 10 % of the planned total "
                f"({self.finance_approval_limit}): management approves it"
            )
        return adjustment

    def approve_adjustment(
        self, adjustment_id: UUID, approver: str, roles: Iterable[Role], at: datetime
    ) -> None:
        adjustment = self._check_decidable(adjustment_id, approver, roles)
        if approver == adjustment["requested_by"]:
            raise FourEyesViolation(f"{approver} requested this adjustment and cannot approve it")
        self._check_not_submitter(approver, "approve its adjustments")
        from_line = adjustment["from_line"]
        if from_line is not None and adjustment["amount"] > self.available(from_line):
            raise AdjustmentExceedsAvailable(
                f"line {from_line} has {self.available(from_line)} available now, "
                f"not {adjustment['amount']}"
            )
        self._adjustment_approved(adjustment_id=adjustment_id, approved_by=approver, at=at)

    @event("AdjustmentApproved")
    def _adjustment_approved(self, adjustment_id: UUID, approved_by: str, at: datetime) -> None:
        adjustment = self.adjustments[str(adjustment_id)]
        adjustment.update(
            status=BudgetAdjustmentStatus.APPROVED, decided_by=approved_by, decided_at=at
        )
        self.lines[adjustment["to_line"]]["adjusted"] += adjustment["amount"]
        if adjustment["from_line"] is not None:
            self.lines[adjustment["from_line"]]["adjusted"] -= adjustment["amount"]

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
