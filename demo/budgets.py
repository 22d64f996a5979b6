"""Demo budgets: every department of the demo company, this fiscal year, at every stage.

Loaded through the Budgets application's commands only. Every command carries a
deterministic Idempotency-Key (``demo:{seed}:budgets:...``) with a fixed
fingerprint and a fixed principal, so a re-run answers from memory and writes
nothing. The keys and the amounts depend on the seed and the fiscal year
(``now.year``), never on the day: ``now`` only places the back-dated business
times, so a re-run on another day of the same year finds every command
remembered. Spending is planned to stay within what ``stop`` budgets allow, so
no command of the plan is refused, whatever the day: lines split by month spend
their share of the days gone by, within their accumulated monthly budget. Every
stage of a budget is taken by another principal (head, finance reviewer,
manager, board member), as segregation of duties requires.

What it makes for fiscal year Y = now.year:

- operations, technology, marketing, sales, customer_service: drafted in
  December of Y-1, finance-reviewed one by one, then approved by management
  and by the board in bulk for the year (active); ten rounds of actuals spread
  over the elapsed part of Y; marketing and sales run under ``warn`` and
  overrun a line, the others reach their 80 % warnings; adjustments: approved
  (sales, marketing), pending management (technology), rejected
  (customer_service).
- finance: management-approved (awaiting the board); hr: finance-reviewed;
  administration: returned to draft by finance once, revised and resubmitted.
- technology, Y+1: a draft. sales, Y-1: twelve months of actuals, closed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from uuid import UUID

from application.budgets import Budgets
from application.context import Actor, CommandResult
from application.services import Services
from demo.runner import Command, Keys, Runner, fixed
from domain.budget import BudgetControl, BudgetLineCategory, PlannedLine
from domain.vocabulary import Department, Role

__all__ = ["load_budgets_demo"]

CENT = Decimal("0.01")
ROUNDS = 10  # rounds of actuals this year, spread over its elapsed part
FINGERPRINT = "opsledger-demo-budgets/1"
REVENUE = BudgetLineCategory.REVENUE
COST = BudgetLineCategory.COST
EXPENSE = BudgetLineCategory.EXPENSE


@dataclass(frozen=True)
class _Line:
    code: str
    category: BudgetLineCategory
    amount: str
    description: str
    spend: tuple[float, float] = (0.75, 0.97)  # share of the year's budget, scaled
    front_loaded: bool = False  # spends its share whatever the day (hot lines)
    split: bool = False

    def planned(self) -> PlannedLine:
        return PlannedLine(
            code=self.code,
            category=self.category,
            amount=Decimal(self.amount),
            monthly=_monthly(Decimal(self.amount)) if self.split else None,
            description=self.description,
        )


def _monthly(amount: Decimal) -> list[Decimal]:
    month = (amount / 12).quantize(CENT, ROUND_DOWN)
    return [month] * 11 + [amount - month * 11]


def _year_share(day: date) -> float:
    """The share of ``day``'s year that has passed by its end."""
    first = date(day.year, 1, 1)
    return ((day - first).days + 1) / (date(day.year + 1, 1, 1) - first).days


HOT_WARN = (1.08, 1.3)  # under warn: overruns
HOT_STOP = (0.84, 0.95)  # under stop: the 80 % warning, never refused

