"""Employee rules (docs/domain.md §6; 职工带薪年休假条例 Art. 3)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID, uuid4

import pytest

from domain.calendar import Schedule
from domain.clock import DateInFuture
from domain.employee import (
    AlreadyOnLeave,
    AppraisalAlreadyExists,
    AppraisalCycleInvalid,
    AppraisalFinalized,
    AppraisalGoalsNotSet,
    AppraisalNotFinalized,
    AppraisalPeriodInvalid,
    AppraisalReviewKind,
    AppraisalStatus,
    BelowMinimumWorkingAge,
    BenefitAlreadyRecorded,
    BenefitKind,
    BirthdayUnknown,
    DateBeforeHire,
    Employee,
    EmployeeHasNoManager,
    EmployeeSeparated,
    EmployeeStatus,
    Goal,
    GoalDeadlineOutsidePeriod,
    GoalNotMeasurable,
    GoalsRequired,
    GoalWeightInvalid,
    GoalWeightsNotHundred,
    HolidayOccasionRequired,
    ImprovementPlanAlreadyRecorded,
    ImprovementPlanRequired,
    LeaveBalanceExceeded,
    LeaveDaysInvalid,
    LeaveNotApproved,
    LeaveOverlaps,
    LeavePeriodInvalid,
    LeaveRequestNotFound,
    LeaveRequestNotPending,
    LeaveSpansYears,
    LeaveStatus,
    ManagerReviewMissing,
    NotOnLeave,
    NotOnProbation,
    OwnManager,
    PeerIsEmployee,
    PeerIsManager,
    PeerReviewsMissing,
    PriorServiceInvalid,
    RatingOutOfRange,
    ReviewAlreadySubmitted,
    ReviewerNotManager,
    ReviewScoreOutOfRange,
    RewardEmpty,
    RewardNeedsRatingThree,
    SelfReviewByAnother,
    SelfReviewMissing,
    TrainingAlreadyRecorded,
    TrainingHoursInvalid,
    TrainingKind,
    TransferChangesNothing,
    annual_leave_entitlement,
    appraisal_status,
    service_years_between,
)
from domain.errors import DomainError, FourEyesViolation
from domain.money import AmountNotPositive, InvalidMoneyAmount
from domain.vocabulary import Department
from tests.domain.support import assert_refused, assert_replays_to_same_state, settled

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
HIRED_ON = date(2020, 3, 1)
MANAGER = UUID("00000000-0000-4000-8000-00000000000a")
PEER_A = UUID("00000000-0000-4000-8000-00000000000b")
PEER_B = UUID("00000000-0000-4000-8000-00000000000c")
CYCLE = "2026"
SELF = AppraisalReviewKind.SELF
BOSS = AppraisalReviewKind.MANAGER
PEER = AppraisalReviewKind.PEER


def hired(*, settle: bool = True, **overrides: Any) -> Employee:
    """A new hire; ``settle=False`` keeps its events pending (to replay them)."""
    fields: dict[str, Any] = {
        "name": "Chen Jing",
        "department": Department.OPERATIONS,
        "position": "operations specialist",
        "manager_id": MANAGER,
        "hire_date": HIRED_ON,
        "prior_service_years": Decimal("2"),
        "birthday": date(1992, 7, 9),
        "now": NOW,
    }
    fields.update(overrides)
    employee = Employee.hire(**fields)
    return settled(employee) if settle else employee


def goal(**overrides: Any) -> Goal:
    fields: dict[str, Any] = {
        "title": "Raise activation",
        "metric": "activation rate",
        "target": Decimal("40"),
        "unit": "%",
        "deadline": date(2026, 12, 31),
        "weight": 60,
    }
    fields.update(overrides)
    return cast(Goal, fields)


GOALS = [goal(), goal(title="Cut churn", metric="monthly churn", target=Decimal("3"), weight=40)]


def with_goals(employee: Employee | None = None, *, settle: bool = True) -> Employee:
    employee = employee or hired(settle=settle)
    employee.set_goals(CYCLE, date(2026, 1, 1), date(2026, 12, 31), GOALS)
    return settled(employee) if settle else employee


def review(employee: Employee, kind: AppraisalReviewKind, reviewer: UUID, score: int = 4) -> None:
    employee.submit_review(CYCLE, kind, reviewer, score, "solid year", "hr-he", NOW.date())


def peer_reviewed(*, settle: bool = True) -> Employee:
    employee = with_goals(settle=settle)
    review(employee, SELF, employee.id)
    review(employee, BOSS, MANAGER)
    review(employee, PEER, PEER_A)
    review(employee, PEER, PEER_B)
    return settled(employee) if settle else employee


def finalized(rating: int = 4, *, settle: bool = True) -> Employee:
    employee = peer_reviewed(settle=settle)
    plan = "weekly coaching" if rating < 3 else None
    employee.finalize_appraisal(CYCLE, rating, "well done", plan, None, "hr-he", NOW.date())
    return settled(employee) if settle else employee


# Hiring and employment.


def test_hire_starts_on_probation() -> None:
    employee = hired()

    assert employee.status == EmployeeStatus.HIRED
    assert employee.prior_service_years == Decimal("2.00")
    assert employee.version == 1


def test_hire_date_cannot_lie_in_the_future() -> None:
    with pytest.raises(DateInFuture):
        hired(hire_date=date(2026, 6, 16))


@pytest.mark.parametrize("years", [Decimal("-1"), Decimal("61"), Decimal("1.005"), 1.5])
def test_prior_service_must_be_a_sensible_decimal(years: Any) -> None:
    with pytest.raises(PriorServiceInvalid):
        hired(prior_service_years=years)


def test_an_employee_is_at_least_sixteen_on_the_hire_date() -> None:
    with pytest.raises(BelowMinimumWorkingAge):
        hired(birthday=date(2004, 3, 2))
    assert hired(birthday=date(2004, 3, 1)).birthday == date(2004, 3, 1)


def test_confirmation_ends_probation_once() -> None:
    employee = hired()
    employee.confirm(date(2020, 6, 1), NOW)

    assert employee.status == EmployeeStatus.ACTIVE
    assert_refused(settled(employee), NotOnProbation, lambda e: e.confirm(NOW.date(), NOW))


def test_confirmation_date_lies_between_hire_and_today() -> None:
    assert_refused(hired(), DateBeforeHire, lambda e: e.confirm(date(2020, 2, 1), NOW))
    assert_refused(hired(), DateInFuture, lambda e: e.confirm(date(2026, 7, 1), NOW))


def test_transfer_moves_department_position_and_manager() -> None:
    employee = hired(settle=False)
    employee.transfer(Department.SALES, "account manager", PEER_A, date(2025, 1, 1), NOW)

    assert (employee.department, employee.position, employee.manager_id) == (
        Department.SALES,
        "account manager",
        PEER_A,
    )
    assert_replays_to_same_state(employee)


def test_a_transfer_within_the_department_changes_the_manager_or_the_position() -> None:
    employee = hired(settle=False)
    employee.transfer(Department.OPERATIONS, None, PEER_A, date(2025, 1, 1), NOW)
    employee.transfer(Department.OPERATIONS, "senior specialist", PEER_A, date(2025, 6, 1), NOW)

    assert (employee.department, employee.position, employee.manager_id) == (
        Department.OPERATIONS,
        "senior specialist",
        PEER_A,
    )
    assert_replays_to_same_state(employee)


def test_transfer_changes_something_and_never_makes_one_their_own_manager() -> None:
    employee = hired()
    assert_refused(
        employee,
        TransferChangesNothing,
        lambda e: e.transfer(Department.OPERATIONS, None, MANAGER, NOW.date(), NOW),
    )
    assert_refused(
        employee,
        OwnManager,
        lambda e: e.transfer(Department.SALES, None, employee.id, NOW.date(), NOW),
    )


def test_after_separation_every_command_is_refused() -> None:
    employee = finalized()
    employee.separate(date(2026, 6, 1), "resigned", NOW)
    employee = settled(employee)
    assert employee.status == EmployeeStatus.SEPARATED

    refused = [
        lambda e: e.confirm(NOW.date(), NOW),
        lambda e: e.transfer(Department.SALES, None, None, NOW.date(), NOW),
        lambda e: e.separate(NOW.date(), "again", NOW),
        lambda e: e.record_training("Excel", TrainingKind.SKILLS, 4, NOW.date(), None, NOW),
        lambda e: e.set_goals("2027", date(2027, 1, 1), date(2027, 12, 31), GOALS),
        lambda e: e.reward(uuid4(), CYCLE, Decimal("100.00"), None, None, NOW.date()),
        lambda e: e.record_benefit(BenefitKind.HEALTH_CHECK, NOW.date(), None, None, NOW),
        lambda e: e.request_leave(uuid4(), date(2026, 7, 1), date(2026, 7, 1), 1, "x", WEEKENDS),
        lambda e: e.record_improvement_plan(CYCLE, "plan", None),
    ]
    for act in refused:
        assert_refused(employee, EmployeeSeparated, act)


def test_separation_date_lies_between_hire_and_today() -> None:
    assert_refused(hired(), DateInFuture, lambda e: e.separate(date(2026, 7, 1), "x", NOW))
    assert_refused(hired(), DateBeforeHire, lambda e: e.separate(date(2019, 1, 1), "x", NOW))


# Training.


def test_training_is_recorded_with_kind_hours_and_plan_year() -> None:
    employee = hired(settle=False)
    employee.record_training(
        "New hire orientation", TrainingKind.ONBOARDING, Decimal("8"), HIRED_ON, None, NOW
    )

    assert employee.trainings[0]["plan_year"] == 2020
    assert employee.trainings[0]["kind"] == TrainingKind.ONBOARDING
    assert_replays_to_same_state(employee)


@pytest.mark.parametrize(
    "hours", [Decimal("0"), Decimal("-2"), Decimal("1000.5"), Decimal("NaN"), 2.5, True]
)
def test_training_hours_are_positive(hours: Any) -> None:
    assert_refused(
        hired(),
        TrainingHoursInvalid,
        lambda e: e.record_training("SQL", TrainingKind.SKILLS, hours, NOW.date(), None, NOW),
    )


def test_training_dates_lie_between_hire_and_today() -> None:
    def train(on: date) -> Any:
        return lambda e: e.record_training("SQL", TrainingKind.SKILLS, 4, on, None, NOW)

    assert_refused(hired(), DateInFuture, train(date(2026, 6, 16)))
    assert_refused(hired(), DateBeforeHire, train(date(2020, 2, 28)))


def test_the_same_training_is_recorded_once() -> None:
    employee = hired()
    employee.record_training("SQL", TrainingKind.SKILLS, Decimal(4), NOW.date(), 2026, NOW)
    assert_refused(
        settled(employee),
        TrainingAlreadyRecorded,
        lambda e: e.record_training("SQL", TrainingKind.SKILLS, Decimal(4), NOW.date(), 2026, NOW),
    )


# Appraisal: goals.


def test_goals_open_the_cycle() -> None:
    employee = with_goals()

    assert appraisal_status(employee.appraisal(CYCLE)) == AppraisalStatus.GOALS_SET
    assert [g["weight"] for g in employee.appraisal(CYCLE)["goals"]] == [60, 40]


def test_one_appraisal_per_cycle() -> None:
    assert_refused(
        with_goals(),
        AppraisalAlreadyExists,
        lambda e: e.set_goals(CYCLE, date(2026, 1, 1), date(2026, 12, 31), GOALS),
    )


@pytest.mark.parametrize(
    ("goals", "error"),
    [
        ([], GoalsRequired),
        ([goal(weight=60), goal(weight=30)], GoalWeightsNotHundred),
        ([goal(weight=100), goal(weight=10)], GoalWeightsNotHundred),
        ([goal(weight=0), goal(weight=100)], GoalWeightInvalid),
        ([goal(weight=101)], GoalWeightInvalid),
        ([goal(weight=100, deadline=date(2027, 1, 1))], GoalDeadlineOutsidePeriod),
        ([goal(weight=100, deadline=date(2025, 12, 31))], GoalDeadlineOutsidePeriod),
        ([goal(weight=100, metric=" ")], GoalNotMeasurable),
        ([goal(weight=100, unit="")], GoalNotMeasurable),
        ([goal(weight=100, target=Decimal("NaN"))], GoalNotMeasurable),
    ],
)
def test_goals_are_smart_and_weigh_one_hundred(goals: list[Goal], error: type[DomainError]) -> None:
    assert_refused(
        hired(), error, lambda e: e.set_goals(CYCLE, date(2026, 1, 1), date(2026, 12, 31), goals)
    )


def test_goals_with_deadlines_on_the_period_edges_are_fine() -> None:
    employee = hired()
    goals = [goal(weight=50, deadline=date(2026, 1, 1)), goal(weight=50)]
    employee.set_goals(CYCLE, date(2026, 1, 1), date(2026, 12, 31), goals)
    assert CYCLE in employee.appraisals


def test_the_period_ends_after_it_starts() -> None:
    assert_refused(
        hired(),
        AppraisalPeriodInvalid,
        lambda e: e.set_goals(CYCLE, date(2026, 12, 31), date(2026, 1, 1), GOALS),
    )


@pytest.mark.parametrize("cycle", ["26", "2026-H3", "2026/1", "FY2026", ""])
def test_cycles_are_years_halves_or_quarters(cycle: str) -> None:
    assert_refused(
        hired(),
        AppraisalCycleInvalid,
        lambda e: e.set_goals(cycle, date(2026, 1, 1), date(2026, 12, 31), GOALS),
    )


# Appraisal: reviews, in order.


def test_reviews_run_self_manager_peers() -> None:
    employee = peer_reviewed(settle=False)

    appraisal = employee.appraisal(CYCLE)
    assert appraisal_status(appraisal) == AppraisalStatus.PEER_REVIEWED
    assert [r["kind"] for r in appraisal["reviews"]] == [SELF, BOSS, PEER, PEER]
    assert_replays_to_same_state(employee)


def test_no_review_before_goals() -> None:
    assert_refused(hired(), AppraisalGoalsNotSet, lambda e: review(e, SELF, e.id))


def test_no_manager_review_before_the_self_review() -> None:
    assert_refused(with_goals(), SelfReviewMissing, lambda e: review(e, BOSS, MANAGER))


def test_no_peer_review_before_the_manager_review() -> None:
    employee = with_goals()
    review(employee, SELF, employee.id)
    assert_refused(settled(employee), ManagerReviewMissing, lambda e: review(e, PEER, PEER_A))


def test_only_the_employee_writes_the_self_review() -> None:
    assert_refused(with_goals(), SelfReviewByAnother, lambda e: review(e, SELF, PEER_A))


def test_only_the_manager_writes_the_manager_review() -> None:
    employee = with_goals()
    review(employee, SELF, employee.id)
    assert_refused(settled(employee), ReviewerNotManager, lambda e: review(e, BOSS, PEER_A))


def test_no_manager_review_without_a_manager() -> None:
    employee = with_goals(hired(manager_id=None))
    review(employee, SELF, employee.id)
    assert_refused(settled(employee), EmployeeHasNoManager, lambda e: review(e, BOSS, MANAGER))


def test_peers_are_never_the_employee_or_the_manager() -> None:
    employee = with_goals()
    review(employee, SELF, employee.id)
    review(employee, BOSS, MANAGER)
    employee = settled(employee)

    assert_refused(employee, PeerIsEmployee, lambda e: review(e, PEER, e.id))
    assert_refused(employee, PeerIsManager, lambda e: review(e, PEER, MANAGER))


@pytest.mark.parametrize(("kind", "reviewer"), [(SELF, None), (BOSS, MANAGER), (PEER, PEER_A)])
def test_a_submitted_review_cannot_change(kind: AppraisalReviewKind, reviewer: UUID | None) -> None:
    employee = peer_reviewed()
    assert_refused(employee, ReviewAlreadySubmitted, lambda e: review(e, kind, reviewer or e.id, 2))


@pytest.mark.parametrize("score", [0, 6, -1])
def test_review_scores_run_from_one_to_five(score: int) -> None:
    assert_refused(with_goals(), ReviewScoreOutOfRange, lambda e: review(e, SELF, e.id, score))


# Appraisal: finalizing, improvement plans, rewards.


def test_finalizing_needs_two_peer_reviews() -> None:
    employee = with_goals()
    review(employee, SELF, employee.id)
    review(employee, BOSS, MANAGER)
    review(employee, PEER, PEER_A)
    assert_refused(
        settled(employee),
        PeerReviewsMissing,
        lambda e: e.finalize_appraisal(CYCLE, 4, "ok", None, None, "hr-he", NOW.date()),
    )


@pytest.mark.parametrize("rating", [0, 6])
def test_ratings_run_from_one_to_five(rating: int) -> None:
    assert_refused(
        peer_reviewed(),
        RatingOutOfRange,
        lambda e: e.finalize_appraisal(CYCLE, rating, "ok", None, None, "hr-he", NOW.date()),
    )


def test_a_finalized_appraisal_cannot_change() -> None:
    employee = finalized()
    assert employee.appraisal(CYCLE)["rating"] == 4
    assert_refused(
        employee,
        AppraisalFinalized,
        lambda e: e.finalize_appraisal(CYCLE, 5, "better", None, None, "hr-he", NOW.date()),
    )
    assert_refused(employee, AppraisalFinalized, lambda e: review(e, PEER, uuid4()))


@pytest.mark.parametrize("plan", [None, "  "])
def test_a_rating_below_three_is_not_finalized_without_an_improvement_plan(
    plan: str | None,
) -> None:
    assert_refused(
        peer_reviewed(),
        ImprovementPlanRequired,
        lambda e: e.finalize_appraisal(CYCLE, 2, "below target", plan, None, "hr", NOW.date()),
    )


def test_an_improvement_plan_is_recorded_once() -> None:
    employee = finalized(rating=2)
    assert employee.outstanding_improvement_plans == []
    assert_refused(
        employee,
        ImprovementPlanAlreadyRecorded,
        lambda e: e.record_improvement_plan(CYCLE, "again", None),
    )


@pytest.mark.parametrize(
    ("bonus", "promotion", "title"),
    [(Decimal("100.00"), None, None), (None, "lead", None), (None, None, "star")],
)
def test_no_reward_on_a_rating_below_three(
    bonus: Decimal | None, promotion: str | None, title: str | None
) -> None:
    error = assert_refused(
        finalized(rating=2),
        RewardNeedsRatingThree,
        lambda e: e.reward(uuid4(), CYCLE, bonus, promotion, title, NOW.date()),
    )
    assert error.figures == {"rating": 2}


def test_an_improvement_plan_can_come_with_the_finalization() -> None:
    employee = peer_reviewed(settle=False)
    employee.finalize_appraisal(CYCLE, 2, "below target", "coaching", None, "hr", NOW.date())

    assert employee.outstanding_improvement_plans == []
    assert employee.appraisal(CYCLE)["improvement_plan"] == "coaching"
    assert_replays_to_same_state(employee)


def test_a_rating_of_three_needs_no_plan() -> None:
    assert finalized(rating=3).outstanding_improvement_plans == []


def test_an_improvement_plan_needs_a_finalized_appraisal() -> None:
    assert_refused(
        peer_reviewed(),
        AppraisalNotFinalized,
        lambda e: e.record_improvement_plan(CYCLE, "plan", None),
    )


def test_rewards_follow_a_finalized_appraisal() -> None:
    employee = finalized(rating=5, settle=False)
    employee.reward(uuid4(), CYCLE, Decimal("8000.00"), "senior specialist", "star", NOW.date())

    assert employee.position == "senior specialist"
    assert employee.rewards[0]["bonus"] == Decimal("8000.00")
    assert_replays_to_same_state(employee)


def test_no_reward_without_a_finalized_appraisal() -> None:
    def bonus(e: Employee) -> None:
        e.reward(uuid4(), CYCLE, Decimal("100.00"), None, None, NOW.date())

    assert_refused(hired(), AppraisalNotFinalized, bonus)
    assert_refused(peer_reviewed(), AppraisalNotFinalized, bonus)


@pytest.mark.parametrize(
    ("bonus", "error"),
    [
        (None, RewardEmpty),
        (Decimal("0"), AmountNotPositive),
        (Decimal("1.005"), InvalidMoneyAmount),
        (100.5, InvalidMoneyAmount),
    ],
)
def test_a_reward_is_something(bonus: Any, error: type[DomainError]) -> None:
    assert_refused(
        finalized(), error, lambda e: e.reward(uuid4(), CYCLE, bonus, None, None, NOW.date())
    )


# Benefits.


def test_enrolments_happen_once() -> None:
    employee = hired()
    employee.record_benefit(BenefitKind.SOCIAL_INSURANCE, HIRED_ON, None, None, NOW)
    employee.record_benefit(BenefitKind.HOUSING_FUND, HIRED_ON, None, None, NOW)
    assert_refused(
        settled(employee),
        BenefitAlreadyRecorded,
        lambda e: e.record_benefit(BenefitKind.SOCIAL_INSURANCE, NOW.date(), None, None, NOW),
    )


def test_yearly_benefits_once_a_year() -> None:
    employee = hired()
    employee.record_benefit(BenefitKind.HEALTH_CHECK, date(2025, 5, 1), None, None, NOW)
    employee.record_benefit(BenefitKind.HEALTH_CHECK, date(2026, 5, 1), None, None, NOW)
    employee.record_benefit(
        BenefitKind.BIRTHDAY_BENEFIT, date(2025, 7, 9), None, Decimal("300.00"), NOW
    )
    employee.record_benefit(
        BenefitKind.HOLIDAY_BENEFIT, date(2026, 2, 1), "spring_festival", None, NOW
    )
    employee.record_benefit(
        BenefitKind.HOLIDAY_BENEFIT, date(2026, 5, 30), "dragon_boat", None, NOW
    )
    employee = settled(employee)

    assert_refused(
        employee,
        BenefitAlreadyRecorded,
        lambda e: e.record_benefit(BenefitKind.HEALTH_CHECK, date(2026, 6, 1), None, None, NOW),
    )
    assert_refused(
        employee,
        BenefitAlreadyRecorded,
        lambda e: e.record_benefit(
            BenefitKind.HOLIDAY_BENEFIT, date(2026, 2, 2), "spring_festival", None, NOW
        ),
    )


def test_holiday_benefits_name_the_holiday_and_birthdays_need_a_birthday() -> None:
    assert_refused(
        hired(),
        HolidayOccasionRequired,
        lambda e: e.record_benefit(BenefitKind.HOLIDAY_BENEFIT, NOW.date(), None, None, NOW),
    )
    assert_refused(
        hired(birthday=None),
        BirthdayUnknown,
        lambda e: e.record_benefit(BenefitKind.BIRTHDAY_BENEFIT, NOW.date(), None, None, NOW),
    )


def test_benefits_delivered_lie_between_hire_and_today() -> None:
    assert_refused(
        hired(),
        DateInFuture,
        lambda e: e.record_benefit(BenefitKind.HEALTH_CHECK, date(2026, 7, 1), None, None, NOW),
    )


# Paid annual leave.

WEEKENDS = Schedule.weekends_only(2026)


@pytest.mark.parametrize(
    ("years", "days"),
    [
        ("0", 0),
        ("0.99", 0),
        ("1", 5),
        ("9.99", 5),
        ("10", 10),
        ("19.99", 10),
        ("20", 15),
        ("35", 15),
    ],
)
def test_entitlement_by_cumulative_service(years: str, days: int) -> None:
    assert annual_leave_entitlement(Decimal(years)) == days
    # The same bands through service at the start of the year, employed all year.
    employee = hired(prior_service_years=Decimal(years), hire_date=date(2026, 1, 1))
    # x.99 years reach the next band on 5 January: 361 days of the year at it.
    expected = {"0.99": 361 * 5 // 365, "9.99": (4 * 5 + 361 * 10) // 365}
    expected["19.99"] = (4 * 10 + 361 * 15) // 365
    assert employee.leave_entitlement(2026) == expected.get(years, days)


@pytest.mark.parametrize(
    ("hire_date", "prior", "days"),
    [
        (date(2025, 1, 1), "1", 5),  # all year: the whole band
        (date(2025, 7, 1), "1", 2),  # 184 remaining days / 365 x 5 = 2.52: rounded down
        (date(2025, 10, 1), "10", 2),  # 92 / 365 x 10 = 2.52
        (date(2025, 3, 1), "25", 12),  # 306 / 365 x 15 = 12.58
        (date(2025, 12, 31), "5", 0),  # 1 / 365 x 5
    ],
)
def test_a_joiner_gets_the_share_of_the_remaining_days(
    hire_date: date, prior: str, days: int
) -> None:
    """实施办法 Art. 5: remaining calendar days of the year / 365 x the entitlement."""
    employee = hired(prior_service_years=Decimal(prior), hire_date=hire_date, birthday=None)
    assert employee.leave_entitlement(2025) == days
    assert employee.leave_entitlement(2024) == 0


def test_a_leaver_gets_the_share_of_the_days_before_leaving() -> None:
    """实施办法 Art. 12: days of the year before leaving / 365 x the entitlement."""
    employee = hired(prior_service_years=Decimal("12"), hire_date=date(2020, 3, 1))
    employee.separate(date(2026, 4, 1), "resigned", NOW)  # 90 days: 90 / 365 x 10 = 2.47
    assert employee.leave_entitlement(2026) == 2
    assert employee.leave_entitlement(2025) == 10


def test_crossing_ten_years_mid_year_gives_the_higher_band_for_the_rest_of_the_year() -> None:
    """One figure for the year, whatever the day asked about: 181 days at 5 and 184 at 10."""
    employee = hired(prior_service_years=Decimal(0), hire_date=date(2016, 7, 1), birthday=None)
    assert employee.leave_entitlement(2026) == (181 * 5 + 184 * 10) // 365 == 7
    assert employee.leave_entitlement(2025) == 5
    assert employee.leave_entitlement(2027) == 10
    leave(employee, date(2026, 3, 2), date(2026, 3, 6), 5)
    leave(employee, date(2026, 8, 3), date(2026, 8, 4), 2)
    assert employee.leave_balance(2026) == 0
    assert_refused(
        settled(employee),
        LeaveBalanceExceeded,
        lambda e: leave(e, date(2026, 8, 5), date(2026, 8, 5), 1),
    )


def test_the_first_year_of_service_counts_from_the_anniversary() -> None:
    employee = hired(prior_service_years=Decimal(0), hire_date=date(2025, 7, 1), birthday=None)
    assert employee.leave_entitlement(2025) == 0
    assert employee.leave_entitlement(2026) == 184 * 5 // 365 == 2


def test_prior_service_and_service_since_hire_add_up() -> None:
    employee = hired(prior_service_years=Decimal("0.5"), hire_date=date(2025, 12, 1))
    assert employee.service_years(date(2026, 6, 1)) == Decimal("0.5") + service_years_between(
        date(2025, 12, 1), date(2026, 6, 1)
    )
    # Half a year before plus 183 of 365 days since hire pass one year on 2 June:
    # 213 days of 2026 at 5 days.
    assert employee.leave_entitlement(2026) == 213 * 5 // 365 == 2


def test_service_years_over_a_leap_day() -> None:
    assert service_years_between(date(2024, 2, 29), date(2025, 2, 28)) == 1


def leave(
    employee: Employee,
    start: date,
    end: date,
    days: int | None = None,
    by: str = "chen",
    calendar: Schedule | None = None,
) -> UUID:
    request_id = uuid4()
    schedule = calendar or Schedule.weekends_only(start.year)
    employee.request_leave(request_id, start, end, days, by, schedule)
    return request_id


def test_leave_within_the_balance_is_requested_pending() -> None:
    employee = hired(settle=False)  # 2 prior + 6 years: 5 days
    request_id = leave(employee, date(2026, 7, 6), date(2026, 7, 8), 3)

    assert employee.leave_request(request_id)["status"] == LeaveStatus.PENDING
    assert employee.leave_balance(2026) == 2
    assert_replays_to_same_state(employee)


def test_a_request_beyond_the_balance_is_refused() -> None:
    employee = hired()
    leave(employee, date(2026, 7, 6), date(2026, 7, 8), 3)
    assert_refused(
        settled(employee),
        LeaveBalanceExceeded,
        lambda e: leave(e, date(2026, 8, 3), date(2026, 8, 5), 3),
    )


def test_no_leave_without_a_year_of_service() -> None:
    employee = hired(prior_service_years=Decimal(0), hire_date=date(2026, 6, 1), birthday=None)
    assert_refused(
        employee, LeaveBalanceExceeded, lambda e: leave(e, date(2026, 6, 2), date(2026, 6, 2), 1)
    )


def test_balances_are_per_calendar_year() -> None:
    employee = hired()
    leave(employee, date(2025, 12, 22), date(2025, 12, 26), 5)
    leave(employee, date(2026, 1, 5), date(2026, 1, 9), 5)
    assert employee.leave_balance(2026) == 0


def test_a_rejected_request_frees_its_days() -> None:
    employee = hired()
    request_id = leave(employee, date(2026, 7, 6), date(2026, 7, 10), 5)
    employee.reject_leave(request_id, "busy season", "mgr", MANAGER)

    assert employee.leave_balance(2026) == 5
    leave(employee, date(2026, 7, 6), date(2026, 7, 10), 5)


@pytest.mark.parametrize(
    ("start", "end", "days", "error"),
    [
        (date(2026, 7, 8), date(2026, 7, 6), 1, LeavePeriodInvalid),
        (date(2026, 12, 30), date(2027, 1, 2), 2, LeaveSpansYears),
        (date(2026, 7, 6), date(2026, 7, 7), 3, LeaveDaysInvalid),
        (date(2026, 7, 6), date(2026, 7, 7), 0, LeaveDaysInvalid),
        (date(2020, 2, 3), date(2020, 2, 3), 1, DateBeforeHire),
    ],
)
def test_leave_periods_make_sense(
    start: date, end: date, days: int, error: type[DomainError]
) -> None:
    assert_refused(hired(), error, lambda e: leave(e, start, end, days))


def test_leave_requests_do_not_overlap() -> None:
    employee = hired()
    leave(employee, date(2026, 7, 6), date(2026, 7, 8), 3)
    assert_refused(
        settled(employee), LeaveOverlaps, lambda e: leave(e, date(2026, 7, 8), date(2026, 7, 9))
    )


def test_leave_is_decided_once_and_never_by_the_employee() -> None:
    employee = hired()
    request_id = leave(employee, date(2026, 7, 6), date(2026, 7, 8), by="chen")
    employee = settled(employee)

    assert_refused(
        employee, FourEyesViolation, lambda e: e.approve_leave(request_id, "chen-2", e.id)
    )
    assert_refused(employee, FourEyesViolation, lambda e: e.approve_leave(request_id, "chen", None))
    assert_refused(
        employee, LeaveRequestNotFound, lambda e: e.approve_leave(uuid4(), "mgr", MANAGER)
    )
    employee.approve_leave(request_id, "mgr", MANAGER)
    employee = settled(employee)
    assert_refused(
        employee, LeaveRequestNotPending, lambda e: e.approve_leave(request_id, "hr", None)
    )
    assert_refused(
        employee, LeaveRequestNotPending, lambda e: e.reject_leave(request_id, "no", "hr", None)
    )


def test_approved_leave_starts_and_ends() -> None:
    employee = hired()
    employee.confirm(date(2020, 6, 1), NOW)
    request_id = leave(employee, date(2026, 6, 10), date(2026, 6, 12), 3)
    employee = settled(employee)
    assert_refused(
        employee, LeaveNotApproved, lambda e: e.start_leave(request_id, date(2026, 6, 10), NOW)
    )
    employee.approve_leave(request_id, "mgr", MANAGER)
    employee.start_leave(request_id, date(2026, 6, 10), NOW)
    assert employee.status == EmployeeStatus.ON_LEAVE
    employee = settled(employee)
    assert_refused(
        employee, AlreadyOnLeave, lambda e: e.start_leave(request_id, date(2026, 6, 10), NOW)
    )

    employee.return_from_leave(request_id, date(2026, 6, 13), NOW)

    assert employee.status == EmployeeStatus.ACTIVE
    assert employee.leave_request(request_id)["status"] == LeaveStatus.COMPLETED
    assert employee.leave_used(2026) == 3
    assert_refused(
        settled(employee),
        NotOnLeave,
        lambda e: e.return_from_leave(request_id, date(2026, 6, 14), NOW),
    )
