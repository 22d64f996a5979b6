"""The employee read model's queries: the workforce dashboard (§6) and the list.

Everything that depends on the day asked about (headcount on a day, average
headcount, service years and leave entitlement) is computed here from the
stored dates.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.employee import (
    IMPROVEMENT_PLAN_BELOW,
    AppraisalStatus,
    TrainingKind,
    probation_limit,
    year_entitlement,
)
from projections.listing import Listing
from projections.store import ReadModelStore

SEPARATED = "separated"
HEADCOUNT_STATUSES = {"hired": "probation", "active": "active", "on_leave": "on_leave"}
LEAVE_TAKEN = ("started", "completed")
RATINGS = range(1, 6)
ONE_DAY = timedelta(days=1)
CYCLE_ENDS = {
    "": (12, 31),
    "H1": (6, 30),
    "H2": (12, 31),
    "Q1": (3, 31),
    "Q2": (6, 30),
    "Q3": (9, 30),
    "Q4": (12, 31),
}


def _parse_day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


# The dashboard.


@dataclass(frozen=True)
class WorkforceFilter:
    """``period_from``..``period_until`` are days, both included; ``None`` = the
    dashboard's defaults (from the first of January of the until's year, until today)."""

    department: str | None = None
    period_from: date | None = None
    period_until: date | None = None
    cycle: str | None = None


def cycle_end(cycle: str) -> date:
    """The last day of an appraisal cycle: 2026 -> 2026-12-31, 2026-H1 -> 2026-06-30."""
    year, _, part = cycle.partition("-")
    month, day = CYCLE_ENDS[part]
    return date(int(year), month, day)


@dataclass
class Person:
    """One employee's row and postings, asked about days."""

    row: dict[str, Any]
    segments: list[tuple[date, str]] = field(default_factory=list)
    """(from this day, department), sorted by day: each runs until the next one."""
    probation_end: date | None = None

    @property
    def id(self) -> str:
        return str(self.row["id"])

    @property
    def hired(self) -> date:
        hired = _parse_day(self.row["hire_date"])
        assert hired is not None
        return hired

    @property
    def separated(self) -> date | None:
        return _parse_day(self.row["separated_on"])

    def employed_on(self, day: date) -> bool:
        """On the headcount on ``day``: hired on or before it, not separated on or before it."""
        return self.hired <= day and (self.separated is None or day < self.separated)

    def last_day(self) -> date | None:
        return None if self.separated is None else self.separated - ONE_DAY

    def add_posting(self, since: date, department: str) -> None:
        """A later posting overrides whatever the earlier ones said from ``since`` on."""
        self.segments = [s for s in self.segments if s[0] < since] + [(since, department)]

    def department_on(self, day: date) -> str:
        """The department on ``day``, taken inside the employment (before hire: the first
        posting; after separation: the last one)."""
        last = self.last_day()
        if last is not None and day > last:
            day = last
        current = self.segments[0][1] if self.segments else str(self.row["department"])
        for since, department in self.segments:
            if since <= day:
                current = department
        return current

    def days_by_department(self, first: date, last: date) -> dict[str, int]:
        """Days employed in ``first..last`` (both included), by department."""
        start = max(first, self.hired)
        end = last + ONE_DAY if self.separated is None else min(last + ONE_DAY, self.separated)
        days: dict[str, int] = defaultdict(int)
        if end <= start:
            return days
        bounds = [*self.segments[1:], (date.max, "")]
        for (since, department), (until, _) in zip(self.segments, bounds, strict=True):
            overlap = (min(end, until) - max(start, since)).days
            if overlap > 0:
                days[department] += overlap
        if not self.segments:
            days[str(self.row["department"])] += (end - start).days
        return days

    def entitlement_in(self, year: int) -> int:
        """The year's paid annual leave, pro rata for joiners and leavers (as the domain)."""
        years = Decimal(str(self.row["prior_service_years"]))
        return year_entitlement(years, self.hired, self.separated, year)