PLANS: dict[Department, tuple[BudgetControl, tuple[_Line, ...]]] = {
    Department.SALES: (
        BudgetControl.WARN,
        (
            _Line("6001.01", REVENUE, "48000000.00", "产品销售收入 product sales", split=True),
            _Line("6601.01", EXPENSE, "1200000.00", "差旅费 travel"),
            _Line("6601.02", EXPENSE, "3600000.00", "销售佣金 commissions", split=True),
            _Line("6601.03", EXPENSE, "600000.00", "业务招待费 entertainment", HOT_WARN, True),
        ),
    ),
    Department.MARKETING: (
        BudgetControl.WARN,
        (
            _Line("6601.10", EXPENSE, "6000000.00", "广告费 advertising", split=True),
            _Line("6601.11", EXPENSE, "1500000.00", "线下活动 offline events", HOT_WARN, True),
            _Line("6601.12", EXPENSE, "900000.00", "内容制作 content", (0.4, 0.55)),
        ),
    ),
    Department.TECHNOLOGY: (
        BudgetControl.STOP,
        (
            # Front-loaded, so not split by month: a split line under stop spends by month.
            _Line("6401.01", COST, "4800000.00", "云服务 cloud", HOT_STOP, True),
            _Line("6602.20", EXPENSE, "1200000.00", "软件许可 software licences"),
            _Line("6602.21", EXPENSE, "800000.00", "硬件设备 hardware"),
        ),
    ),
    Department.OPERATIONS: (
        BudgetControl.STOP,
        (
            _Line("6401.10", COST, "2400000.00", "履约成本 fulfilment", split=True),
            _Line("6601.20", EXPENSE, "1000000.00", "用户运营活动 user campaigns"),
            _Line("6602.30", EXPENSE, "360000.00", "数据工具 data tools", HOT_STOP, True),
        ),
    ),
    Department.CUSTOMER_SERVICE: (
        BudgetControl.STOP,
        (
            _Line("6401.20", COST, "1800000.00", "呼叫中心 call centre", split=True),
            _Line("6601.30", EXPENSE, "240000.00", "客户补偿 compensation", HOT_STOP, True),
            _Line("6602.40", EXPENSE, "120000.00", "客服培训 training"),
        ),
    ),
    Department.FINANCE: (
        BudgetControl.STOP,
        (
            _Line("6602.50", EXPENSE, "450000.00", "审计费 audit fees"),
            _Line("6603.01", EXPENSE, "180000.00", "银行手续费 bank charges"),
        ),
    ),
    Department.HR: (
        BudgetControl.STOP,
        (
            _Line("6602.60", EXPENSE, "900000.00", "招聘费 recruiting"),
            _Line("6602.61", EXPENSE, "600000.00", "培训费 training"),
            _Line("6602.62", EXPENSE, "2400000.00", "福利费 benefits", split=True),
        ),
    ),
    Department.ADMINISTRATION: (
        BudgetControl.STOP,
        (
            _Line("6602.70", EXPENSE, "3600000.00", "房租 office rent", split=True),
            _Line("6602.71", EXPENSE, "240000.00", "办公用品 office supplies"),
        ),
    ),
}
ACTIVE = (
    Department.OPERATIONS,
    Department.TECHNOLOGY,
    Department.MARKETING,
    Department.SALES,
    Department.CUSTOMER_SERVICE,
)

# Department heads carry the names of the demo tokens (``demo-<role>``), so that
# whoever holds one can act as that head; administration is headed by management.
HEADS: dict[Department, Actor] = {
    d: Actor(f"demo-{d.value}", frozenset({Role(d.value)}))
    for d in Department
    if d in PLANS
    if d != Department.ADMINISTRATION
}
HEADS[Department.ADMINISTRATION] = Actor("demo-mgmt-wu", frozenset({Role.MANAGEMENT}))
REVIEWER = Actor("demo-fin-chen", frozenset({Role.FINANCE}))
BOOKKEEPER = Actor("demo-fin-wang", frozenset({Role.FINANCE}))
MANAGER = Actor("demo-mgmt-zhao", frozenset({Role.MANAGEMENT}))
BOARD = Actor("demo-board-li", frozenset({Role.BOARD}))


