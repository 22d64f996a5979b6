"""Employee commands through the real store: who may act, for whom, and what is recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from application.context import Actor
from application.errors import AggregateNotFound, ReferencedAggregateNotFound
from application.services import Services
from domain.employee import (
    ActingForAnother,
    AppraisalReviewKind,
    Employee,
    EmployeeSeparated,
    EmployeeStatus,
    Goal,
    LeaveBalanceExceeded,
    LeaveStatus,
    NoEmployeeIdentity,
    NotTheEmployeesManager,
    ReviewerRequired,
    SelfReviewMissing,
    TrainingKind,
)
from domain.errors import DomainError, FourEyesViolation
from domain.vocabulary import Department, Role
from tests.application.support import as_, replayed, state_of
from tests.support.clock import Clock
from tests.support.refusals import refused, stored_event_count

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
HR = Actor("hr.he", frozenset({Role.HR}))
AUDITOR = Actor("audit.an", frozenset({Role.AUDITOR}))
OPS = Actor("ops.ou", frozenset({Role.OPERATIONS}))
CYCLE = "2026"
GOALS = [
    Goal(
        title="Raise activation",
        metric="activation rate",
        target=Decimal("40"),
        unit="%",
        deadline=date(2026, 12, 31),
        weight=70,
    ),
    Goal(
        title="Answer tickets",
        metric="first response time",
        target=Decimal("2.5"),
        unit="hours",
        deadline=date(2026, 9, 30),
        weight=30,
    ),
]


def linked(name: str, employee_id: UUID, *roles: Role) -> Actor:
    """A principal linked to an employee."""
    return Actor(name, frozenset(roles or {Role.OPERATIONS}), employee_id=employee_id)


@pytest.fixture
def app(services: Services) -> Any:
    services.employees.clock = Clock(NOW)
    return services.employees


def hire(app: Any, name: str, manager_id: UUID | None = None, **overrides: Any) -> UUID:
    fields: dict[str, Any] = {
        "name": name,
        "department": Department.OPERATIONS,
        "position": "specialist",
        "manager_id": manager_id,
        "hire_date": date(2019, 4, 1),
        "prior_service_years": Decimal("1"),
        "birthday": date(1990, 5, 5),
        "ctx": as_(HR),
    }
    fields.update(overrides)
    result = app.hire_employee(**fields)
    return UUID(str(result.id))


@pytest.fixture
def team(app: Any) -> dict[str, UUID]:
    boss = hire(app, "Zhao Lei")
    return {
        "boss": boss,
        "chen": hire(app, "Chen Jing", boss),
        "peer_a": hire(app, "Li Na", boss),
        "peer_b": hire(app, "Wu Gang", boss),
    }


def review(
    app: Any, team: dict[str, UUID], kind: AppraisalReviewKind, who: str, actor: Actor = HR
) -> Any:
    return app.submit_review(
        team["chen"], cycle=CYCLE, kind=kind, reviewer_id=team[who], score=4, ctx=as_(actor)
    )


def through_peers(app: Any, team: dict[str, UUID]) -> None:
    app.set_goals(
        team["chen"],
        cycle=CYCLE,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        goals=GOALS,
        ctx=as_(HR),
    )
    review(app, team, AppraisalReviewKind.SELF, "chen", linked("chen", team["chen"]))
    review(app, team, AppraisalReviewKind.MANAGER, "boss", linked("zhao", team["boss"]))
    review(app, team, AppraisalReviewKind.PEER, "peer_a", linked("li", team["peer_a"]))
    review(app, team, AppraisalReviewKind.PEER, "peer_b")


def test_a_full_appraisal_is_stored_and_replays(app: Any, team: dict[str, UUID]) -> None:
    through_peers(app, team)
    app.finalize_appraisal(
        team["chen"],
        cycle=CYCLE,
        rating=3,
        feedback="on target",
        improvement_plan="coaching",
        ctx=as_(HR),
    )
    result = app.reward_employee(
        team["chen"], cycle=CYCLE, honorary_title="most improved", ctx=as_(HR)
    )

    employee = app.get_employee(team["chen"])
    assert employee.appraisal(CYCLE)["rating"] == 3
    assert employee.appraisal(CYCLE)["improvement_plan"] == "coaching"
    assert employee.outstanding_improvement_plans == []
    assert str(employee.rewards[0]["id"]) == result.extra["reward_id"]
    assert employee.appraisal(CYCLE)["goals"][1]["target"] == Decimal("2.5")
    assert state_of(replayed(app, team["chen"])) == state_of(employee)


def test_hr_acting_for_an_employee_is_recorded(app: Any, team: dict[str, UUID]) -> None:
    through_peers(app, team)

    history = app.history(team["chen"], type(app.get_employee(team["chen"])))
    reviews = [e for e in history if e.type == "ReviewSubmitted"]
    by_self, by_boss, _, by_hr = (e.metadata for e in reviews)
    assert (by_self["principal"], by_self["on_behalf_of"]) == ("chen", None)
    assert (by_boss["principal"], by_boss["on_behalf_of"]) == ("zhao", None)
    assert (by_hr["principal"], by_hr["on_behalf_of"]) == ("hr.he", str(team["peer_b"]))
    assert reviews[3].payload["recorded_by"] == "hr.he"
    assert reviews[3].payload["reviewer_id"] == team["peer_b"]


def test_a_linked_principal_acts_only_as_its_employee(app: Any, team: dict[str, UUID]) -> None:
    through_peers(app, team)
    chen = linked("chen", team["chen"], Role.HR)  # hr by role, but Chen when reviewing

    with refused(app, ActingForAnother):
        app.submit_review(
            team["boss"],
            cycle=CYCLE,
            kind=AppraisalReviewKind.SELF,
            reviewer_id=team["boss"],
            score=5,
            ctx=as_(chen),
        )
    with refused(app, ActingForAnother):
        app.request_leave(
            team["boss"], start=date(2026, 7, 1), end=date(2026, 7, 1), days=1, ctx=as_(chen)
        )


def test_the_reviewer_comes_from_the_linked_principal(app: Any, team: dict[str, UUID]) -> None:
    app.set_goals(
        team["chen"], cycle=CYCLE, period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31), goals=GOALS, ctx=as_(HR),
    )  # fmt: skip
    app.submit_review(
        team["chen"], cycle=CYCLE, kind=AppraisalReviewKind.SELF, score=3,
        ctx=as_(linked("chen", team["chen"])),
    )  # fmt: skip
    reviews = app.get_employee(team["chen"]).appraisal(CYCLE)["reviews"]
    assert reviews[0]["reviewer_id"] == team["chen"]


def test_hr_names_the_reviewer_and_others_may_not_review(app: Any, team: dict[str, UUID]) -> None:
    def self_review(actor: Actor) -> Any:
        return lambda: app.submit_review(
            team["chen"], cycle=CYCLE, kind=AppraisalReviewKind.SELF, score=3, ctx=as_(actor)
        )

    with refused(app, ReviewerRequired):
        self_review(HR)()
    with refused(app, NoEmployeeIdentity):
        self_review(OPS)()


def test_reviewers_must_be_employees(app: Any, team: dict[str, UUID]) -> None:
    through_peers(app, team)
    stranger = uuid4()
    with refused(app, ReferencedAggregateNotFound):
        app.submit_review(
            team["chen"],
            cycle=CYCLE,
            kind=AppraisalReviewKind.PEER,
            reviewer_id=stranger,
            score=3,
            ctx=as_(HR),
        )


def test_order_is_enforced_through_the_store(app: Any, team: dict[str, UUID]) -> None:
    app.set_goals(
        team["chen"], cycle=CYCLE, period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31), goals=GOALS, ctx=as_(HR),
    )  # fmt: skip
    with refused(app, SelfReviewMissing):
        review(app, team, AppraisalReviewKind.MANAGER, "boss", linked("z", team["boss"]))


def test_hr_does_not_decide_on_their_own_record(app: Any, team: dict[str, UUID]) -> None:
    through_peers(app, team)
    hr_chen = linked("chen", team["chen"], Role.HR)
    with refused(app, FourEyesViolation):
        app.finalize_appraisal(
            team["chen"], cycle=CYCLE, rating=5, feedback="great", ctx=as_(hr_chen)
        )


def test_the_manager_or_hr_decide_on_leave(app: Any, team: dict[str, UUID]) -> None:
    chen = linked("chen", team["chen"])
    first = app.request_leave(
        team["chen"], start=date(2026, 7, 6), end=date(2026, 7, 7), days=2, ctx=as_(chen)
    )
    second = app.request_leave(
        team["chen"], start=date(2026, 8, 3), end=date(2026, 8, 4), days=2, ctx=as_(HR)
    )
    first_id = UUID(first.extra["leave_request_id"])
    second_id = UUID(second.extra["leave_request_id"])

    for outsider in (linked("li", team["peer_a"]), OPS):
        with refused(app, NotTheEmployeesManager):
            app.approve_leave(team["chen"], first_id, ctx=as_(outsider))
    for requester in (chen, HR):  # nobody decides on what they submitted
        with refused(app, FourEyesViolation):
            app.approve_leave(team["chen"], second_id, ctx=as_(requester))
    app.approve_leave(team["chen"], first_id, ctx=as_(linked("zhao", team["boss"])))
    other_hr = Actor("hr.hu", frozenset({Role.HR}))
    app.reject_leave(team["chen"], second_id, reason="audit week", ctx=as_(other_hr))

    requests = app.get_employee(team["chen"]).leave_requests
    assert requests[str(first_id)]["status"] == LeaveStatus.APPROVED
    assert requests[str(first_id)]["decided_by"] == "zhao"
    assert requests[str(second_id)]["status"] == LeaveStatus.REJECTED


def test_an_unknown_leave_request_is_not_found(app: Any, team: dict[str, UUID]) -> None:
    with refused(app, AggregateNotFound):
        app.approve_leave(team["chen"], uuid4(), ctx=as_(HR))


def test_leave_beyond_the_balance_is_refused_in_the_store(app: Any, team: dict[str, UUID]) -> None:
    # 1 prior year + 7 years since 2019-04-01: 5 days.
    app.request_leave(
        team["chen"], start=date(2026, 7, 6), end=date(2026, 7, 10), days=5, ctx=as_(HR)
    )
    with refused(app, LeaveBalanceExceeded):
        app.request_leave(
            team["chen"], start=date(2026, 9, 1), end=date(2026, 9, 1), days=1, ctx=as_(HR)
        )


def test_leave_starts_and_ends_by_explicit_commands(app: Any, team: dict[str, UUID]) -> None:
    app.confirm_employee(team["chen"], on=date(2019, 7, 1), ctx=as_(HR))
    result = app.request_leave(
        team["chen"], start=date(2026, 6, 15), end=date(2026, 6, 16), days=2, ctx=as_(HR)
    )
    request_id = UUID(result.extra["leave_request_id"])
    app.approve_leave(team["chen"], request_id, ctx=as_(linked("zhao", team["boss"])))
    chen = linked("chen", team["chen"])
    app.start_leave(team["chen"], request_id, ctx=as_(chen))
    assert app.get_employee(team["chen"]).status == EmployeeStatus.ON_LEAVE
    app.return_from_leave(team["chen"], request_id, ctx=as_(HR))
    assert app.get_employee(team["chen"]).status == EmployeeStatus.ACTIVE


def test_an_idempotent_leave_request_answers_the_same_request(
    app: Any, team: dict[str, UUID]
) -> None:
    def ask() -> Any:
        return app.request_leave(
            team["chen"], start=date(2026, 7, 6), end=date(2026, 7, 6), days=1,
            ctx=as_(HR, key="leave-1"),
        )  # fmt: skip

    first = ask()
    count = stored_event_count(app)
    again = ask()

    assert again.extra["leave_request_id"] == first.extra["leave_request_id"]
    assert (again.version, stored_event_count(app)) == (first.version, count)


def test_managers_and_transfers_name_existing_employees(app: Any, team: dict[str, UUID]) -> None:
    with refused(app, ReferencedAggregateNotFound):
        hire(app, "Nobody's", uuid4())
    with refused(app, ReferencedAggregateNotFound):
        app.transfer_employee(
            team["chen"], department=Department.SALES, manager_id=uuid4(), ctx=as_(HR)
        )
    app.transfer_employee(
        team["chen"], department=Department.SALES, manager_id=team["peer_a"], ctx=as_(HR)
    )
    assert app.get_employee(team["chen"]).manager_id == team["peer_a"]


def test_nothing_after_separation_and_no_separated_manager(app: Any, team: dict[str, UUID]) -> None:
    app.separate_employee(team["boss"], on=date(2026, 6, 1), reason="retired", ctx=as_(HR))

    with refused(app, EmployeeSeparated):
        app.record_training(
            team["boss"],
            course="SQL",
            kind=TrainingKind.SKILLS,
            hours=Decimal("4"),
            completed_on=date(2026, 6, 2),
            ctx=as_(HR),
        )
    with refused(app, EmployeeSeparated):
        hire(app, "New", team["boss"])


def test_unknown_employees_are_not_found(app: Any) -> None:
    with pytest.raises(AggregateNotFound):
        app.get_employee(uuid4())
    with refused(app, AggregateNotFound):
        app.confirm_employee(uuid4(), ctx=as_(HR))


def test_domain_refusals_leave_the_history_unchanged(app: Any, team: dict[str, UUID]) -> None:
    with refused(app, LeaveBalanceExceeded) as raised:
        app.request_leave(
            team["chen"], start=date(2026, 7, 6), end=date(2026, 7, 31), days=20, ctx=as_(HR)
        )
    error = raised.value
    assert isinstance(error, DomainError)
    assert app.get_employee(team["chen"]).version == 1


def test_long_histories_snapshot_and_read_back_the_same(app: Any, team: dict[str, UUID]) -> None:
    through_peers(app, team)
    app.request_leave(
        team["chen"], start=date(2026, 7, 6), end=date(2026, 7, 6), days=1, ctx=as_(HR)
    )
    for day in range(1, 50):
        app.record_training(
            team["chen"],
            course=f"Course {day}",
            kind=TrainingKind.SKILLS,
            hours=Decimal("1.5"),
            completed_on=date(2026, 1, 1 + day % 28),
            ctx=as_(HR),
        )
    assert app.snapshots is not None
    assert list(app.snapshots.get(team["chen"]))  # a snapshot was taken

    employee = app.get_employee(team["chen"])
    assert employee.version > 50
    assert state_of(employee) == state_of(replayed(app, team["chen"]))


# Events and snapshots written before issue 12 (Hired and Employee version 1).


def _as_version_1(app: Any, stored: StoredEvent, *removed: str) -> StoredEvent:
    """The stored event as version 1 wrote it: without ``removed`` nor a class_version."""
    mapper = app.mapper
    data = stored.state
    if mapper.cipher is not None:
        data = mapper.cipher.decrypt(data)
    if mapper.compressor is not None:
        data = mapper.compressor.decompress(data)
    state = mapper.transcoder.decode(data)
    for key in (*removed, "class_version"):
        del state[key]
    data = mapper.transcoder.encode(state)
    if mapper.compressor is not None:
        data = mapper.compressor.compress(data)
    if mapper.cipher is not None:
        data = mapper.cipher.encrypt(data)
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=data,
    )


def test_a_hire_stored_before_probation_ends_loads_with_the_six_month_default(app: Any) -> None:
    employee = Employee.hire(
        name="Old Hire",
        department=Department.HR,
        position="officer",
        manager_id=None,
        hire_date=date(2025, 8, 31),
        now=NOW,
    )
    (hired,) = employee.collect_events()
    stored = app.mapper.to_stored_event(hired)
    app.recorder.insert_events([_as_version_1(app, stored, "probation_end")])

    loaded = app.get_employee(employee.id)
    assert loaded.probation_end == date(2026, 2, 28)
    assert loaded.probation_overdue(NOW.date())
    app.confirm_employee(employee.id, on=date(2026, 3, 2), ctx=as_(HR))
    assert app.get_employee(employee.id).status == EmployeeStatus.ACTIVE


def test_an_employee_snapshotted_at_version_1_gets_the_default(
    app: Any, team: dict[str, UUID]
) -> None:
    snapshot = Employee.Snapshot.take(app.get_employee(team["chen"]))
    del snapshot.state["probation_end"], snapshot.state["class_version"]
    app.snapshots.put([snapshot])
    loaded = app.get_employee(team["chen"])
    assert loaded.probation_end == date(2019, 10, 1)
