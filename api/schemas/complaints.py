"""Complaint requests and responses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import (
    Code,
    CommandIn,
    ErasedFields,
    Money,
    Name,
    Text,
    erased_fields,
    words,
)
from domain.complaint import Complaint
from domain.vocabulary import ComplaintCategory, Department, RootCause, ServiceChannel


class ComplaintReceiveRequest(CommandIn):
    customer_id: UUID
    channel: ServiceChannel
    category: ComplaintCategory
    description: Text
    remedy_sought: Text | None = None


class ComplaintAcknowledgeRequest(CommandIn):
    message: Text | None = None


class ComplaintAssessRequest(CommandIn):
    severity: int = Field(ge=1, le=4, description="1 = most severe")
    department: Department
    assignee: Name


class ComplaintReassessRequest(CommandIn):
    severity: int = Field(ge=1, le=4, description="the new grade, 1 = most severe")
    reason: Text


class ComplaintAssignRequest(CommandIn):
    department: Department
    assignee: Name


class ComplaintProposeResolutionRequest(CommandIn):
    root_cause: RootCause
    analysis: Text | None = None
    plan: Text
    compensation: Money | None = Field(default=None, ge=Decimal("0"))


class ComplaintRespondRequest(CommandIn):
    message: Text


class ComplaintCustomerDecisionRequest(CommandIn):
    accepted: bool
    comment: Text | None = None


class ComplaintFinalDecisionRequest(CommandIn):
    decision: Text


class ComplaintCloseRequest(CommandIn):
    note: Text | None = None
    knowledge_article: Code | None = None


class ProposalOut(BaseModel):
    root_cause: RootCause
    analysis: str | None
    plan: str | None = Field(description="Null once erased (see the complaint's erased_fields)")
    compensation: Decimal | None
    proposed_by: str
    approved_by: str | None


class ComplaintOut(BaseModel):
    id: UUID
    version: int
    status: str
    customer_id: UUID
    channel: ServiceChannel
    category: ComplaintCategory
    description: str | None = Field(
        description="The customer's words; null once erased (see erased_fields)"
    )
    remedy_sought: str | None
    received_at: datetime
    acknowledged_at: datetime | None
    severity: int | None
    department: Department | None
    assignee: str | None
    first_response_due: datetime | None
    resolution_due: datetime | None = Field(
        description="Resolution due time, moved on by the time spent waiting on the customer"
    )
    paused_seconds: float
    paused_since: datetime | None
    proposal: ProposalOut | None
    needs_approval: bool
    responded_at: datetime | None
    responded_by: str | None = Field(
        description="Who gave the response (null for responses recorded before it was kept)"
    )
    final_decision: str | None
    final_decision_by: str | None
    resolved_at: datetime | None
    closed_at: datetime | None
    knowledge_article: str | None
    escalation_level: int
    reopen_count: int
    erased_fields: ErasedFields
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, complaint: Complaint) -> ComplaintOut:
        """The complaint as ``Complaints.readable`` opened it."""
        proposal, texts = (
            None,
            {
                "description": complaint.description,
                "remedy_sought": complaint.remedy_sought,
                "final_decision": complaint.final_decision,
            },
        )
        if complaint.proposal is not None:
            plan, analysis = complaint.proposal["plan"], complaint.proposal["analysis"]
            texts |= {"proposal.analysis": analysis, "proposal.plan": plan}
            proposal = ProposalOut(
                **complaint.proposal | {"plan": words(plan), "analysis": words(analysis)},
                approved_by=complaint.approved_by,
            )
        return cls(
            id=complaint.id,
            version=complaint.version,
            status=complaint.status.value,
            customer_id=complaint.customer_id,
            channel=complaint.channel,
            category=complaint.category,
            description=words(complaint.description),
            remedy_sought=words(complaint.remedy_sought),
            received_at=complaint.received_at,
            acknowledged_at=complaint.acknowledged_at,
            severity=complaint.severity,
            department=complaint.department,
            assignee=complaint.assignee,
            first_response_due=complaint.first_response_due,
            resolution_due=complaint.effective_resolution_due,
            paused_seconds=complaint.paused_seconds,
            paused_since=complaint.paused_since,
            proposal=proposal,
            needs_approval=complaint.needs_approval,
            responded_at=complaint.responded_at,
            responded_by=complaint.responded_by,
            final_decision=words(complaint.final_decision),
            final_decision_by=complaint.final_decision_by,
            resolved_at=complaint.resolved_at,
            closed_at=complaint.closed_at,
            knowledge_article=complaint.knowledge_article,
            escalation_level=complaint.escalation_level,
            reopen_count=complaint.reopen_count,
            erased_fields=erased_fields(**texts),
            created_at=complaint.created_on,
            updated_at=complaint.modified_on,
        )
