"""Customer commands (§3.2, §5.3)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder
from eventsourcing.utils import get_topic

from application.base import SNAPSHOT_INTERVAL, OpsApplication, command
from application.context import CommandContext, CommandResult
from application.personal import (
    PersonalDataKeys,
    PersonalTexts,
    SealedPersonalData,
    SealedPersonalText,
)
from domain.customer import Customer
from domain.vocabulary import AcquisitionChannel, MembershipTier, ServiceChannel


class Customers(OpsApplication):
    name = "customers"
    snapshotting_intervals = {Customer: SNAPSHOT_INTERVAL}

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self.personal_keys.backfill_tombstones(self._erased_customers)

    def _erased_customers(self) -> list[UUID]:
        """Every customer erased so far, from the log."""
        found: list[UUID] = []
        topic, after = get_topic(vars(Customer)["PersonalDataErased"]), 0
        while page := self.recorder.select_notifications(
            start=after, limit=500, topics=[topic], inclusive_of_start=False
        ):
            found += [UUID(str(n.originator_id)) for n in page]
            after = page[-1].id
        return found

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        postgres = self.factory.__class__.__module__.endswith("postgres")
        self.personal_keys = PersonalDataKeys(
            self.factory.datastore,  # type: ignore[attr-defined]
            postgres=postgres,
            table=f"{self.name}_personal_keys",
        )
        transcoder.register(SealedPersonalData(self.personal_keys))
        transcoder.register(SealedPersonalText(self.personal_keys))
        self.personal_texts = PersonalTexts(self.personal_keys)

    def readable_payload(self, aggregate: Aggregate, payload: dict[str, Any]) -> dict[str, Any]:
        return self.personal_texts.open_payload(payload, aggregate.id)

    def get_customer(self, customer_id: UUID, version: int | None = None) -> Customer:
        return self.get(customer_id, Customer, version)

    def customer_as_of(self, customer_id: UUID, moment: datetime) -> Customer:
        return self.get_as_of(customer_id, Customer, moment)

    @command
    def register_customer(
        self,
        *,
        name: str,
        email: str | None,
        phone: str | None,
        channel: AcquisitionChannel,
        campaign: str | None = None,
        service_consent: bool = True,
        marketing_consent: bool = False,
        ctx: CommandContext,
    ) -> CommandResult:
        customer = Customer.register(
            name=name,
            email=email,
            phone=phone,
            channel=channel,
            campaign=campaign,
            service_consent=service_consent,
            marketing_consent=marketing_consent,
            registered_at=self.clock(),
        )
        return self.record(customer, ctx, created=True)

    @command
    def activate_customer(self, customer_id: UUID, *, ctx: CommandContext) -> CommandResult:
        return self.change(customer_id, Customer, ctx, lambda c: c.activate())

    @command
    def record_purchase(
        self,
        customer_id: UUID,
        *,
        amount: Decimal,
        order_ref: str,
        purchased_at: datetime | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        now = self.clock()
        return self.change(
            customer_id,
            Customer,
            ctx,
            lambda c: c.record_purchase(amount, order_ref, purchased_at or now, now),
        )

    @command
    def upgrade_membership(
        self, customer_id: UUID, *, tier: MembershipTier, ctx: CommandContext
    ) -> CommandResult:
        return self.change(customer_id, Customer, ctx, lambda c: c.upgrade_membership(tier))

    @command
    def assign_segment(
        self, customer_id: UUID, *, segment: str, ctx: CommandContext
    ) -> CommandResult:
        return self.change(customer_id, Customer, ctx, lambda c: c.assign_segment(segment))

    @command
    def make_offer(
        self,
        customer_id: UUID,
        *,
        offer: str,
        channel: ServiceChannel | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        return self.change(customer_id, Customer, ctx, lambda c: c.make_offer(offer, channel))

    @command
    def change_consent(
        self,
        customer_id: UUID,
        *,
        service: bool | None = None,
        marketing: bool | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        return self.change(
            customer_id,
            Customer,
            ctx,
            lambda c: c.change_consent(service=service, marketing=marketing),
        )

    @command
    def answer_survey(
        self,
        customer_id: UUID,
        *,
        survey: str,
        csat: int | None = None,
        nps: int | None = None,
        comment: str | None = None,
        complaint_id: UUID | None = None,
        ctx: CommandContext,
    ) -> CommandResult:
        """Record a survey answer; ``complaint_id`` names the complaint it asks about (a
        detractor's answer about a closed one reopens it: docs/policies.md)."""
        return self.change(
            customer_id,
            Customer,
            ctx,
            lambda c: c.answer_survey(survey, csat, nps, comment, complaint_id),
        )

    @command
    def log_follow_up(
        self, customer_id: UUID, *, channel: ServiceChannel, note: str, ctx: CommandContext
    ) -> CommandResult:
        return self.change(customer_id, Customer, ctx, lambda c: c.log_follow_up(channel, note))

    @command
    def flag_customer_at_risk(
        self, customer_id: UUID, *, reason: str, ctx: CommandContext
    ) -> CommandResult:
        return self.change(customer_id, Customer, ctx, lambda c: c.flag_at_risk(reason))

    @command
    def churn_customer(
        self, customer_id: UUID, *, reason: str, ctx: CommandContext
    ) -> CommandResult:
        return self.change(customer_id, Customer, ctx, lambda c: c.churn(reason))

    @command
    def reactivate_customer(
        self, customer_id: UUID, *, reason: str, ctx: CommandContext
    ) -> CommandResult:
        return self.change(customer_id, Customer, ctx, lambda c: c.reactivate(reason))

    @command
    def erase_customer(
        self, customer_id: UUID, *, reason: str, ctx: CommandContext
    ) -> CommandResult:
        """Erase the customer's name and contacts (PIPL); purchases and complaints stay."""
        customer = self.load(customer_id, Customer, ctx)
        customer.erase_personal_data(reason)
        # Delete the key before recording: should the save fail, the data is
        # already unreadable and a retry records the erasure.
        self.personal_keys.erase(customer_id)
        return self.record(customer, ctx)
