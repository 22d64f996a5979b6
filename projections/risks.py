"""The risks read model: one row per risk, with its actions, KRIs and early warnings.

Feeds the risk dashboard (§8: 5x5 heat maps, the register by level and category,
share above appetite, overdue actions, review backlog, KRI status, open early
warnings, acceptances expiring) and the risk list. Whatever depends on "today"
(an action overdue, a review due, an acceptance expired) is never stored: the
dashboard judges the stored dates when asked.

Every event of the Risk aggregate is handled; none is ignored. Owners are
principals' names, not personal data of customers: nothing here is erased.

The queries that read this model are in ``projections.queries.risks``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.risk import Risk
from projections.projection import Delivery, RowProjection, events_of, handles, utc_text
from projections.store import ReadCursor

RiskEvents = events_of(Risk)
"""Risk's event classes, for ``@handles``."""

UNFINISHED = ("open", "in_progress")

# A reassessment ends a lapsed acceptance (as in the domain). Only a lapsed one is held
# outside the 'accepted' status (after a lapse the risk is 'assessed'); a standing
# acceptance stays.
_LAPSED_ACCEPTANCE_GOES = ", ".join(
    f"{column} = CASE WHEN status = 'accepted' THEN {column} ELSE NULL END"
    for column in ("acceptance_level", "acceptance_approved_by", "acceptance_expires_on")
)


def _day(value: date | str | None) -> str | None:
    """A business date as ISO text (``YYYY-MM-DD``): text order is date order."""
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()


def _enum(value: Any) -> Any:
    return getattr(value, "value", value)


