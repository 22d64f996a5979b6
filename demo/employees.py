"""The demo company's people (§6), loaded through the Employees application's commands.

Nineteen people across every department, from the general manager down: hires
with prior service (so paid annual leave ranges from none to 15 days), confirmed
probations and one still running, a transfer and a separation, onboarding,
skills and management trainings, 五险一金 enrolments and benefits delivered,
last year's appraisal cycle completed (reviews by the employee, the manager and
two peers, ratings, rewards, improvement plans with the ratings below 3), this
year's cycle in progress, and annual leave taken, approved and pending.

Re-running is safe: every command carries a deterministic Idempotency-Key
(``demo-employees:{seed}:{person}:{step}``), a fixed fingerprint and a fixed
principal per key, so a repeated command answers what it answered the first
time and writes nothing. The keys never depend on ``now``; business times are
planned relative to it and back-dated by swapping the application's clock.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from application.context import Actor, CommandResult
from application.employees import Employees
from application.services import Services
from demo.runner import Command, Keys, Runner, fixed, request_ids_in
from domain.employee import AppraisalReviewKind, BenefitKind, Goal, TrainingKind
from domain.vocabulary import Department, Role

__all__ = ["load_employees_demo"]

FINGERPRINT = "opsledger-demo-employees/1"
REQUEST_NAMESPACE = uuid.UUID("4d0f6a1e-7c2b-4b8e-a3d5-9e1f2c3b4a50")
HR = Actor(principal="he.hr", roles=frozenset({Role.HR}))
ROLE_OF = {
    Department.OPERATIONS: Role.OPERATIONS,
    Department.TECHNOLOGY: Role.TECHNOLOGY,
    Department.MARKETING: Role.MARKETING,
    Department.SALES: Role.SALES,
    Department.CUSTOMER_SERVICE: Role.CUSTOMER_SERVICE,
    Department.FINANCE: Role.FINANCE,
    Department.HR: Role.HR,
    Department.ADMINISTRATION: Role.MANAGEMENT,
}


@dataclass(frozen=True)
class _Person:
    key: str
    name: str
    department: Department
    position: str
    manager: str | None
    years_ago: float  # hired this many years before now
    prior_years: str
    born: int


D = Department
STAFF: tuple[_Person, ...] = (
    _Person("gm", "刘伟 Liu Wei", D.ADMINISTRATION, "general manager", None, 12.3, "8", 1975),
    _Person("ops-head", "王芳 Wang Fang", D.OPERATIONS, "head of operations", "gm", 9.5, "4", 1982),
    _Person(
        "ops-1", "张敏 Zhang Min", D.OPERATIONS, "operations specialist", "ops-head", 3.2, "1", 1993
    ),
    _Person(
        "ops-2", "李强 Li Qiang", D.OPERATIONS, "user growth specialist", "ops-head", 1.6, "0", 1996
    ),
    _Person("ops-3", "赵丽 Zhao Li", D.OPERATIONS, "content operator", "ops-head", 0.12, "0", 1999),
    _Person(
        "tech-head",
        "陈浩 Chen Hao",
        D.TECHNOLOGY,
        "chief technology officer",
        "gm",
        7.8,
        "13",
        1980,
    ),
    _Person(
        "tech-1", "孙洋 Sun Yang", D.TECHNOLOGY, "backend engineer", "tech-head", 4.4, "2", 1991
    ),
    _Person(
        "tech-2", "周杰 Zhou Jie", D.TECHNOLOGY, "frontend engineer", "tech-head", 2.1, "0.5", 1995
    ),
    _Person("tech-3", "吴磊 Wu Lei", D.TECHNOLOGY, "QA engineer", "tech-head", 5.7, "3", 1990),
    _Person("mkt-head", "徐静 Xu Jing", D.MARKETING, "head of marketing", "gm", 6.2, "5", 1985),
    _Person("mkt-1", "胡燕 Hu Yan", D.MARKETING, "campaign manager", "mkt-head", 2.8, "1", 1994),
    _Person("sales-head", "郭鹏 Guo Peng", D.SALES, "head of sales", "gm", 8.1, "6", 1983),
    _Person("sales-1", "马琳 Ma Lin", D.SALES, "account manager", "sales-head", 3.9, "2", 1992),
    _Person(
        "sales-2", "林涛 Lin Tao", D.SALES, "sales representative", "sales-head", 1.3, "0", 1997
    ),
    _Person(
        "cs-head",
        "何霞 He Xia",
        D.CUSTOMER_SERVICE,
        "head of customer service",
        "gm",
        5.4,
        "4",
        1987,
    ),
    _Person("cs-1", "罗丹 Luo Dan", D.CUSTOMER_SERVICE, "service agent", "cs-head", 2.5, "0", 1996),
    _Person(
        "cs-2",
        "梁宇 Liang Yu",
        D.CUSTOMER_SERVICE,
        "complaints specialist",
        "cs-head",
        4.1,
        "1.5",
        1993,
    ),
    _Person("fin-head", "宋平 Song Ping", D.FINANCE, "finance manager", "gm", 10.6, "7", 1979),
    _Person("hr-head", "唐慧 Tang Hui", D.HR, "HR manager", "gm", 6.9, "3", 1984),
)
# Hu Yan started in sales and moved to marketing; Lin Tao left after last year's cycle.
TRANSFERRED = {"mkt-1": (D.SALES, "sales-head", "campaign manager")}
SEPARATED = "sales-2"
# Last year's ratings that tell a story; the others are drawn.
FIXED_RATINGS = {"ops-2": 2, "cs-1": 2, "tech-1": 5, "sales-1": 5}
PLAN = "Monthly check-ins on the missed goals; training agreed with the manager"
GOAL_TEMPLATES: dict[Department, tuple[tuple[str, str, str, str], ...]] = {
    D.OPERATIONS: (
        ("Raise activation", "7-day activation rate", "45", "%"),
        ("Grow repeat purchases", "repeat-purchase rate", "30", "%"),
        ("Cut churn", "monthly churn", "3", "%"),
    ),
    D.TECHNOLOGY: (
        ("Keep the service up", "availability", "99.9", "%"),
        ("Ship the roadmap", "milestones delivered", "4", "count"),
        ("Fix what breaks", "median incident resolution", "4", "hours"),
    ),
    D.MARKETING: (
        ("Bring in customers", "new registrations", "12000", "customers"),
        ("Spend well", "cost per acquisition", "35", "CNY"),
        ("Build the brand", "share of voice", "15", "%"),
    ),
    D.SALES: (
        ("Hit the number", "revenue", "4800000", "CNY"),
        ("Win new accounts", "new accounts", "40", "count"),
        ("Upgrade members", "membership upgrades", "300", "count"),
    ),
    D.CUSTOMER_SERVICE: (
        ("Answer fast", "first response within SLA", "95", "%"),
        ("Satisfy customers", "CSAT", "90", "%"),
        ("Resolve for good", "reopen rate", "5", "%"),
    ),
    D.FINANCE: (
        ("Close on time", "monthly close", "5", "working days"),
        ("Keep budgets honest", "budget variance", "5", "%"),
        ("Pay on time", "invoices paid on time", "98", "%"),
    ),
    D.HR: (
        ("Hire well", "positions filled", "12", "count"),
        ("Train everyone", "training hours per head", "40", "hours"),
        ("Keep people", "voluntary turnover", "8", "%"),
    ),
    D.ADMINISTRATION: (
        ("Grow the company", "revenue growth", "25", "%"),
        ("Run it soundly", "budget attainment", "95", "%"),
        ("Lead people", "engagement score", "80", "%"),
    ),
}
WEIGHTS = ((50, 30, 20), (40, 40, 20), (60, 20, 20))
SKILL_COURSES = (
    "Data analysis with SQL",
    "Customer-centred communication",
    "Information security basics",
    "PIPL and personal data",
    "Writing clear requirements",
)
MANAGEMENT_COURSES = ("Coaching conversations", "Running SMART appraisals")


class _Loader:
    def __init__(self, app: Employees, now: datetime, seed: int) -> None:
        self.app = app
        self.now = now
        self.today = now.date()
        self.seed = seed
        self.ids: dict[str, UUID] = {}
        self.people = {p.key: p for p in STAFF}
        self.runner = Runner(
            Keys(
                f"demo-employees:{seed}",
                request_id=request_ids_in(REQUEST_NAMESPACE),
                fingerprint=fixed(FINGERPRINT),
            )
        )

    # Plumbing.

    def at(self, day: date) -> datetime:
        """Mid-morning (China) on ``day``, never later than now."""
        return min(datetime.combine(day, time(2, 0), tzinfo=UTC), self.now)

    def actor(self, key: str) -> Actor:
        """The principal linked to the person ``key``."""
        person = self.people[key]
        role = ROLE_OF[person.department]
        return Actor(f"demo-{key}", frozenset({role}), employee_id=self.ids[key])

    def run(self, key: str, actor: Actor, day: date, command: Command[Employees]) -> CommandResult:
        return self.runner.run(self.app, key, actor, self.at(day), command)

    def days_ago(self, days: float) -> date:
        return self.today - timedelta(days=days)

    # People.

    def hire(self, person: _Person) -> None:
        hired_on = self.days_ago(round(person.years_ago * 365.25))
        rng = random.Random(f"{self.seed}:{person.key}:hire")
        birthday = date(person.born, rng.randint(1, 12), rng.randint(1, 28))
        department, manager, position = TRANSFERRED.get(
            person.key, (person.department, person.manager, person.position)
        )
        result = self.run(
            f"{person.key}:hire",
            HR,
            hired_on,
            lambda app, ctx: app.hire_employee(
                name=person.name,
                department=department,
                position=position,
                manager_id=self.ids[manager] if manager else None,
                hire_date=hired_on,
                prior_service_years=Decimal(person.prior_years),
                birthday=birthday,
                ctx=ctx,
            ),
        )
        self.ids[person.key] = result.id
        self.onboard(person, hired_on)

    def onboard(self, person: _Person, hired_on: date) -> None:
        key, employee_id = person.key, self.ids[person.key]
        for kind in (BenefitKind.SOCIAL_INSURANCE, BenefitKind.HOUSING_FUND):
            self.benefit(f"{key}:enrol:{kind.value}", employee_id, kind, hired_on)
        orientation = min(hired_on + timedelta(days=2), self.today)
        self.run(
            f"{key}:training:onboarding", HR, orientation,
            lambda app, ctx: app.record_training(
                employee_id, course="New colleague orientation (制度与文化)",
                kind=TrainingKind.ONBOARDING, hours=Decimal("16"), completed_on=orientation,
                ctx=ctx,
            ),
        )  # fmt: skip
        confirmed_on = hired_on + timedelta(days=90)
        if confirmed_on <= self.today:
            self.run(
                f"{key}:confirm", HR, confirmed_on,
                lambda app, ctx: app.confirm_employee(employee_id, on=confirmed_on, ctx=ctx),
            )  # fmt: skip

    def transfer(self, key: str) -> None:
        person = self.people[key]
        moved_on = self.days_ago(400)
        self.run(
            f"{key}:transfer", HR, moved_on,
            lambda app, ctx: app.transfer_employee(
                self.ids[key], department=person.department, position=person.position,
                manager_id=self.ids[person.manager] if person.manager else None, on=moved_on,
                ctx=ctx,
            ),
        )  # fmt: skip

    def develop(self, person: _Person) -> None:
        """Trainings and benefits over the last two years."""
        rng = random.Random(f"{self.seed}:{person.key}:develop")
        employee_id = self.ids[person.key]
        employee = self.app.get_employee(employee_id)
        for year in (self.today.year - 1, self.today.year):
            courses = rng.sample(SKILL_COURSES, 2)
            if person.manager in (None, "gm"):
                courses.append(rng.choice(MANAGEMENT_COURSES))
            for n, course in enumerate(courses):
                day = date(year, 3 + 3 * n, rng.randint(1, 28))
                if not employee.hire_date <= day < self.today:
                    continue
                hours = Decimal(rng.choice(["4", "8", "12", "16"]))
                self.training(f"{person.key}:training:{year}:{n}", employee_id, course, hours, day)
            self.benefits(person, year, employee.hire_date, employee.birthday)

    def training(self, key: str, employee_id: UUID, course: str, hours: Decimal, on: date) -> None:
        kind = TrainingKind.MANAGEMENT if course in MANAGEMENT_COURSES else TrainingKind.SKILLS
        self.run(
            key, HR, on,
            lambda app, ctx: app.record_training(
                employee_id, course=course, kind=kind, hours=hours, completed_on=on,
                plan_year=on.year, ctx=ctx,
            ),
        )  # fmt: skip

    def benefits(self, person: _Person, year: int, hired_on: date, birthday: date | None) -> None:
        employee_id = self.ids[person.key]
        delivered = [
            (BenefitKind.HOLIDAY_BENEFIT, date(year, 1, 20), "spring_festival", "500.00"),
            (BenefitKind.HEALTH_CHECK, date(year, 4, 15), None, None),
            (BenefitKind.HOLIDAY_BENEFIT, date(year, 9, 10), "mid_autumn", "300.00"),
        ]
        if birthday is not None:
            birthday_this_year = birthday.replace(year=year)
            delivered.append((BenefitKind.BIRTHDAY_BENEFIT, birthday_this_year, None, "200.00"))
        for kind, day, occasion, amount in delivered:
            if not hired_on <= day < self.today:
                continue
            self.benefit(
                f"{person.key}:benefit:{year}:{kind.value}:{occasion}", employee_id, kind, day,
                occasion=occasion, amount=Decimal(amount) if amount else None,
            )  # fmt: skip

    def benefit(
        self,
        key: str,
        employee_id: UUID,
        kind: BenefitKind,
        on: date,
        occasion: str | None = None,
        amount: Decimal | None = None,
    ) -> None:
        self.run(
            key, HR, on,
            lambda app, ctx: app.record_benefit(
                employee_id, kind=kind, on=on, occasion=occasion, amount=amount, ctx=ctx
            ),
        )  # fmt: skip

    # Appraisals.

    def peers(self, person: _Person, rng: random.Random) -> list[str]:
        siblings = [
            p.key
            for p in STAFF
            if p.manager == person.manager and p.key not in (person.key, SEPARATED)
        ]
        if len(siblings) < 2:
            siblings += [
                p.key
                for p in STAFF
                if p.manager == "gm" and p.key not in (person.key, person.manager, *siblings)
            ]
        return rng.sample(sorted(siblings), 2)

    def goals(self, person: _Person, year: int, rng: random.Random) -> list[Goal]:
        weights = rng.choice(WEIGHTS)
        return [
            Goal(
                title=title,
                metric=metric,
                target=Decimal(target),
                unit=unit,
                deadline=date(year, 6 + 3 * n, 30),
                weight=weight,
            )
            for n, ((title, metric, target, unit), weight) in enumerate(
                zip(GOAL_TEMPLATES[person.department], weights, strict=True)
            )
        ]

    def appraise(self, person: _Person, year: int, stage: int, rng: random.Random) -> None:
        """Run ``year``'s cycle to ``stage``: 0 goals, 1 self, 2 manager, 3 peers, 4 final."""
        assert person.manager is not None
        key, employee_id, cycle = person.key, self.ids[person.key], str(year)
        prefix = f"{key}:appraisal:{'last' if year < self.today.year else 'current'}"
        hired_on = self.app.get_employee(employee_id).hire_date
        opened = min(max(date(year, 1, 15), hired_on), self.today)
        goals = self.goals(person, year, rng)
        self.run(
            f"{prefix}:goals", HR, opened,
            lambda app, ctx: app.set_goals(
                employee_id, cycle=cycle, period_start=date(year, 1, 1),
                period_end=date(year, 12, 31), goals=goals, ctx=ctx,
            ),
        )  # fmt: skip
        rating = FIXED_RATINGS.get(key) or rng.choices([3, 4, 5], weights=[4, 5, 2])[0]
        reviewed = min(date(year + 1, 1, 10), self.today) if stage >= 4 else self.today

        def review(kind: AppraisalReviewKind, who: str, n: int) -> None:
            score = max(1, min(5, rating + rng.choice([-1, 0, 0, 1])))
            self.run(
                f"{prefix}:review:{kind.value}:{n}", self.actor(who), reviewed,
                lambda app, ctx: app.submit_review(
                    employee_id, cycle=cycle, kind=kind, score=score,
                    comment=f"{kind.value} review of {person.name}", ctx=ctx,
                ),
            )  # fmt: skip

        steps = [(AppraisalReviewKind.SELF, key), (AppraisalReviewKind.MANAGER, person.manager)]
        steps += [(AppraisalReviewKind.PEER, peer) for peer in self.peers(person, rng)]
        for n, (kind, who) in enumerate(steps[: [0, 1, 2, 4, 4][stage]]):
            review(kind, who, n)
        if stage < 4:
            return
        # A rating below 3 is finalized together with its improvement plan.
        plan, due = (PLAN, date(year + 1, 6, 30)) if rating < 3 else (None, None)
        self.run(
            f"{prefix}:finalize", HR, reviewed,
            lambda app, ctx: app.finalize_appraisal(
                employee_id, cycle=cycle, rating=rating, feedback=FEEDBACK[rating],
                improvement_plan=plan, improvement_plan_due=due, ctx=ctx,
            ),
        )  # fmt: skip
        if rating >= 4:
            self.reward(person, cycle, rating, reviewed, prefix)

    def reward(self, person: _Person, cycle: str, rating: int, on: date, prefix: str) -> None:
        bonus = Decimal(8000 if rating == 5 else 3000)
        promotion = f"senior {person.position}" if person.key == "tech-1" else None
        title = "年度优秀员工 Employee of the year" if rating == 5 else None
        self.run(
            f"{prefix}:reward", HR, on,
            lambda app, ctx: app.reward_employee(
                self.ids[person.key], cycle=cycle, bonus=bonus, promotion_to=promotion,
                honorary_title=title, ctx=ctx,
            ),
        )  # fmt: skip

    # Leave.

    def leave(self, person: _Person, rng: random.Random) -> None:
        """Leave taken last year and this year; a request or two still ahead."""
        year = self.today.year
        plans = [
            ("last", date(year - 1, 10, 8), 3),
            ("may", date(year, 5, 6), 2),
            ("ahead", self.today + timedelta(days=21 + rng.randint(0, 20)), 2),
        ]
        if person.key == SEPARATED:
            plans = plans[:1]
        for name, start, days in plans:
            self.take_leave(person, name, start, days, rng)

    def take_leave(
        self, person: _Person, name: str, start: date, days: int, rng: random.Random
    ) -> None:
        """Request ``days`` of leave from ``start`` if they fit; approve, take and return."""
        employee_id = self.ids[person.key]
        # ``days`` working days by the company calendar, from the first working day on.
        calendar = self.app.schedule(start.year)
        while not calendar.is_working_day(start):
            start += timedelta(days=1)
        end, counted = start, 1
        while counted < days:
            end += timedelta(days=1)
            counted += calendar.is_working_day(end)
        employee = self.app.get_employee(employee_id)
        fits = start >= employee.hire_date and start.year == end.year
        if not fits or employee.leave_balance(start.year) < days:
            return
        requested = min(start - timedelta(days=14), self.today)
        request = self.run(
            f"{person.key}:leave:{name}:request", self.actor(person.key), requested,
            lambda app, ctx: app.request_leave(
                employee_id, start=start, end=end, days=days, ctx=ctx
            ),
        )  # fmt: skip
        request_id = UUID(request.extra["leave_request_id"])
        if name == "ahead" and rng.random() < 0.5:
            return  # still pending
        approver = self.actor(person.manager) if person.manager else HR
        self.run(
            f"{person.key}:leave:{name}:approve", approver, requested,
            lambda app, ctx: app.approve_leave(employee_id, request_id, ctx=ctx),
        )  # fmt: skip
        if end < self.today:
            back = end + timedelta(days=1)
            self.run(
                f"{person.key}:leave:{name}:start", HR, start,
                lambda app, ctx: app.start_leave(employee_id, request_id, on=start, ctx=ctx),
            )  # fmt: skip
            self.run(
                f"{person.key}:leave:{name}:return", HR, back,
                lambda app, ctx: app.return_from_leave(employee_id, request_id, on=back, ctx=ctx),
            )  # fmt: skip

    def separate(self, key: str) -> None:
        left_on = self.days_ago(45)
        self.run(
            f"{key}:separate", HR, left_on,
            lambda app, ctx: app.separate_employee(
                self.ids[key], on=left_on, reason="resigned: moving to Chengdu", ctx=ctx
            ),
        )  # fmt: skip

    # The whole company.

    def load(self) -> int:
        for person in sorted(STAFF, key=lambda p: (p.manager is not None, p.manager != "gm")):
            self.hire(person)  # managers first: a hire names an existing manager
        for key in TRANSFERRED:
            self.transfer(key)
        last_year, this_year = self.today.year - 1, self.today.year
        for person in STAFF:
            rng = random.Random(f"{self.seed}:{person.key}:appraisal")
            self.develop(person)
            hired_on = self.app.get_employee(self.ids[person.key]).hire_date
            if person.manager is None:
                continue
            if hired_on <= date(last_year, 3, 31):
                self.appraise(person, last_year, 4, rng)
            if person.key != SEPARATED:
                self.appraise(person, this_year, rng.choice([0, 1, 2, 3, 3]), rng)
        for person in STAFF:
            self.leave(person, random.Random(f"{self.seed}:{person.key}:leave"))
        self.separate(SEPARATED)
        return len(self.ids)


FEEDBACK = {
    1: "Far below expectations; we need a reset.",
    2: "Several goals missed; let us agree a concrete improvement plan.",
    3: "Solid year: goals met.",
    4: "Strong year: goals exceeded in most areas.",
    5: "Outstanding year: a model for the team.",
}


def load_employees_demo(services: Services, *, now: datetime, seed: int = 7) -> int:
    """Load (or complete) the demo company's staff; returns how many employees it has."""
    anchor = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    return _Loader(services.employees, anchor, seed).load()
