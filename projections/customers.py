"""The customers read model: one row per customer and their survey answers.

Feeds the customer dashboard (§3.2 funnel, §5.3 satisfaction and loyalty) and
the customer list. Names and contacts are blanked when the customer is erased.

The queries that read this model are in ``projections.queries.customers``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.customer import Customer
from projections.projection import (
    Delivery,
    RowProjection,
    cents,
    events_of,
    handles,
    utc_text,
)
from projections.store import ReadCursor, ReadModelStore

CustomerEvents = events_of(Customer)
"""Customer's event classes, for ``@handles``."""


class CustomersView(RowProjection):
    name = "customers_view"
    row_table = "customer_rows"
    follows = (Customer,)
    table_names = ("customer_rows", "customer_surveys")
    tables = (
        "CREATE TABLE IF NOT EXISTS customer_rows ("
        "id TEXT PRIMARY KEY, name TEXT, email TEXT, phone TEXT, channel TEXT NOT NULL, "
        "campaign TEXT, registered_at TEXT NOT NULL, registered_month TEXT NOT NULL, "
        "status TEXT NOT NULL, activated INTEGER NOT NULL, purchases INTEGER NOT NULL, "
        "revenue_cents BIGINT NOT NULL, tier TEXT NOT NULL, segment TEXT, "
        "marketing_consent INTEGER NOT NULL, churned_ever INTEGER NOT NULL, "
        "erased INTEGER NOT NULL, version BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS customer_rows_channel "
        "ON customer_rows (channel, registered_month)",
        "CREATE TABLE IF NOT EXISTS customer_surveys ("
        "customer_id TEXT NOT NULL, survey TEXT NOT NULL, channel TEXT NOT NULL, "
        "csat INTEGER, nps INTEGER, answered_at TEXT NOT NULL, "
        "PRIMARY KEY (customer_id, survey))",
    )

    def __init__(self) -> None:
        self.sources = ("customers",)

    @handles(CustomerEvents.Registered)
    def on_registered(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        personal = event.personal
        at = utc_text(event.registered_at)
        cursor.execute(
            "INSERT INTO customer_rows VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, 'registered', 0, 0, 0, 'standard', NULL, ?, 0, 0, ?, ?)",
            (
                str(event.originator_id),
                personal.name,
                personal.email,
                personal.phone,
                event.channel.value,
                event.campaign,
                at,
                event.registered_at.strftime("%Y-%m"),
                int(event.marketing_consent),
                event.originator_version,
                utc_text(event.timestamp),
            ),
        )

    @handles(CustomerEvents.Activated)
    def on_activated(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "activated = 1, "
            "status = CASE WHEN status = 'registered' THEN 'activated' ELSE status END",
        )

    @handles(CustomerEvents.PurchaseRecorded)
    def on_purchase_recorded(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "purchases = purchases + 1, revenue_cents = revenue_cents + ?, "
            "status = CASE WHEN purchases = 0 THEN 'converted' ELSE 'loyal' END",
            cents(event.amount),
        )

    @handles(CustomerEvents.MembershipUpgraded)
    def on_membership_upgraded(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "tier = ?", event.tier.value)

    @handles(CustomerEvents.SegmentAssigned)
    def on_segment_assigned(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "segment = ?", event.segment)

    @handles(CustomerEvents.ConsentChanged)
    def on_consent_changed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "marketing_consent = ?", int(event.marketing))

    @handles(CustomerEvents.FlaggedAtRisk)
    def on_flagged_at_risk(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "status = 'at_risk'")

    @handles(CustomerEvents.Churned)
    def on_churned(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "status = 'churned', churned_ever = 1")

    @handles(CustomerEvents.Reactivated)
    def on_reactivated(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "status = 'reactivated'")

    @handles(CustomerEvents.PersonalDataErased)
    def on_personal_data_erased(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        if not cursor.postgres:
            # The old name and contacts are overwritten in the file, not only unlinked.
            cursor.execute("PRAGMA secure_delete = ON")
        self._set(cursor, delivery, "name = NULL, email = NULL, phone = NULL, erased = 1")

    def page_committed(self, store: ReadModelStore, deliveries: Sequence[Delivery]) -> None:
        if any(isinstance(d.event, CustomerEvents.PersonalDataErased) for d in deliveries):
            store.forget_overwritten()

    @handles(CustomerEvents.SurveyAnswered)
    def on_survey_answered(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        customer_id = str(event.originator_id)
        row = cursor.execute("SELECT channel FROM customer_rows WHERE id = ?", (customer_id,))
        channel = (row.fetchone() or {}).get("channel", "")
        cursor.execute(
            "INSERT INTO customer_surveys VALUES (?, ?, ?, ?, ?, ?)",
            (customer_id, event.survey, channel, event.csat, event.nps, utc_text(event.timestamp)),
        )
        self._set(cursor, delivery)

    # Events that change nothing shown here still move the row's version.
    @handles(CustomerEvents.WelcomeSent, CustomerEvents.OfferMade, CustomerEvents.FollowUpLogged)
    def on_nothing_shown(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery)
