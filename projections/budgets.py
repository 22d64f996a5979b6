"""The budgets read model: one row per budget, its lines, adjustments and warnings.

Feeds the budget dashboard (§7.1 budget vs actual, §7.2 cost control) and the
budget list. Every event of the Budget aggregate is handled; none is ignored.
Nothing personal is stored (no principals, reasons or descriptions).

Actuals are net of their reversals. A cut of a line (an adjustment with no
``to_line``) is kept as a negative change of that line: ``to_line`` is the line cut,
``from_line`` is NULL and ``amount_cents`` is below zero.

What depends on "now" -- the share of the fiscal year that has elapsed, the burn
index and the forecast at year end -- is computed when asked, never stored.

The queries that read this model are in ``projections.queries.budgets``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.budget import Budget
from projections.projection import (
    Delivery,
    RowProjection,
    cents,
    events_of,
    handles,
    utc_text,
)
from projections.store import ReadCursor

BudgetEvents = events_of(Budget)
"""Budget's event classes, for ``@handles``."""


def _value(item: Any) -> Any:
    """An enum member's value, or the value itself (events hold enums, rows text)."""
    return getattr(item, "value", item)


class BudgetsView(RowProjection):
    name = "budgets_view"
    row_table = "budget_rows"
    follows = (Budget,)
    table_names = ("budget_rows", "budget_lines", "budget_adjustments", "budget_warnings")
    tables = (
        "CREATE TABLE IF NOT EXISTS budget_rows ("
        "id TEXT PRIMARY KEY, department TEXT NOT NULL, fiscal_year INTEGER NOT NULL, "
        "control TEXT NOT NULL, status TEXT NOT NULL, drafted_at TEXT NOT NULL, "
        "first_submitted_at TEXT, submitted_at TEXT, finance_reviewed_at TEXT, "
        "management_approved_at TEXT, board_approved_at TEXT, closed_at TEXT, "
        "returns INTEGER NOT NULL, version BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS budget_rows_year ON budget_rows (fiscal_year, department)",
        "CREATE TABLE IF NOT EXISTS budget_lines ("
        "budget_id TEXT NOT NULL, code TEXT NOT NULL, category TEXT NOT NULL, "
        "planned_cents BIGINT NOT NULL, adjusted_cents BIGINT NOT NULL, "
        "actual_cents BIGINT NOT NULL, PRIMARY KEY (budget_id, code))",
        "CREATE TABLE IF NOT EXISTS budget_adjustments ("
        "budget_id TEXT NOT NULL, adjustment_id TEXT NOT NULL, from_line TEXT, "
        "to_line TEXT NOT NULL, amount_cents BIGINT NOT NULL, authority TEXT NOT NULL, "
        "status TEXT NOT NULL, requested_at TEXT NOT NULL, decided_at TEXT, "
        "PRIMARY KEY (budget_id, adjustment_id))",
        "CREATE TABLE IF NOT EXISTS budget_warnings ("
        "budget_id TEXT NOT NULL, version BIGINT NOT NULL, line TEXT NOT NULL, "
        "kind TEXT NOT NULL, threshold INTEGER, amount_cents BIGINT NOT NULL, "
        "raised_at TEXT NOT NULL, PRIMARY KEY (budget_id, version))",
    )

    def __init__(self) -> None:
        self.sources = ("budgets",)

    @staticmethod
    def _insert_lines(cursor: ReadCursor, budget_id: str, lines: list[dict[str, Any]]) -> None:
        cursor.executemany(
            "INSERT INTO budget_lines VALUES (?, ?, ?, ?, 0, 0)",
            [
                (budget_id, line["code"], _value(line["category"]), cents(Decimal(line["amount"])))
                for line in lines
            ],
        )

    # Drafting and the approval cycle.

    @handles(BudgetEvents.Drafted)
    def on_drafted(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        budget_id = str(event.originator_id)
        cursor.execute(
            "INSERT INTO budget_rows VALUES (?, ?, ?, ?, 'draft', ?, NULL, NULL, NULL, NULL, "
            "NULL, NULL, 0, ?, ?)",
            (
                budget_id,
                _value(event.department),
                int(event.fiscal_year),
                _value(event.control),
                utc_text(event.drafted_at),
                event.originator_version,
                utc_text(event.timestamp),
            ),
        )
        self._insert_lines(cursor, budget_id, event.lines)

    @handles(BudgetEvents.LinesReplaced)
    def on_lines_replaced(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        budget_id = str(event.originator_id)
        cursor.execute("DELETE FROM budget_lines WHERE budget_id = ?", (budget_id,))
        self._insert_lines(cursor, budget_id, event.lines)
        self._set(cursor, delivery)

    @handles(BudgetEvents.Submitted)
    def on_submitted(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        at = utc_text(event.at)
        self._set(
            cursor,
            delivery,
            "status = 'submitted', submitted_at = ?, "
            "first_submitted_at = COALESCE(first_submitted_at, ?)",
            at,
            at,
        )

    @handles(BudgetEvents.FinanceReviewed)
    def on_finance_reviewed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "status = 'finance_reviewed', finance_reviewed_at = ?",
            utc_text(event.at),
        )

    @handles(BudgetEvents.ManagementApproved)
    def on_management_approved(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "status = 'management_approved', management_approved_at = ?",
            utc_text(event.at),
        )

    @handles(BudgetEvents.BoardApproved)
    def on_board_approved(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "status = 'board_approved', board_approved_at = ?",
            utc_text(event.at),
        )

    @handles(BudgetEvents.ReturnedToDraft)
    def on_returned_to_draft(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        # The domain forgets the approvals given so far; the first submission stays.
        self._set(
            cursor,
            delivery,
            "status = 'draft', returns = returns + 1, finance_reviewed_at = NULL, "
            "management_approved_at = NULL, board_approved_at = NULL",
        )

    @handles(BudgetEvents.Closed)
    def on_closed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "status = 'closed', closed_at = ?", utc_text(event.at))

    # Execution: actuals and warnings.

    @handles(BudgetEvents.ActualRecorded)
    def on_actual_recorded(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        cursor.execute(
            "UPDATE budget_lines SET actual_cents = actual_cents + ? "
            "WHERE budget_id = ? AND code = ?",
            (cents(event.amount), str(event.originator_id), event.line),
        )
        self._set(cursor, delivery)

    @handles(BudgetEvents.ActualReversed)
    def on_actual_reversed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        cursor.execute(
            "UPDATE budget_lines SET actual_cents = actual_cents - ? "
            "WHERE budget_id = ? AND code = ?",
            (cents(event.amount), str(event.originator_id), event.line),
        )
        self._set(cursor, delivery)

    def _warning(
        self,
        cursor: ReadCursor,
        delivery: Delivery,
        kind: str,
        threshold: int | None,
        amount: Decimal,
    ) -> None:
        event = delivery.event
        cursor.execute(
            "INSERT INTO budget_warnings VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                str(event.originator_id),
                event.originator_version,
                event.line,
                kind,
                threshold,
                cents(amount),
                utc_text(event.at),
            ),
        )
        self._set(cursor, delivery)

    @handles(BudgetEvents.OverrunWarned)
    def on_overrun_warned(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._warning(cursor, delivery, "overrun", None, event.overrun)

    @handles(BudgetEvents.MonthlyOverrunWarned)
    def on_monthly_overrun_warned(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._warning(cursor, delivery, "monthly_overrun", None, event.overrun)

    @handles(BudgetEvents.ThresholdReached)
    def on_threshold_reached(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._warning(cursor, delivery, "threshold", int(event.threshold), event.actual)

    # Adjustments: approved ones change the lines' budgets.

    @handles(BudgetEvents.AdjustmentRequested)
    def on_adjustment_requested(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        cut = event.to_line is None
        cursor.execute(
            "INSERT INTO budget_adjustments VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, NULL)",
            (
                str(event.originator_id),
                str(event.adjustment_id),
                None if cut else event.from_line,
                event.from_line if cut else event.to_line,
                -cents(event.amount) if cut else cents(event.amount),
                _value(event.authority),
                utc_text(event.at),
            ),
        )
        self._set(cursor, delivery)

    def _decide(self, cursor: ReadCursor, event: Any, status: str) -> dict[str, Any] | None:
        key = (str(event.originator_id), str(event.adjustment_id))
        cursor.execute(
            "UPDATE budget_adjustments SET status = ?, decided_at = ? "
            "WHERE budget_id = ? AND adjustment_id = ?",
            (status, utc_text(event.at), *key),
        )
        return cursor.execute(
            "SELECT from_line, to_line, amount_cents FROM budget_adjustments "
            "WHERE budget_id = ? AND adjustment_id = ?",
            key,
        ).fetchone()

    @handles(BudgetEvents.AdjustmentApproved)
    def on_adjustment_approved(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        adjustment = self._decide(cursor, event, "approved")
        if adjustment is not None:
            budget_id, amount = str(event.originator_id), int(adjustment["amount_cents"])
            move = "UPDATE budget_lines SET adjusted_cents = adjusted_cents + ? "
            move += "WHERE budget_id = ? AND code = ?"
            cursor.execute(move, (amount, budget_id, adjustment["to_line"]))
            if adjustment["from_line"] is not None:
                cursor.execute(move, (-amount, budget_id, adjustment["from_line"]))
        self._set(cursor, delivery)

    @handles(BudgetEvents.AdjustmentRejected)
    def on_adjustment_rejected(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._decide(cursor, event, "rejected")
        self._set(cursor, delivery)
