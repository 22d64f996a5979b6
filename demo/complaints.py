# ruff: noqa: RUF001 -- the demo's Chinese text uses full-width punctuation on purpose.
"""The demo company's complaints: every scenario of the lifecycle, scripted step by step.

Each complaint is planned from its own seeded ``random.Random`` (seeded from the
seed and its index) and picks its customer among the customers' plans: buyers
complain more, and only after they bought (or registered). The first complaints
cover every scenario, so that even a small company shows them all.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from application.complaints import Complaints
from application.context import Actor
from demo.customers import CustomerPlan, draw_comment, draw_csat
from demo.planning import (
    CHEN_CS,
    HISTORY_DAYS,
    HOUR,
    LIN_CS,
    MANAGER,
    MIN_AGO,
    XU_CS,
    Acting,
    Step,
    money,
    weighted,
)
from domain.complaint import SERVICE_LEVELS
from domain.vocabulary import ComplaintCategory, Department, RootCause, ServiceChannel

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


# --------------------------------------------------------------------------
# The commands a complaint's script sends, bound to their arguments when planned.

# Given the complaint's id; receiving it is given its customer's.
OnComplaint = Acting[Complaints]


def _receive(
    channel: ServiceChannel, category: ComplaintCategory, description: str, remedy: str | None
) -> OnComplaint:
    return lambda app, customer_id, ctx: app.receive_complaint(
        customer_id=customer_id,
        channel=channel,
        category=category,
        description=description,
        remedy_sought=remedy,
        ctx=ctx,
    )


def _acknowledge(message: str) -> OnComplaint:
    return lambda app, complaint_id, ctx: app.acknowledge_complaint(
        complaint_id, message=message, ctx=ctx
    )


def _assess(severity: int, department: Department, assignee: str) -> OnComplaint:
    return lambda app, complaint_id, ctx: app.assess_complaint(
        complaint_id, severity=severity, department=department, assignee=assignee, ctx=ctx
    )


def _assign(department: Department, assignee: str) -> OnComplaint:
    return lambda app, complaint_id, ctx: app.assign_complaint(
        complaint_id, department=department, assignee=assignee, ctx=ctx
    )


def _wait_for_customer(reason: str) -> OnComplaint:
    return lambda app, complaint_id, ctx: app.wait_for_customer(
        complaint_id, reason=reason, ctx=ctx
    )


def _resume() -> OnComplaint:
    return lambda app, complaint_id, ctx: app.resume_complaint(complaint_id, ctx=ctx)


def _withdraw(reason: str) -> OnComplaint:
    return lambda app, complaint_id, ctx: app.withdraw_complaint(
        complaint_id, reason=reason, ctx=ctx
    )


def _propose(
    root_cause: RootCause, plan: str, analysis: str, compensation: Decimal | None
) -> OnComplaint:
    return lambda app, complaint_id, ctx: app.propose_resolution(
        complaint_id,
        root_cause=root_cause,
        plan=plan,
        analysis=analysis,
        compensation=compensation,
        ctx=ctx,
    )


def _approve() -> OnComplaint:
    return lambda app, complaint_id, ctx: app.approve_resolution(complaint_id, ctx=ctx)


def _respond(message: str) -> OnComplaint:
    return lambda app, complaint_id, ctx: app.respond_to_complaint(
        complaint_id, message=message, ctx=ctx
    )


def _customer_decision(accepted: bool, comment: str | None) -> OnComplaint:
    return lambda app, complaint_id, ctx: app.record_customer_decision(
        complaint_id, accepted=accepted, comment=comment, ctx=ctx
    )


def _final_decision(decision: str) -> OnComplaint:
    return lambda app, complaint_id, ctx: app.record_final_decision(
        complaint_id, decision=decision, ctx=ctx
    )


def _close(note: str, knowledge_article: str | None) -> OnComplaint:
    return lambda app, complaint_id, ctx: app.close_complaint(
        complaint_id, note=note, knowledge_article=knowledge_article, ctx=ctx
    )


def _reopen(reason: str) -> OnComplaint:
    return lambda app, complaint_id, ctx: app.reopen_complaint(complaint_id, reason=reason, ctx=ctx)


# --------------------------------------------------------------------------
# Plans.


@dataclass(frozen=True)
class FollowUp:
    """The CSAT the customer gave after the complaint closed."""

    ago: float
    actor: Actor
    csat: int
    comment: str | None


@dataclass
class ComplaintPlan:
    index: int
    customer: int
    steps: list[Step[OnComplaint]]  # the first receives it: given the customer's id when run
    follow_up: FollowUp | None


class _Script:
    """The steps of one complaint, timed in days after its receipt."""

    def __init__(self) -> None:
        self.t = 0.0
        self.steps: list[tuple[float, str, Actor, OnComplaint]] = []

    def then(self, delay: float, label: str, actor: Actor, send: OnComplaint) -> None:
        self.t += delay
        self.steps.append((self.t, label, actor, send))


def _script_complaint(
    rng: random.Random, scenario: str, category: ComplaintCategory, channel: ServiceChannel
) -> _Script:
    severity = weighted(rng, SEVERITY_WEIGHTS[category])
    if scenario == AWAITING_APPROVAL:
        severity = rng.choice((1, 2, 2))
    level = SERVICE_LEVELS[severity]
    first_response = level.first_response.total_seconds() / 86400
    resolution = level.resolution.total_seconds() / 86400
    case = rng.choice(CASES[category])
    handler = weighted(rng, ((LIN_CS, 4), (XU_CS, 3), (CHEN_CS, 2)))
    department, assignee = OWNERS[category]
    s = _Script()
    s.then(0, "receive", handler, _receive(channel, category, case.description, case.remedy))
    if scenario == RECEIVED:
        return s

    def assess(delay: float) -> None:
        s.then(delay, "assess", handler, _assess(severity, department, assignee))

    # Triage may come before the first response: then acknowledging starts the investigation.
    triaged_first = scenario != ACKNOWLEDGED and rng.random() < 0.3
    if triaged_first:
        assess(rng.uniform(2, 20) / 1440)
    breach = rng.random() < 0.1
    ack_delay = first_response * (rng.uniform(1.1, 2.5) if breach else rng.uniform(0.1, 0.9))
    if channel == ServiceChannel.EMAIL:
        ack_delay *= 1.3
    s.then(ack_delay, "acknowledge", handler, _acknowledge(ACK_MESSAGES[channel]))
    if scenario == ACKNOWLEDGED:
        return s
    if scenario == WITHDRAWN and rng.random() < 0.4:
        s.then(
            rng.uniform(0.1, 2),
            "withdraw",
            handler,
            _withdraw(
                rng.choice(("客户表示问题已自行解决，撤回投诉。", "客户与快递协商一致，撤回。"))
            ),
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
            _wait_for_customer(rng.choice(pause_reasons)),
        )
        if scenario == PENDING:
            return s
        if scenario == WITHDRAWN:
            s.then(
                rng.uniform(1, 5),
                "withdraw",
                handler,
                _withdraw("客户未提供材料并表示不再追究，撤回投诉。"),
            )
            return s
        s.then(rng.uniform(0.5, 4), "resume:1", handler, _resume())

    late = rng.random() < 0.15

    def settle(round_: int, proposer: Actor, within: float, *, respond: bool = True) -> None:
        """Propose, approve where needed, respond: the resolution round ``round_``."""
        root_cause = rng.choice(case.root_causes)
        compensation = weighted(rng, COMPENSATION[severity])
        s.then(
            within * rng.uniform(0.1, 0.35),
            f"propose:{round_}",
            proposer,
            _propose(
                root_cause,
                case.plan,
                analysis=f"根因分析：{root_cause.value}，已与{department.value}核实。",
                compensation=None if compensation is None else money(compensation),
            ),
        )
        if scenario == AWAITING_APPROVAL:
            return
        if severity <= 2:
            # Four eyes: never the proposer. The team lead or management approves.
            if severity == 1 or proposer is CHEN_CS or rng.random() < 0.5:
                approver = MANAGER
            else:
                approver = CHEN_CS
            s.then(rng.uniform(0.3, 4) * HOUR, f"approve:{round_}", approver, _approve())
        if not respond:
            return
        s.then(
            within * rng.uniform(0.05, 0.2),
            f"respond:{round_}",
            proposer,
            _respond(f"已告知客户处理方案：{case.plan}。"),
        )

    window = resolution * (rng.uniform(1.2, 2.0) if late else 1.0)
    if scenario == PENDING:  # waits on the customer after the proposal
        settle(1, handler, window, respond=False)
        s.then(
            rng.uniform(0.1, 1),
            "pause:1",
            handler,
            _wait_for_customer("方案已拟定，等待客户确认收货地址。"),
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
            _customer_decision(
                False, rng.choice(("补偿金额太低，不能接受。", "只想退款，不接受换货。"))
            ),
        )
        if scenario == ESCALATED:
            return s
        s.then(
            rng.uniform(0.05, 0.3),
            "assign:1",
            CHEN_CS,
            _assign(Department.CUSTOMER_SERVICE, "chen.cs"),
        )
        settle(2, CHEN_CS, resolution)

    if scenario in (RESOLVED_FINAL, CLOSED_FINAL) or (
        scenario == CLOSED_ESCALATED and rng.random() < 0.4
    ):
        # Four eyes: the final decision overrides the customer, so it is never
        # the proposer's or the responder's; management takes it.
        s.then(
            window * rng.uniform(0.1, 0.3),
            "final-decision",
            MANAGER,
            _final_decision("客户未接受方案，按公司规定维持处理决定并告知申诉渠道。"),
        )
    else:
        s.then(
            window * rng.uniform(0.05, 0.25),
            "decision:accept",
            handler,
            _customer_decision(True, rng.choice((None, "可以接受", "谢谢处理"))),
        )
    if scenario in (RESOLVED, RESOLVED_FINAL):
        return s

    def close(label: str) -> None:
        article = (
            f"KB-{category.value.upper().replace('_', '-')}-{rng.randint(1, 60):03d}"
            if rng.random() < 0.4
            else None
        )
        s.then(rng.uniform(1, 4), label, handler, _close("回访客户，已征求客户意见。", article))

    close("close:1")
    if scenario in (REOPENED, CLOSED_REOPENED):
        s.then(
            rng.uniform(3, 25),
            "reopen:1",
            handler,
            _reopen(
                rng.choice(("客户反馈问题再次出现。", "补发商品仍有同样问题。", "退款未实际到账。"))
            ),
        )
        if scenario == REOPENED:
            return s
        settle(2, handler, resolution)
        s.then(
            resolution * rng.uniform(0.05, 0.25),
            "decision:accept-2",
            handler,
            _customer_decision(True, "这次问题解决了"),
        )
        close("close:2")
    return s


def plan_complaint(seed: int, index: int, customers: Sequence[CustomerPlan]) -> ComplaintPlan:
    rng = random.Random(f"opsledger-demo:{seed}:complaint:{index}")
    if index < len(FIRST_SCENARIOS):
        scenario = FIRST_SCENARIOS[index]
    else:
        scenario = weighted(rng, SCENARIO_WEIGHTS)
    category = weighted(rng, CATEGORY_WEIGHTS)
    channel = weighted(rng, SERVICE_CHANNEL_WEIGHTS)
    script = _script_complaint(rng, scenario, category, channel)
    span = script.t
    open_window = OPEN_LAST_STEP.get(scenario)
    if open_window is not None:
        last = rng.uniform(*open_window)
        earliest_start = latest_start = span + last
    else:
        earliest_start, latest_start = span + 0.5, HISTORY_DAYS - 5

    # Whose complaint: buyers complain more, and only after they bought (or registered).
    def candidates(need_purchase: bool) -> list[CustomerPlan]:
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
    customer = weighted(rng, [(c, 1 + 2 * len(c.purchase_agos)) for c in pool])
    start = (
        earliest_start
        if open_window is not None
        else rng.uniform(earliest_start, min(latest_start, customer.anchor_ago - 0.5))
    )
    steps = [Step(start - t, label, actor, send) for t, label, actor, send in script.steps]

    follow_up = None
    closed = steps[-1].label.startswith("close:")
    if closed and rng.random() < 0.5:
        accepted = any(s.label.startswith("decision:accept") for s in steps)
        score = draw_csat(rng, "happy" if accepted else "unhappy")
        ago = steps[-1].ago - rng.uniform(0.1, 2)
        if ago > MIN_AGO:
            # CSAT only: an NPS detractor after closing is meant to reopen complaints.
            follow_up = FollowUp(ago, steps[-1].actor, score, draw_comment(rng, score, 4))
    return ComplaintPlan(index=index, customer=customer.index, steps=steps, follow_up=follow_up)