def _people(store: ReadModelStore) -> dict[str, Person]:
    people = {str(r["id"]): Person(r) for r in store.read("SELECT * FROM employee_rows")}
    for row in store.read("SELECT * FROM employee_probation"):
        person = people.get(str(row["employee_id"]))
        if person is not None:
            person.probation_end = _parse_day(row["probation_end"])
    postings = store.read("SELECT * FROM employee_postings ORDER BY employee_id, version")
    for posting in postings:
        person = people.get(str(posting["employee_id"]))
        since = _parse_day(posting["since"])
        if person is not None and since is not None:
            person.add_posting(since, str(posting["department"]))
    return people


def _ratio(part: float, whole: float, places: int = 4) -> float | None:
    return None if not whole else round(part / whole, places)


def _hours_text(hours: Decimal) -> str:
    return str(hours.quantize(Decimal("0.01")))


def _headcount(people: Iterable[Person], department: str | None) -> dict[str, Any]:
    """Who is on the books now, by department and status (probation, active, on leave)."""
    by_department: dict[str, Counter[str]] = defaultdict(Counter)
    for person in people:
        status = str(person.row["status"])
        own = str(person.row["department"])
        if status == SEPARATED or (department and own != department):
            continue
        by_department[own][HEADCOUNT_STATUSES[status]] += 1

    def counts(counter: Counter[str]) -> dict[str, int]:
        return {
            "total": sum(counter.values()),
            **{name: counter[name] for name in HEADCOUNT_STATUSES.values()},
        }

    total: Counter[str] = Counter()
    for counter in by_department.values():
        total.update(counter)
    return {
        **counts(total),
        "by_department": {d: counts(c) for d, c in sorted(by_department.items())},
    }


def _movement(
    people: Iterable[Person], department: str | None, first: date, last: date
) -> tuple[dict[str, Any], dict[str, float]]:
    """Hires, separations, average headcount and turnover in ``first..last``; and the
    average headcount per department (for the per-head figures)."""
    days = (last - first).days + 1
    hires: Counter[str] = Counter()
    separations: Counter[str] = Counter()
    person_days: Counter[str] = Counter()
    for person in people:
        if first <= person.hired <= last:
            hires[person.department_on(person.hired)] += 1
        separated = person.separated
        if separated is not None and first <= separated <= last:
            separations[person.department_on(separated)] += 1
        person_days.update(person.days_by_department(first, last))
    if department:
        hires = Counter({department: hires[department]})
        separations = Counter({department: separations[department]})
        person_days = Counter({department: person_days[department]})
    average = {d: n / days for d, n in person_days.items()}

    def figures(hired: int, left: int, mean: float) -> dict[str, Any]:
        return {
            "hires": hired,
            "separations": left,
            "average_headcount": round(mean, 2),
            "turnover": _ratio(left, mean),
        }

    keys = sorted(set(hires) | set(separations) | {d for d, n in person_days.items() if n})
    movement = {
        **figures(sum(hires.values()), sum(separations.values()), sum(average.values(), 0.0)),
        "by_department": {d: figures(hires[d], separations[d], average.get(d, 0.0)) for d in keys},
    }
    return movement, average


def _training(
    store: ReadModelStore,
    people: dict[str, Person],
    department: str | None,
    first: date,
    last: date,
    average: dict[str, float],
) -> dict[str, Any]:
    """Training hours completed in the period per head of the average headcount, per kind."""
    rows = store.read(
        "SELECT * FROM employee_trainings WHERE completed_on >= ? AND completed_on <= ?",
        (first.isoformat(), last.isoformat()),
    )
    count: Counter[str] = Counter()
    hours: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        person = people.get(str(row["employee_id"]))
        completed = _parse_day(row["completed_on"])
        if person is None or completed is None:
            continue
        if department and person.department_on(completed) != department:
            continue
        count[str(row["kind"])] += 1
        hours[str(row["kind"])] += Decimal(str(row["hours"]))
    heads = sum(average.values(), 0.0)
    total = sum(hours.values(), Decimal(0))
    return {
        "trainings": sum(count.values()),
        "hours": _hours_text(total),
        "average_headcount": round(heads, 2),
        "hours_per_head": _ratio(float(total), heads, 2),
        "by_kind": {
            kind.value: {
                "trainings": count[kind.value],
                "hours": _hours_text(hours[kind.value]),
                "hours_per_head": _ratio(float(hours[kind.value]), heads, 2),
            }
            for kind in TrainingKind
        },
    }


