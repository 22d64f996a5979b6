"""The deadline scheduler: deadlines pass without any command, so something must
record them (DOMAIN.md, "Policies that act").

Every ``interval`` seconds it asks the read models which deadlines may have passed
and records each one through the write side, where the rule decides and the record
is made once:

- complaint first-response and resolution targets (net of the time waited on the
  customer; none runs while the complaint waits): ``Complaint.SlaBreached``, which
  raises the escalation level; the alerting policy alerts management;
- risk acceptances at their expiry date: ``Risk.AcceptanceLapsed`` (alerted too);
- overdue risk reviews and treatment actions, probation ends (where the employee
  read model has a probation end date) and fiscal years ended with the budget still
  active: an alert each, its id derived from the subject and the due date.

Exactly once, with two schedulers (two server processes) or a restarted one: the
domain records a breach or a lapse once (a second attempt finds it recorded, and two
racing attempts collide on the aggregate's version: the loser reloads and finds it
recorded); alerts have derived ids. Nothing depends on what this process remembers:
``_done`` only spares it loading again what it recorded already.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from application.context import Actor, CommandContext
from application.errors import ApplicationError
from application.services import Services
from domain.alert import recipients_of
from domain.errors import DomainError
from projections.projection import utc_text
from projections.store import ReadModelStore

log = logging.getLogger("opsledger.scheduler")

PRINCIPAL = "policy:scheduler"
DEFAULT_INTERVAL = 30.0
"""Seconds between rounds: a deadline is recorded within this (plus a round's work)."""
OPEN_COMPLAINT = ("received", "acknowledged", "investigating", "resolution_proposed")
UNFINISHED = ("open", "in_progress")
PROBATION_COLUMNS = ("probation_ends_on", "probation_end", "probation_end_date")


def context(deadline: str, subject: str, due: str | None) -> CommandContext:
    return CommandContext(
        actor=Actor(principal=PRINCIPAL, roles=frozenset()),
        request_id=f"scheduler:{deadline}:{subject}",
        cause={"deadline": deadline, "aggregate_id": subject, "due": due},
    )


class DeadlineScheduler:
    def __init__(
        self,
        services: Services,
        stores: Mapping[str, ReadModelStore],
        *,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], datetime] | None = None,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        self.services = services
        self.ready = ready
        """Whether the read models have caught up: the first round waits for it (up to
        an interval), so that a starting server judges deadlines by current models."""
        self.stores = stores
        self.interval = interval
        self._clock = clock
        self._done: set[tuple[Any, ...]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def now(self) -> datetime:
        # The applications' business clock (tests move it), unless given one.
        return self._clock() if self._clock else self.services.complaints.clock()

    # One round.

    def tick(self) -> list[str]:
        """Record every deadline passed by now and not recorded yet; what was recorded."""
        now = self.now()
        recorded: list[str] = []
        for step in (
            self._complaints,
            self._acceptances,
            self._reviews,
            self._actions,
            self._probations,
            self._year_ends,
        ):
            try:
                recorded.extend(step(now))
            except (DomainError, ApplicationError):
                log.exception("scheduler: a deadline was refused; going on")
        return recorded

    def _read(self, store: str, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        found = self.stores.get(store)
        return [] if found is None else found.read(sql, params)

    def _complaints(self, now: datetime) -> list[str]:
        marks = ", ".join("?" * len(OPEN_COMPLAINT))
        text = utc_text(now)
        rows = self._read(
            "complaints_view",
            f"SELECT id, acknowledged_at, responded_at, first_response_due, resolution_due, "
            f"reopen_count FROM complaint_rows WHERE status IN ({marks}) AND "
            "((acknowledged_at IS NULL AND first_response_due <= ?) OR "
            "(responded_at IS NULL AND resolution_due <= ?))",
            [*OPEN_COMPLAINT, text, text],
        )
        recorded = []
        for row in rows:
            for clock, due in (
                ("first_response", row["first_response_due"]),
                ("resolution", row["resolution_due"]),
            ):
                seen = ("sla", row["id"], clock, row["reopen_count"])
                if seen in self._done:
                    continue
                ctx = context(f"sla_{clock}", row["id"], due)
                if self.services.complaints.record_sla_breach(
                    UUID(row["id"]), clock=clock, ctx=ctx
                ):
                    recorded.append(f"sla_breached:{row['id']}:{clock}")
                    self._done.add(seen)
        return recorded

    def _acceptances(self, now: datetime) -> list[str]:
        today = now.date().isoformat()
        rows = self._read(
            "risks_view",
            "SELECT id, acceptance_expires_on FROM risk_rows WHERE status = 'accepted' "
            "AND acceptance_expires_on <= ?",
            [today],
        )
        recorded = []
        for row in rows:
            ctx = context("acceptance_expiry", row["id"], row["acceptance_expires_on"])
            if self.services.risks.lapse_acceptance(UUID(row["id"]), ctx=ctx):
                recorded.append(f"acceptance_lapsed:{row['id']}")
        return recorded

    def _alert(
        self,
        kind: str,
        key: str,
        subject_type: str,
        subject_id: str,
        summary: str,
        due: str,
        *,
        scope: str = "",
        for_principals: tuple[str, ...] = (),
        department: Any = None,
    ) -> list[str]:
        if (kind, key) in self._done:
            return []
        raised = self.services.alerts.raise_alert(
            kind=kind,
            key=key,
            subject_type=subject_type,
            subject_id=UUID(subject_id),
            summary=summary,
            for_roles=recipients_of(kind, department),
            for_principals=[p for p in for_principals if p],
            scope=scope,
            ctx=context(kind, subject_id, due),
        )
        self._done.add((kind, key))
        return [f"{kind}:{key}"] if raised.created else []

    def _reviews(self, now: datetime) -> list[str]:
        today = now.date()
        rows = self._read(
            "risks_view",
            "SELECT id FROM risk_rows WHERE status <> 'closed' AND next_review_due < ?",
            [today.isoformat()],
        )
        recorded = []
        for row in rows:
            risk = self.services.risks.get_risk(UUID(row["id"]))
            if not risk.review_overdue(today) or risk.next_review_due is None:
                continue  # the read model lags: reviewed meanwhile
            due = risk.next_review_due.isoformat()
            recorded += self._alert(
                "review_overdue",
                f"risk:{risk.id}:review:{due}",
                "risk",
                row["id"],
                f"The review of risk {risk.title!r} was due {due}",
                due,
                for_principals=(risk.owner,),
                department=risk.department,
            )
        return recorded

    def _actions(self, now: datetime) -> list[str]:
        today = now.date()
        marks = ", ".join("?" * len(UNFINISHED))
        rows = self._read(
            "risks_view",
            "SELECT a.action_id, a.risk_id FROM risk_actions a JOIN risk_rows r ON "
            f"r.id = a.risk_id WHERE r.status <> 'closed' AND a.due < ? AND a.status IN ({marks})",
            [today.isoformat(), *UNFINISHED],
        )
        recorded = []
        for row in rows:
            risk = self.services.risks.get_risk(UUID(row["risk_id"]))
            action = risk.actions.get(row["action_id"])
            if (
                action is None
                or getattr(action["status"], "value", action["status"]) not in UNFINISHED
            ):
                continue
            due = action["due"].isoformat()
            recorded += self._alert(
                "action_overdue",
                f"risk:{risk.id}:action:{row['action_id']}:{due}",
                "risk",
                row["risk_id"],
                f"Treatment action {action['title']!r} of risk {risk.title!r} was due {due}",
                due,
                scope=row["action_id"],
                for_principals=(action["owner"], risk.owner),
                department=risk.department,
            )
        return recorded

    def _probations(self, now: datetime) -> list[str]:
        """Where the employees read model knows probation end dates (else nothing)."""
        sample = self._read("employees_view", "SELECT * FROM employee_rows LIMIT 1", [])
        column = next((c for c in PROBATION_COLUMNS if sample and c in sample[0]), None)
        if column is None:
            return []
        rows = self._read(
            "employees_view",
            f"SELECT id, {column} AS ends FROM employee_rows WHERE status = 'hired' "
            f"AND {column} IS NOT NULL AND {column} <= ?",
            [now.date().isoformat()],
        )
        recorded = []
        for row in rows:
            recorded += self._alert(
                "probation_due",
                f"employee:{row['id']}:probation:{row['ends']}",
                "employee",
                row["id"],
                f"Probation ends {row['ends']}: confirm the employee or decide otherwise",
                str(row["ends"]),
            )
        return recorded

    def _year_ends(self, now: datetime) -> list[str]:
        rows = self._read(
            "budgets_view",
            "SELECT id, department, fiscal_year FROM budget_rows WHERE status = 'board_approved' "
            "AND fiscal_year < ?",
            [now.year],
        )
        recorded = []
        for row in rows:
            year = int(row["fiscal_year"])
            recorded += self._alert(
                "year_end",
                f"budget:{row['id']}:year_end:{year}",
                "budget",
                row["id"],
                f"Fiscal year {year} ended: close the {row['department']} budget",
                f"{year}-12-31",
                department=row["department"],
            )
        return recorded

    # Running in the background.

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="scheduler", daemon=True)
        self._thread.start()

    def run_forever(self, stop: threading.Event | None = None) -> None:
        stop = stop or self._stop
        waited = 0.0
        while self.ready is not None and waited < self.interval and not stop.is_set():
            try:
                if self.ready():
                    break
            except Exception:  # the store is not answering yet
                log.debug("scheduler: read models not ready", exc_info=True)
            stop.wait(0.5)
            waited += 0.5
        while not stop.is_set():
            try:
                for what in self.tick():
                    log.info("scheduler: recorded %s", what)
            except Exception:  # a store hiccup must not end the scheduler
                log.exception("scheduler: a round failed; retrying")
            stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
