"""Employee: the human resources of §6 — hiring, training, appraisal, rewards, benefits, leave."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypedDict
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.calendar import Schedule
from domain.clock import check_happened
from domain.errors import FourEyesViolation, InvalidValue, NotPermitted, RuleViolation
from domain.money import positive_money
from domain.vocabulary import Department


class EmployeeStatus(Enum):
    HIRED = "hired"  # on probation
    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    SEPARATED = "separated"


class TrainingKind(Enum):
    ONBOARDING = "onboarding"
    SKILLS = "skills"
    MANAGEMENT = "management"


class AppraisalReviewKind(Enum):
    SELF = "self"
    MANAGER = "manager"
    PEER = "peer"


class AppraisalStatus(Enum):
    GOALS_SET = "goals_set"
    SELF_REVIEWED = "self_reviewed"
    MANAGER_REVIEWED = "manager_reviewed"
    PEER_REVIEWED = "peer_reviewed"
    FINALIZED = "finalized"


class BenefitKind(Enum):
    SOCIAL_INSURANCE = "social_insurance"  # 五险 enrolment
    HOUSING_FUND = "housing_fund"  # 一金 enrolment
    HEALTH_CHECK = "health_check"
    HOLIDAY_BENEFIT = "holiday_benefit"
    BIRTHDAY_BENEFIT = "birthday_benefit"


class LeaveStatus(Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


ENROLMENTS = frozenset({BenefitKind.SOCIAL_INSURANCE, BenefitKind.HOUSING_FUND})
MINIMUM_WORKING_AGE = 16  # 劳动法 Art. 15
MAX_SERVICE_YEARS = Decimal(60)
# 职工带薪年休假条例 Art. 3: (cumulative years of service at least, days), highest first.
LEAVE_ENTITLEMENT: tuple[tuple[int, int], ...] = ((20, 15), (10, 10), (1, 5))
# 企业职工带薪年休假实施办法 Art. 5 and Art. 12: a part year's share is its calendar
# days ÷ 365 (also in a leap year), rounded down to whole days.
DAYS_PER_LEAVE_YEAR = 365
# 劳动合同法 Art. 19: probation lasts at most six months.
PROBATION_MAX_MONTHS = 6
RATING_RANGE = range(1, 6)
SCORE_RANGE = range(1, 6)
MIN_PEER_REVIEWS = 2
IMPROVEMENT_PLAN_BELOW = 3
TOTAL_GOAL_WEIGHT = 100
CYCLE_PATTERN = re.compile(r"^\d{4}(-(H1|H2|Q1|Q2|Q3|Q4))?$")
# The months of a cycle's part: a year (no part), a half or a quarter.
CYCLE_MONTHS = {
    None: (1, 12),
    "H1": (1, 6),
    "H2": (7, 12),
    "Q1": (1, 3),
    "Q2": (4, 6),
    "Q3": (7, 9),
    "Q4": (10, 12),
}
# Leave that still counts against the year's balance.
LEAVE_COUNTED = frozenset(
    {LeaveStatus.PENDING, LeaveStatus.APPROVED, LeaveStatus.STARTED, LeaveStatus.COMPLETED}
)


class Goal(TypedDict):
    """A SMART KPI: specific title, measurable metric/target/unit, time-bound deadline."""

    title: str
    metric: str
    target: Decimal
    unit: str
    deadline: date
    weight: int


class Review(TypedDict):
    kind: AppraisalReviewKind
    reviewer_id: UUID
    score: int
    comment: str | None
    submitted_on: date
    recorded_by: str


class Appraisal(TypedDict):
    cycle: str
    period_start: date
    period_end: date
    goals: list[Goal]
    reviews: list[Review]
    rating: int | None
    feedback: str | None
    finalized_on: date | None
    finalized_by: str | None
    improvement_plan: str | None
    improvement_plan_due: date | None


class LeaveRequest(TypedDict):
    id: UUID
    start: date
    end: date
    days: int
    status: LeaveStatus
    requested_by: str
    decided_by: str | None
    decision_reason: str | None


# Errors: one per rule.


class EmployeeSeparated(RuleViolation):
    slug = "employee-separated"
    title = "The employee has separated: no further commands are accepted"


class PriorServiceInvalid(InvalidValue):
    slug = "prior-service-invalid"
    title = "Prior service years must be a decimal between 0 and 60"


class BelowMinimumWorkingAge(InvalidValue):
    slug = "below-minimum-working-age"
    title = "An employee must be at least 16 years old on the hire date"


class DateBeforeHire(InvalidValue):
    slug = "date-before-hire"
    title = "A date in the employee's record cannot lie before the hire date"


class OwnManager(InvalidValue):
    slug = "own-manager"
    title = "An employee cannot be their own manager"


class NotOnProbation(RuleViolation):
    slug = "not-on-probation"
    title = "Only an employee on probation (hired) can be confirmed"


class TransferChangesNothing(RuleViolation):
    slug = "transfer-changes-nothing"
    title = "A transfer changes the department, the position or the manager"


class ProbationTooLong(InvalidValue):
    slug = "probation-too-long"
    title = "Probation lasts at most six months from the hire date (劳动合同法 Art. 19)"


class ProbationEndBeforeHire(InvalidValue):
    slug = "probation-end-before-hire"
    title = "Probation ends after the hire date"


class AppraisalPeriodOutsideCycle(InvalidValue):
    slug = "appraisal-period-outside-cycle"
    title = "The appraisal period lies inside the year, half or quarter its cycle names"


class ImprovementPlanRequired(RuleViolation):
    slug = "improvement-plan-required"
    title = "A rating below 3 is finalized together with an improvement plan"


class RewardNeedsRatingThree(RuleViolation):
    slug = "reward-needs-rating-three"
    title = "No bonus, promotion or honorary title on a rating below 3"


class LeaveDaysMismatch(InvalidValue):
    slug = "leave-days-mismatch"
    title = "The days sent differ from the working days the company calendar counts"


class LeaveHasNoWorkingDays(InvalidValue):
    slug = "leave-has-no-working-days"
    title = "The leave period holds no working day: weekends and holidays are not leave"


class LeaveNotCancellable(RuleViolation):
    slug = "leave-not-cancellable"
    title = "Only pending or approved leave that has not begun can be cancelled"


class TrainingHoursInvalid(InvalidValue):
    slug = "training-hours-invalid"
    title = "Training hours must be a positive decimal of at most 1000"


class TrainingAlreadyRecorded(RuleViolation):
    slug = "training-already-recorded"
    title = "The same course completed on the same day is recorded once"


class AppraisalCycleInvalid(InvalidValue):
    slug = "appraisal-cycle-invalid"
    title = (
        "An appraisal cycle is a year, optionally with a half or quarter: 2026, 2026-H1, 2026-Q3"
    )


class AppraisalAlreadyExists(RuleViolation):
    slug = "appraisal-already-exists"
    title = "One appraisal per employee per cycle: its goals are set once"


class AppraisalPeriodInvalid(InvalidValue):
    slug = "appraisal-period-invalid"
    title = "The appraisal period must end after it starts"


class GoalsRequired(InvalidValue):
    slug = "goals-required"
    title = "An appraisal needs at least one goal"


class GoalNotMeasurable(InvalidValue):
    slug = "goal-not-measurable"
    title = "A SMART goal needs a title, a metric, a finite target and a unit"


class GoalDeadlineOutsidePeriod(InvalidValue):
    slug = "goal-deadline-outside-period"
    title = "A goal's deadline lies inside the appraisal cycle's period"


class GoalWeightInvalid(InvalidValue):
    slug = "goal-weight-invalid"
    title = "A goal's weight is a whole number from 1 to 100"


class GoalWeightsNotHundred(InvalidValue):
    slug = "goal-weights-not-hundred"
    title = "The weights of an appraisal's goals sum to 100"


class AppraisalGoalsNotSet(RuleViolation):
    slug = "appraisal-goals-not-set"
    title = "The appraisal starts with its goals: set them first"


class AppraisalFinalized(RuleViolation):
    slug = "appraisal-finalized"
    title = "The appraisal is finalized: its reviews and rating cannot change"


class ReviewScoreOutOfRange(InvalidValue):
    slug = "review-score-out-of-range"
    title = "A review score runs from 1 to 5"


class ReviewAlreadySubmitted(RuleViolation):
    slug = "review-already-submitted"
    title = "A submitted review cannot change: each reviewer submits one review of each kind"


class ReviewerRequired(InvalidValue):
    slug = "reviewer-required"
    title = "Name the reviewer: hr records reviews on behalf of a named employee"


class SelfReviewByAnother(NotPermitted):
    slug = "self-review-by-another"
    title = "Only the employee writes their self review"


class SelfReviewMissing(RuleViolation):
    slug = "self-review-missing"
    title = "No manager review before the self review"


class EmployeeHasNoManager(RuleViolation):
    slug = "employee-has-no-manager"
    title = "The employee has no manager to write the manager review"


class ReviewerNotManager(NotPermitted):
    slug = "reviewer-not-manager"
    title = "Only the employee's manager writes the manager review"


class ManagerReviewMissing(RuleViolation):
    slug = "manager-review-missing"
    title = "Peer reviews follow the manager review"


class PeerIsEmployee(NotPermitted):
    slug = "peer-is-employee"
    title = "A peer review is never written by the employee"


class PeerIsManager(NotPermitted):
    slug = "peer-is-manager"
    title = "A peer review is never written by the employee's manager"


class PeerReviewsMissing(RuleViolation):
    slug = "peer-reviews-missing"
    title = "Finalizing needs the self review, the manager review and at least two peer reviews"


class RatingOutOfRange(InvalidValue):
    slug = "rating-out-of-range"
    title = "The final rating runs from 1 to 5"


class AppraisalNotFinalized(RuleViolation):
    slug = "appraisal-not-finalized"
    title = "The appraisal must be finalized first"


class ImprovementPlanAlreadyRecorded(RuleViolation):
    slug = "improvement-plan-already-recorded"
    title = "The appraisal's improvement plan was recorded already"


class RewardEmpty(InvalidValue):
    slug = "reward-empty"
    title = "A reward is a bonus, a promotion, an honorary title, or several of them"


class BenefitAlreadyRecorded(RuleViolation):
    slug = "benefit-already-recorded"
    title = (
        "Enrolments happen once; health checks and birthday benefits once a year; "
        "a holiday benefit once per holiday and year"
    )


class BirthdayUnknown(RuleViolation):
    slug = "birthday-unknown"
    title = "A birthday benefit needs the employee's birthday on record"


class HolidayOccasionRequired(InvalidValue):
    slug = "holiday-occasion-required"
    title = "A holiday benefit names its holiday"


class LeavePeriodInvalid(InvalidValue):
    slug = "leave-period-invalid"
    title = "Leave ends on or after the day it starts"


class LeaveSpansYears(InvalidValue):
    slug = "leave-spans-years"
    title = "Annual leave is counted per calendar year: one request stays within one year"


class LeaveDaysInvalid(InvalidValue):
    slug = "leave-days-invalid"
    title = "Leave days are a whole number from 1 to the number of calendar days in the period"


class LeaveOverlaps(RuleViolation):
    slug = "leave-overlaps"
    title = "A leave request may not overlap another pending or approved one"


class LeaveBalanceExceeded(RuleViolation):
    slug = "leave-balance-exceeded"
    title = "The request exceeds the year's remaining paid annual leave"


class LeaveRequestNotFound(RuleViolation):
    slug = "leave-request-not-found"
    title = "The employee has no such leave request"


class LeaveRequestNotPending(RuleViolation):
    slug = "leave-request-not-pending"
    title = "Only a pending leave request can be approved or rejected"


class LeaveNotApproved(RuleViolation):
    slug = "leave-not-approved"
    title = "Only approved leave can start"


class AlreadyOnLeave(RuleViolation):
    slug = "already-on-leave"
    title = "The employee is on leave already"


class NotOnLeave(RuleViolation):
    slug = "not-on-leave"
    title = "The employee is not on this leave"


class ActingForAnother(NotPermitted):
    slug = "acting-for-another"
    title = "A principal linked to an employee acts only as that employee"


class NoEmployeeIdentity(NotPermitted):
    slug = "no-employee-identity"
    title = "Only hr, or a principal linked to the employee concerned, may do this"


class NotTheEmployeesManager(NotPermitted):
    slug = "not-the-employees-manager"
    title = "Only the employee's manager or hr decide on the employee's leave"


# Pure helpers.


def service_years_between(start: date, end: date) -> Decimal:
    """Years from ``start`` to ``end``: whole anniversaries plus the share of the next one."""
    if end <= start:
        return Decimal(0)
    whole = end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    anniversary = _add_years(start, whole)
    if anniversary.year == date.max.year:  # no next anniversary to measure against
        year_length = 365
    else:
        year_length = (_add_years(start, whole + 1) - anniversary).days
    return whole + Decimal((end - anniversary).days) / Decimal(year_length)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def annual_leave_entitlement(service_years: Decimal) -> int:
    """Paid annual leave days for the cumulative years of service (条例 Art. 3)."""
    for years, days in LEAVE_ENTITLEMENT:
        if service_years >= years:
            return days
    return 0


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day where it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def probation_limit(hire_date: date) -> date:
    """The last day probation may end on: six months after the hire date."""
    return add_months(hire_date, PROBATION_MAX_MONTHS)


def cycle_period(cycle: str) -> tuple[date, date]:
    """The first and last day of a cycle: ``2026`` the year, ``2026-H1`` its first half,
    ``2026-Q3`` its third quarter."""
    year_text, _, part = cycle.partition("-")
    first_month, last_month = CYCLE_MONTHS[part or None]
    year = int(year_text)
    last = add_months(date(year, last_month, 1), 1) - timedelta(days=1)
    return date(year, first_month, 1), last


def _band_start(prior: Decimal, hire_date: date, years: int, first: date, last: date) -> date:
    """The first day in ``first..last`` with ``years`` of cumulative service (or after last)."""
    low, high = first.toordinal(), last.toordinal() + 1
    while low < high:
        middle = (low + high) // 2
        if prior + service_years_between(hire_date, date.fromordinal(middle)) >= years:
            high = middle
        else:
            low = middle + 1
    return date.fromordinal(low)


def year_entitlement(
    prior_service_years: Decimal, hire_date: date, separated_on: date | None, year: int
) -> int:
    """Paid annual leave days for ``year`` (条例 Art. 3, 实施办法 Art. 5 and Art. 12).

    Each calendar day of the year the employee is employed counts at the band of the
    cumulative service completed on that day; the year's entitlement is the sum ÷ 365,
    rounded down once. A full year at one band is that band; a joiner gets the share
    of the year's remaining days, a leaver the share of the days before leaving; who
    crosses 10 years mid-year gets the higher band for the rest of the year only.
    """
    first = max(date(year, 1, 1), hire_date)
    last = date(year, 12, 31)
    if separated_on is not None:
        last = min(last, separated_on - timedelta(days=1))
    if last < first:
        return 0
    band_days, end = 0, last + timedelta(days=1)
    for years, days in LEAVE_ENTITLEMENT:  # highest band first
        start = _band_start(prior_service_years, hire_date, years, first, last)
        if start < end:
            band_days += (end - start).days * days
            end = start
    return band_days // DAYS_PER_LEAVE_YEAR


def appraisal_status(appraisal: Appraisal) -> AppraisalStatus:
    if appraisal["rating"] is not None:
        return AppraisalStatus.FINALIZED
    kinds = [r["kind"] for r in appraisal["reviews"]]
    if kinds.count(AppraisalReviewKind.PEER) >= MIN_PEER_REVIEWS:
        return AppraisalStatus.PEER_REVIEWED
    if AppraisalReviewKind.MANAGER in kinds:
        return AppraisalStatus.MANAGER_REVIEWED
    if AppraisalReviewKind.SELF in kinds:
        return AppraisalStatus.SELF_REVIEWED
    return AppraisalStatus.GOALS_SET


def improvement_plan_outstanding(appraisal: Appraisal) -> bool:
    rating = appraisal["rating"]
    return (
        rating is not None
        and rating < IMPROVEMENT_PLAN_BELOW
        and appraisal["improvement_plan"] is None
    )


def _service_years_value(value: Decimal | int) -> Decimal:
    if isinstance(value, float | bool):
        raise PriorServiceInvalid(
            "prior_service_years must be a decimal", fields=("prior_service_years",)
        )
    try:
        years = Decimal(value)
        in_range = years.is_finite() and Decimal(0) <= years <= MAX_SERVICE_YEARS
        if in_range and years == years.quantize(Decimal("0.01")):
            return years.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        pass
    raise PriorServiceInvalid(
        f"prior_service_years {value} must lie between 0 and 60 with at most two decimals",
        fields=("prior_service_years",),
    )


def _check_cycle(cycle: str) -> None:
    if not CYCLE_PATTERN.match(cycle):
        raise AppraisalCycleInvalid(
            f"cycle {cycle!r} is not like 2026, 2026-H1 or 2026-Q3", fields=("cycle",)
        )


def _check_goal(index: int, goal: Goal, period_start: date, period_end: date) -> None:
    field = f"goals.{index}"
    texts = (goal["title"], goal["metric"], goal["unit"])
    target = goal["target"]
    if not all(t and t.strip() for t in texts) or not (
        isinstance(target, Decimal) and target.is_finite()
    ):
        raise GoalNotMeasurable(
            f"goal {index} needs a title, a metric, a finite decimal target and a unit",
            fields=(field,),
        )
    if not period_start <= goal["deadline"] <= period_end:
        raise GoalDeadlineOutsidePeriod(
            f"goal {index}'s deadline {goal['deadline'].isoformat()} lies outside "
            f"{period_start.isoformat()}..{period_end.isoformat()}",
            fields=(f"{field}.deadline",),
        )
    weight = goal["weight"]
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
        raise GoalWeightInvalid(
            f"goal {index}'s weight {weight} is not from 1 to 100", fields=(f"{field}.weight",)
        )


class Employee(Aggregate):
    """An employee, from hiring (on probation) to separation (§6)."""

    # Version 2 keeps the probation's end date (a snapshot of version 1 gets the
    # six-month default) and cancelled leave.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["probation_end"] = probation_limit(state["hire_date"])

    @event("Hired")
    def __init__(
        self,
        name: str,
        department: Department,
        position: str,
        manager_id: UUID | None,
        hire_date: date,
        prior_service_years: Decimal,
        birthday: date | None,
        probation_end: date | None = None,
    ) -> None:
        # Hired events before version 2 hold no probation end: the default applies.
        self.probation_end = probation_end or probation_limit(hire_date)
        self.name = name
        self.department = department
        self.position = position
        self.manager_id = manager_id
        self.hire_date = hire_date
        self.prior_service_years = prior_service_years
        self.birthday = birthday
        self.status = EmployeeStatus.HIRED
        self.confirmed_on: date | None = None
        self.trainings: list[dict[str, object]] = []
        self.appraisals: dict[str, Appraisal] = {}
        self.rewards: list[dict[str, object]] = []
        self.benefits: list[dict[str, object]] = []
        self.leave_requests: dict[str, LeaveRequest] = {}
        self.current_leave: UUID | None = None
        self.status_before_leave: EmployeeStatus | None = None
        self.separated_on: date | None = None
        self.separation_reason: str | None = None

    @classmethod
    def hire(
        cls,
        *,
        name: str,
        department: Department,
        position: str,
        manager_id: UUID | None,
        hire_date: date,
        prior_service_years: Decimal | int = 0,
        birthday: date | None = None,
        probation_end: date | None = None,
        now: datetime,
    ) -> Employee:
        """Hire someone on probation (§6.1.1); the hire date is the first day of work.
        Probation ends on ``probation_end``: by default, and at the latest, six months
        after the hire date (劳动合同法 Art. 19)."""
        check_happened(hire_date, now, "hire_date")
        years = _service_years_value(prior_service_years)
        limit = probation_limit(hire_date)
        if probation_end is None:
            probation_end = limit
        elif probation_end <= hire_date:
            raise ProbationEndBeforeHire(
                f"probation_end {probation_end.isoformat()} is not after the hire date "
                f"{hire_date.isoformat()}",
                fields=("probation_end",),
            )
        elif probation_end > limit:
            raise ProbationTooLong(
                f"probation_end {probation_end.isoformat()} lies after {limit.isoformat()}, "
                f"six months from the hire date",
                fields=("probation_end",),
                figures={"probation_end": probation_end.isoformat(), "latest": limit.isoformat()},
            )
        if birthday is not None:
            check_happened(birthday, now, "birthday")
            if service_years_between(birthday, hire_date) < MINIMUM_WORKING_AGE:
                raise BelowMinimumWorkingAge(
                    f"born {birthday.isoformat()}: not yet {MINIMUM_WORKING_AGE} on "
                    f"{hire_date.isoformat()}",
                    fields=("birthday",),
                )
        return cls(
            name=name,
            department=department,
            position=position,
            manager_id=manager_id,
            hire_date=hire_date,
            prior_service_years=years,
            birthday=birthday,
            probation_end=probation_end,
        )

    def probation_overdue(self, today: date) -> bool:
        """Probation has ended and the employee is not confirmed: hr is late."""
        on_probation = self.status == EmployeeStatus.HIRED or (
            self.status == EmployeeStatus.ON_LEAVE
            and self.status_before_leave == EmployeeStatus.HIRED
        )
        return on_probation and self.probation_end < today

    # Checks shared by commands.

    def _check_employed(self) -> None:
        if self.status == EmployeeStatus.SEPARATED:
            raise EmployeeSeparated(f"employee {self.id} separated on {self.separated_on}")

    def _check_since_hire(self, day: date, field: str) -> None:
        if day < self.hire_date:
            raise DateBeforeHire(
                f"{field} {day.isoformat()} lies before the hire date {self.hire_date.isoformat()}",
                fields=(field,),
            )

    def _check_happened_since_hire(self, day: date, now: datetime, field: str) -> None:
        check_happened(day, now, field)
        self._check_since_hire(day, field)

    # Employment.

    def confirm(self, on: date, now: datetime) -> None:
        """End the probation: the employee becomes active."""
        self._check_employed()
        if self.status != EmployeeStatus.HIRED:
            raise NotOnProbation(f"employee {self.id} is {self.status.value}, not on probation")
        self._check_happened_since_hire(on, now, "date")
        self._confirmed(on=on)

    @event("Confirmed")
    def _confirmed(self, on: date) -> None:
        self.confirmed_on = on
        self.status = EmployeeStatus.ACTIVE

    def transfer(
        self,
        department: Department,
        position: str | None,
        manager_id: UUID | None,
        on: date,
        now: datetime,
    ) -> None:
        self._check_employed()
        if manager_id == self.id:
            raise OwnManager("an employee cannot manage themselves", fields=("manager_id",))
        position = position or self.position
        if (department, position, manager_id) == (self.department, self.position, self.manager_id):
            raise TransferChangesNothing(
                f"employee {self.id} is {position} in {department.value} under that manager "
                "already",
                fields=("department", "position", "manager_id"),
            )
        self._check_happened_since_hire(on, now, "date")
        self._transferred(
            department=department,
            position=position,
            manager_id=manager_id,
            on=on,
            from_department=self.department,
        )

    @event("Transferred")
    def _transferred(
        self,
        department: Department,
        position: str,
        manager_id: UUID | None,
        on: date,
        from_department: Department,
    ) -> None:
        self.department = department
        self.position = position
        self.manager_id = manager_id

    def separate(self, on: date, reason: str, now: datetime) -> None:
        self._check_employed()
        self._check_happened_since_hire(on, now, "date")
        self._separated(on=on, reason=reason)

    @event("Separated")
    def _separated(self, on: date, reason: str) -> None:
        self.status = EmployeeStatus.SEPARATED
        self.separated_on = on
        self.separation_reason = reason
        self.current_leave = None

    # Training (§6.1.2-3).

    def record_training(
        self,
        course: str,
        kind: TrainingKind,
        hours: Decimal,
        completed_on: date,
        plan_year: int | None,
        now: datetime,
    ) -> None:
        self._check_employed()
        valid = isinstance(hours, Decimal | int) and not isinstance(hours, bool)
        if not (valid and Decimal(hours).is_finite() and 0 < Decimal(hours) <= 1000):
            raise TrainingHoursInvalid(f"hours {hours} must lie in (0, 1000]", fields=("hours",))
        self._check_happened_since_hire(completed_on, now, "completed_on")
        if any(t["course"] == course and t["completed_on"] == completed_on for t in self.trainings):
            raise TrainingAlreadyRecorded(
                f"{course!r} completed on {completed_on.isoformat()} is recorded already"
            )
        self._training_completed(
            course=course,
            kind=kind,
            hours=Decimal(hours),
            completed_on=completed_on,
            plan_year=plan_year or completed_on.year,
        )

    @event("TrainingCompleted")
    def _training_completed(
        self, course: str, kind: TrainingKind, hours: Decimal, completed_on: date, plan_year: int
    ) -> None:
        self.trainings.append(
            {
                "course": course,
                "kind": kind,
                "hours": hours,
                "completed_on": completed_on,
                "plan_year": plan_year,
            }
        )

    # Appraisal (§6.2).

    def appraisal(self, cycle: str) -> Appraisal:
        """The cycle's appraisal; refused while its goals are not set."""
        _check_cycle(cycle)
        found = self.appraisals.get(cycle)
        if found is None:
            raise AppraisalGoalsNotSet(f"employee {self.id} has no goals for cycle {cycle}")
        return found

    def _open_appraisal(self, cycle: str) -> Appraisal:
        self._check_employed()
        appraisal = self.appraisal(cycle)
        if appraisal["rating"] is not None:
            raise AppraisalFinalized(f"the {cycle} appraisal is finalized")
        return appraisal

    def set_goals(
        self, cycle: str, period_start: date, period_end: date, goals: list[Goal]
    ) -> None:
        self._check_employed()
        _check_cycle(cycle)
        if cycle in self.appraisals:
            raise AppraisalAlreadyExists(f"employee {self.id} has a {cycle} appraisal already")
        if period_end <= period_start:
            raise AppraisalPeriodInvalid(
                "period_end must lie after period_start", fields=("period_end",)
            )
        first, last = cycle_period(cycle)
        if period_start < first or period_end > last:
            raise AppraisalPeriodOutsideCycle(
                f"{period_start.isoformat()}..{period_end.isoformat()} is not inside cycle "
                f"{cycle} ({first.isoformat()}..{last.isoformat()})",
                fields=("period_start" if period_start < first else "period_end",),
            )
        if not goals:
            raise GoalsRequired("give at least one goal", fields=("goals",))
        for index, goal in enumerate(goals):
            _check_goal(index, goal, period_start, period_end)
        total = sum(goal["weight"] for goal in goals)
        if total != TOTAL_GOAL_WEIGHT:
            raise GoalWeightsNotHundred(f"the weights sum to {total}, not 100", fields=("goals",))
        self._goals_set(
            cycle=cycle, period_start=period_start, period_end=period_end, goals=list(goals)
        )

    @event("GoalsSet")
    def _goals_set(
        self, cycle: str, period_start: date, period_end: date, goals: list[Goal]
    ) -> None:
        self.appraisals[cycle] = Appraisal(
            cycle=cycle,
            period_start=period_start,
            period_end=period_end,
            goals=[Goal(**g) for g in goals],
            reviews=[],
            rating=None,
            feedback=None,
            finalized_on=None,
            finalized_by=None,
            improvement_plan=None,
            improvement_plan_due=None,
        )

    def submit_review(
        self,
        cycle: str,
        kind: AppraisalReviewKind,
        reviewer_id: UUID,
        score: int,
        comment: str | None,
        recorded_by: str,
        on: date,
    ) -> None:
        appraisal = self._open_appraisal(cycle)
        if score not in SCORE_RANGE:
            raise ReviewScoreOutOfRange(f"score {score} is not from 1 to 5", fields=("score",))
        if any(r["kind"] == kind and r["reviewer_id"] == reviewer_id for r in appraisal["reviews"]):
            raise ReviewAlreadySubmitted(
                f"{reviewer_id} submitted a {kind.value} review for {cycle} already"
            )
        self._check_reviewer(appraisal, kind, reviewer_id)
        self._review_submitted(
            cycle=cycle,
            kind=kind,
            reviewer_id=reviewer_id,
            score=score,
            comment=comment,
            submitted_on=on,
            recorded_by=recorded_by,
        )

    def _check_reviewer(
        self, appraisal: Appraisal, kind: AppraisalReviewKind, reviewer_id: UUID
    ) -> None:
        kinds = [r["kind"] for r in appraisal["reviews"]]
        if kind == AppraisalReviewKind.SELF:
            if reviewer_id != self.id:
                raise SelfReviewByAnother(f"{reviewer_id} is not employee {self.id}")
        elif kind == AppraisalReviewKind.MANAGER:
            if AppraisalReviewKind.SELF not in kinds:
                raise SelfReviewMissing(f"the {appraisal['cycle']} self review is not in yet")
            if self.manager_id is None:
                raise EmployeeHasNoManager(f"employee {self.id} has no manager")
            if reviewer_id != self.manager_id:
                raise ReviewerNotManager(f"{reviewer_id} is not employee {self.id}'s manager")
        else:
            if reviewer_id == self.id:
                raise PeerIsEmployee("the employee cannot be their own peer reviewer")
            if reviewer_id == self.manager_id:
                raise PeerIsManager("the manager writes the manager review, not a peer review")
            if AppraisalReviewKind.MANAGER not in kinds:
                raise ManagerReviewMissing(f"the {appraisal['cycle']} manager review is not in yet")

    @event("ReviewSubmitted")
    def _review_submitted(
        self,
        cycle: str,
        kind: AppraisalReviewKind,
        reviewer_id: UUID,
        score: int,
        comment: str | None,
        submitted_on: date,
        recorded_by: str,
    ) -> None:
        self.appraisals[cycle]["reviews"].append(
            Review(
                kind=kind,
                reviewer_id=reviewer_id,
                score=score,
                comment=comment,
                submitted_on=submitted_on,
                recorded_by=recorded_by,
            )
        )

    def finalize_appraisal(
        self,
        cycle: str,
        rating: int,
        feedback: str,
        improvement_plan: str | None,
        improvement_plan_due: date | None,
        finalized_by: str,
        on: date,
    ) -> None:
        """Rate 1-5 with feedback (§6.2.3); below 3 an improvement plan is due."""
        appraisal = self._open_appraisal(cycle)
        if appraisal_status(appraisal) != AppraisalStatus.PEER_REVIEWED:
            raise PeerReviewsMissing(
                f"the {cycle} appraisal is {appraisal_status(appraisal).value}: it needs the "
                f"self review, the manager review and {MIN_PEER_REVIEWS} peer reviews"
            )
        if rating not in RATING_RANGE:
            raise RatingOutOfRange(f"rating {rating} is not from 1 to 5", fields=("rating",))
        if rating < IMPROVEMENT_PLAN_BELOW and not (improvement_plan and improvement_plan.strip()):
            raise ImprovementPlanRequired(
                f"rating {rating} is below {IMPROVEMENT_PLAN_BELOW}: send the improvement_plan",
                fields=("improvement_plan",),
            )
        self._finalized(
            cycle=cycle, rating=rating, feedback=feedback, finalized_by=finalized_by, on=on
        )
        if improvement_plan is not None:
            self._improvement_plan_recorded(
                cycle=cycle, plan=improvement_plan, due=improvement_plan_due
            )

    @event("AppraisalFinalized")
    def _finalized(
        self, cycle: str, rating: int, feedback: str, finalized_by: str, on: date
    ) -> None:
        appraisal = self.appraisals[cycle]
        appraisal["rating"] = rating
        appraisal["feedback"] = feedback
        appraisal["finalized_by"] = finalized_by
        appraisal["finalized_on"] = on

    def record_improvement_plan(self, cycle: str, plan: str, due: date | None) -> None:
        self._check_employed()
        appraisal = self.appraisal(cycle)
        if appraisal["rating"] is None:
            raise AppraisalNotFinalized(f"the {cycle} appraisal is not finalized yet")
        if appraisal["improvement_plan"] is not None:
            raise ImprovementPlanAlreadyRecorded(f"the {cycle} improvement plan exists already")
        self._improvement_plan_recorded(cycle=cycle, plan=plan, due=due)

    @event("ImprovementPlanRecorded")
    def _improvement_plan_recorded(self, cycle: str, plan: str, due: date | None) -> None:
        self.appraisals[cycle]["improvement_plan"] = plan
        self.appraisals[cycle]["improvement_plan_due"] = due

    @property
    def outstanding_improvement_plans(self) -> list[str]:
        return [c for c, a in self.appraisals.items() if improvement_plan_outstanding(a)]

    # Rewards (§6.2.4).

    def reward(
        self,
        reward_id: UUID,
        cycle: str,
        bonus: Decimal | None,
        promotion_to: str | None,
        honorary_title: str | None,
        on: date,
    ) -> None:
        self._check_employed()
        if bonus is None and promotion_to is None and honorary_title is None:
            raise RewardEmpty(
                "give a bonus, a promotion or an honorary title",
                fields=("bonus", "promotion_to", "honorary_title"),
            )
        if bonus is not None:
            bonus = positive_money(bonus, "bonus")
        _check_cycle(cycle)
        appraisal = self.appraisals.get(cycle)
        if appraisal is None or appraisal["rating"] is None:
            raise AppraisalNotFinalized(f"the {cycle} appraisal is not finalized")
        if appraisal["rating"] < IMPROVEMENT_PLAN_BELOW:
            raise RewardNeedsRatingThree(
                f"the {cycle} rating is {appraisal['rating']}",
                figures={"rating": appraisal["rating"]},
            )
        self._rewarded(
            reward_id=reward_id,
            cycle=cycle,
            bonus=bonus,
            promotion_to=promotion_to,
            honorary_title=honorary_title,
            on=on,
            from_position=self.position,
        )

    @event("Rewarded")
    def _rewarded(
        self,
        reward_id: UUID,
        cycle: str,
        bonus: Decimal | None,
        promotion_to: str | None,
        honorary_title: str | None,
        on: date,
        from_position: str,
    ) -> None:
        self.rewards.append(
            {
                "id": reward_id,
                "cycle": cycle,
                "bonus": bonus,
                "promotion_to": promotion_to,
                "honorary_title": honorary_title,
                "on": on,
            }
        )
        if promotion_to is not None:
            self.position = promotion_to

    # Benefits (§6.3.1).

    def record_benefit(
        self,
        kind: BenefitKind,
        on: date,
        occasion: str | None,
        amount: Decimal | None,
        now: datetime,
    ) -> None:
        self._check_employed()
        self._check_happened_since_hire(on, now, "date")
        if kind == BenefitKind.HOLIDAY_BENEFIT and not (occasion and occasion.strip()):
            raise HolidayOccasionRequired("name the holiday", fields=("occasion",))
        if kind == BenefitKind.BIRTHDAY_BENEFIT and self.birthday is None:
            raise BirthdayUnknown(f"employee {self.id} has no birthday on record")
        if amount is not None:
            amount = positive_money(amount, "amount")
        if any(self._same_benefit(b, kind, on, occasion) for b in self.benefits):
            raise BenefitAlreadyRecorded(f"{kind.value} is recorded already for {on.year}")
        self._benefit_recorded(kind=kind, on=on, occasion=occasion, amount=amount)

    @staticmethod
    def _same_benefit(
        recorded: dict[str, object], kind: BenefitKind, on: date, occasion: str | None
    ) -> bool:
        if recorded["kind"] != kind:
            return False
        if kind in ENROLMENTS:
            return True
        recorded_on = recorded["on"]
        assert isinstance(recorded_on, date)
        same_year = recorded_on.year == on.year
        if kind == BenefitKind.HOLIDAY_BENEFIT:
            return same_year and recorded["occasion"] == occasion
        return same_year

    @event("BenefitRecorded")
    def _benefit_recorded(
        self, kind: BenefitKind, on: date, occasion: str | None, amount: Decimal | None
    ) -> None:
        self.benefits.append({"kind": kind, "on": on, "occasion": occasion, "amount": amount})

    # Paid annual leave (职工带薪年休假条例).

    def service_years(self, on: date) -> Decimal:
        """Cumulative years of service on ``on``: prior service plus service since hire."""
        return self.prior_service_years + service_years_between(self.hire_date, on)

    def leave_entitlement(self, year: int) -> int:
        """The year's paid annual leave days, pro rata for a joiner or a leaver."""
        return year_entitlement(self.prior_service_years, self.hire_date, self.separated_on, year)

    def leave_used(self, year: int) -> int:
        """Days requested (pending) or granted in ``year``."""
        return sum(
            r["days"]
            for r in self.leave_requests.values()
            if r["status"] in LEAVE_COUNTED and r["start"].year == year
        )

    def leave_balance(self, year: int) -> int:
        """What remains of the year's entitlement."""
        return self.leave_entitlement(year) - self.leave_used(year)

    def request_leave(
        self,
        request_id: UUID,
        start: date,
        end: date,
        days: int | None,
        requested_by: str,
        calendar: Schedule,
    ) -> None:
        """Working days of ``start..end`` by the company calendar; ``days``, when sent,
        must be the same figure."""
        self._check_employed()
        self._check_leave_period(start, end, days)
        self._check_since_hire(start, "start")
        assert calendar.year == start.year
        counted = calendar.working_days_between(start, end)
        if days is not None and days != counted:
            raise LeaveDaysMismatch(
                f"days {days} sent; the {calendar.kind} calendar counts {counted} working days "
                f"from {start.isoformat()} to {end.isoformat()}",
                fields=("days",),
                figures={"days_sent": days, "working_days": counted, "calendar": calendar.kind},
            )
        if counted == 0:
            raise LeaveHasNoWorkingDays(
                f"{start.isoformat()}..{end.isoformat()} holds no working day",
                fields=("start", "end"),
                figures={"working_days": 0, "calendar": calendar.kind},
            )
        for other in self.leave_requests.values():
            if other["status"] in LEAVE_COUNTED and other["start"] <= end and start <= other["end"]:
                raise LeaveOverlaps(
                    f"leave {other['id']} ({other['start']}..{other['end']}) overlaps",
                    fields=("start", "end"),
                )
        balance = self.leave_balance(start.year)
        if counted > balance:
            raise LeaveBalanceExceeded(
                f"{counted} days requested; {balance} of {self.leave_entitlement(start.year)} "
                f"days remain for {start.year}",
                fields=("days",),
                figures={"days": counted, "remaining": balance},
            )
        self._leave_requested(
            request_id=request_id, start=start, end=end, days=counted, requested_by=requested_by
        )

    @staticmethod
    def _check_leave_period(start: date, end: date, days: int | None) -> None:
        if end < start:
            raise LeavePeriodInvalid("end lies before start", fields=("end",))
        if end.year != start.year:
            raise LeaveSpansYears(
                "split leave at the turn of the year: balances are per calendar year",
                fields=("end",),
            )
        calendar_days = (end - start).days + 1
        if days is not None and (
            isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= calendar_days
        ):
            raise LeaveDaysInvalid(
                f"days {days} must be from 1 to {calendar_days}", fields=("days",)
            )

    @event("LeaveRequested")
    def _leave_requested(
        self, request_id: UUID, start: date, end: date, days: int, requested_by: str
    ) -> None:
        self.leave_requests[str(request_id)] = LeaveRequest(
            id=request_id,
            start=start,
            end=end,
            days=days,
            status=LeaveStatus.PENDING,
            requested_by=requested_by,
            decided_by=None,
            decision_reason=None,
        )

    def leave_request(self, request_id: UUID) -> LeaveRequest:
        found = self.leave_requests.get(str(request_id))
        if found is None:
            raise LeaveRequestNotFound(f"employee {self.id} has no leave request {request_id}")
        return found

    def _pending_leave(self, request_id: UUID, decider: str, decider_id: UUID | None) -> None:
        self._check_employed()
        request = self.leave_request(request_id)
        if request["status"] != LeaveStatus.PENDING:
            raise LeaveRequestNotPending(f"leave {request_id} is {request['status'].value}")
        if decider_id == self.id or decider == request["requested_by"]:
            raise FourEyesViolation(f"{decider} requested this leave and cannot decide on it")

    def approve_leave(self, request_id: UUID, approver: str, approver_id: UUID | None) -> None:
        self._pending_leave(request_id, approver, approver_id)
        self._leave_approved(request_id=request_id, approver=approver, approver_id=approver_id)

    @event("LeaveApproved")
    def _leave_approved(self, request_id: UUID, approver: str, approver_id: UUID | None) -> None:
        request = self.leave_requests[str(request_id)]
        request["status"] = LeaveStatus.APPROVED
        request["decided_by"] = approver

    def reject_leave(
        self, request_id: UUID, reason: str, rejecter: str, rejecter_id: UUID | None
    ) -> None:
        self._pending_leave(request_id, rejecter, rejecter_id)
        self._leave_rejected(
            request_id=request_id, reason=reason, rejecter=rejecter, rejecter_id=rejecter_id
        )

    @event("LeaveRejected")
    def _leave_rejected(
        self, request_id: UUID, reason: str, rejecter: str, rejecter_id: UUID | None
    ) -> None:
        request = self.leave_requests[str(request_id)]
        request["status"] = LeaveStatus.REJECTED
        request["decided_by"] = rejecter
        request["decision_reason"] = reason

    def cancel_leave(self, request_id: UUID, cancelled_by: str, today: date) -> None:
        """Pending or approved leave that has not begun is withdrawn: its days return."""
        self._check_employed()
        request = self.leave_request(request_id)
        if request["status"] not in (LeaveStatus.PENDING, LeaveStatus.APPROVED):
            raise LeaveNotCancellable(f"leave {request_id} is {request['status'].value}")
        if request["start"] <= today:
            raise LeaveNotCancellable(
                f"leave {request_id} began on {request['start'].isoformat()}",
                fields=("start",),
            )
        self._leave_cancelled(request_id=request_id, cancelled_by=cancelled_by)

    @event("LeaveCancelled")
    def _leave_cancelled(self, request_id: UUID, cancelled_by: str) -> None:
        request = self.leave_requests[str(request_id)]
        request["status"] = LeaveStatus.CANCELLED
        request["decided_by"] = cancelled_by

    def start_leave(self, request_id: UUID, on: date, now: datetime) -> None:
        """The employee goes on approved leave: on_leave until they return."""
        self._check_employed()
        request = self.leave_request(request_id)
        if self.status == EmployeeStatus.ON_LEAVE:
            raise AlreadyOnLeave(f"employee {self.id} is on leave {self.current_leave}")
        if request["status"] != LeaveStatus.APPROVED:
            raise LeaveNotApproved(f"leave {request_id} is {request['status'].value}")
        check_happened(on, now, "date")
        self._leave_started(request_id=request_id, on=on)

    @event("LeaveStarted")
    def _leave_started(self, request_id: UUID, on: date) -> None:
        self.leave_requests[str(request_id)]["status"] = LeaveStatus.STARTED
        self.status_before_leave = self.status
        self.status = EmployeeStatus.ON_LEAVE
        self.current_leave = request_id

    def return_from_leave(self, request_id: UUID, on: date, now: datetime) -> None:
        self._check_employed()
        self.leave_request(request_id)
        if self.status != EmployeeStatus.ON_LEAVE or self.current_leave != request_id:
            raise NotOnLeave(f"employee {self.id} is not on leave {request_id}")
        check_happened(on, now, "date")
        self._returned_from_leave(request_id=request_id, on=on)

    @event("ReturnedFromLeave")
    def _returned_from_leave(self, request_id: UUID, on: date) -> None:
        self.leave_requests[str(request_id)]["status"] = LeaveStatus.COMPLETED
        self.status = self.status_before_leave or EmployeeStatus.ACTIVE
        self.status_before_leave = None
        self.current_leave = None


def _hired_v1_v2(state: dict[str, Any]) -> None:
    state["probation_end"] = None  # the six-month default applies


# Hired version 2 carries the probation end; version 1 events load with the default.
_hired = vars(Employee)["Hired"]
_hired.class_version = 2
_hired.upcast_v1_v2 = staticmethod(_hired_v1_v2)