def _years(first: date, last: date) -> Iterable[tuple[date, date]]:
    """``first..last`` cut at the turns of the year."""
    for year in range(first.year, last.year + 1):
        yield max(first, date(year, 1, 1)), min(last, date(year, 12, 31))


def _annual_leave(
    store: ReadModelStore,
    people: dict[str, Person],
    department: str | None,
    first: date,
    last: date,
) -> dict[str, Any]:
    """Days of paid annual leave taken in the period ÷ the year's entitlement of everyone
    employed in it (the year's entitlement, pro rata for joiners and leavers, as the
    employee's balance counts it); booked (approved, not yet started) and pending days beside."""
    entitlement = 0
    for person in people.values():
        for start, end in _years(first, last):
            last_day = person.last_day()
            on = end if last_day is None else min(end, last_day)
            if on < max(start, person.hired):
                continue  # not employed in this part of the period
            if department and person.department_on(on) != department:
                continue
            entitlement += person.entitlement_in(on.year)
    rows = store.read(
        "SELECT * FROM employee_leave WHERE start_on >= ? AND start_on <= ?",
        (first.isoformat(), last.isoformat()),
    )
    days: Counter[str] = Counter()
    for row in rows:
        taker = people.get(str(row["employee_id"]))
        start_on = _parse_day(row["start_on"])
        if taker is None or start_on is None:
            continue
        if department and taker.department_on(start_on) != department:
            continue
        status = str(row["status"])
        days["taken" if status in LEAVE_TAKEN else status] += int(row["days"])
    return {
        "entitlement_days": entitlement,
        "days_taken": days["taken"],
        "use": _ratio(days["taken"], entitlement),
        "days_booked": days["approved"],
        "days_pending": days["pending"],
    }


def _appraisals(
    store: ReadModelStore,
    people: dict[str, Person],
    department: str | None,
    cycle: str | None,
    today: date,
) -> dict[str, Any]:
    """Per cycle: appraisals started (goals set), by stage, finalized ÷ started and
    ÷ the headcount on the cycle's last day (or today, while it runs); rating
    distribution; mean self - manager score; improvement plans outstanding."""
    sql, params = "SELECT * FROM employee_appraisals", []
    if cycle:
        sql, params = sql + " WHERE cycle = ?", [cycle]
    by_cycle: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in store.read(sql + " ORDER BY cycle, employee_id", params):
        by_cycle[str(row["cycle"])].append(row)
    if cycle:
        by_cycle.setdefault(cycle, [])
    cycles: dict[str, Any] = {}
    outstanding: list[dict[str, Any]] = []
    for name, rows in sorted(by_cycle.items()):
        reference = min(cycle_end(name), today)
        headcount = sum(
            1
            for p in people.values()
            if p.employed_on(reference)
            and (not department or p.department_on(reference) == department)
        )
        chosen = []
        for row in rows:
            person = people.get(str(row["employee_id"]))
            if person is None:
                continue
            if department and person.department_on(reference) != department:
                continue
            chosen.append((person, row))
        stages = Counter(str(row["status"]) for _, row in chosen)
        ratings = Counter(int(row["rating"]) for _, row in chosen if row["rating"] is not None)
        gaps = [
            int(row["self_score"]) - int(row["manager_score"])
            for _, row in chosen
            if row["self_score"] is not None and row["manager_score"] is not None
        ]
        plans_due = [
            (person, row)
            for person, row in chosen
            if row["rating"] is not None
            and int(row["rating"]) < IMPROVEMENT_PLAN_BELOW
            and not row["improvement_plan"]
            and person.row["status"] != SEPARATED
        ]
        finalized = stages[AppraisalStatus.FINALIZED.value]
        rated = sum(ratings.values())
        cycles[name] = {
            "started": len(chosen),
            "finalized": finalized,
            "headcount": headcount,
            "completion_of_started": _ratio(finalized, len(chosen)),
            "completion_of_headcount": _ratio(finalized, headcount),
            "by_stage": {stage.value: stages[stage.value] for stage in AppraisalStatus},
            "rating_distribution": {str(r): ratings[r] for r in RATINGS},
            "mean_rating": _ratio(sum(r * n for r, n in ratings.items()), rated, 2),
            "self_manager_gap": {
                "appraisals": len(gaps),
                "mean": _ratio(sum(gaps), len(gaps), 2),
            },
            "improvement_plans_outstanding": len(plans_due),
        }
        outstanding += [
            {
                "employee_id": person.id,
                "cycle": name,
                "rating": int(row["rating"]),
                "department": person.department_on(reference),
            }
            for person, row in plans_due
        ]
    return {"by_cycle": cycles, "improvement_plans_outstanding": outstanding}


