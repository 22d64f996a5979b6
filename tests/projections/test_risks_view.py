"""The risks read model: the dashboard's figures for a small known register, worked out
by hand; what depends on today judged when asked; the list's filters and paging;
incremental equals rebuilt."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from application.context import Actor
from application.risks import ActionDraft, Risks
from application.services import Services
from application.store import StoreConfig
from demo import load_risks_demo
from domain.risk import KriDirection, RiskCategory, TreatmentStrategy
from domain.vocabulary import Department, Role
from projections.listing import page
from projections.queries.risks import RiskFilter, risk_dashboard, risk_item, risk_listing
from projections.risks import RisksView
from projections.runner import ProjectionRunner
from projections.store import ReadModelStore
from tests.projections.support import ctx, small_pools
from tests.support.clock import Clock

TECH = Actor("tech.tang", frozenset({Role.TECHNOLOGY}))
DEV = Actor("dev.du", frozenset({Role.TECHNOLOGY}))
FIN = Actor("fin.fan", frozenset({Role.FINANCE}))
MANAGER = Actor("mgmt.meng", frozenset({Role.MANAGEMENT}))
BOARD = Actor("board.bai", frozenset({Role.BOARD}))

T0 = datetime(2025, 2, 3, 9, 0, tzinfo=UTC)
TODAY = date(2025, 6, 1)
TABLES = {
    "risk_rows": "id",
    "risk_actions": "action_id",
    "risk_kris": "kri_id",
    "risk_warnings": "position",
}


@pytest.fixture
def clock_start() -> datetime:
    return T0


@pytest.fixture
def view(services: Services, store_config: StoreConfig) -> Iterator[ProjectionRunner]:
    runner = ProjectionRunner(services, small_pools(store_config), [RisksView()])
    try:
        yield runner
    finally:
        runner.close()


def store_of(runner: ProjectionRunner) -> ReadModelStore:
    return runner.store(RisksView.name)


@dataclass
class Register:
    """The known register's ids: risks r1..r7, actions a1..a5."""

    r: dict[int, UUID]
    a: dict[int, str]


def _identify(
    risks: Risks,
    category: RiskCategory,
    title: str,
    owner: Actor,
    department: Department | None,
) -> UUID:
    return risks.identify_risk(
        category=category,
        title=title,
        description=f"{title}: what could happen",
        owner=owner.principal,
        department=department,
        ctx=ctx(MANAGER),
    ).id


def _plan(
    risks: Risks,
    risk_id: UUID,
    owner: Actor,
    strategy: TreatmentStrategy,
    *actions: tuple[str, Actor, date],
    counterparty: str | None = None,
) -> list[str]:
    result = risks.plan_treatment(
        risk_id,
        strategy=strategy,
        counterparty=counterparty,
        actions=[ActionDraft(title, who.principal, due) for title, who, due in actions],
        ctx=ctx(owner),
    )
    return list(result.extra["action_ids"])


