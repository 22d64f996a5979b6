"""/complaints: complaint handling (§5.1, §5.2)."""

from __future__ import annotations

from fastapi import APIRouter

from api.commands import CommandRoutes
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.complaints import (
    AcknowledgeIn,
    AssessIn,
    AssignIn,
    CloseIn,
    ComplaintOut,
    CustomerDecisionIn,
    FinalDecisionIn,
    ProposeResolutionIn,
    ReceiveComplaintIn,
    RespondIn,
)
from api.schemas.customers import ReasonIn
from application.complaints import Complaints
from domain.complaint import Complaint
from domain.vocabulary import Role

router = APIRouter(prefix="/complaints", tags=["complaints"], responses=PROBLEM_RESPONSES)
routes = CommandRoutes(router, Complaints, lambda services: services.complaints)

CS, MANAGEMENT = Role.CUSTOMER_SERVICE, Role.MANAGEMENT

routes.create("receive_complaint", CS, body=ReceiveComplaintIn)
routes.reads(Complaint, ComplaintOut.of, ComplaintOut)
routes.on("/acknowledge", "acknowledge_complaint", CS, body=AcknowledgeIn)
routes.on("/assess", "assess_complaint", CS, body=AssessIn)
routes.on("/assign", "assign_complaint", CS, body=AssignIn)
routes.on("/propose-resolution", "propose_resolution", CS, body=ProposeResolutionIn)
routes.on("/approve-resolution", "approve_resolution", MANAGEMENT, CS)
routes.on("/respond", "respond_to_complaint", CS, body=RespondIn)
routes.on("/customer-decision", "record_customer_decision", CS, body=CustomerDecisionIn)
routes.on("/final-decision", "record_final_decision", MANAGEMENT, CS, body=FinalDecisionIn)
routes.on("/close", "close_complaint", CS, body=CloseIn)
routes.on("/reopen", "reopen_complaint", CS, body=ReasonIn)
routes.on("/wait-for-customer", "wait_for_customer", CS, body=ReasonIn)
routes.on("/resume", "resume_complaint", CS)
routes.on("/withdraw", "withdraw_complaint", CS, body=ReasonIn)
