"""/employees: hiring, training, appraisals, rewards, benefits and leave (§6).

hr runs the cycle. Reviews and leave requests are the employee's own acts: a
principal linked to an employee makes them as that employee, hr on their behalf.
Leave is decided by the employee's manager or hr. Auditors read.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response

from api.answers import (
    AsOfQuery,
    VersionQuery,
    events_answer,
    read_answer,
    read_state,
)
from api.commands import CommandRoutes
from api.deps import Caller, ServicesDep
from api.schemas.common import PROBLEM_RESPONSES, EventsOut
from api.schemas.employees import (
    AppraisalFinalizeRequest,
    AppraisalGoalsRequest,
    AppraisalImprovementPlanRequest,
    AppraisalOut,
    AppraisalReviewRequest,
    EmployeeBenefitRequest,
    EmployeeConfirmRequest,
    EmployeeHireRequest,
    EmployeeOut,
    EmployeeRewardRequest,
    EmployeeSeparateRequest,
    EmployeeTrainingRequest,
    EmployeeTransferRequest,
    LeaveRejectRequest,
    LeaveRequestCommand,
    LeaveRequestOut,
    LeaveStepRequest,
)
from application.employees import Employees
from application.errors import AggregateNotFound
from domain.employee import CYCLE_PATTERN, Employee
from domain.vocabulary import Role

router = APIRouter(prefix="/employees", tags=["employees"], responses=PROBLEM_RESPONSES)

HR = Role.HR
# Everyone but auditors: the application decides whether they act as themselves,
# as the employee's manager, or (hr) on someone's behalf.
STAFF = tuple(role for role in Role if role != Role.AUDITOR)
CyclePath = Annotated[
    str, Path(pattern=CYCLE_PATTERN.pattern, examples=["2026", "2026-H1"], max_length=7)
]
routes = CommandRoutes(
    router,
    Employees,
    lambda services: services.employees,
    id_name="employee_id",
    path_params={"cycle": CyclePath},
    describe=False,
)

routes.create(
    "hire_employee",
    HR,
    body=EmployeeHireRequest,
    doc="Hire someone (§6.1.1): on probation until confirmed.",
)


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


routes.on(
    "/confirm",
    "confirm_employee",
    HR,
    body=EmployeeConfirmRequest,
    doc="End of probation: the employee becomes active.",
)
routes.on(
    "/transfer",
    "transfer_employee",
    HR,
    body=EmployeeTransferRequest,
    doc="Another department, position or manager (a transfer within the department too).",
)
routes.on(
    "/separate",
    "separate_employee",
    HR,
    body=EmployeeSeparateRequest,
    doc="The employee leaves the company; afterwards every command is refused.",
)
routes.on(
    "/trainings",
    "record_training",
    HR,
    body=EmployeeTrainingRequest,
    doc="A completed training (§6.1.2-3).",
)


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


routes.on(
    "/appraisals/{cycle}/goals",
    "set_goals",
    HR,
    body=AppraisalGoalsRequest,
    doc="Open the cycle's appraisal with SMART goals whose weights sum to 100 (§6.2.1).",
)
routes.on(
    "/appraisals/{cycle}/reviews",
    "submit_review",
    *STAFF,
    body=AppraisalReviewRequest,
    doc="Self, then manager, then at least two peer reviews (§6.2.2); none can change.",
)
routes.on(
    "/appraisals/{cycle}/finalize",
    "finalize_appraisal",
    HR,
    body=AppraisalFinalizeRequest,
    doc="Rating 1-5 with feedback (§6.2.3); below 3 an improvement plan is due.",
)
routes.on(
    "/appraisals/{cycle}/improvement-plan",
    "record_improvement_plan",
    HR,
    body=AppraisalImprovementPlanRequest,
)
routes.on(
    "/rewards",
    "reward_employee",
    HR,
    body=EmployeeRewardRequest,
    status_code=201,
    doc="Bonus, promotion or honorary title for a finalized appraisal (§6.2.4); answers reward_id.",
)
routes.on(
    "/benefits",
    "record_benefit",
    HR,
    body=EmployeeBenefitRequest,
    doc="An enrolment (五险一金) or a benefit delivered: health check, holiday, birthday (§6.3.1).",
)
routes.on(
    "/leave-requests",
    "request_leave",
    *STAFF,
    body=LeaveRequestCommand,
    status_code=201,
    location="{path}/{leave_request_id}",
    doc="Paid annual leave within the year's balance; the server counts the working days "
    "by the company calendar (days, when sent, must match); answers leave_request_id.",
)


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


routes.on(
    "/leave-requests/{request_id}/approve",
    "approve_leave",
    *STAFF,
    doc="By the employee's manager or hr, never by the employee.",
)
routes.on("/leave-requests/{request_id}/reject", "reject_leave", *STAFF, body=LeaveRejectRequest)
routes.on(
    "/leave-requests/{request_id}/cancel",
    "cancel_leave",
    *STAFF,
    doc="Pending or approved leave that has not begun is withdrawn, by the employee or hr; "
    "its days return to the balance.",
)
routes.on(
    "/leave-requests/{request_id}/start",
    "start_leave",
    *STAFF,
    body=LeaveStepRequest,
    doc="Approved leave begins: the employee is on_leave.",
)
routes.on(
    "/leave-requests/{request_id}/return",
    "return_from_leave",
    *STAFF,
    body=LeaveStepRequest,
    doc="The employee is back from leave: active (or on probation) again.",
)