def workforce_period(filters: WorkforceFilter, today: date) -> tuple[date, date]:
    last = filters.period_until or today
    first = filters.period_from or date(last.year, 1, 1)
    return first, last


def workforce_dashboard(
    store: ReadModelStore, filters: WorkforceFilter, today: date
) -> dict[str, Any]:
    first, last = workforce_period(filters, today)
    if last < first:
        raise ValueError("the period ends before it starts")
    people = _people(store)
    department = filters.department
    movement, average = _movement(people.values(), department, first, last)
    return {
        "as_of": today.isoformat(),
        "period": {"from": first.isoformat(), "until": last.isoformat()},
        "department": department,
        "cycle": filters.cycle,
        "headcount": _headcount(people.values(), department),
        "movement": movement,
        "appraisals": _appraisals(store, people, department, filters.cycle, today),
        "training": _training(store, people, department, first, last, average),
        "annual_leave": _annual_leave(store, people, department, first, last),
        "probation": _probation(people.values(), department, today),
    }


def _probation(people: Iterable[Person], department: str | None, today: date) -> dict[str, Any]:
    """Probations past their end (劳动合同法 Art. 19) with no confirmation: hr is late."""
    overdue = []
    for person in people:
        status = str(person.row["status"])
        before_leave = person.row["status_before_leave"]
        on_probation = status == "hired" or (status == "on_leave" and before_leave == "hired")
        if not on_probation or (department and person.row["department"] != department):
            continue
        ends = person.probation_end or probation_limit(person.hired)
        if ends < today:
            overdue.append(
                {
                    "employee_id": person.row["id"],
                    "name": person.row["name"],
                    "department": person.row["department"],
                    "manager_id": person.row["manager_id"],
                    "hire_date": person.hired.isoformat(),
                    "probation_end": ends.isoformat(),
                    "days_overdue": (today - ends).days,
                }
            )
    overdue.sort(key=lambda item: (item["probation_end"], item["employee_id"]))
    return {"overdue": len(overdue), "overdue_list": overdue}


# The list.


def employee_listing(
    *,
    department: str | None = None,
    status: str | None = None,
    manager_id: str | None = None,
    position: str | None = None,
    hired_from: date | None = None,
    hired_until: date | None = None,
    text: str | None = None,
) -> Listing:
    """Employees in hire order; ``hired_until`` is included; ``text`` is sought in the
    name and the position."""
    return Listing(
        # Each row with its probation end (a row hired before those were kept has none).
        table="employee_rows LEFT JOIN employee_probation "
        "ON employee_probation.employee_id = employee_rows.id",
        order=("hire_date", "id"),
        equal={
            "department": department,
            "status": status,
            "manager_id": manager_id,
            "position": position,
        },
        at_least={"hire_date": hired_from.isoformat() if hired_from else None},
        before={"hire_date": (hired_until + ONE_DAY).isoformat() if hired_until else None},
        search=(("name", "position"), text) if text else None,
    )


def employee_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "version": int(row["version"]),
        "status": row["status"],
        "name": row["name"],
        "department": row["department"],
        "position": row["position"],
        "manager_id": row["manager_id"],
        "hire_date": row["hire_date"],
        "confirmed_on": row["confirmed_on"],
        "separated_on": row["separated_on"],
        "prior_service_years": row["prior_service_years"],
        "probation_end": row.get("probation_end")
        or probation_limit(date.fromisoformat(str(row["hire_date"]))).isoformat(),
    }