class RisksView(RowProjection):
    name = "risks_view"
    row_table = "risk_rows"
    follows = (Risk,)
    table_names = ("risk_rows", "risk_actions", "risk_kris", "risk_warnings")
    tables = (
        "CREATE TABLE IF NOT EXISTS risk_rows ("
        "id TEXT PRIMARY KEY, category TEXT NOT NULL, title TEXT NOT NULL, "
        "owner TEXT NOT NULL, department TEXT, status TEXT NOT NULL, "
        "identified_at TEXT NOT NULL, inherent_likelihood INTEGER, inherent_impact INTEGER, "
        "inherent_score INTEGER, inherent_level TEXT, residual_likelihood INTEGER, "
        "residual_impact INTEGER, residual_score INTEGER, residual_level TEXT, level TEXT, "
        "assessed_on TEXT, strategy TEXT, counterparty TEXT, acceptance_level TEXT, "
        "acceptance_approved_by TEXT, acceptance_expires_on TEXT, last_reviewed_on TEXT, "
        "next_review_due TEXT, reviews INTEGER NOT NULL, open_actions INTEGER NOT NULL, "
        "open_warnings INTEGER NOT NULL, closed_at TEXT, reopen_count INTEGER NOT NULL, "
        "version BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS risk_rows_identified ON risk_rows (identified_at, id)",
        "CREATE TABLE IF NOT EXISTS risk_actions ("
        "action_id TEXT PRIMARY KEY, risk_id TEXT NOT NULL, title TEXT NOT NULL, "
        "owner TEXT NOT NULL, due TEXT NOT NULL, status TEXT NOT NULL, completed_on TEXT)",
        "CREATE INDEX IF NOT EXISTS risk_actions_risk ON risk_actions (risk_id)",
        "CREATE TABLE IF NOT EXISTS risk_kris ("
        "kri_id TEXT PRIMARY KEY, risk_id TEXT NOT NULL, name TEXT NOT NULL, "
        "metric TEXT NOT NULL, direction TEXT NOT NULL, amber TEXT NOT NULL, red TEXT NOT NULL, "
        "unit TEXT, status TEXT NOT NULL, readings INTEGER NOT NULL, last_value TEXT, "
        "last_observed_at TEXT)",
        "CREATE INDEX IF NOT EXISTS risk_kris_risk ON risk_kris (risk_id)",
        # One row per early warning, keyed by the position of the event that raised it.
        "CREATE TABLE IF NOT EXISTS risk_warnings ("
        "position BIGINT PRIMARY KEY, risk_id TEXT NOT NULL, kri_id TEXT NOT NULL, "
        "value TEXT NOT NULL, threshold TEXT NOT NULL, raised_at TEXT NOT NULL, "
        "cleared_at TEXT)",
        "CREATE INDEX IF NOT EXISTS risk_warnings_risk ON risk_warnings (risk_id)",
    )

    def __init__(self) -> None:
        self.sources = ("risks",)

    @staticmethod
    def _open_actions(cursor: ReadCursor, risk_id: str) -> int:
        row = cursor.execute(
            "SELECT COUNT(*) AS n FROM risk_actions WHERE risk_id = ? AND status IN (?, ?)",
            (risk_id, *UNFINISHED),
        ).fetchone()
        return int(row["n"]) if row else 0

    @staticmethod
    def _open_warnings(cursor: ReadCursor, risk_id: str) -> int:
        row = cursor.execute(
            "SELECT COUNT(*) AS n FROM risk_warnings WHERE risk_id = ? AND cleared_at IS NULL",
            (risk_id,),
        ).fetchone()
        return int(row["n"]) if row else 0

    @staticmethod
    def _cancel(cursor: ReadCursor, action_ids: list[str]) -> None:
        cursor.executemany(
            "UPDATE risk_actions SET status = 'cancelled' WHERE action_id = ?",
            [(str(action_id),) for action_id in action_ids],
        )

    # Identification and assessment.

    @handles(RiskEvents.Identified)
    def on_identified(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        cursor.execute(
            "INSERT INTO risk_rows VALUES (?, ?, ?, ?, ?, 'identified', ?, "
            "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
            "NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, ?, ?)",
            (
                str(event.originator_id),
                _enum(event.category),
                event.title,
                event.owner,
                _enum(event.department),
                utc_text(event.identified_at),
                event.originator_version,
                utc_text(event.timestamp),
            ),
        )

    @handles(RiskEvents.Assessed)
    def on_assessed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        # A new inherent assessment is a new baseline: the residual goes (as in the domain).
        self._set(
            cursor,
            delivery,
            "inherent_likelihood = ?, inherent_impact = ?, inherent_score = ?, "
            "inherent_level = ?, residual_likelihood = NULL, residual_impact = NULL, "
            "residual_score = NULL, residual_level = NULL, level = ?, assessed_on = ?, "
            "next_review_due = ?, status = 'assessed', " + _LAPSED_ACCEPTANCE_GOES,
            event.likelihood,
            event.impact,
            event.score,
            _enum(event.level),
            _enum(event.level),
            _day(event.at.date()),
            _day(event.next_review_due),
        )

    @handles(RiskEvents.ResidualAssessed)
    def on_residual_assessed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "residual_likelihood = ?, residual_impact = ?, residual_score = ?, "
            "residual_level = ?, level = ?, next_review_due = ?, " + _LAPSED_ACCEPTANCE_GOES,
            event.likelihood,
            event.impact,
            event.score,
            _enum(event.level),
            _enum(event.level),
            _day(event.next_review_due),
        )

    # Treatment and its actions.

    @handles(RiskEvents.TreatmentPlanned)
    def on_treatment_planned(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        risk_id = str(event.originator_id)
        self._cancel(cursor, list(event.cancelled_action_ids))
        cursor.executemany(
            "INSERT INTO risk_actions VALUES (?, ?, ?, ?, ?, 'open', NULL)",
            [
                (str(a["action_id"]), risk_id, a["title"], a["owner"], _day(a["due"]))
                for a in event.actions
            ],
        )
        accept = _enum(event.strategy) == "accept"
        self._set(
            cursor,
            delivery,
            "strategy = ?, counterparty = ?, acceptance_level = NULL, "
            "acceptance_approved_by = NULL, acceptance_expires_on = NULL, open_actions = ?, "
            "status = ?",
            _enum(event.strategy),
            event.counterparty,
            self._open_actions(cursor, risk_id),
            "acceptance_pending" if accept else "treatment_planned",
        )

    @handles(RiskEvents.ActionStarted)
    def on_action_started(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        cursor.execute(
            "UPDATE risk_actions SET status = 'in_progress' WHERE action_id = ?",
            (str(event.action_id),),
        )
        self._set(
            cursor,
            delivery,
            "status = CASE WHEN status = 'treatment_planned' THEN 'treating' ELSE status END",
        )

    @handles(RiskEvents.ActionCompleted)
    def on_action_completed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        cursor.execute(
            "UPDATE risk_actions SET status = 'completed', completed_on = ? WHERE action_id = ?",
            (_day(event.completed_on), str(event.action_id)),
        )
        remaining = self._open_actions(cursor, str(event.originator_id))
        # Work on a plan moves the risk on: treating while actions remain, then monitoring.
        self._set(
            cursor,
            delivery,
            "open_actions = ?, status = CASE WHEN status IN ('treatment_planned', 'treating') "
            "THEN ? ELSE status END",
            remaining,
            "treating" if remaining else "monitoring",
        )

    @handles(RiskEvents.AcceptanceApproved)
    def on_acceptance_approved(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "acceptance_level = ?, acceptance_approved_by = ?, acceptance_expires_on = ?, "
            "status = 'accepted'",
            _enum(event.level),
            event.approved_by,
            _day(event.expires_on),
        )

    @handles(RiskEvents.AcceptanceLapsed)
    def on_acceptance_lapsed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        # No longer accepted; the acceptance's columns stay until the reassessment.
        self._set(cursor, delivery, "strategy = NULL, status = 'assessed'")

    @handles(RiskEvents.AcceptanceRejected)
    def on_acceptance_rejected(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._cancel(cursor, list(event.cancelled_action_ids))
        self._set(
            cursor,
            delivery,
            "strategy = NULL, open_actions = ?, status = 'assessed'",
            self._open_actions(cursor, str(event.originator_id)),
        )

    # Key risk indicators and early warnings.

    @handles(RiskEvents.KriDefined)
    def on_kri_defined(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        cursor.execute(
            "INSERT INTO risk_kris VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'green', 0, NULL, NULL)",
            (
                str(event.kri_id),
                str(event.originator_id),
                event.name,
                event.metric,
                _enum(event.direction),
                str(event.amber),
                str(event.red),
                event.unit,
            ),
        )
        self._set(cursor, delivery)

    @handles(RiskEvents.KriReadingRecorded)
    def on_kri_reading_recorded(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        # The KRI's status moves with the events below (the domain's own order); a
        # reading that stays in its band leaves it as it was.
        cursor.execute(
            "UPDATE risk_kris SET readings = readings + 1, last_value = ?, last_observed_at = ? "
            "WHERE kri_id = ?",
            (str(event.value), utc_text(event.observed_at), str(event.kri_id)),
        )
        self._set(cursor, delivery)

    @handles(RiskEvents.EarlyWarningRaised)
    def on_early_warning_raised(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        risk_id = str(event.originator_id)
        cursor.execute("UPDATE risk_kris SET status = 'red' WHERE kri_id = ?", (str(event.kri_id),))
        cursor.execute(
            "INSERT INTO risk_warnings VALUES (?, ?, ?, ?, ?, ?, NULL)",
            (
                delivery.position,
                risk_id,
                str(event.kri_id),
                str(event.value),
                str(event.threshold),
                utc_text(event.observed_at),
            ),
        )
        self._set(cursor, delivery, "open_warnings = ?", self._open_warnings(cursor, risk_id))

    def _kri_moved(self, cursor: ReadCursor, event: Any, delivery: Delivery, status: str) -> None:
        """Out of red (to amber or green): the KRI's open early warnings are cleared."""
        risk_id, kri_id = str(event.originator_id), str(event.kri_id)
        cursor.execute("UPDATE risk_kris SET status = ? WHERE kri_id = ?", (status, kri_id))
        cursor.execute(
            "UPDATE risk_warnings SET cleared_at = ? WHERE kri_id = ? AND cleared_at IS NULL",
            (utc_text(event.observed_at), kri_id),
        )
        self._set(cursor, delivery, "open_warnings = ?", self._open_warnings(cursor, risk_id))

    @handles(RiskEvents.KriWatchRaised)
    def on_kri_watch_raised(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._kri_moved(cursor, event, delivery, "amber")

    @handles(RiskEvents.KriBackToNormal)
    def on_kri_back_to_normal(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._kri_moved(cursor, event, delivery, "green")

    # Reviews, closing, reopening.

    @handles(RiskEvents.Reviewed)
    def on_reviewed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "reviews = reviews + 1, last_reviewed_on = ?, next_review_due = ?",
            _day(event.reviewed_on),
            _day(event.next_review_due),
        )

    @handles(RiskEvents.Closed)
    def on_closed(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(cursor, delivery, "closed_at = ?, status = 'closed'", utc_text(event.at))

    @handles(RiskEvents.Reopened)
    def on_reopened(self, cursor: ReadCursor, event: Any, delivery: Delivery) -> None:
        self._set(
            cursor,
            delivery,
            "reopen_count = reopen_count + 1, closed_at = NULL, acceptance_level = NULL, "
            "acceptance_approved_by = NULL, acceptance_expires_on = NULL, status = 'reopened'",
        )