class _Loader:
    def __init__(self, services: Services, now: datetime, seed: int) -> None:
        self.app = services.budgets
        self.now = now
        self.seed = seed
        self.year = now.year
        self.made: set[UUID] = set()
        self.runner = Runner(
            Keys(
                f"demo:{seed}:budgets",
                request_id=lambda key: f"demo-{key}",
                fingerprint=fixed(FINGERPRINT),
            )
        )

    def run(self, key: str, actor: Actor, at: datetime, command: Command[Budgets]) -> CommandResult:
        """Send ``command`` at ``at``, but never later than five minutes ago."""
        return self.runner.run(
            self.app, key, actor, min(at, self.now - timedelta(minutes=5)), command
        )

    def rng(self, key: str) -> random.Random:
        return random.Random(f"{self.seed}:{key}")

    # The cycle.

    def draft(self, department: Department, year: int, at: datetime) -> UUID:
        control, lines = PLANS[department]
        result = self.run(
            f"{year}:{department.value}:draft",
            HEADS[department],
            at,
            lambda app, ctx: app.draft_budget(
                department=department,
                fiscal_year=year,
                control=control,
                lines=[line.planned() for line in lines],
                ctx=ctx,
            ),
        )
        self.made.add(result.id)
        return result.id

    def step(
        self, budget_id: UUID, label: str, actor: Actor, at: datetime, command: Command[Budgets]
    ) -> None:
        """Send ``command`` on ``budget_id``, keyed by its year, its department and ``label``."""
        budget = self.app.get_budget(budget_id)
        key = f"{budget.fiscal_year}:{budget.department.value}:{label}"
        self.run(key, actor, at, command)

    def submit(self, budget_id: UUID, department: Department, at: datetime, n: int = 1) -> None:
        self.step(
            budget_id, f"submit-{n}", HEADS[department], at,
            lambda app, ctx: app.submit_budget(budget_id, ctx=ctx),
        )  # fmt: skip

    def review(self, budget_id: UUID, at: datetime, label: str = "finance-review") -> None:
        self.step(
            budget_id, label, REVIEWER, at,
            lambda app, ctx: app.review_budget(budget_id, approved=True, ctx=ctx),
        )  # fmt: skip

    def approve_individually(self, budget_id: UUID, at: datetime, board: bool) -> None:
        self.step(
            budget_id, "management", MANAGER, at,
            lambda app, ctx: app.approve_budget_by_management(budget_id, approved=True, ctx=ctx),
        )  # fmt: skip
        if board:
            self.step(
                budget_id, "board", BOARD, at + timedelta(days=7),
                lambda app, ctx: app.approve_budget_by_board(budget_id, approved=True, ctx=ctx),
            )  # fmt: skip

    # Execution.

    def actuals(
        self, budget_id: UUID, department: Department, year: int, rounds: int, ks: range
    ) -> None:
        """Rounds ``ks`` of ``rounds`` rounds of actuals per line, spread over the
        elapsed part of ``year``."""
        start = datetime(year, 1, 1, tzinfo=UTC)
        end = min(self.now, datetime(year + 1, 1, 1, tzinfo=UTC))
        elapsed = (end - start) / (datetime(year + 1, 1, 1, tzinfo=UTC) - start)
        _, lines = PLANS[department]
        dates = [(start + (end - start) * (k + 0.5) / rounds).date() for k in range(rounds)]
        for k in ks:
            for line in lines:
                since = dates[k - 1] if k else None
                self.actual(budget_id, department, year, line, k, rounds, dates[k], since, elapsed)

    def actual(
        self,
        budget_id: UUID,
        department: Department,
        year: int,
        line: _Line,
        k: int,
        rounds: int,
        on: date,
        since: date | None,
        elapsed: float,
    ) -> None:
        """One round's actual on ``line``, dated ``on`` (the previous round was ``since``).

        A split line spends its share of the days since the previous round, so that
        it keeps within its accumulated monthly budget (the monthly control).
        """
        key = f"{year}:{department.value}:actual:{line.code}:{k}"
        share = self.rng(key).uniform(*line.spend)
        if line.split:
            scale = _year_share(on) - (_year_share(since) if since else 0.0)
            rounds = 1
        else:
            scale = 1.0 if line.front_loaded else elapsed
        amount = (Decimal(line.amount) * Decimal(str(share * scale)) / rounds).quantize(
            CENT, ROUND_DOWN
        )
        if amount <= 0:
            return
        recorded = datetime(on.year, on.month, on.day, 18, tzinfo=UTC) + timedelta(days=2)
        prefix = "SO" if line.category == REVENUE else "INV"
        self.run(
            key,
            BOOKKEEPER,
            recorded,
            lambda app, ctx: app.record_actual(
                budget_id,
                line=line.code,
                amount=amount,
                document_ref=f"{prefix}-{year}-{line.code}-{k + 1:02d}",
                date=on,
                description=f"{line.description} #{k + 1}",
                ctx=ctx,
            ),
        )

    def adjustment(
        self,
        budget_id: UUID,
        label: str,
        at: datetime,
        decide: tuple[str, Actor] | None,
        *,
        to_line: str,
        amount: Decimal,
        reason: str,
        from_line: str | None = None,
    ) -> None:
        budget = self.app.get_budget(budget_id)
        key = f"{budget.fiscal_year}:{budget.department.value}:adjustment:{label}"
        requested = self.run(
            key,
            HEADS[budget.department],
            at,
            lambda app, ctx: app.request_adjustment(
                budget_id,
                to_line=to_line,
                amount=amount,
                reason=reason,
                from_line=from_line,
                ctx=ctx,
            ),
        )
        if decide is None:
            return
        adjustment_id = UUID(requested.extra["adjustment_id"])
        decision, actor = decide
        later = at + timedelta(days=2)
        if decision == "approve":
            self.run(
                f"{key}:approve",
                actor,
                later,
                lambda app, ctx: app.approve_adjustment(budget_id, adjustment_id, ctx=ctx),
            )
        else:
            self.run(
                f"{key}:reject",
                actor,
                later,
                lambda app, ctx: app.reject_adjustment(
                    budget_id,
                    adjustment_id,
                    reason="本季度补偿已在客服培训中覆盖 covered by the training line",
                    ctx=ctx,
                ),
            )

    # The year's story.

    def this_year(self) -> None:
        y = self.year
        december = datetime(y - 1, 12, 1, 9, tzinfo=UTC)
        ids = {d: self.draft(d, y, december + timedelta(days=i)) for i, d in enumerate(ACTIVE)}
        for department, budget_id in ids.items():
            self.submit(budget_id, department, december + timedelta(days=5))
            self.review(budget_id, december + timedelta(days=11))
        self.run(
            f"{y}:management-approval",
            MANAGER,
            december + timedelta(days=18),
            lambda app, ctx: app.approve_fiscal_year_by_management(y, ctx=ctx),
        )
        self.run(
            f"{y}:board-approval",
            BOARD,
            december + timedelta(days=27),
            lambda app, ctx: app.approve_fiscal_year_by_board(y, ctx=ctx),
        )
        self.late_departments(y)
        for department, budget_id in ids.items():
            self.actuals(budget_id, department, y, ROUNDS, range(ROUNDS // 2))
        self.adjustments(ids)
        for department, budget_id in ids.items():
            self.actuals(budget_id, department, y, ROUNDS, range(ROUNDS // 2, ROUNDS))

    def adjustments(self, ids: dict[Department, UUID]) -> None:
        y = self.year
        start = datetime(y, 1, 1, 10, tzinfo=UTC)
        mid = start + (min(self.now, datetime(y + 1, 1, 1, tzinfo=UTC)) - start) / 2
        self.adjustment(
            ids[Department.SALES],
            "entertainment",
            mid,
            ("approve", REVIEWER),
            to_line="6601.03",
            amount=Decimal("60000.00"),
            reason="新增重点客户拜访 visits to new key accounts",
        )
        self.adjustment(
            ids[Department.MARKETING],
            "content-to-events",
            mid,
            ("approve", REVIEWER),
            from_line="6601.12",
            to_line="6601.11",
            amount=Decimal("150000.00"),
            reason="双十一线下快闪活动 Singles' Day pop-up events",
        )
        self.adjustment(
            ids[Department.TECHNOLOGY],
            "cloud",
            mid,
            None,
            to_line="6401.01",
            amount=Decimal("1200000.00"),
            reason="用户量增长带来的云资源扩容 cloud capacity for user growth",
        )
        self.adjustment(
            ids[Department.CUSTOMER_SERVICE],
            "compensation",
            mid,
            ("reject", REVIEWER),
            to_line="6601.30",
            amount=Decimal("20000.00"),
            reason="投诉补偿增加 more complaint compensation",
        )

    def late_departments(self, y: int) -> None:
        january = datetime(y, 1, 3, 9, tzinfo=UTC)
        finance = self.draft(Department.FINANCE, y, january)
        self.submit(finance, Department.FINANCE, january + timedelta(days=3))
        self.review(finance, january + timedelta(days=10))
        self.approve_individually(finance, january + timedelta(days=17), board=False)

        hr = self.draft(Department.HR, y, january + timedelta(days=1))
        self.submit(hr, Department.HR, january + timedelta(days=5))
        self.review(hr, january + timedelta(days=12))

        admin = self.draft(Department.ADMINISTRATION, y, january + timedelta(days=2))
        self.submit(admin, Department.ADMINISTRATION, january + timedelta(days=6))
        self.step(
            admin,
            "finance-return",
            REVIEWER,
            january + timedelta(days=11),
            lambda app, ctx: app.review_budget(
                admin,
                approved=False,
                reason="房租行缺少新租约条款 the rent line lacks the new lease terms",
                ctx=ctx,
            ),
        )
        _, lines = PLANS[Department.ADMINISTRATION]
        revised = [
            lines[0].planned(),
            PlannedLine(
                code="6602.71",
                category=EXPENSE,
                amount=Decimal("200000.00"),
                description="办公用品 office supplies (revised)",
            ),
        ]
        self.step(
            admin,
            "revise-lines",
            HEADS[Department.ADMINISTRATION],
            january + timedelta(days=13),
            lambda app, ctx: app.replace_budget_lines(admin, lines=revised, ctx=ctx),
        )
        self.submit(admin, Department.ADMINISTRATION, january + timedelta(days=14), n=2)

    def next_year(self) -> None:
        self.draft(Department.TECHNOLOGY, self.year + 1, datetime(self.year, 11, 1, tzinfo=UTC))

    def last_year(self) -> None:
        y = self.year - 1
        december = datetime(y - 1, 12, 1, 9, tzinfo=UTC)
        sales = self.draft(Department.SALES, y, december)
        self.submit(sales, Department.SALES, december + timedelta(days=5))
        self.review(sales, december + timedelta(days=11))
        self.approve_individually(sales, december + timedelta(days=18), board=True)
        self.actuals(sales, Department.SALES, y, 12, range(12))
        self.step(
            sales, "close", REVIEWER, datetime(y + 1, 1, 8, 10, tzinfo=UTC),
            lambda app, ctx: app.close_budget(sales, ctx=ctx),
        )  # fmt: skip


def load_budgets_demo(services: Services, *, now: datetime, seed: int = 7) -> int:
    """Load (or complete) the demo budgets; returns how many budgets it made or found.

    A re-run with the same seed in the same fiscal year writes nothing.
    """
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    loader = _Loader(services, now, seed)
    loader.last_year()
    loader.this_year()
    loader.next_year()
    return len(loader.made)