def known_register(services: Services, clock: Clock) -> Register:
    """Seven risks, in the order their commands happened (clock in brackets).

    r1 technical/technology, owner tech.tang: inherent 4x5=20 critical; reduce with
       a1 (due 2025-03-01, completed 02-20) and a2 (due 2025-05-15, open); residual
       2x5=10 high (next review 2025-02-03 + 3 months = 2025-05-03); KRI above 5/10:
       3 (02-20, green), 12 (05-30, red: an early warning). Status treating.
    r2 financial/finance, owner fin.fan: 2x5=10 high; accepted by the board (with a
       justification) until 2025-06-20; reviewed 2025-04-10 (next 2025-07-10); KRI below
       6/3: 5 amber (04-10), 2 red (04-20, warning), 7 green (05-01, warning cleared).
    r3 legal/no department, owner fin.fan: 2x2=4 low (next review 2026-02-03);
       reduce with a3 due 2025-05-01, open. Status treatment_planned.
    r4 operational/operations, owner tech.tang: 3x3=9 medium; transfer with a4
       (completed 02-20); residual 3x2=6 medium; closed 03-01.
    r5 market/sales, owner mgmt.meng: identified only.
    r6 operational/technology, owner tech.tang: 1x2=2 low (next 2026-02-03);
       acceptance approved by management (within §8.2.4's limits) until 2025-05-15.
    r7 legal/technology, owner tech.tang: 2x5=10 high (next review 2025-05-03);
       acceptance rejected by the board; then avoid with a5 due 2025-07-01.
    """
    risks = services.risks
    T, L, F, OP, M = (
        RiskCategory.TECHNICAL,
        RiskCategory.LEGAL,
        RiskCategory.FINANCIAL,
        RiskCategory.OPERATIONAL,
        RiskCategory.MARKET,
    )
    r: dict[int, UUID] = {}
    a: dict[int, str] = {}
    # 2025-02-03
    r[1] = _identify(risks, T, "Payment gateway outage", TECH, Department.TECHNOLOGY)
    r[2] = _identify(risks, F, "Cash flow squeeze", FIN, Department.FINANCE)
    r[3] = _identify(risks, L, "Advertising law wording", FIN, None)
    r[4] = _identify(risks, OP, "Warehouse fire", TECH, Department.OPERATIONS)
    r[5] = _identify(risks, M, "Price war", MANAGER, Department.SALES)
    r[6] = _identify(risks, OP, "Legacy app end of life", TECH, Department.TECHNOLOGY)
    r[7] = _identify(risks, L, "Cross-border data transfer", TECH, Department.TECHNOLOGY)
    for n, owner, score in (
        (1, TECH, (4, 5)),
        (2, FIN, (2, 5)),
        (3, FIN, (2, 2)),
        (4, TECH, (3, 3)),
        (6, TECH, (1, 2)),
        (7, TECH, (2, 5)),
    ):
        risks.assess_risk(r[n], likelihood=score[0], impact=score[1], ctx=ctx(owner))
    a[1], a[2] = _plan(
        risks,
        r[1],
        TECH,
        TreatmentStrategy.REDUCE,
        ("Second payment provider", TECH, date(2025, 3, 1)),
        ("Failover drill", DEV, date(2025, 5, 15)),
    )
    risks.start_risk_action(r[1], UUID(a[1]), ctx=ctx(TECH))
    kri1 = risks.define_kri(
        r[1],
        name="Payment failures",
        metric="failed payments per 1,000",
        direction=KriDirection.ABOVE,
        amber=Decimal("5"),
        red=Decimal("10"),
        unit="per mille",
        ctx=ctx(TECH),
    ).extra["kri_id"]
    _plan(risks, r[2], FIN, TreatmentStrategy.ACCEPT)
    risks.decide_risk_acceptance(
        r[2],
        approved=True,
        expires_on=date(2025, 6, 20),
        justification="credit line covers the gap",
        ctx=ctx(BOARD),
    )
    kri2 = risks.define_kri(
        r[2],
        name="Cash cover",
        metric="months of cash",
        direction=KriDirection.BELOW,
        amber=Decimal("6"),
        red=Decimal("3"),
        unit="months",
        ctx=ctx(FIN),
    ).extra["kri_id"]
    (a[3],) = _plan(
        risks,
        r[3],
        FIN,
        TreatmentStrategy.REDUCE,
        ("Legal review of all copy", FIN, date(2025, 5, 1)),
    )
    (a[4],) = _plan(
        risks,
        r[4],
        TECH,
        TreatmentStrategy.TRANSFER,
        ("Insure the warehouse", TECH, date(2025, 3, 20)),
        counterparty="Ping An Insurance",
    )
    _plan(risks, r[6], TECH, TreatmentStrategy.ACCEPT)
    risks.decide_risk_acceptance(
        r[6], approved=True, expires_on=date(2025, 5, 15), ctx=ctx(MANAGER)
    )
    _plan(risks, r[7], TECH, TreatmentStrategy.ACCEPT)
    risks.decide_risk_acceptance(
        r[7], approved=False, reason="data must stay in the country", ctx=ctx(BOARD)
    )
    (a[5],) = _plan(
        risks,
        r[7],
        TECH,
        TreatmentStrategy.AVOID,
        ("Bring support back onshore", TECH, date(2025, 7, 1)),
    )
    clock.now = datetime(2025, 2, 20, 9, 0, tzinfo=UTC)
    risks.complete_risk_action(r[1], UUID(a[1]), ctx=ctx(TECH))
    risks.assess_residual_risk(r[1], likelihood=2, impact=5, ctx=ctx(TECH))
    risks.record_kri_reading(r[1], kri_id=UUID(kri1), value=Decimal("3"), ctx=ctx(TECH))
    risks.complete_risk_action(r[4], UUID(a[4]), ctx=ctx(TECH))
    risks.assess_residual_risk(r[4], likelihood=3, impact=2, ctx=ctx(TECH))
    clock.now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    risks.close_risk(r[4], reason="insured", ctx=ctx(TECH))
    clock.now = datetime(2025, 4, 10, 9, 0, tzinfo=UTC)
    risks.record_risk_review(r[2], note="cash plan on track", ctx=ctx(FIN))
    risks.record_kri_reading(r[2], kri_id=UUID(kri2), value=Decimal("5"), ctx=ctx(FIN))
    clock.now = datetime(2025, 4, 20, 9, 0, tzinfo=UTC)
    risks.record_kri_reading(r[2], kri_id=UUID(kri2), value=Decimal("2"), ctx=ctx(FIN))
    clock.now = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
    risks.record_kri_reading(r[2], kri_id=UUID(kri2), value=Decimal("7"), ctx=ctx(FIN))
    clock.now = datetime(2025, 5, 30, 9, 0, tzinfo=UTC)
    risks.record_kri_reading(r[1], kri_id=UUID(kri1), value=Decimal("12"), ctx=ctx(TECH))
    return Register(r, a)


