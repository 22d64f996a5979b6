"""The customers read model: one row per customer and their survey answers.

Feeds the customer dashboard (§3.2 funnel, §5.3 satisfaction and loyalty) and
the customer list. Names and contacts are blanked when the customer is erased.

The queries that read this model are in ``projections.queries.customers``.
"""

from __future__ import annotations

from typing import Any

from projections.projection import Delivery, RowProjection, cents, utc_text
from projections.store import ReadCursor


class CustomersView(RowProjection):
    name = "customers_view"
    row_table = "customer_rows"
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

    def on_activated(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "activated = 1, "
            "status = CASE WHEN status = 'registered' THEN 'activated' ELSE status END",
        )

    def on_purchase_recorded(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "purchases = purchases + 1, revenue_cents = revenue_cents + ?, "
            "status = CASE WHEN purchases = 0 THEN 'converted' ELSE 'loyal' END",
            cents(event.amount),
        )

    def on_membership_upgraded(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "tier = ?", event.tier.value)

    def on_segment_assigned(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "segment = ?", event.segment)

    def on_consent_changed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "marketing_consent = ?", int(event.marketing))

    def on_flagged_at_risk(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "status = 'at_risk'")

    def on_churned(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "status = 'churned', churned_ever = 1")

    def on_reactivated(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "status = 'reactivated'")

    def on_personal_data_erased(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "name = NULL, email = NULL, phone = NULL, erased = 1")

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
    def on_welcome_sent(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery)

    on_offer_made = on_welcome_sent
    on_follow_up_logged = on_welcome_sent
