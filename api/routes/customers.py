"""/customers: the customer lifecycle (§3.2, §5.3)."""

from __future__ import annotations

from fastapi import APIRouter

from api.commands import CommandRoutes
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.customers import (
    AnswerSurveyIn,
    AssignSegmentIn,
    ChangeConsentIn,
    CustomerOut,
    LogFollowUpIn,
    MakeOfferIn,
    ReasonIn,
    RecordPurchaseIn,
    RegisterCustomerIn,
    UpgradeMembershipIn,
)
from application.customers import Customers
from domain.customer import Customer
from domain.vocabulary import Role

router = APIRouter(prefix="/customers", tags=["customers"], responses=PROBLEM_RESPONSES)
routes = CommandRoutes(router, Customers, lambda services: services.customers)

OPERATIONS, SALES, MARKETING = Role.OPERATIONS, Role.SALES, Role.MARKETING
CUSTOMER_SERVICE = Role.CUSTOMER_SERVICE

routes.create("register_customer", MARKETING, body=RegisterCustomerIn)
routes.reads(Customer, CustomerOut.of, CustomerOut)
routes.on("/activate", "activate_customer", OPERATIONS)
routes.on("/purchases", "record_purchase", SALES, body=RecordPurchaseIn)
routes.on("/membership", "upgrade_membership", SALES, body=UpgradeMembershipIn)
routes.on("/segment", "assign_segment", OPERATIONS, body=AssignSegmentIn)
routes.on("/offers", "make_offer", OPERATIONS, body=MakeOfferIn)
routes.on(
    "/consent", "change_consent", MARKETING, OPERATIONS, CUSTOMER_SERVICE, body=ChangeConsentIn
)
routes.on("/surveys", "answer_survey", CUSTOMER_SERVICE, body=AnswerSurveyIn)
routes.on("/follow-ups", "log_follow_up", OPERATIONS, CUSTOMER_SERVICE, body=LogFollowUpIn)
routes.on("/at-risk", "flag_customer_at_risk", OPERATIONS, body=ReasonIn)
routes.on("/churn", "churn_customer", OPERATIONS, body=ReasonIn)
routes.on("/reactivate", "reactivate_customer", OPERATIONS, body=ReasonIn)
routes.on("/erase", "erase_customer", CUSTOMER_SERVICE, Role.MANAGEMENT, body=ReasonIn)
