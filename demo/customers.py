# ruff: noqa: RUF001 -- the demo's Chinese text uses full-width punctuation on purpose.
"""The demo company's customers: who they are, how they came, bought, lapsed and answered.

Each customer is planned from its own seeded ``random.Random`` (seeded from the
seed and its index), so a smaller company is a subset of a larger one: customer
17 is the same person at every scale. The plan is in days before now and never
depends on ``now`` itself.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta, timezone
from decimal import Decimal
from uuid import UUID

from application.context import Actor, CommandContext, CommandResult
from application.customers import Customers
from demo.planning import (
    CUSTOMER_SERVICE,
    HISTORY_DAYS,
    MARKETING,
    MIN_AGO,
    OPERATIONS,
    SALES,
    Acting,
    Step,
    money,
    weighted,
)
from demo.runner import Command
from domain.vocabulary import AcquisitionChannel, MembershipTier, ServiceChannel

CHINA = timezone(timedelta(hours=8))

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
    surname, surname_py = weighted(rng, SURNAMES)
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
            name, start, end, _ = weighted(rng, [(w, w[3]) for w in waves])
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
    items = weighted(rng, [(1, 60), (2, 28), (3, 12)])
    total = sum((money(weighted(rng, CATALOGUE)) for _ in range(items)), Decimal("0.00"))
    if rng.random() < 0.25:
        coupon = money(rng.choice(("10.00", "20.00", "30.00")))
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


def draw_csat(rng: random.Random, mood: str) -> int:
    return weighted(rng, CSAT_MOODS[mood])


def draw_nps(rng: random.Random, mood: str) -> int:
    return weighted(rng, NPS_MOODS[mood])


def draw_comment(rng: random.Random, score: int, good_from: int) -> str | None:
    if rng.random() < 0.6:
        return None
    return rng.choice(GOOD_COMMENTS if score >= good_from else BAD_COMMENTS)


# --------------------------------------------------------------------------
# The commands a customer's plan sends, bound to their arguments when planned.

OnCustomer = Acting[Customers]


def _register(
    *,
    name: str,
    email: str | None,
    phone: str | None,
    channel: AcquisitionChannel,
    campaign: str | None,
    service_consent: bool,
    marketing_consent: bool,
) -> Command[Customers]:
    return lambda app, ctx: app.register_customer(
        name=name,
        email=email,
        phone=phone,
        channel=channel,
        campaign=campaign,
        service_consent=service_consent,
        marketing_consent=marketing_consent,
        ctx=ctx,
    )


def _activate() -> OnCustomer:
    return lambda app, customer_id, ctx: app.activate_customer(customer_id, ctx=ctx)


def _purchase(amount: Decimal, number: int) -> OnCustomer:
    def send(app: Customers, customer_id: UUID, ctx: CommandContext) -> CommandResult:
        # Placed at the step's (back-dated) moment. The order reference carries the
        # (China) date the order was placed on; its digits alone are unique per customer.
        placed = app.clock()
        return app.record_purchase(
            customer_id,
            amount=amount,
            order_ref=f"SO{placed.astimezone(CHINA):%Y%m%d}{number:06d}",
            purchased_at=placed,
            ctx=ctx,
        )

    return send


def _upgrade(tier: MembershipTier) -> OnCustomer:
    return lambda app, customer_id, ctx: app.upgrade_membership(customer_id, tier=tier, ctx=ctx)


def _segment(segment: str) -> OnCustomer:
    return lambda app, customer_id, ctx: app.assign_segment(customer_id, segment=segment, ctx=ctx)


def _survey(
    survey: str, *, csat: int | None = None, nps: int | None = None, comment: str | None
) -> OnCustomer:
    return lambda app, customer_id, ctx: app.answer_survey(
        customer_id, survey=survey, csat=csat, nps=nps, comment=comment, ctx=ctx
    )


def _phone_call(note: str) -> OnCustomer:
    return lambda app, customer_id, ctx: app.log_follow_up(
        customer_id, channel=ServiceChannel.PHONE, note=note, ctx=ctx
    )


def _flag_at_risk(reason: str) -> OnCustomer:
    return lambda app, customer_id, ctx: app.flag_customer_at_risk(
        customer_id, reason=reason, ctx=ctx
    )


def _churn(reason: str) -> OnCustomer:
    return lambda app, customer_id, ctx: app.churn_customer(customer_id, reason=reason, ctx=ctx)


def _reactivate(reason: str) -> OnCustomer:
    return lambda app, customer_id, ctx: app.reactivate_customer(
        customer_id, reason=reason, ctx=ctx
    )


def _offer(offer: str, channel: ServiceChannel) -> OnCustomer:
    return lambda app, customer_id, ctx: app.make_offer(
        customer_id, offer=offer, channel=channel, ctx=ctx
    )


def _stop_marketing() -> OnCustomer:
    return lambda app, customer_id, ctx: app.change_consent(customer_id, marketing=False, ctx=ctx)


# --------------------------------------------------------------------------
# Plans.


@dataclass
class CustomerPlan:
    index: int
    reg_ago: float
    purchase_agos: list[float]
    register: Step[Command[Customers]]
    steps: list[Step[OnCustomer]]  # after registering, in order

    @property
    def anchor_ago(self) -> float:
        """Since when the customer can plausibly complain: first purchase, else registration."""
        return max(self.purchase_agos) if self.purchase_agos else self.reg_ago


def plan_customer(seed: int, index: int) -> CustomerPlan:
    rng = random.Random(f"opsledger-demo:{seed}:customer:{index}")
    steps: list[Step[OnCustomer]] = []

    def add(ago: float, label: str, actor: Actor, send: OnCustomer) -> None:
        # Surveys and follow-up visits need service consent: none for who refused it.
        if label.startswith(("survey:", "follow-up:")) and not service_consent:
            return
        steps.append(Step(ago, label, actor, send))

    # Every channel appears even in a small company.
    channel = CHANNELS[index] if index < len(CHANNELS) else weighted(rng, CHANNEL_WEIGHTS)
    profile = PROFILES[channel]
    reg_ago, campaign = _registration(rng, channel)
    name, email, phone = _person(rng)
    marketing = rng.random() < profile.marketing_consent
    service_consent = rng.random() < 0.97
    registrar = rng.choice(MARKETING)
    register = _register(
        name=name,
        email=email,
        phone=phone,
        channel=channel,
        campaign=campaign,
        service_consent=service_consent,
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
            add(act_ago, "activate", ops, _activate())

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
        add(ago, f"purchase:{n}", sales, _purchase(amount, number))
        revenue += amount
        reached = _tier_for(revenue)
        if reached.rank > tier.rank:
            tier = reached
            add(ago - min(0.02, ago / 2), f"upgrade:{tier.value}", sales, _upgrade(tier))

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
            add(early, "segment:early", ops, _segment("new_customers"))

    # Surveys and the first-order follow-up call.
    final_mood = "happy" if len(purchase_agos) >= 3 else "neutral"
    if act_ago is not None and rng.random() < 0.2:
        ago = act_ago - rng.uniform(1, 7)
        if ago > MIN_AGO:
            score = draw_csat(rng, "neutral")
            comment = draw_comment(rng, score, 4)
            add(ago, "survey:onboarding", cs, _survey("onboarding", csat=score, comment=comment))
    if purchase_agos and rng.random() < 0.45:
        ago = purchase_agos[0] - rng.uniform(2, 10)
        if ago > MIN_AGO:
            score = draw_csat(rng, final_mood)
            comment = draw_comment(rng, score, 4)
            add(
                ago,
                "survey:post-purchase",
                cs,
                _survey("post-purchase", csat=score, comment=comment),
            )
    if purchase_agos and rng.random() < 0.30:
        ago = purchase_agos[0] - rng.uniform(3, 10)
        if ago > MIN_AGO:
            caller = rng.choice((ops, cs))
            note = rng.choice(FIRST_ORDER_NOTES)
            add(ago, "follow-up:first-order", caller, _phone_call(note))

    # Lapsing: at risk, churned, a few won back. Status windows in days ago.
    churn_ago: float | None = None
    reactivate_ago: float | None = None
    last_ago = min(purchase_agos) if purchase_agos else act_ago
    if last_ago is not None and last_ago > 75 and rng.random() < 0.6:
        final_mood = "unhappy"
        flag_ago = last_ago - rng.uniform(60, 75)
        reason = rng.choice(("60 天未下单，活跃度明显下降", "近 60 天未登录，最近一次评价为差评"))
        add(flag_ago, "at-risk", ops, _flag_at_risk(reason))
        care = flag_ago - rng.uniform(0.5, 3)
        if care > MIN_AGO:
            note = rng.choice(
                (
                    "关怀回访：客户近期工作忙，暂无购买计划。",
                    "关怀回访：客户对上次配送不满意，已致歉并记录。",
                    "关怀回访：未接通，已发送短信。",
                )
            )
            add(care, "follow-up:care", cs, _phone_call(note))
        if flag_ago > 60 and rng.random() < 0.55:
            churn_ago = flag_ago - rng.uniform(30, 55)
            reason = rng.choice(("超过 90 天无登录和购买", "客户表示已改用其他平台"))
            add(churn_ago, "churn", ops, _churn(reason))
        elif flag_ago > 10 and rng.random() < 0.3:
            reactivate_ago = flag_ago - rng.uniform(3, 9)
            add(
                reactivate_ago,
                "reactivate",
                ops,
                _reactivate("关怀回访后客户重新登录并领取回归礼包"),
            )
    elif act_ago is None and reg_ago > 120 and rng.random() < 0.35:
        churn_ago = reg_ago - rng.uniform(90, 110)
        add(churn_ago, "churn", ops, _churn("注册后 90 天未激活"))
    if churn_ago is not None and churn_ago > 20 and act_ago is not None and rng.random() < 0.3:
        reactivate_ago = churn_ago - rng.uniform(10, churn_ago - 5)
        reason = rng.choice(("客户通过回归活动重新下单", "回访后客户表示愿意继续使用"))
        add(reactivate_ago, "reactivate", ops, _reactivate(reason))
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
        add(run_ago, "segment:rfm", ops, _segment(segment))
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
            add(ago, f"offer:{n}", ops, _offer(OFFERS[segment], offer_channel))
            last_offer = ago
    # A few unsubscribe from marketing (after the last offer they received).
    if marketing and rng.random() < 0.07:
        latest = last_offer if last_offer is not None else reg_ago
        ago = latest - rng.uniform(0.1, max(0.2, latest - MIN_AGO))
        if ago > MIN_AGO:
            add(ago, "consent:marketing-off", cs, _stop_marketing())

    # The relationship NPS, sent twice a year to engaged customers.
    if act_ago is not None and rng.random() < 0.35:
        ago = rng.uniform(MIN_AGO, min(act_ago, 90))
        score = draw_nps(rng, final_mood)
        csat = draw_csat(rng, final_mood) if rng.random() < 0.4 else None
        comment = draw_comment(rng, score, 9)
        add(
            ago,
            "survey:relationship-nps",
            cs,
            _survey("relationship-nps", nps=score, csat=csat, comment=comment),
        )

    # Chronological; ties keep the order above. Registering comes before everything.
    steps.sort(key=lambda s: -s.ago)
    return CustomerPlan(
        index=index,
        reg_ago=reg_ago,
        purchase_agos=purchase_agos,
        register=Step(reg_ago, "register", registrar, register),
        steps=steps,
    )
