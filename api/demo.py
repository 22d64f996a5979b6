# ruff: noqa: RUF001 -- the demo's Chinese text uses full-width punctuation on purpose.
"""Load a believable demo company through the application's own commands.

Everything goes in through the command methods of the Applications (never
straight into the database), so the demo's events carry the same metadata,
rules and idempotency as real traffic.

Re-running is safe. Every command is sent with a deterministic
Idempotency-Key (``demo:{seed}:...``), a fixed fingerprint per key and a fixed
principal per key, so a repeated command answers what it answered the first
time and writes nothing. The keys never depend on ``now``: the company is
planned in "days before now", so a re-run on another day makes the same
decisions and finds every command remembered.

Each customer and each complaint is planned from its own seeded
``random.Random`` (seeded from ``seed`` and its index), so a smaller ``scale``
loads a subset of the same company: customer 17 is the same person at every
scale.

Business times (``received_at``, ``purchased_at``, ...) are back-dated by
swapping the Application's ``clock`` for the duration of each command. The
events' own recording timestamps stay real time.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from api.backdating import clock_at
from application.base import OpsApplication
from application.context import Actor, CommandContext, CommandResult, Idempotency
from application.services import Services
from domain.complaint import SERVICE_LEVELS
from domain.vocabulary import (
    AcquisitionChannel,
    ComplaintCategory,
    Department,
    MembershipTier,
    Role,
    RootCause,
    ServiceChannel,
)

__all__ = ["DemoSummary", "load_demo"]

T = TypeVar("T")

# Part of every fingerprint: bump it only together with a new key namespace.
DEMO_FINGERPRINT_VERSION = "opsledger-demo/1"
REQUEST_NAMESPACE = uuid.UUID("6f1d3c52-5a0e-4c1b-9a57-0c2f3d1e8b41")

FULL_CUSTOMERS = 300
FULL_COMPLAINTS = 100
MIN_CUSTOMERS = 30
HISTORY_DAYS = 365.0
MIN_AGO = 0.01  # days: nothing is planned closer to "now" than ~15 minutes
HOUR = 1 / 24
CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class DemoSummary:
    """What one load_demo call loaded (or found already loaded)."""

    customers: int
    complaints: int
    events_written: int
    commands: int
    customer_ids: tuple[UUID, ...] = field(repr=False)
    complaint_ids: tuple[UUID, ...] = field(repr=False)


# --------------------------------------------------------------------------
# Who acts.


def _actor(principal: str, *roles: Role) -> Actor:
    return Actor(principal=principal, roles=frozenset(roles))


MARKETING = (_actor("mei.marketing", Role.MARKETING), _actor("he.marketing", Role.MARKETING))
OPERATIONS = (_actor("wang.ops", Role.OPERATIONS), _actor("sun.ops", Role.OPERATIONS))
SALES = (_actor("zhao.sales", Role.SALES), _actor("qian.sales", Role.SALES))
LIN_CS = _actor("lin.cs", Role.CUSTOMER_SERVICE)
CHEN_CS = _actor("chen.cs", Role.CUSTOMER_SERVICE)  # the customer-service team lead
XU_CS = _actor("xu.cs", Role.CUSTOMER_SERVICE)
CUSTOMER_SERVICE = (LIN_CS, CHEN_CS, XU_CS)
MANAGER = _actor("liu.manager", Role.MANAGEMENT)


# --------------------------------------------------------------------------
# Small helpers for seeded choices.


def _weighted(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights=weights, k=1)[0]


def _money(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.01"))


# --------------------------------------------------------------------------
# People.

SURNAMES: tuple[tuple[tuple[str, str], float], ...] = (
    (("王", "wang"), 9),
    (("李", "li"), 9),
    (("张", "zhang"), 8),
    (("刘", "liu"), 6),
    (("陈", "chen"), 6),
    (("杨", "yang"), 4),
    (("黄", "huang"), 3),
    (("赵", "zhao"), 3),
    (("吴", "wu"), 3),
    (("周", "zhou"), 3),
    (("徐", "xu"), 2),
    (("孙", "sun"), 2),
    (("马", "ma"), 2),
    (("朱", "zhu"), 2),
    (("胡", "hu"), 2),
    (("郭", "guo"), 2),
    (("何", "he"), 2),
    (("林", "lin"), 2),
    (("高", "gao"), 2),
    (("罗", "luo"), 2),
    (("郑", "zheng"), 1),
    (("梁", "liang"), 1),
    (("谢", "xie"), 1),
    (("宋", "song"), 1),
    (("唐", "tang"), 1),
    (("许", "xu"), 1),
    (("韩", "han"), 1),
    (("冯", "feng"), 1),
    (("邓", "deng"), 1),
    (("曹", "cao"), 1),
    (("彭", "peng"), 1),
    (("曾", "zeng"), 1),
    (("田", "tian"), 1),
    (("董", "dong"), 1),
    (("潘", "pan"), 1),
    (("袁", "yuan"), 1),
    (("蔡", "cai"), 1),
    (("蒋", "jiang"), 1),
    (("余", "yu"), 1),
    (("叶", "ye"), 1),
)
GIVEN_CHARS: tuple[tuple[str, str], ...] = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀", "xiu"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("英", "ying"),
    ("华", "hua"),
    ("玉", "yu"),
    ("红", "hong"),
    ("文", "wen"),
    ("辉", "hui"),
    ("鹏", "peng"),
    ("宇", "yu"),
    ("欣", "xin"),
    ("婷", "ting"),
    ("浩", "hao"),
    ("子", "zi"),
    ("轩", "xuan"),
    ("涵", "han"),
    ("一", "yi"),
    ("诺", "nuo"),
    ("思", "si"),
    ("雨", "yu"),
    ("晨", "chen"),
    ("佳", "jia"),
    ("怡", "yi"),
    ("博", "bo"),
    ("睿", "rui"),
    ("嘉", "jia"),
    ("俊", "jun"),
    ("琳", "lin"),
    ("雪", "xue"),
    ("慧", "hui"),
    ("建", "jian"),
    ("国", "guo"),
    ("志", "zhi"),
    ("海", "hai"),
    ("晓", "xiao"),
    ("春", "chun"),
    ("云", "yun"),
    ("鑫", "xin"),
    ("梦", "meng"),
    ("泽", "ze"),
    ("然", "ran"),
)
# Reserved example domains (RFC 2606): plausible addresses that can never reach anyone.
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "158",
    "159",
    "166",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
)


def _person(rng: random.Random) -> tuple[str, str | None, str | None]:
    surname, surname_py = _weighted(rng, SURNAMES)
    given = [rng.choice(GIVEN_CHARS) for _ in range(1 if rng.random() < 0.3 else 2)]
    name = surname + "".join(char for char, _ in given)
    given_py = "".join(py for _, py in given)
    local = rng.choice(
        (
            f"{surname_py}.{given_py}",
            f"{surname_py}{given_py}{rng.randint(1975, 2004)}",
            f"{given_py}{surname_py}{rng.randint(1, 99)}",
            f"{surname_py[0]}{given_py}{rng.randint(10, 999)}",
        )
    )
    email = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
    digits = f"{rng.randrange(10**8):08d}"
    phone = f"+86 {rng.choice(MOBILE_PREFIXES)} {digits[:4]} {digits[4:]}"
    contact = rng.random()
    if contact < 0.60:
        return name, email, phone
    if contact < 0.88:
        return name, None, phone
    return name, email, None


# --------------------------------------------------------------------------
# Acquisition.

CHANNELS = tuple(AcquisitionChannel)
CHANNEL_WEIGHTS: tuple[tuple[AcquisitionChannel, float], ...] = (
    (AcquisitionChannel.SEARCH, 28),
    (AcquisitionChannel.SOCIAL, 24),
    (AcquisitionChannel.REFERRAL, 14),
    (AcquisitionChannel.CAMPAIGN, 14),
    (AcquisitionChannel.CONTENT, 12),
    (AcquisitionChannel.OFFLINE_EVENT, 8),
)


@dataclass(frozen=True)
class ChannelProfile:
    activation: float
    conversion: float  # of the activated
    repeat: float  # of the converted
    marketing_consent: float
    campaign_share: float  # share of registrations that came through a named campaign


PROFILES = {
    AcquisitionChannel.SEARCH: ChannelProfile(0.70, 0.50, 0.45, 0.42, 0.10),
    AcquisitionChannel.SOCIAL: ChannelProfile(0.60, 0.40, 0.40, 0.50, 0.25),
    AcquisitionChannel.CONTENT: ChannelProfile(0.66, 0.45, 0.45, 0.48, 0.20),
    AcquisitionChannel.OFFLINE_EVENT: ChannelProfile(0.80, 0.55, 0.45, 0.55, 0.70),
    AcquisitionChannel.REFERRAL: ChannelProfile(0.85, 0.65, 0.55, 0.58, 0.65),
    AcquisitionChannel.CAMPAIGN: ChannelProfile(0.65, 0.50, 0.40, 0.62, 1.00),
}

# Campaign waves as (name, from days ago, to days ago, weight): planned relative
# to "now" so that the plan never depends on the calendar date of the run.
CAMPAIGN_WAVES: tuple[tuple[str, float, float, float], ...] = (
    ("livestream-debut", 335, 321, 2),
    ("member-day", 262, 255, 2),
    ("anniversary-sale", 182, 168, 4),
    ("new-app-launch", 118, 104, 3),
    ("flash-sale", 52, 47, 2),
    ("brand-week", 18, 11, 3),
)
OFFLINE_EVENTS: tuple[tuple[str, float, float, float], ...] = (
    ("expo-booth", 292, 289, 2),
    ("campus-tour", 140, 126, 3),
    ("pop-up-store", 60, 53, 3),
)
ALWAYS_ON_CAMPAIGNS = {
    AcquisitionChannel.SEARCH: "sem-brand-keywords",
    AcquisitionChannel.SOCIAL: "kol-seeding",
    AcquisitionChannel.CONTENT: "buying-guide-series",
    AcquisitionChannel.REFERRAL: "bring-a-friend",
}


def _registration(rng: random.Random, channel: AcquisitionChannel) -> tuple[float, str | None]:
    """Days ago and campaign: a growing company, with spikes at campaign waves."""
    if rng.random() < PROFILES[channel].campaign_share:
        if channel == AcquisitionChannel.CAMPAIGN:
            waves = CAMPAIGN_WAVES
        elif channel == AcquisitionChannel.OFFLINE_EVENT:
            waves = OFFLINE_EVENTS
        else:
            waves = ()
        if waves:
            name, start, end, _ = _weighted(rng, [(w, w[3]) for w in waves])
            return rng.uniform(end, start), name
        campaign = ALWAYS_ON_CAMPAIGNS[channel]
    else:
        campaign = None
    # Registrations grow linearly towards today: twice as many now as a year ago.
    ago = HISTORY_DAYS * (1 - math.sqrt(rng.random()))
    return max(ago, 0.05), campaign


# --------------------------------------------------------------------------
# Sales.

CATALOGUE: tuple[tuple[str, float], ...] = (
    ("39.90", 8),
    ("59.00", 10),
    ("89.00", 12),
    ("129.00", 12),
    ("169.00", 8),
    ("199.00", 10),
    ("268.00", 6),
    ("399.00", 5),
    ("699.00", 3),
    ("1299.00", 1),
)
TIER_THRESHOLDS: tuple[tuple[MembershipTier, Decimal], ...] = (
    (MembershipTier.PLATINUM, Decimal("5000.00")),
    (MembershipTier.GOLD, Decimal("2000.00")),
    (MembershipTier.SILVER, Decimal("800.00")),
)


def _basket(rng: random.Random) -> Decimal:
    items = _weighted(rng, [(1, 60), (2, 28), (3, 12)])
    total = sum((_money(_weighted(rng, CATALOGUE)) for _ in range(items)), Decimal("0.00"))
    if rng.random() < 0.25:
        coupon = _money(rng.choice(("10.00", "20.00", "30.00")))
        if total > coupon + 50:
            total -= coupon
    return total


def _tier_for(revenue: Decimal) -> MembershipTier:
    for tier, threshold in TIER_THRESHOLDS:
        if revenue >= threshold:
            return tier
    return MembershipTier.STANDARD


# --------------------------------------------------------------------------
# Segments (RFM), offers, surveys, follow-ups.

OFFERS = {
    "champions": "VIP 专享：全场 9 折券",
    "loyal_customers": "会员日双倍积分",
    "potential_loyalists": "复购满 299 减 40",
    "new_customers": "新客二单立减 20 元",
    "promising": "新品试用装免费领",
    "need_attention": "限时满 199 减 30",
    "about_to_sleep": "好久不见：30 元无门槛券",
    "at_risk": "回归礼包：50 元无门槛券",
    "cant_lose_them": "专属客户经理 + 100 元礼券",
    "hibernating": "唤醒礼：全场免邮券",
    "lost": "回归礼包：50 元无门槛券",
}


def _rfm_segment(purchase_agos: Sequence[float], revenue: Decimal, as_of: float) -> str:
    """A classic RFM segment as of ``as_of`` days ago."""
    recency = min(purchase_agos) - as_of
    frequency = len(purchase_agos)
    r = 5 - sum(recency >= days for days in (30, 60, 120, 240))
    f = 1 + sum(frequency >= count for count in (2, 3, 5, 7))
    if r >= 4 and (f >= 4 or (f >= 3 and revenue >= 2000)):
        return "champions"
    if r >= 3 and f >= 3:
        return "loyal_customers"
    if r >= 4 and f == 1:
        return "new_customers"
    if r >= 3 and f >= 2:
        return "potential_loyalists"
    if r == 3:
        return "promising"
    if f >= 4:
        return "cant_lose_them"
    if f >= 2:
        return "at_risk"
    if r == 2:
        return "about_to_sleep"
    return "hibernating"


CSAT_MOODS: dict[str, tuple[tuple[int, float], ...]] = {
    "happy": ((1, 2), (2, 3), (3, 10), (4, 35), (5, 50)),
    "neutral": ((1, 6), (2, 8), (3, 18), (4, 36), (5, 32)),
    "unhappy": ((1, 22), (2, 26), (3, 28), (4, 16), (5, 8)),
}
NPS_MOODS: dict[str, tuple[tuple[int, float], ...]] = {
    "happy": (
        (0, 0.5),
        (1, 0.5),
        (2, 0.5),
        (3, 1),
        (4, 1),
        (5, 2),
        (6, 3),
        (7, 9),
        (8, 18),
        (9, 27),
        (10, 38),
    ),
    "neutral": (
        (0, 1),
        (1, 1),
        (2, 1),
        (3, 2),
        (4, 3),
        (5, 5),
        (6, 8),
        (7, 16),
        (8, 21),
        (9, 22),
        (10, 20),
    ),
    "unhappy": (
        (0, 10),
        (1, 6),
        (2, 9),
        (3, 11),
        (4, 12),
        (5, 14),
        (6, 13),
        (7, 10),
        (8, 8),
        (9, 4),
        (10, 3),
    ),
}
GOOD_COMMENTS = (
    "发货很快，包装也很用心",
    "客服很耐心，问题一次解决",
    "质量超出预期，会回购",
    "会员价很划算",
)
BAD_COMMENTS = ("等了太久才到货", "质量一般，和图片有差距", "客服回复太慢", "退款流程太复杂")
FIRST_ORDER_NOTES = (
    "首单回访：商品已收到，使用正常。",
    "首单回访：客户建议增加夜间配送时段。",
    "首单回访：客户对会员权益有疑问，已解答。",
    "首单回访：客户反馈包装略有破损，已登记。",
)


def _csat(rng: random.Random, mood: str) -> int:
    return _weighted(rng, CSAT_MOODS[mood])


def _nps(rng: random.Random, mood: str) -> int:
    return _weighted(rng, NPS_MOODS[mood])


def _comment(rng: random.Random, score: int, good_from: int) -> str | None:
    if rng.random() < 0.6:
        return None
    return rng.choice(GOOD_COMMENTS if score >= good_from else BAD_COMMENTS)


# --------------------------------------------------------------------------
# Plans.


@dataclass
class _Step:
    """One command of the plan, ``ago`` days before now."""

    ago: float
    label: str  # unique within its aggregate: part of the Idempotency-Key
    actor: Actor
    command: str  # the Application method
    kwargs: dict[str, Any]


@dataclass
class _CustomerPlan:
    index: int
    reg_ago: float
    purchase_agos: list[float]
    steps: list[_Step]

    @property
    def anchor_ago(self) -> float:
        """Since when the customer can plausibly complain: first purchase, else registration."""
        return max(self.purchase_agos) if self.purchase_agos else self.reg_ago


def _plan_customer(seed: int, index: int) -> _CustomerPlan:
    rng = random.Random(f"opsledger-demo:{seed}:customer:{index}")
    steps: list[_Step] = []

    def add(ago: float, label: str, actor: Actor, command: str, **kwargs: Any) -> None:
        steps.append(_Step(ago, label, actor, command, kwargs))

    # Every channel appears even in a small company.
    channel = CHANNELS[index] if index < len(CHANNELS) else _weighted(rng, CHANNEL_WEIGHTS)
    profile = PROFILES[channel]
    reg_ago, campaign = _registration(rng, channel)
    name, email, phone = _person(rng)
    marketing = rng.random() < profile.marketing_consent
    add(
        reg_ago,
        "register",
        rng.choice(MARKETING),
        "register_customer",
        name=name,
        email=email,
        phone=phone,
        channel=channel,
        campaign=campaign,
        service_consent=rng.random() < 0.97,
        marketing_consent=marketing,
    )
    ops = rng.choice(OPERATIONS)
    sales = rng.choice(SALES)
    cs = rng.choice(CUSTOMER_SERVICE)

    # Activation: the first key action, hours to days after registering.
    act_ago: float | None = None
    if rng.random() < profile.activation:
        candidate = reg_ago - min(rng.expovariate(1 / 1.5), 20) - 0.02
        if candidate > MIN_AGO:
            act_ago = candidate
            add(act_ago, "activate", ops, "activate_customer")

    # Purchases: first converts, the second makes a loyal customer.
    purchase_agos: list[float] = []
    purchase_amounts: list[Decimal] = []
    revenue = Decimal("0.00")
    tier = MembershipTier.STANDARD
    order_numbers: set[int] = set()

    def purchase(ago: float) -> None:
        nonlocal revenue, tier
        number = rng.randrange(10**6)
        while number in order_numbers:
            number = rng.randrange(10**6)
        order_numbers.add(number)
        amount = _basket(rng)
        purchase_agos.append(ago)
        purchase_amounts.append(amount)
        n = len(purchase_agos)
        add(ago, f"purchase:{n}", sales, "record_purchase", amount=amount, order_number=number)
        revenue += amount
        reached = _tier_for(revenue)
        if reached.rank > tier.rank:
            tier = reached
            add(
                ago - min(0.02, ago / 2),
                f"upgrade:{tier.value}",
                sales,
                "upgrade_membership",
                tier=tier,
            )

    if act_ago is not None and rng.random() < profile.conversion:
        first = act_ago - rng.expovariate(1 / 9) - 0.05
        if first > MIN_AGO:
            purchase(first)
            if rng.random() < profile.repeat:
                mean_gap = rng.choice((18.0, 30.0, 45.0))
                t = first
                while len(purchase_agos) < 12:
                    t -= rng.expovariate(1 / mean_gap) + 2
                    if t <= MIN_AGO:
                        break
                    purchase(t)
                    if rng.random() < 0.12:  # drifts away
                        break

    # Early segment for new buyers, from the monthly RFM run after their first order.
    if purchase_agos and len(purchase_agos) > 1:
        early = purchase_agos[0] - rng.uniform(1, 3)
        if early > purchase_agos[1]:
            add(early, "segment:early", ops, "assign_segment", segment="new_customers")

    # Surveys and the first-order follow-up call.
    final_mood = "happy" if len(purchase_agos) >= 3 else "neutral"
    if act_ago is not None and rng.random() < 0.2:
        ago = act_ago - rng.uniform(1, 7)
        if ago > MIN_AGO:
            score = _csat(rng, "neutral")
            add(
                ago,
                "survey:onboarding",
                cs,
                "answer_survey",
                survey="onboarding",
                csat=score,
                comment=_comment(rng, score, 4),
            )
    if purchase_agos and rng.random() < 0.45:
        ago = purchase_agos[0] - rng.uniform(2, 10)
        if ago > MIN_AGO:
            score = _csat(rng, final_mood)
            add(
                ago,
                "survey:post-purchase",
                cs,
                "answer_survey",
                survey="post-purchase",
                csat=score,
                comment=_comment(rng, score, 4),
            )
    if purchase_agos and rng.random() < 0.30:
        ago = purchase_agos[0] - rng.uniform(3, 10)
        if ago > MIN_AGO:
            add(
                ago,
                "follow-up:first-order",
                rng.choice((ops, cs)),
                "log_follow_up",
                channel=ServiceChannel.PHONE,
                note=rng.choice(FIRST_ORDER_NOTES),
            )

    # Lapsing: at risk, churned, a few won back. Status windows in days ago.
    churn_ago: float | None = None
    reactivate_ago: float | None = None
    last_ago = min(purchase_agos) if purchase_agos else act_ago
    if last_ago is not None and last_ago > 75 and rng.random() < 0.6:
        final_mood = "unhappy"
        flag_ago = last_ago - rng.uniform(60, 75)
        add(
            flag_ago,
            "at-risk",
            ops,
            "flag_customer_at_risk",
            reason=rng.choice(
                ("60 天未下单，活跃度明显下降", "近 60 天未登录，最近一次评价为差评")
            ),
        )
        care = flag_ago - rng.uniform(0.5, 3)
        if care > MIN_AGO:
            add(
                care,
                "follow-up:care",
                cs,
                "log_follow_up",
                channel=ServiceChannel.PHONE,
                note=rng.choice(
                    (
                        "关怀回访：客户近期工作忙，暂无购买计划。",
                        "关怀回访：客户对上次配送不满意，已致歉并记录。",
                        "关怀回访：未接通，已发送短信。",
                    )
                ),
            )
        if flag_ago > 60 and rng.random() < 0.55:
            churn_ago = flag_ago - rng.uniform(30, 55)
            add(
                churn_ago,
                "churn",
                ops,
                "churn_customer",
                reason=rng.choice(("超过 90 天无登录和购买", "客户表示已改用其他平台")),
            )
        elif flag_ago > 10 and rng.random() < 0.3:
            reactivate_ago = flag_ago - rng.uniform(3, 9)
            add(
                reactivate_ago,
                "reactivate",
                ops,
                "reactivate_customer",
                reason="关怀回访后客户重新登录并领取回归礼包",
            )
    elif act_ago is None and reg_ago > 120 and rng.random() < 0.35:
        churn_ago = reg_ago - rng.uniform(90, 110)
        add(churn_ago, "churn", ops, "churn_customer", reason="注册后 90 天未激活")
    if churn_ago is not None and churn_ago > 20 and act_ago is not None and rng.random() < 0.3:
        reactivate_ago = churn_ago - rng.uniform(10, churn_ago - 5)
        add(
            reactivate_ago,
            "reactivate",
            ops,
            "reactivate_customer",
            reason=rng.choice(("客户通过回归活动重新下单", "回访后客户表示愿意继续使用")),
        )
    if reactivate_ago is not None and rng.random() < 0.7:
        ago = reactivate_ago - rng.uniform(0.2, 5)
        if ago > MIN_AGO:
            final_mood = "neutral"
            purchase(ago)

    def churned_at(ago: float) -> bool:
        return (churn_ago is not None and churn_ago > ago) and not (
            reactivate_ago is not None and reactivate_ago > ago
        )

    # The last monthly RFM run, and offers to those it segmented.
    segment: str | None = None
    run_ago = rng.uniform(1, 25)
    if run_ago < reg_ago - 1:
        before = [a for a in purchase_agos if a > run_ago]
        if before:
            spent = sum(
                (m for a, m in zip(purchase_agos, purchase_amounts, strict=True) if a > run_ago),
                Decimal("0.00"),
            )
            segment = _rfm_segment(before, spent, run_ago)
        elif act_ago is not None and act_ago > run_ago:
            segment = "promising" if act_ago - run_ago < 45 else "need_attention"
        elif reg_ago - run_ago > 60:
            segment = "hibernating"
        if churned_at(run_ago):
            segment = "lost"
    if segment is not None:
        add(run_ago, "segment:rfm", ops, "assign_segment", segment=segment)
    last_offer: float | None = None
    if segment is not None and marketing and rng.random() < 0.55:
        for n in range(1, 3 if rng.random() < 0.3 else 2):
            ago = run_ago - rng.uniform(0.2, 0.9) * n
            if ago <= MIN_AGO or churned_at(ago):
                break
            offer_channel = (
                ServiceChannel.EMAIL
                if email and rng.random() < 0.6
                else rng.choice((ServiceChannel.SOCIAL_MEDIA, ServiceChannel.ONLINE_CHAT))
            )
            add(ago, f"offer:{n}", ops, "make_offer", offer=OFFERS[segment], channel=offer_channel)
            last_offer = ago
    # A few unsubscribe from marketing (after the last offer they received).
    if marketing and rng.random() < 0.07:
        latest = last_offer if last_offer is not None else reg_ago
        ago = latest - rng.uniform(0.1, max(0.2, latest - MIN_AGO))
        if ago > MIN_AGO:
            add(ago, "consent:marketing-off", cs, "change_consent", marketing=False)

    # The relationship NPS, sent twice a year to engaged customers.
    if act_ago is not None and rng.random() < 0.35:
        ago = rng.uniform(MIN_AGO, min(act_ago, 90))
        score = _nps(rng, final_mood)
        csat = _csat(rng, final_mood) if rng.random() < 0.4 else None
        add(
            ago,
            "survey:relationship-nps",
            cs,
            "answer_survey",
            survey="relationship-nps",
            nps=score,
            csat=csat,
            comment=_comment(rng, score, 9),
        )

    # Chronological; ties keep the order above.
    steps.sort(key=lambda s: -s.ago)
    return _CustomerPlan(index=index, reg_ago=reg_ago, purchase_agos=purchase_agos, steps=steps)


# --------------------------------------------------------------------------
# Complaints.

CATEGORY_WEIGHTS: tuple[tuple[ComplaintCategory, float], ...] = (
    (ComplaintCategory.DELIVERY, 28),
    (ComplaintCategory.PRODUCT_QUALITY, 26),
    (ComplaintCategory.BILLING, 14),
    (ComplaintCategory.SERVICE_ATTITUDE, 14),
    (ComplaintCategory.OTHER, 10),
    (ComplaintCategory.PRIVACY, 8),
)
SERVICE_CHANNEL_WEIGHTS: tuple[tuple[ServiceChannel, float], ...] = (
    (ServiceChannel.ONLINE_CHAT, 35),
    (ServiceChannel.PHONE, 30),
    (ServiceChannel.SOCIAL_MEDIA, 20),
    (ServiceChannel.EMAIL, 15),
)
# Severity weights per category (1 = most severe).
SEVERITY_WEIGHTS: dict[ComplaintCategory, tuple[tuple[int, float], ...]] = {
    ComplaintCategory.DELIVERY: ((1, 2), (2, 12), (3, 50), (4, 36)),
    ComplaintCategory.PRODUCT_QUALITY: ((1, 6), (2, 20), (3, 48), (4, 26)),
    ComplaintCategory.BILLING: ((1, 8), (2, 25), (3, 45), (4, 22)),
    ComplaintCategory.SERVICE_ATTITUDE: ((1, 2), (2, 13), (3, 45), (4, 40)),
    ComplaintCategory.PRIVACY: ((1, 25), (2, 40), (3, 30), (4, 5)),
    ComplaintCategory.OTHER: ((1, 2), (2, 10), (3, 40), (4, 48)),
}
OWNERS: dict[ComplaintCategory, tuple[Department, str]] = {
    ComplaintCategory.DELIVERY: (Department.OPERATIONS, "wang.ops"),
    ComplaintCategory.PRODUCT_QUALITY: (Department.OPERATIONS, "sun.ops"),
    ComplaintCategory.BILLING: (Department.FINANCE, "qian.finance"),
    ComplaintCategory.SERVICE_ATTITUDE: (Department.CUSTOMER_SERVICE, "chen.cs"),
    ComplaintCategory.PRIVACY: (Department.TECHNOLOGY, "zhou.tech"),
    ComplaintCategory.OTHER: (Department.CUSTOMER_SERVICE, "lin.cs"),
}
NEEDS_PURCHASE = frozenset(
    {ComplaintCategory.DELIVERY, ComplaintCategory.PRODUCT_QUALITY, ComplaintCategory.BILLING}
)


@dataclass(frozen=True)
class _Case:
    description: str
    remedy: str | None
    root_causes: tuple[RootCause, ...]
    plan: str


# Short names for the table below.
_DEFECT = RootCause.PRODUCT_DEFECT
_PROCESS = RootCause.PROCESS_GAP
_SYSTEM = RootCause.SYSTEM_FAILURE
_THIRD_PARTY = RootCause.THIRD_PARTY
_UNCLEAR = RootCause.POLICY_UNCLEAR
_STAFF = RootCause.STAFF_CONDUCT
_MISUNDERSTANDING = RootCause.CUSTOMER_MISUNDERSTANDING
CASES: dict[ComplaintCategory, tuple[_Case, ...]] = {
    ComplaintCategory.DELIVERY: (
        _Case(
            "订单超过承诺时效 3 天仍未送达，物流信息停止更新。",
            "尽快送达并说明原因",
            (_THIRD_PARTY, _PROCESS),
            "联系承运商加急派送，补偿运费券",
        ),
        _Case(
            "快递员未联系就把包裹放在驿站，系统却显示本人签收。",
            "要求快递公司道歉",
            (_THIRD_PARTY,),
            "向承运商发起投诉并要求整改，向客户致歉",
        ),
        _Case(
            "包裹外箱破损，内件少了一件。",
            "补发缺少的商品",
            (_THIRD_PARTY, _PROCESS),
            "补发缺件商品，仓库复核打包流程",
        ),
        _Case(
            "预约的送货时间段没有上门，也没有提前通知。",
            None,
            (_PROCESS,),
            "重新预约配送并补偿优惠券",
        ),
    ),
    ComplaintCategory.PRODUCT_QUALITY: (
        _Case("保温杯使用一周后漏水。", "换新", (_DEFECT,), "免费换新并上门取回问题商品"),
        _Case("耳机左耳无声，换了设备也一样。", "退货退款", (_DEFECT,), "全额退款，问题批次送检"),
        _Case(
            "衣服洗一次就严重褪色，与详情页描述不符。",
            "退款",
            (_DEFECT, _UNCLEAR),
            "退款并修改商品详情页洗涤说明",
        ),
        _Case(
            "电饭煲内胆涂层脱落，担心安全问题。",
            "换新并给出检测说明",
            (_DEFECT,),
            "换新，供应商提供检测报告，问题批次下架",
        ),
    ),
    ComplaintCategory.BILLING: (
        _Case(
            "同一订单被重复扣款两次。",
            "退还多扣的款项",
            (_SYSTEM,),
            "退还重复扣款，修复支付回调重复入账问题",
        ),
        _Case(
            "优惠券已勾选但结算金额未扣减。",
            "补差价",
            (_SYSTEM, _UNCLEAR),
            "补发差额，核查优惠叠加规则",
        ),
        _Case(
            "退款审核通过 10 天仍未到账。",
            "尽快退款",
            (_PROCESS, _THIRD_PARTY),
            "财务加急处理退款并提供到账凭证",
        ),
        _Case(
            "会员自动续费前没有任何提醒。",
            "退还续费金额",
            (_UNCLEAR,),
            "退还本期续费，续费前 3 天增加短信提醒",
        ),
    ),
    ComplaintCategory.SERVICE_ATTITUDE: (
        _Case(
            "在线客服长时间未回复，最后直接结束会话。",
            "道歉",
            (_STAFF, _PROCESS),
            "主管致电道歉，对当班客服进行辅导",
        ),
        _Case(
            "电话客服态度生硬，多次打断我说话。",
            "道歉并改进",
            (_STAFF,),
            "调取录音核实，当事客服书面检讨并复训",
        ),
        _Case(
            "售后专员承诺回电但一直没有回电。",
            None,
            (_STAFF, _PROCESS),
            "建立回电提醒，专员当日回电处理",
        ),
    ),
    ComplaintCategory.PRIVACY: (
        _Case(
            "未经同意收到大量营销短信，退订后仍在发送。",
            "停止发送并说明数据来源",
            (_PROCESS, _SYSTEM),
            "加入营销屏蔽名单，排查退订同步故障",
        ),
        _Case(
            "快递面单上显示了完整手机号和地址。",
            "说明原因",
            (_THIRD_PARTY,),
            "要求承运商启用隐私面单并书面说明",
        ),
        _Case(
            "接到自称平台客服的电话，对方能说出我的订单信息。",
            "调查信息泄露",
            (_THIRD_PARTY, _SYSTEM),
            "安全团队排查数据访问日志并提示防诈骗",
        ),
    ),
    ComplaintCategory.OTHER: (
        _Case(
            "App 下单页面频繁闪退，无法提交订单。", None, (_SYSTEM,), "发布修复版本，补发下单优惠券"
        ),
        _Case(
            "积分过期规则不清楚，积分被清零。",
            "恢复积分",
            (_UNCLEAR, _MISUNDERSTANDING),
            "恢复积分并在积分页说明过期规则",
        ),
        _Case(
            "门店活动价与线上规则不一致。",
            "按活动价补差",
            (_UNCLEAR, _MISUNDERSTANDING),
            "解释活动规则，按门店价补差",
        ),
    ),
}
COMPENSATION: dict[int, tuple[tuple[str | None, float], ...]] = {
    1: (("200.00", 3), ("500.00", 2), ("100.00", 1)),
    2: (("100.00", 3), ("50.00", 3), (None, 1)),
    3: (("20.00", 3), ("30.00", 2), (None, 3)),
    4: ((None, 5), ("10.00", 1)),
}
ACK_MESSAGES = {
    ServiceChannel.PHONE: "电话中已确认收到投诉，专员正在跟进。",
    ServiceChannel.ONLINE_CHAT: "您好，已收到您的反馈，专员会尽快为您处理。",
    ServiceChannel.EMAIL: "您的邮件已收到，我们已登记投诉并安排专人处理。",
    ServiceChannel.SOCIAL_MEDIA: "已私信联系您，投诉已登记并转交专员处理。",
}

# The scenarios a complaint can follow; the status it ends in is in brackets.
RECEIVED = "received"  # [received]
ACKNOWLEDGED = "acknowledged"  # [acknowledged]
INVESTIGATING = "investigating"  # [investigating]
AWAITING_APPROVAL = "awaiting_approval"  # [resolution_proposed], severity 1-2, not approved
PROPOSED = "proposed"  # [resolution_proposed], approved where needed
RESPONDED = "responded"  # [responded]
RESOLVED = "resolved"  # [resolved], customer accepted
RESOLVED_FINAL = "resolved_final"  # [resolved], final decision recorded
PENDING = "pending_customer"  # [pending_customer]
WITHDRAWN = "withdrawn"  # [withdrawn]
REOPENED = "reopened"  # [investigating] closed, then reopened within 30 days
ESCALATED = "escalated"  # [investigating] the customer rejected the response
CLOSED = "closed"  # [closed]
CLOSED_PAUSED = "closed_paused"  # [closed] waited on the customer on the way
CLOSED_FINAL = "closed_final"  # [closed] by a final decision
CLOSED_ESCALATED = "closed_escalated"  # [closed] rejected once, then settled
CLOSED_REOPENED = "closed_reopened"  # [closed] reopened once, then settled again

# The first complaints cover every scenario, so that even a small company shows them all.
FIRST_SCENARIOS = (
    CLOSED,
    RECEIVED,
    ACKNOWLEDGED,
    INVESTIGATING,
    AWAITING_APPROVAL,
    PROPOSED,
    RESPONDED,
    RESOLVED,
    RESOLVED_FINAL,
    PENDING,
    WITHDRAWN,
    REOPENED,
    ESCALATED,
    CLOSED_PAUSED,
    CLOSED_FINAL,
    CLOSED_ESCALATED,
    CLOSED_REOPENED,
)
SCENARIO_WEIGHTS: tuple[tuple[str, float], ...] = (
    (CLOSED, 58),
    (CLOSED_PAUSED, 6),
    (CLOSED_FINAL, 4),
    (CLOSED_ESCALATED, 4),
    (CLOSED_REOPENED, 3),
    (WITHDRAWN, 5),
    (RESOLVED, 3),
    (RESOLVED_FINAL, 1),
    (RESPONDED, 2),
    (PROPOSED, 2),
    (AWAITING_APPROVAL, 1),
    (INVESTIGATING, 3),
    (ACKNOWLEDGED, 1),
    (RECEIVED, 1),
    (PENDING, 3),
    (REOPENED, 1),
    (ESCALATED, 2),
)
# How long ago (days) the last step of a still-open complaint happened.
OPEN_LAST_STEP: dict[str, tuple[float, float]] = {
    RECEIVED: (0.02, 0.4),
    ACKNOWLEDGED: (0.05, 1.0),
    INVESTIGATING: (0.1, 4.0),
    AWAITING_APPROVAL: (0.05, 1.0),
    PROPOSED: (0.05, 1.5),
    RESPONDED: (0.1, 3.0),
    RESOLVED: (0.2, 3.0),
    RESOLVED_FINAL: (0.2, 3.0),
    PENDING: (0.3, 6.0),
    REOPENED: (0.3, 6.0),
    ESCALATED: (0.2, 4.0),
}


@dataclass
class _ComplaintPlan:
    index: int
    customer: int
    steps: list[_Step]  # the first receives it; its customer_id is filled in when run
    follow_up: _Step | None  # the CSAT the customer gave after closing


class _Script:
    """The steps of one complaint, timed in days after its receipt."""

    def __init__(self) -> None:
        self.t = 0.0
        self.steps: list[tuple[float, str, Actor, str, dict[str, Any]]] = []

    def then(self, delay: float, label: str, actor: Actor, command: str, **kwargs: Any) -> None:
        self.t += delay
        self.steps.append((self.t, label, actor, command, kwargs))


def _script_complaint(
    rng: random.Random, scenario: str, category: ComplaintCategory, channel: ServiceChannel
) -> _Script:
    severity = _weighted(rng, SEVERITY_WEIGHTS[category])
    if scenario == AWAITING_APPROVAL:
        severity = rng.choice((1, 2, 2))
    level = SERVICE_LEVELS[severity]
    first_response = level.first_response.total_seconds() / 86400
    resolution = level.resolution.total_seconds() / 86400
    case = rng.choice(CASES[category])
    handler = _weighted(rng, ((LIN_CS, 4), (XU_CS, 3), (CHEN_CS, 2)))
    department, assignee = OWNERS[category]
    s = _Script()
    s.then(
        0,
        "receive",
        handler,
        "receive_complaint",
        channel=channel,
        category=category,
        description=case.description,
        remedy_sought=case.remedy,
    )
    if scenario == RECEIVED:
        return s

    def assess(delay: float) -> None:
        s.then(
            delay,
            "assess",
            handler,
            "assess_complaint",
            severity=severity,
            department=department,
            assignee=assignee,
        )

    # Triage may come before the first response: then acknowledging starts the investigation.
    triaged_first = scenario != ACKNOWLEDGED and rng.random() < 0.3
    if triaged_first:
        assess(rng.uniform(2, 20) / 1440)
    breach = rng.random() < 0.1
    ack_delay = first_response * (rng.uniform(1.1, 2.5) if breach else rng.uniform(0.1, 0.9))
    if channel == ServiceChannel.EMAIL:
        ack_delay *= 1.3
    s.then(
        ack_delay, "acknowledge", handler, "acknowledge_complaint", message=ACK_MESSAGES[channel]
    )
    if scenario == ACKNOWLEDGED:
        return s
    if scenario == WITHDRAWN and rng.random() < 0.4:
        s.then(
            rng.uniform(0.1, 2),
            "withdraw",
            handler,
            "withdraw_complaint",
            reason=rng.choice(("客户表示问题已自行解决，撤回投诉。", "客户与快递协商一致，撤回。")),
        )
        return s
    if not triaged_first:
        assess(rng.uniform(5, 60) / 1440)
    if scenario == INVESTIGATING:
        return s
    pause_reasons = (
        "等待客户提供商品照片。",
        "等待客户提供付款截图。",
        "客户出差，约定下周再联系。",
    )
    if scenario in (PENDING, WITHDRAWN, CLOSED_PAUSED) and (
        scenario != PENDING or rng.random() < 0.6
    ):
        s.then(
            rng.uniform(0.05, 0.5),
            "pause:1",
            handler,
            "wait_for_customer",
            reason=rng.choice(pause_reasons),
        )
        if scenario == PENDING:
            return s
        if scenario == WITHDRAWN:
            s.then(
                rng.uniform(1, 5),
                "withdraw",
                handler,
                "withdraw_complaint",
                reason="客户未提供材料并表示不再追究，撤回投诉。",
            )
            return s
        s.then(rng.uniform(0.5, 4), "resume:1", handler, "resume_complaint")

    late = rng.random() < 0.15

    def settle(round_: int, proposer: Actor, within: float, *, respond: bool = True) -> None:
        """Propose, approve where needed, respond: the resolution round ``round_``."""
        root_cause = rng.choice(case.root_causes)
        compensation = _weighted(rng, COMPENSATION[severity])
        s.then(
            within * rng.uniform(0.1, 0.35),
            f"propose:{round_}",
            proposer,
            "propose_resolution",
            root_cause=root_cause,
            plan=case.plan,
            analysis=f"根因分析：{root_cause.value}，已与{department.value}核实。",
            compensation=None if compensation is None else _money(compensation),
        )
        if scenario == AWAITING_APPROVAL:
            return
        if severity <= 2:
            # Four eyes: never the proposer. The team lead or management approves.
            if severity == 1 or proposer is CHEN_CS or rng.random() < 0.5:
                approver = MANAGER
            else:
                approver = CHEN_CS
            s.then(rng.uniform(0.3, 4) * HOUR, f"approve:{round_}", approver, "approve_resolution")
        if not respond:
            return
        s.then(
            within * rng.uniform(0.05, 0.2),
            f"respond:{round_}",
            proposer,
            "respond_to_complaint",
            message=f"已告知客户处理方案：{case.plan}。",
        )

    window = resolution * (rng.uniform(1.2, 2.0) if late else 1.0)
    if scenario == PENDING:  # waits on the customer after the proposal
        settle(1, handler, window, respond=False)
        s.then(
            rng.uniform(0.1, 1),
            "pause:1",
            handler,
            "wait_for_customer",
            reason="方案已拟定，等待客户确认收货地址。",
        )
        return s
    settle(1, handler, window, respond=scenario not in (AWAITING_APPROVAL, PROPOSED))
    if scenario in (AWAITING_APPROVAL, PROPOSED, RESPONDED):
        return s

    if scenario in (ESCALATED, CLOSED_ESCALATED):
        s.then(
            rng.uniform(0.2, 2),
            "decision:1",
            handler,
            "record_customer_decision",
            accepted=False,
            comment=rng.choice(("补偿金额太低，不能接受。", "只想退款，不接受换货。")),
        )
        if scenario == ESCALATED:
            return s
        s.then(
            rng.uniform(0.05, 0.3),
            "assign:1",
            CHEN_CS,
            "assign_complaint",
            department=Department.CUSTOMER_SERVICE,
            assignee="chen.cs",
        )
        settle(2, CHEN_CS, resolution)

    if scenario in (RESOLVED_FINAL, CLOSED_FINAL) or (
        scenario == CLOSED_ESCALATED and rng.random() < 0.4
    ):
        s.then(
            window * rng.uniform(0.1, 0.3),
            "final-decision",
            handler,
            "record_final_decision",
            decision="客户未接受方案，按公司规定维持处理决定并告知申诉渠道。",
        )
    else:
        s.then(
            window * rng.uniform(0.05, 0.25),
            "decision:accept",
            handler,
            "record_customer_decision",
            accepted=True,
            comment=rng.choice((None, "可以接受", "谢谢处理")),
        )
    if scenario in (RESOLVED, RESOLVED_FINAL):
        return s

    def close(label: str) -> None:
        article = (
            f"KB-{category.value.upper().replace('_', '-')}-{rng.randint(1, 60):03d}"
            if rng.random() < 0.4
            else None
        )
        s.then(
            rng.uniform(1, 4),
            label,
            handler,
            "close_complaint",
            note="回访客户，已征求客户意见。",
            knowledge_article=article,
        )

    close("close:1")
    if scenario in (REOPENED, CLOSED_REOPENED):
        s.then(
            rng.uniform(3, 25),
            "reopen:1",
            handler,
            "reopen_complaint",
            reason=rng.choice(
                ("客户反馈问题再次出现。", "补发商品仍有同样问题。", "退款未实际到账。")
            ),
        )
        if scenario == REOPENED:
            return s
        settle(2, handler, resolution)
        s.then(
            resolution * rng.uniform(0.05, 0.25),
            "decision:accept-2",
            handler,
            "record_customer_decision",
            accepted=True,
            comment="这次问题解决了",
        )
        close("close:2")
    return s


def _plan_complaint(seed: int, index: int, customers: Sequence[_CustomerPlan]) -> _ComplaintPlan:
    rng = random.Random(f"opsledger-demo:{seed}:complaint:{index}")
    if index < len(FIRST_SCENARIOS):
        scenario = FIRST_SCENARIOS[index]
    else:
        scenario = _weighted(rng, SCENARIO_WEIGHTS)
    category = _weighted(rng, CATEGORY_WEIGHTS)
    channel = _weighted(rng, SERVICE_CHANNEL_WEIGHTS)
    script = _script_complaint(rng, scenario, category, channel)
    span = script.t
    open_window = OPEN_LAST_STEP.get(scenario)
    if open_window is not None:
        last = rng.uniform(*open_window)
        earliest_start = latest_start = span + last
    else:
        earliest_start, latest_start = span + 0.5, HISTORY_DAYS - 5

    # Whose complaint: buyers complain more, and only after they bought (or registered).
    def candidates(need_purchase: bool) -> list[_CustomerPlan]:
        return [
            c
            for c in customers
            if c.anchor_ago - 0.5 > earliest_start and (c.purchase_agos or not need_purchase)
        ]

    pool = candidates(category in NEEDS_PURCHASE) or candidates(False)
    if not pool:
        raise RuntimeError(
            f"demo complaint {index}: no customer old enough for a {span:.0f}-day case"
        )
    customer = _weighted(rng, [(c, 1 + 2 * len(c.purchase_agos)) for c in pool])
    start = (
        earliest_start
        if open_window is not None
        else rng.uniform(earliest_start, min(latest_start, customer.anchor_ago - 0.5))
    )
    steps = [
        _Step(start - t, label, actor, command, kwargs)
        for t, label, actor, command, kwargs in script.steps
    ]

    follow_up = None
    closed = steps[-1].command == "close_complaint"
    if closed and rng.random() < 0.5:
        accepted = any(s.label.startswith("decision:accept") for s in steps)
        score = _csat(rng, "happy" if accepted else "unhappy")
        ago = steps[-1].ago - rng.uniform(0.1, 2)
        if ago > MIN_AGO:
            # CSAT only: an NPS detractor after closing is meant to reopen complaints.
            follow_up = _Step(
                ago,
                "survey",
                steps[-1].actor,
                "answer_survey",
                {"csat": score, "comment": _comment(rng, score, 4)},
            )
    return _ComplaintPlan(index=index, customer=customer.index, steps=steps, follow_up=follow_up)


# --------------------------------------------------------------------------
# Running the plan.


class _Runner:
    def __init__(self, services: Services, now: datetime, seed: int) -> None:
        self.services = services
        self.now = now
        self.prefix = f"demo:{seed}"
        self.commands = 0

    def at(self, ago: float) -> datetime:
        return self.now - timedelta(days=ago)

    def run(
        self, app: OpsApplication, scope: str, step: _Step, *args: Any, **extra: Any
    ) -> CommandResult:
        key = f"{self.prefix}:{scope}:{step.label}"
        ctx = CommandContext(
            actor=step.actor,
            request_id=str(uuid.uuid5(REQUEST_NAMESPACE, key)),
            idempotency=Idempotency(
                key=key,
                fingerprint=hashlib.sha256(
                    f"{DEMO_FINGERPRINT_VERSION}|{key}".encode()
                ).hexdigest(),
            ),
        )
        moment = self.at(step.ago)
        kwargs = {**step.kwargs, **extra}
        method: Callable[..., CommandResult] = getattr(app, step.command)
        self.commands += 1
        with clock_at(app, moment):
            return method(*args, ctx=ctx, **kwargs)

    def customer(self, plan: _CustomerPlan) -> UUID:
        app = self.services.customers
        scope = f"customer:{plan.index}"
        register, *rest = plan.steps
        customer_id = self.run(app, scope, register).id
        for step in rest:
            if step.command == "record_purchase":
                # The order reference carries the (China) date the order was placed on;
                # its digits alone are unique per customer.
                moment = self.at(step.ago)
                kwargs = dict(step.kwargs)
                number = kwargs.pop("order_number")
                kwargs["order_ref"] = f"SO{moment.astimezone(CHINA):%Y%m%d}{number:06d}"
                kwargs["purchased_at"] = moment
                step = replace(step, kwargs=kwargs)
            self.run(app, scope, step, customer_id)
        return customer_id

    def complaint(self, plan: _ComplaintPlan, customer_id: UUID) -> UUID:
        app = self.services.complaints
        scope = f"complaint:{plan.index}"
        receive, *rest = plan.steps
        complaint_id = self.run(app, scope, receive, customer_id=customer_id).id
        for step in rest:
            self.run(app, scope, step, complaint_id)
        if plan.follow_up is not None:
            # The complaint's own customer: a complaint loaded earlier at another
            # scale may belong to someone else than this plan's pick.
            complainant = app.get_complaint(complaint_id).customer_id
            self.run(
                self.services.customers,
                scope,
                plan.follow_up,
                complainant,
                survey=f"complaint-follow-up:{complaint_id}",
            )
        return complaint_id


def _position(services: Services) -> int:
    return sum(app.recorder.max_notification_id() or 0 for app in services.all())


def load_demo(
    services: Services, *, now: datetime | None = None, seed: int = 7, scale: float = 1.0
) -> DemoSummary:
    """Load (or complete) the demo company for ``seed``; a re-run writes nothing.

    ``now`` anchors the back-dated business times (default: the real now);
    the plan itself never depends on it. ``scale`` shrinks or grows the
    company (1.0: 300 customers, 100 complaints); a smaller company is a
    subset of the larger one with the same seed.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    anchor = datetime.now(UTC) if now is None else now
    anchor = anchor.replace(tzinfo=UTC) if anchor.tzinfo is None else anchor.astimezone(UTC)
    n_customers = max(MIN_CUSTOMERS, round(FULL_CUSTOMERS * scale))
    n_complaints = max(len(FIRST_SCENARIOS), round(FULL_COMPLAINTS * scale))

    customer_plans = [_plan_customer(seed, i) for i in range(n_customers)]
    complaint_plans = [_plan_complaint(seed, j, customer_plans) for j in range(n_complaints)]

    before = _position(services)
    runner = _Runner(services, anchor, seed)
    customer_ids = tuple(runner.customer(plan) for plan in customer_plans)
    complaint_ids = tuple(
        runner.complaint(plan, customer_ids[plan.customer]) for plan in complaint_plans
    )
    return DemoSummary(
        customers=len(customer_ids),
        complaints=len(complaint_ids),
        events_written=_position(services) - before,
        commands=runner.commands,
        customer_ids=customer_ids,
        complaint_ids=complaint_ids,
    )
