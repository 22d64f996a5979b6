"""The customers read model: the dashboard's funnel, rates, revenue and satisfaction for a
small known history, worked out by hand; erasure in the list; filters and paging;
incremental equals rebuilt."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from application.context import Actor
from application.services import Services
from application.store import StoreConfig
from domain.vocabulary import AcquisitionChannel, MembershipTier, Role
from projections.customers import CustomersView
from projections.listing import page
from projections.queries.customers import (
    CustomerFilter,
    active_customers,
    customer_dashboard,
    customer_item,
    customer_listing,
)
from projections.runner import ProjectionRunner
from projections.store import ReadModelStore
from tests.projections.support import ctx, small_pools
from tests.support.clock import Clock

MARKETER = Actor("mkt.mei", frozenset({Role.MARKETING}))
OPS = Actor("ops.ou", frozenset({Role.OPERATIONS}))
SELLER = Actor("sales.sun", frozenset({Role.SALES}))
AGENT = Actor("cs.li", frozenset({Role.CUSTOMER_SERVICE}))
MANAGER = Actor("mgr.zhao", frozenset({Role.MANAGEMENT}))

NAME = CustomersView.name
SEARCH, SOCIAL, REFERRAL = (
    AcquisitionChannel.SEARCH,
    AcquisitionChannel.SOCIAL,
    AcquisitionChannel.REFERRAL,
)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2025, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def clock_start() -> datetime:
    return at(1, 1)


@pytest.fixture
def view(services: Services, store_config: StoreConfig) -> Iterator[ProjectionRunner]:
    runner = ProjectionRunner(services, small_pools(store_config), [CustomersView()])
    try:
        yield runner
    finally:
        runner.close()


def register(
    services: Services,
    clock: Clock,
    when: datetime,
    name: str,
    channel: AcquisitionChannel,
    *,
    email: str | None = None,
    phone: str | None = None,
    campaign: str | None = None,
) -> UUID:
    clock.now = when
    return services.customers.register_customer(
        name=name,
        email=email,
        phone=phone,
        channel=channel,
        campaign=campaign,
        marketing_consent=True,
        ctx=ctx(MARKETER),
    ).id


def history(services: Services, clock: Clock, checkpoint: Any = lambda: None) -> dict[int, UUID]:
    """Five customers (business times in brackets):

    c1 Wang Fang, search, campaign spring (2025-01-10): activated; purchases 129.90 and
       0.10 -> loyal, revenue 130.00; gold, segment champions; surveys q1 csat 5 nps 10,
       q2 csat 4 nps 6.
    c2 Chen Jing, search, phone only (2025-01-20): activated; purchase 0.20 -> converted;
       survey q1 csat 4 nps 9.
    c3 Liu Yang, social, campaign spring (2025-02-05): activated; purchase 0.10; flagged
       at risk; survey q1 csat 2 nps 3.
    c4 Zhao Lei, social (2025-02-14): never activated; churned; survey q1 csat 3 only.
    c5 Sun Li, referral, campaign spring (2025-02-28): activated; survey q1 nps 9 only;
       then erased (PIPL).
    """
    customers = services.customers
    c: dict[int, UUID] = {}
    c[1] = register(
        services, clock, at(1, 10), "Wang Fang", SEARCH, email="wang.fang@example.cn",
        campaign="spring",
    )  # fmt: skip
    c[2] = register(services, clock, at(1, 20), "Chen Jing", SEARCH, phone="+86 138 0013 8000")
    checkpoint()
    c[3] = register(
        services, clock, at(2, 5), "Liu Yang", SOCIAL, email="liu.yang@example.cn",
        campaign="spring",
    )  # fmt: skip
    c[4] = register(
        services, clock, at(2, 14), "Zhao Lei", SOCIAL, email="zhao.lei@example.cn",
        phone="+86 139 0000 0004",
    )  # fmt: skip
    c[5] = register(
        services, clock, at(2, 28), "Sun Li", REFERRAL, email="sun.li@example.cn",
        campaign="spring",
    )  # fmt: skip
    clock.now = at(3, 1)
    for n in (1, 2, 3, 5):
        customers.activate_customer(c[n], ctx=ctx(OPS))
    customers.record_purchase(c[1], amount=Decimal("129.90"), order_ref="O-1", ctx=ctx(SELLER))
    customers.record_purchase(c[1], amount=Decimal("0.10"), order_ref="O-2", ctx=ctx(SELLER))
    checkpoint()
    customers.record_purchase(c[2], amount=Decimal("0.20"), order_ref="O-3", ctx=ctx(SELLER))
    customers.record_purchase(c[3], amount=Decimal("0.10"), order_ref="O-4", ctx=ctx(SELLER))
    customers.upgrade_membership(c[1], tier=MembershipTier.GOLD, ctx=ctx(SELLER))
    customers.assign_segment(c[1], segment="champions", ctx=ctx(OPS))
    customers.assign_segment(c[3], segment="hibernating", ctx=ctx(OPS))
    customers.make_offer(c[1], offer="spring coupon", ctx=ctx(OPS))
    customers.flag_customer_at_risk(c[3], reason="no visit in 60 days", ctx=ctx(OPS))
    customers.churn_customer(c[4], reason="closed the account", ctx=ctx(OPS))
    checkpoint()
    for n, survey, csat, nps in (
        (1, "q1", 5, 10),
        (1, "q2", 4, 6),
        (2, "q1", 4, 9),
        (3, "q1", 2, 3),
        (4, "q1", 3, None),
        (5, "q1", None, 9),
    ):
        customers.answer_survey(c[n], survey=survey, csat=csat, nps=nps, ctx=ctx(AGENT))
    customers.erase_customer(c[5], reason="PIPL erasure request", ctx=ctx(MANAGER))
    return c


def built(services: Services, clock: Clock, view: ProjectionRunner) -> tuple[ReadModelStore, Any]:
    c = history(services, clock)
    view.catch_up()
    return view.store(NAME), c


def funnel(
    registered: int,
    activated: int,
    converted: int,
    loyal: int,
    churned: int,
    at_risk: int,
    activation: float | None,
    conversion: float | None,
    repeat: float | None,
    churn: float | None,
    revenue: str,
) -> dict[str, Any]:
    return {
        "registered": registered,
        "activated": activated,
        "converted": converted,
        "loyal": loyal,
        "churned": churned,
        "at_risk": at_risk,
        "activation_rate": activation,
        "conversion_rate": conversion,
        "repeat_purchase_rate": repeat,
        "churn_rate": churn,
        "revenue": revenue,
    }


# search: c1, c2 -- both activated and converted, c1 loyal: 2/2, 2/2, 1/2, 0/2;
# 129.90 + 0.10 + 0.20 = 130.20 (as floats 130.20000000000002).
SEARCH_ROW = funnel(2, 2, 2, 1, 0, 0, 1.0, 1.0, 0.5, 0.0, "130.20")
# social: c3 (activated, converted, at risk), c4 (churned): 1/2, 1/2, 0/1, 1/2; 0.10.
SOCIAL_ROW = funnel(2, 1, 1, 0, 1, 1, 0.5, 0.5, 0.0, 0.5, "0.10")
# referral: c5 activated only: 1/1, 0/1, no converted customer -> no repeat rate.
REFERRAL_ROW = funnel(1, 1, 0, 0, 0, 0, 1.0, 0.0, None, 0.0, "0.00")


def test_the_dashboard_s_figures_match_hand_computed_values(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    store, _ = built(services, clock, view)
    board = customer_dashboard(store, CustomerFilter())

    # 5 registered; activated c1 c2 c3 c5 = 4 (0.8); converted c1 c2 c3 = 3 (0.6);
    # loyal c1 = 1 of 3 converted (0.3333); churned c4 = 1 (0.2); at risk c3.
    # Revenue 129.90 + 0.10 + 0.20 + 0.10 = 130.30.
    assert board["funnel"] == funnel(5, 4, 3, 1, 1, 1, 0.8, 0.6, 0.3333, 0.2, "130.30")
    assert board["by_channel"] == {
        "referral": REFERRAL_ROW,
        "search": SEARCH_ROW,
        "social": SOCIAL_ROW,
    }
    assert board["by_registration_month"] == {
        "2025-01": SEARCH_ROW,  # c1, c2
        # c3 c4 c5: activated 2/3, converted 1/3, loyal 0/1, churned 1/3; 0.10.
        "2025-02": funnel(3, 2, 1, 0, 1, 1, 0.6667, 0.3333, 0.0, 0.3333, "0.10"),
    }
    # CSAT answers 5, 4, 4, 2, 3: three of five are 4-5 -> 60.0 %.
    # NPS answers 10, 6, 9, 3, 9 (the erased customer's answer stays): promoters
    # 10, 9, 9 = 3, detractors 6, 3 = 2 -> (3 - 2) / 5 = 20.0.
    assert board["satisfaction"] == {
        "csat_answers": 5,
        "csat_percent": 60.0,
        "nps_answers": 5,
        "nps": 20.0,
    }
    # Active: activated, not churned or at risk, not erased: c1, c2.
    assert active_customers(store) == 2


def test_the_dashboard_filters_by_channel_campaign_and_registration_period(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    store, _ = built(services, clock, view)

    search = customer_dashboard(store, CustomerFilter(channel="search"))
    assert search["funnel"] == SEARCH_ROW
    assert search["by_channel"] == {"search": SEARCH_ROW}
    assert search["by_registration_month"] == {"2025-01": SEARCH_ROW}
    # CSAT 5, 4, 4: all 4-5 -> 100.0; NPS 10, 6, 9: (2 - 1) / 3 = 33.3.
    assert search["satisfaction"] == {
        "csat_answers": 3,
        "csat_percent": 100.0,
        "nps_answers": 3,
        "nps": 33.3,
    }

    spring = customer_dashboard(store, CustomerFilter(campaign="spring"))
    # c1 c3 c5: all activated (1.0); converted c1 c3 (0.6667); loyal c1 (0.5);
    # none churned; c3 at risk; 129.90 + 0.10 + 0.10 = 130.10.
    assert spring["funnel"] == funnel(3, 3, 2, 1, 0, 1, 1.0, 0.6667, 0.5, 0.0, "130.10")
    assert list(spring["by_channel"]) == ["referral", "search", "social"]
    assert spring["by_channel"]["search"]["revenue"] == "130.00"  # 129.90 + 0.10

    # February up to (not including) the 28th: c3 and c4, not c5 (registered the 28th).
    february = customer_dashboard(
        store, CustomerFilter(registered_from=at(2, 1, 0), registered_until=at(2, 28, 0))
    )
    assert february["funnel"] == funnel(2, 1, 1, 0, 1, 1, 0.5, 0.5, 0.0, 0.5, "0.10")
    assert february["by_channel"] == {"social": SOCIAL_ROW}
    # CSAT 2, 3: none 4-5 -> 0.0; NPS 3: one detractor of one -> -100.0.
    assert february["satisfaction"] == {
        "csat_answers": 2,
        "csat_percent": 0.0,
        "nps_answers": 1,
        "nps": -100.0,
    }
    # A bound exactly on a registration includes it from, excludes it until.
    assert customer_dashboard(store, CustomerFilter(registered_from=at(2, 28)))["funnel"] == (
        REFERRAL_ROW
    )


def test_a_filter_matching_no_customer_gives_an_empty_dashboard(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    store, _ = built(services, clock, view)
    empty = funnel(0, 0, 0, 0, 0, 0, None, None, None, None, "0.00")
    for filters in (CustomerFilter(registered_until=at(1, 10)), CustomerFilter(channel="content")):
        board = customer_dashboard(store, filters)
        assert board["funnel"] == empty
        assert board["by_channel"] == {} and board["by_registration_month"] == {}
        assert board["satisfaction"] == {
            "csat_answers": 0,
            "csat_percent": None,
            "nps_answers": 0,
            "nps": None,
        }


# The list.


def _all(store: ReadModelStore, size: int = 500, **kwargs: Any) -> list[dict[str, Any]]:
    filters = kwargs.pop("filters", CustomerFilter())
    items: list[dict[str, Any]] = []
    after = None
    for _ in range(50):
        rows, after = page(store, customer_listing(filters, **kwargs), limit=size, after=after)
        items += [customer_item(row) for row in rows]
        if after is None:
            return items
    raise AssertionError("paging did not end")


def test_the_list_s_items_filters_and_erasure(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    store, c = built(services, clock, view)
    number = {str(customer_id): n for n, customer_id in c.items()}

    def ns(size: int = 500, **kwargs: Any) -> list[int]:
        return [number[i["id"]] for i in _all(store, size, **kwargs)]

    items = _all(store)
    assert [number[i["id"]] for i in items] == [1, 2, 3, 4, 5]  # registration order
    first = items[0]
    assert first == {
        "id": str(c[1]),
        "version": services.customers.get_customer(c[1]).version,
        "status": "loyal",
        "name": "Wang Fang",
        "email": "wang.fang@example.cn",
        "phone": None,
        "channel": "search",
        "campaign": "spring",
        "activated": True,
        "purchases": 2,
        "revenue": "130.00",
        "tier": "gold",
        "segment": "champions",
        "erased": False,
        "registered_at": "2025-01-10T10:00:00.000000Z",
    }
    erased = items[4]
    assert (erased["name"], erased["email"], erased["phone"], erased["erased"]) == (
        None,
        None,
        None,
        True,
    )
    assert (erased["status"], erased["channel"], erased["campaign"]) == (
        "activated",
        "referral",
        "spring",
    )
    for item in items:
        assert item["version"] == services.customers.get_customer(UUID(item["id"])).version

    assert ns(status="loyal") == [1]
    assert ns(status="converted") == [2]
    assert ns(status="at_risk") == [3]
    assert ns(status="churned") == [4]
    assert ns(status="activated") == [5]
    assert ns(filters=CustomerFilter(channel="social")) == [3, 4]
    assert ns(filters=CustomerFilter(campaign="spring")) == [1, 3, 5]
    assert ns(segment="champions") == [1]
    assert ns(tier="gold") == [1]
    assert ns(tier="standard") == [2, 3, 4, 5]
    assert ns(filters=CustomerFilter(channel="social"), status="churned") == [4]
    assert ns(filters=CustomerFilter(registered_from=at(2, 1, 0), registered_until=at(2, 28))) == [
        3,
        4,
    ]
    # Text search: name, email or phone, any case; the erased customer is not found.
    assert ns(text="WANG") == [1]
    assert ns(text="example.cn") == [1, 3, 4]
    assert ns(text="138 0013") == [2]
    assert ns(text="+86 1") == [2, 4]
    assert ns(text="sun") == []
    assert ns(text="sun.li@example.cn") == []
    assert ns(text="%") == []  # a literal, not a wildcard


@pytest.mark.parametrize("size", [1, 2, 7])
def test_paging_lists_every_customer_exactly_once(
    services: Services, clock: Clock, view: ProjectionRunner, size: int
) -> None:
    store, c = built(services, clock, view)
    everything = _all(store)
    paged = _all(store, size)
    assert paged == everything
    assert len({i["id"] for i in paged}) == len(paged) == 5
    spring = _all(store, size, filters=CustomerFilter(campaign="spring"))
    assert [i["id"] for i in spring] == [str(c[1]), str(c[3]), str(c[5])]


def _table_rows(store: ReadModelStore) -> dict[str, list[dict[str, Any]]]:
    return {
        "customer_rows": store.read("SELECT * FROM customer_rows ORDER BY id"),
        "customer_surveys": store.read(
            "SELECT * FROM customer_surveys ORDER BY customer_id, survey"
        ),
    }


def test_incremental_equals_rebuilt(
    services: Services, clock: Clock, view: ProjectionRunner
) -> None:
    history(services, clock, checkpoint=view.catch_up)
    view.catch_up()
    store = view.store(NAME)
    incremental = _table_rows(store)
    assert len(incremental["customer_rows"]) == 5
    assert len(incremental["customer_surveys"]) == 6

    assert view.rebuild(NAME) > 0
    assert _table_rows(store) == incremental
    assert store.position("customers") == services.customers.recorder.max_notification_id()