def ids(*risk_ids: UUID) -> set[str]:
    return {str(risk_id) for risk_id in risk_ids}


def grid(*cells: tuple[int, int, int]) -> list[list[int]]:
    """A 5x5 grid, counts[likelihood - 1][impact - 1], from (likelihood, impact, count)."""
    counts = [[0] * 5 for _ in range(5)]
    for likelihood, impact, count in cells:
        counts[likelihood - 1][impact - 1] = count
    return counts


# The dashboard, against hand-computed figures.


def test_the_dashboard_of_the_known_register(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    reg = known_register(services, clock)
    view.catch_up()
    board = risk_dashboard(store_of(view), RiskFilter(), TODAY)
    r = reg.r

    assert board["as_of"] == "2025-06-01"
    # Heat maps of the 5 open, assessed risks (r4 is closed, r5 not assessed).
    # Inherent: r1 (4,5); r2 and r7 (2,5); r3 (2,2); r6 (1,2).
    inherent = board["heat_maps"]["inherent"]
    assert inherent["risks"] == 5
    assert inherent["counts"] == grid((4, 5, 1), (2, 5, 2), (2, 2, 1), (1, 2, 1))
    # Residual: r1 moved to (2,5); the others have none and stay where they were.
    residual = board["heat_maps"]["residual"]
    assert (residual["risks"], residual["residual_assessed"]) == (5, 1)
    assert residual["counts"] == grid((2, 5, 3), (2, 2, 1), (1, 2, 1))

    register = board["register"]
    assert (register["risks"], register["open"], register["closed"]) == (7, 6, 1)
    # Current levels: r1 high (residual 10), r2 high, r3 low, r4 medium (closed,
    # residual 6), r5 unassessed, r6 low, r7 high.
    assert register["by_level"] == {
        "low": {"open": 2, "closed": 0, "total": 2},
        "medium": {"open": 0, "closed": 1, "total": 1},
        "high": {"open": 3, "closed": 0, "total": 3},
        "critical": {"open": 0, "closed": 0, "total": 0},
        "unassessed": {"open": 1, "closed": 0, "total": 1},
    }
    assert register["by_category"] == {
        "market": {"open": 1, "closed": 0, "total": 1},
        "technical": {"open": 1, "closed": 0, "total": 1},
        "operational": {"open": 1, "closed": 1, "total": 2},
        "legal": {"open": 2, "closed": 0, "total": 2},
        "financial": {"open": 1, "closed": 0, "total": 1},
    }
    assert register["by_status"] == {
        "accepted": 2,  # r2, r6
        "closed": 1,  # r4
        "identified": 1,  # r5
        "treating": 1,  # r1 (a2 still open)
        "treatment_planned": 2,  # r3, r7
    }
    # Above the appetite (medium): r1, r2, r7 of the 6 open risks = 0.5.
    assert board["appetite"] == {
        "appetite": "medium",
        "open_risks": 6,
        "unassessed": 1,
        "above_appetite": 3,
        "share_above_appetite": 0.5,
    }
    # Open actions due before 2025-06-01: a3 (05-01, 31 days), a2 (05-15, 17 days).
    # a1 and a4 were completed; a5 is due 07-01.
    overdue = board["overdue_actions"]
    assert overdue["count"] == 2
    assert [
        (i["action_id"], i["risk_id"], i["due"], i["days_overdue"]) for i in overdue["items"]
    ] == [
        (reg.a[3], str(r[3]), "2025-05-01", 31),
        (reg.a[2], str(r[1]), "2025-05-15", 17),
    ]
    assert overdue["items"][1]["owner"] == "dev.du"
    assert overdue["items"][1]["status"] == "open"
    # Reviews due before 2025-06-01: r1 and r7 (2025-05-03, 29 days). r2 was reviewed.
    backlog = board["review_backlog"]
    assert backlog["count"] == 2
    assert backlog["by_level"] == {"high": 2}
    assert {i["risk_id"] for i in backlog["items"]} == ids(r[1], r[7])
    assert {(i["next_review_due"], i["days_overdue"]) for i in backlog["items"]} == {
        ("2025-05-03", 29)
    }
    # KRIs: r1's is red at 12, r2's green again at 7.
    kris = board["kri_status"]
    assert (kris["count"], kris["by_status"]) == (2, {"green": 1, "amber": 0, "red": 1})
    latest = {k["risk_id"]: (k["status"], k["last_value"], k["readings"]) for k in kris["kris"]}
    assert latest == {str(r[1]): ("red", "12", 2), str(r[2]): ("green", "7", 3)}
    by_risk = {k["risk_id"]: k for k in kris["kris"]}
    assert by_risk[str(r[1])]["last_observed_at"] == "2025-05-30T09:00:00.000000Z"
    assert (by_risk[str(r[2])]["amber"], by_risk[str(r[2])]["red"]) == ("6", "3")
    # Early warnings: r1's (12 past 10) is open; r2's (2 past 3) cleared on 05-01.
    warnings = board["early_warnings"]
    assert warnings["open"] == 1
    (warning,) = warnings["items"]
    assert (warning["risk_id"], warning["kri_name"], warning["value"], warning["threshold"]) == (
        str(r[1]),
        "Payment failures",
        "12",
        "10",
    )
    assert warning["raised_at"] == "2025-05-30T09:00:00.000000Z"
    # Acceptances: r2 expires 2025-06-20 (19 days left), r6 expired 2025-05-15 (-17).
    acceptances = board["acceptances"]
    assert (acceptances["accepted"], acceptances["expiring_within_days"]) == (2, 30)
    assert [
        (i["risk_id"], i["days_left"], i["approved_by"], i["level"])
        for i in acceptances["expiring"]
    ] == [(str(r[2]), 19, "board.bai", "high")]
    assert [
        (i["risk_id"], i["days_left"], i["approved_by"], i["level"]) for i in acceptances["expired"]
    ] == [(str(r[6]), -17, "mgmt.meng", "low")]


def test_what_depends_on_today_is_judged_when_asked(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    reg = known_register(services, clock)
    view.catch_up()
    store = store_of(view)

    # On 2025-04-01 nothing was overdue yet: a3 is due 05-01, a2 05-15, the
    # reviews of r1 and r7 05-03; r6's acceptance (05-15) is 44 days away.
    early = risk_dashboard(store, RiskFilter(), date(2025, 4, 1))
    assert early["overdue_actions"] == {"count": 0, "items": []}
    assert early["review_backlog"]["count"] == 0
    assert (early["acceptances"]["expiring"], early["acceptances"]["expired"]) == ([], [])
    wider = risk_dashboard(store, RiskFilter(), date(2025, 4, 1), expiring_within_days=60)
    assert [(i["risk_id"], i["days_left"]) for i in wider["acceptances"]["expiring"]] == [
        (str(reg.r[6]), 44)
    ]
    # On 2025-06-21 r2's acceptance (06-20) has expired too (the expiry day counts).
    late = risk_dashboard(store, RiskFilter(), date(2025, 6, 21))
    assert late["acceptances"]["expiring"] == []
    assert [(i["risk_id"], i["days_left"]) for i in late["acceptances"]["expired"]] == [
        (str(reg.r[6]), -37),
        (str(reg.r[2]), -1),
    ]
    on_the_day = risk_dashboard(store, RiskFilter(), date(2025, 6, 20))
    assert [i["risk_id"] for i in on_the_day["acceptances"]["expired"]] == [
        str(reg.r[6]),
        str(reg.r[2]),
    ]
    # On 2025-05-03 the reviews due that day are not yet overdue; a3 is (2 days).
    may = risk_dashboard(store, RiskFilter(), date(2025, 5, 3))
    assert may["review_backlog"]["count"] == 0
    assert [(i["action_id"], i["days_overdue"]) for i in may["overdue_actions"]["items"]] == [
        (reg.a[3], 2)
    ]


def test_the_dashboard_s_filters(services: Services, clock: Clock, view: ProjectionRunner) -> None:
    reg = known_register(services, clock)
    view.catch_up()
    store, r = store_of(view), reg.r

    legal = risk_dashboard(store, RiskFilter(category="legal"), TODAY)  # r3, r7
    assert (legal["register"]["risks"], legal["register"]["open"]) == (2, 2)
    assert legal["heat_maps"]["inherent"]["counts"] == grid((2, 2, 1), (2, 5, 1))
    assert legal["appetite"]["above_appetite"] == 1
    assert legal["appetite"]["share_above_appetite"] == 0.5
    assert [i["action_id"] for i in legal["overdue_actions"]["items"]] == [reg.a[3]]
    assert [i["risk_id"] for i in legal["review_backlog"]["items"]] == [str(r[7])]
    assert legal["kri_status"]["count"] == legal["early_warnings"]["open"] == 0
    assert legal["acceptances"]["accepted"] == 0

    high = risk_dashboard(store, RiskFilter(level="high"), TODAY)  # r1, r2, r7
    assert high["register"]["risks"] == 3
    assert high["appetite"]["share_above_appetite"] == 1.0
    assert [i["action_id"] for i in high["overdue_actions"]["items"]] == [reg.a[2]]
    assert high["review_backlog"]["count"] == 2
    assert high["kri_status"]["count"] == 2
    assert high["early_warnings"]["open"] == 1
    assert [i["risk_id"] for i in high["acceptances"]["expiring"]] == [str(r[2])]
    assert high["acceptances"]["expired"] == []

    # By department: r3 has none, so technology is r1, r6, r7.
    tech = risk_dashboard(store, RiskFilter(department="technology"), TODAY)
    assert tech["register"]["risks"] == 3
    assert tech["register"]["by_level"]["low"]["open"] == 1
    assert tech["appetite"]["above_appetite"] == 2
    assert tech["appetite"]["share_above_appetite"] == round(2 / 3, 4)

    fin = risk_dashboard(store, RiskFilter(owner="fin.fan"), TODAY)  # r2, r3
    assert fin["register"]["risks"] == 2
    assert fin["kri_status"]["by_status"] == {"green": 1, "amber": 0, "red": 0}
    assert fin["early_warnings"]["open"] == 0
    assert [i["action_id"] for i in fin["overdue_actions"]["items"]] == [reg.a[3]]

    closed = risk_dashboard(store, RiskFilter(category="operational", level="medium"), TODAY)
    assert closed["register"]["by_level"]["medium"] == {"open": 0, "closed": 1, "total": 1}
    assert closed["heat_maps"]["inherent"]["risks"] == 0
    assert closed["appetite"]["share_above_appetite"] is None

    nobody = risk_dashboard(store, RiskFilter(owner="nobody"), TODAY)
    assert nobody["register"]["risks"] == 0
    assert nobody["heat_maps"]["inherent"]["counts"] == grid()
    assert nobody["appetite"]["share_above_appetite"] is None


# The list.


def every_page(store: ReadModelStore, size: int, **kwargs: Any) -> list[dict[str, Any]]:
    filters = RiskFilter(
        **{k: kwargs.pop(k) for k in ("category", "level", "department", "owner") if k in kwargs}
    )
    listing = risk_listing(filters, **kwargs)
    rows: list[dict[str, Any]] = []
    after = None
    for _ in range(100):
        found, after = page(store, listing, limit=size, after=after)
        rows += found
        if after is None:
            return rows
    raise AssertionError("paging does not end")


def test_the_list_filters_and_pages(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    reg = known_register(services, clock)
    view.catch_up()
    store, r = store_of(view), reg.r
    everything = every_page(store, 500)
    assert {row["id"] for row in everything} == ids(*r.values())
    keys = [(row["identified_at"], row["id"]) for row in everything]
    assert keys == sorted(keys)
    for size in (1, 2, 7):
        paged = every_page(store, size)
        assert [row["id"] for row in paged] == [row["id"] for row in everything], size

    def found(size: int = 2, **kwargs: Any) -> set[str]:
        rows = every_page(store, size, **kwargs)
        assert len(rows) == len({row["id"] for row in rows})
        return {row["id"] for row in rows}

    assert found(status="accepted") == ids(r[2], r[6])
    assert found(status="closed") == ids(r[4])
    assert found(level="high") == ids(r[1], r[2], r[7])
    assert found(level="medium") == ids(r[4])
    assert found(category="legal") == ids(r[3], r[7])
    assert found(department="technology") == ids(r[1], r[6], r[7])
    assert found(owner="fin.fan") == ids(r[2], r[3])
    assert found(1, text="WAR") == ids(r[4], r[5])  # Warehouse fire, Price war
    assert found(text="law") == ids(r[3])
    assert found(category="operational", status="closed") == ids(r[4])
    assert found(category="market", level="high") == set()


def test_list_items_carry_the_key_fields(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    reg = known_register(services, clock)
    view.catch_up()
    rows = {row["id"]: row for row in every_page(store_of(view), 50)}
    r1 = risk_item(rows[str(reg.r[1])], TODAY)
    # Identified, assessed, planned, started, KRI defined, completed, residual,
    # two readings, an early warning: 10 events.
    assert r1 == {
        "id": str(reg.r[1]),
        "version": 10,
        "status": "treating",
        "category": "technical",
        "title": "Payment gateway outage",
        "owner": "tech.tang",
        "department": "technology",
        "level": "high",
        "inherent": {"likelihood": 4, "impact": 5, "score": 20, "level": "critical"},
        "residual": {"likelihood": 2, "impact": 5, "score": 10, "level": "high"},
        "above_appetite": True,
        "strategy": "reduce",
        "open_actions": 1,
        "open_early_warnings": 1,
        "acceptance_expires_on": None,
        "acceptance_lapsed": False,
        "next_review_due": "2025-05-03",
        "review_overdue": True,
        "identified_at": "2025-02-03T09:00:00.000000Z",
        "closed_at": None,
    }
    assert r1["version"] == services.risks.get_risk(reg.r[1]).version
    r4 = risk_item(rows[str(reg.r[4])], TODAY)
    assert (r4["status"], r4["closed_at"], r4["review_overdue"]) == (
        "closed",
        "2025-03-01T09:00:00.000000Z",
        False,
    )
    r5 = risk_item(rows[str(reg.r[5])], TODAY)
    assert (r5["level"], r5["inherent"], r5["above_appetite"], r5["department"]) == (
        None,
        None,
        False,
        "sales",
    )
    r7 = risk_item(rows[str(reg.r[7])], TODAY)
    assert (r7["status"], r7["strategy"], r7["open_actions"]) == ("treatment_planned", "avoid", 1)
    r2 = risk_item(rows[str(reg.r[2])], TODAY)
    assert (r2["acceptance_expires_on"], r2["open_early_warnings"]) == ("2025-06-20", 0)
    # r6's acceptance expired on 2025-05-15: lapsed, awaiting reassessment; r2's stands.
    r6 = risk_item(rows[str(reg.r[6])], TODAY)
    assert (r6["status"], r6["acceptance_lapsed"], r2["acceptance_lapsed"]) == (
        "accepted",
        True,
        False,
    )
    # Every row's version and status are the aggregate's.
    for risk_id in reg.r.values():
        risk = services.risks.get_risk(risk_id)
        row = rows[str(risk_id)]
        assert (row["version"], row["status"]) == (risk.version, risk.status.value)


def test_a_reassessment_records_the_lapse_and_clears_the_lapsed_acceptance(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    reg = known_register(services, clock)
    clock.now = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
    services.risks.assess_residual_risk(reg.r[6], likelihood=1, impact=2, ctx=ctx(TECH))
    view.catch_up()
    store = store_of(view)
    (row,) = store.read("SELECT * FROM risk_rows WHERE id = ?", [str(reg.r[6])])
    risk = services.risks.get_risk(reg.r[6])
    assert (row["status"], row["strategy"], row["version"]) == (
        risk.status.value,
        None,
        risk.version,
    )
    assert row["status"] == "assessed" and risk.acceptance is None
    assert row["acceptance_expires_on"] is None and row["acceptance_level"] is None
    assert risk_item(row, TODAY)["acceptance_lapsed"] is False
    acceptances = risk_dashboard(store, RiskFilter(), TODAY)["acceptances"]
    assert (acceptances["accepted"], acceptances["expired"]) == (1, [])


# Incremental equals rebuilt.


def snapshot(store: ReadModelStore) -> dict[str, list[dict[str, Any]]]:
    return {
        table: store.read(f"SELECT * FROM {table} ORDER BY {key}") for table, key in TABLES.items()
    }


def test_incremental_equals_rebuilt(
    services: Services, clock: Clock, view: ProjectionRunner, small_pages: int
) -> None:
    risks = services.risks
    reg = known_register(services, clock)
    view.catch_up()  # pages of 3 events
    # More history after the first catch-up: r4 reopened and assessed again, r1's
    # KRI back to amber (the warning cleared), r3's action started.
    clock.now = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
    risks.reopen_risk(reg.r[4], reason="fire at the neighbour's", ctx=ctx(TECH))
    risks.assess_risk(reg.r[4], likelihood=4, impact=4, ctx=ctx(TECH))
    kri_id = next(iter(risks.get_risk(reg.r[1]).kris))
    risks.record_kri_reading(reg.r[1], kri_id=UUID(kri_id), value=Decimal("6"), ctx=ctx(TECH))
    risks.start_risk_action(reg.r[3], UUID(reg.a[3]), ctx=ctx(FIN))
    view.catch_up()
    store = store_of(view)
    incremental = snapshot(store)
    assert len(incremental["risk_rows"]) == 7
    assert len(incremental["risk_actions"]) == 5
    assert len(incremental["risk_warnings"]) == 2
    assert all(w["cleared_at"] is not None for w in incremental["risk_warnings"])
    head = risks.recorder.max_notification_id()
    assert store.position("risks") == head

    assert view.rebuild(RisksView.name) == head
    assert snapshot(store) == incremental

    rows = {row["id"]: row for row in incremental["risk_rows"]}
    r4 = rows[str(reg.r[4])]
    assert (r4["status"], r4["level"], r4["residual_score"], r4["reopen_count"]) == (
        "assessed",
        "high",
        None,
        1,
    )
    assert rows[str(reg.r[3])]["status"] == "treating"
    board = risk_dashboard(store, RiskFilter(), TODAY)
    assert board["kri_status"]["by_status"] == {"green": 1, "amber": 1, "red": 0}
    assert board["early_warnings"]["open"] == 0
    # r4 is open again (16, high): 4 of 7 open risks above appetite.
    assert board["appetite"]["above_appetite"] == 4
    assert board["appetite"]["open_risks"] == 7


# The demo register: the read model agrees with the aggregates themselves.


def test_the_demo_register_agrees_with_the_aggregates(
    services: Services, view: ProjectionRunner
) -> None:
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    today = now.date()
    made = load_risks_demo(services, now=now)
    view.catch_up()
    store = store_of(view)
    notifications = services.risks.recorder.select_notifications(start=None, limit=100_000)
    risk_ids = list(dict.fromkeys(UUID(str(n.originator_id)) for n in notifications))
    register = [services.risks.get_risk(risk_id) for risk_id in risk_ids]
    assert len(register) == made
    open_risks = [risk for risk in register if risk.status.value != "closed"]

    rows = {row["id"]: row for row in every_page(store, 500)}
    for risk in register:
        row = rows[str(risk.id)]
        level = risk.current_level
        assert (row["status"], row["version"], row["level"]) == (
            risk.status.value,
            risk.version,
            None if level is None else level.value,
        )
        assert row["next_review_due"] == (
            None if risk.next_review_due is None else risk.next_review_due.isoformat()
        )
        assert int(row["open_actions"]) == len(risk.open_actions)

    board = risk_dashboard(store, RiskFilter(), today)
    assert board["register"]["risks"] == made
    assert board["register"]["open"] == len(open_risks)
    assert board["appetite"]["above_appetite"] == sum(r.above_appetite for r in open_risks)
    assert board["review_backlog"]["count"] == sum(r.review_overdue(today) for r in open_risks)
    assert board["overdue_actions"]["count"] == sum(
        1 for r in open_risks for a in r.open_actions if a["due"] < today
    )
    assert board["early_warnings"]["open"] == sum(len(r.open_early_warnings) for r in open_risks)
    assert board["kri_status"]["count"] == sum(len(r.kris) for r in open_risks)
    statuses = {k["kri_id"]: k["status"] for k in board["kri_status"]["kris"]}
    assert statuses == {
        kri_id: kri["status"].value for r in open_risks for kri_id, kri in r.kris.items()
    }
    expired = {i["risk_id"] for i in board["acceptances"]["expired"]}
    assert expired == {str(r.id) for r in open_risks if r.acceptance_expired(today)}
    inherent = board["heat_maps"]["inherent"]["counts"]
    assert sum(map(sum, inherent)) == sum(1 for r in open_risks if r.inherent is not None)
    # The demo shows something in every part of the dashboard.
    assert board["overdue_actions"]["count"] > 0
    assert board["review_backlog"]["count"] > 0
    assert board["early_warnings"]["open"] > 0
    assert board["kri_status"]["by_status"]["red"] > 0
    assert board["acceptances"]["accepted"] > 0
    assert board["register"]["closed"] > 0

    before = snapshot(store)
    view.rebuild(RisksView.name)
    assert snapshot(store) == before
