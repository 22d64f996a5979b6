"""/employees: hiring, training, appraisals, rewards, benefits and leave (§6).

hr runs the cycle. Reviews and leave requests are the employee's own acts: a
principal linked to an employee makes them as that employee, hr on their behalf.
Leave is decided by the employee's manager or hr. Auditors read.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request, Response

from api.answers import (
    AsOfQuery,
    VersionQuery,
    command_answer,
    events_answer,
    read_answer,
    read_state,
)
from api.deps import Caller, ServicesDep, commanded_by
from api.schemas.common import PROBLEM_RESPONSES, CommandOut, EmptyIn, EventsOut
from api.schemas.employees import (
    AppraisalOut,
    BenefitIn,
    ConfirmIn,
    EmployeeOut,
    FinalizeIn,
    HireEmployeeIn,
    ImprovementPlanIn,
    LeaveRequestIn,
    LeaveRequestOut,
    LeaveStepIn,
    RejectLeaveIn,
    ReviewIn,
    RewardIn,
    SeparateIn,
    SetGoalsIn,
    TrainingIn,
    TransferIn,
)
from application.context import CommandContext
from application.errors import AggregateNotFound
from domain.employee import CYCLE_PATTERN, Employee
from domain.vocabulary import Role

router = APIRouter(prefix="/employees", tags=["employees"], responses=PROBLEM_RESPONSES)

Hr = Annotated[CommandContext, Depends(commanded_by(Role.HR))]
# Everyone but auditors: the application decides whether they act as themselves,
# as the employee's manager, or (hr) on someone's behalf.
Staff = Annotated[
    CommandContext, Depends(commanded_by(*(role for role in Role if role != Role.AUDITOR)))
]
CyclePath = Annotated[
    str, Path(pattern=CYCLE_PATTERN.pattern, examples=["2026", "2026-H1"], max_length=7)
]


def _created(answer: CommandOut, response: Response, location: str | None = None) -> CommandOut:
    """Things created inside the employee answer 201 with their own id."""
    response.status_code = 201
    if location is not None:
        response.headers["Location"] = location
    return answer


@router.post("", status_code=201, response_model=CommandOut)
def hire_employee(
    body: HireEmployeeIn, ctx: Hr, services: ServicesDep, request: Request, response: Response
) -> CommandOut:
    """Hire someone (§6.1.1): on probation until confirmed."""
    result = services.employees.hire_employee(**body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.get("/{employee_id}", response_model=EmployeeOut)
def get_employee(
    employee_id: UUID,
    _: Caller,
    services: ServicesDep,
    response: Response,
    version: VersionQuery = None,
    as_of: AsOfQuery = None,
) -> EmployeeOut:
    employees = services.employees
    employee = read_state(
        version,
        as_of,
        lambda v: employees.get_employee(employee_id, v),
        lambda t: employees.employee_as_of(employee_id, t),
    )
    return read_answer(EmployeeOut.of(employee, employees.today()), employee.version, response)


@router.get("/{employee_id}/events", response_model=EventsOut)
def employee_events(
    employee_id: UUID, _: Caller, services: ServicesDep, response: Response
) -> EventsOut:
    return events_answer(employee_id, services.employees.history(employee_id, Employee), response)


@router.post("/{employee_id}/confirm", response_model=CommandOut)
def confirm_employee(
    employee_id: UUID,
    ctx: Hr,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: ConfirmIn | None = None,
) -> CommandOut:
    """End of probation: the employee becomes active."""
    on = body.on if body else None
    result = services.employees.confirm_employee(employee_id, on=on, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{employee_id}/transfer", response_model=CommandOut)
def transfer_employee(
    employee_id: UUID,
    body: TransferIn,
    ctx: Hr,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Move the employee to another department, with its position and manager."""
    result = services.employees.transfer_employee(employee_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{employee_id}/separate", response_model=CommandOut)
def separate_employee(
    employee_id: UUID,
    body: SeparateIn,
    ctx: Hr,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """The employee leaves the company; afterwards every command is refused."""
    result = services.employees.separate_employee(employee_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{employee_id}/trainings", response_model=CommandOut)
def record_training(
    employee_id: UUID,
    body: TrainingIn,
    ctx: Hr,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """A completed training (§6.1.2-3)."""
    result = services.employees.record_training(employee_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.get("/{employee_id}/appraisals/{cycle}", response_model=AppraisalOut)
def get_appraisal(
    employee_id: UUID,
    cycle: CyclePath,
    _: Caller,
    services: ServicesDep,
    response: Response,
) -> AppraisalOut:
    employee = services.employees.get_employee(employee_id)
    appraisal = employee.appraisals.get(cycle)
    if appraisal is None:
        raise AggregateNotFound(f"employee {employee_id} has no {cycle} appraisal")
    return read_answer(AppraisalOut.of(appraisal), employee.version, response)


@router.post("/{employee_id}/appraisals/{cycle}/goals", response_model=CommandOut)
def set_goals(
    employee_id: UUID,
    cycle: CyclePath,
    body: SetGoalsIn,
    ctx: Hr,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Open the cycle's appraisal with SMART goals whose weights sum to 100 (§6.2.1)."""
    result = services.employees.set_goals(employee_id, cycle=cycle, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{employee_id}/appraisals/{cycle}/reviews", response_model=CommandOut)
def submit_review(
    employee_id: UUID,
    cycle: CyclePath,
    body: ReviewIn,
    ctx: Staff,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Self, then manager, then at least two peer reviews (§6.2.2); none can change."""
    result = services.employees.submit_review(
        employee_id, cycle=cycle, **body.model_dump(), ctx=ctx
    )
    return command_answer(result, request, response)


@router.post("/{employee_id}/appraisals/{cycle}/finalize", response_model=CommandOut)
def finalize_appraisal(
    employee_id: UUID,
    cycle: CyclePath,
    body: FinalizeIn,
    ctx: Hr,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Rating 1-5 with feedback (§6.2.3); below 3 an improvement plan is due."""
    result = services.employees.finalize_appraisal(
        employee_id, cycle=cycle, **body.model_dump(), ctx=ctx
    )
    return command_answer(result, request, response)


@router.post("/{employee_id}/appraisals/{cycle}/improvement-plan", response_model=CommandOut)
def record_improvement_plan(
    employee_id: UUID,
    cycle: CyclePath,
    body: ImprovementPlanIn,
    ctx: Hr,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.employees.record_improvement_plan(
        employee_id, cycle=cycle, **body.model_dump(), ctx=ctx
    )
    return command_answer(result, request, response)


@router.post("/{employee_id}/rewards", status_code=201, response_model=CommandOut)
def reward_employee(
    employee_id: UUID,
    body: RewardIn,
    ctx: Hr,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Bonus, promotion or honorary title for a finalized appraisal (§6.2.4); answers reward_id."""
    result = services.employees.reward_employee(employee_id, **body.model_dump(), ctx=ctx)
    return _created(command_answer(result, request, response), response)


@router.post("/{employee_id}/benefits", response_model=CommandOut)
def record_benefit(
    employee_id: UUID,
    body: BenefitIn,
    ctx: Hr,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """An enrolment (五险一金) or a benefit delivered: health check, holiday, birthday (§6.3.1)."""
    result = services.employees.record_benefit(employee_id, **body.model_dump(), ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{employee_id}/leave-requests", status_code=201, response_model=CommandOut)
def request_leave(
    employee_id: UUID,
    body: LeaveRequestIn,
    ctx: Staff,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    """Paid annual leave within the year's balance; answers leave_request_id."""
    result = services.employees.request_leave(employee_id, **body.model_dump(), ctx=ctx)
    answer = command_answer(result, request, response)
    location = f"{request.url.path.rstrip('/')}/{result.extra['leave_request_id']}"
    return _created(answer, response, location)


@router.get("/{employee_id}/leave-requests/{request_id}", response_model=LeaveRequestOut)
def get_leave_request(
    employee_id: UUID,
    request_id: UUID,
    _: Caller,
    services: ServicesDep,
    response: Response,
) -> LeaveRequestOut:
    employee = services.employees.get_employee(employee_id)
    leave = employee.leave_requests.get(str(request_id))
    if leave is None:
        raise AggregateNotFound(f"employee {employee_id} has no leave request {request_id}")
    return read_answer(LeaveRequestOut.of(leave), employee.version, response)


@router.post("/{employee_id}/leave-requests/{request_id}/approve", response_model=CommandOut)
def approve_leave(
    employee_id: UUID,
    request_id: UUID,
    ctx: Staff,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: EmptyIn | None = None,
) -> CommandOut:
    """By the employee's manager or hr, never by the employee."""
    result = services.employees.approve_leave(employee_id, request_id, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{employee_id}/leave-requests/{request_id}/reject", response_model=CommandOut)
def reject_leave(
    employee_id: UUID,
    request_id: UUID,
    body: RejectLeaveIn,
    ctx: Staff,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> CommandOut:
    result = services.employees.reject_leave(employee_id, request_id, reason=body.reason, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{employee_id}/leave-requests/{request_id}/start", response_model=CommandOut)
def start_leave(
    employee_id: UUID,
    request_id: UUID,
    ctx: Staff,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: LeaveStepIn | None = None,
) -> CommandOut:
    """Approved leave begins: the employee is on_leave."""
    on = body.on if body else None
    result = services.employees.start_leave(employee_id, request_id, on=on, ctx=ctx)
    return command_answer(result, request, response)


@router.post("/{employee_id}/leave-requests/{request_id}/return", response_model=CommandOut)
def return_from_leave(
    employee_id: UUID,
    request_id: UUID,
    ctx: Staff,
    services: ServicesDep,
    request: Request,
    response: Response,
    body: LeaveStepIn | None = None,
) -> CommandOut:
    """The employee is back from leave: active (or on probation) again."""
    on = body.on if body else None
    result = services.employees.return_from_leave(employee_id, request_id, on=on, ctx=ctx)
    return command_answer(result, request, response)
