# ruff: noqa: RUF001 -- the demo's Chinese text uses full-width punctuation on purpose.
"""The demo company's risk register (§8), loaded through the Risks application's commands.

Twenty-four risks across every category and level, in every state of the
lifecycle: treatments in progress and done, accepted risks (and one acceptance
the board refused), KRIs with months of weekly readings, open and cleared early
warnings, reviews (some overdue), closed and reopened risks.

Re-running is safe: every command carries a deterministic Idempotency-Key
(``demo-risks:{seed}:{risk}:{step}``), a fixed fingerprint and a fixed principal
per key, so a repeated command answers what it answered the first time and
writes nothing. Times are planned in days before ``now`` and business times are
back-dated by swapping the application's ``clock`` for each command.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from application.context import Actor, CommandResult
from application.risks import ActionDraft, Risks
from application.services import Services
from demo.runner import Command, Keys, Runner, fixed, request_ids_in
from domain.risk import KriDirection, RiskCategory, TreatmentStrategy
from domain.vocabulary import Department, Role

__all__ = ["load_risks_demo"]

FINGERPRINT = "opsledger-demo-risks/1"
REQUEST_NAMESPACE = uuid.UUID("0b6c8a4e-3f7d-4e55-9a1c-5d2e7f9b1c30")


def _actor(principal: str, *roles: Role) -> Actor:
    return Actor(principal=principal, roles=frozenset(roles))


TECH = _actor("tang.tech", Role.TECHNOLOGY)
OPS = _actor("wang.ops", Role.OPERATIONS)
MARKETING = _actor("mei.marketing", Role.MARKETING)
SALES = _actor("zhao.sales", Role.SALES)
CS = _actor("chen.cs", Role.CUSTOMER_SERVICE)
FINANCE = _actor("fan.finance", Role.FINANCE)
HR = _actor("he.hr", Role.HR)
MANAGER = _actor("liu.manager", Role.MANAGEMENT)
BOARD = _actor("bai.board", Role.BOARD)

# --------------------------------------------------------------------------
# The register, as plans.

CALM, RISING, SPIKE_NOW, SPIKE_PAST = "calm", "rising", "spike_now", "spike_past"


@dataclass(frozen=True)
class _Kri:
    name: str
    metric: str
    direction: KriDirection
    amber: str
    red: str
    unit: str
    usual: str  # the value in ordinary weeks
    shape: str  # how the readings run: calm, rising, spike_now, spike_past


@dataclass(frozen=True)
class _Action:
    title: str
    owner: Actor
    due_after: float  # days after the plan
    done_after: float | None = None  # days after the plan; None: still open
    started: bool = False


@dataclass(frozen=True)
class _Decision:
    approver: Actor
    approved: bool
    after: float  # days after the plan
    expires_after: int = 365  # days after the decision
    reason: str | None = None
    justification: str | None = None  # the board's, to accept beyond §8.2.4's limits


@dataclass(frozen=True)
class _Risk:
    category: RiskCategory
    title: str
    description: str
    cause: str
    event: str
    consequence: str
    owner: Actor
    department: Department
    identified_by: Actor
    ago: float  # days since identification
    score: tuple[int, int] | None = None
    strategy: TreatmentStrategy | None = None
    counterparty: str | None = None
    actions: tuple[_Action, ...] = ()
    decision: _Decision | None = None
    replan: tuple[TreatmentStrategy, tuple[_Action, ...]] | None = None
    residual: tuple[int, int] | None = None
    kris: tuple[_Kri, ...] = ()
    review_ago: float | None = None
    close_ago: float | None = None
    reopen_ago: float | None = None
    reassess: tuple[int, int] | None = None


A, B = KriDirection.ABOVE, KriDirection.BELOW
T = RiskCategory

REGISTER: tuple[_Risk, ...] = (
    _Risk(
        T.TECHNICAL, "支付网关单点故障", "全部线上支付依赖一家支付通道，无自动切换。",
        "单一支付通道，无故障切换", "大促期间支付通道中断数小时", "订单流失、投诉激增、品牌受损",
        TECH, Department.TECHNOLOGY, OPS, 200, (4, 5), TreatmentStrategy.REDUCE,
        actions=(
            _Action("接入第二家支付通道", TECH, 45, 40, True),
            _Action("季度故障切换演练", OPS, 120, None, True),
        ),
        residual=(2, 5),
        kris=(_Kri("支付失败率", "每千笔支付失败数", A, "5", "10", "‰", "1.5", SPIKE_NOW),),
        review_ago=50,
    ),
    _Risk(
        T.TECHNICAL, "核心数据库无异地备份", "订单库仅有同机房备份，机房故障将丢失数据。",
        "备份与主库同机房", "机房断电或火灾导致数据不可恢复", "订单与会员数据丢失，业务停摆",
        TECH, Department.TECHNOLOGY, TECH, 320, (3, 5), TreatmentStrategy.REDUCE,
        actions=(
            _Action("建设异地备份与每日恢复校验", TECH, 60, 52, True),
            _Action("制定数据库灾难恢复预案", TECH, 75, 70),
        ),
        residual=(1, 5),
        kris=(_Kri("备份成功率", "每日备份成功比例", B, "99.5", "99.0", "%", "99.95", CALM),),
        review_ago=20,
    ),
    _Risk(
        T.TECHNICAL, "撞库攻击导致账户被盗", "外部泄露的密码库被用于批量登录尝试。",
        "用户复用密码、登录无风控", "大量账户被盗用、余额被消费", "资金损失、赔付与监管问询",
        TECH, Department.TECHNOLOGY, CS, 95, (4, 4), TreatmentStrategy.REDUCE,
        actions=(
            _Action("登录风控与设备指纹上线", TECH, 40, None, True),
            _Action("高风险登录短信二次验证", TECH, 30, 25, True),
        ),
        kris=(_Kri("异常登录次数", "每日被拦截的异常登录", A, "200", "500", "次", "80", RISING),),
        review_ago=30,
    ),
    _Risk(
        T.TECHNICAL, "大促期间系统容量不足", "双十一峰值流量预计为日常的八倍。",
        "容量规划基于去年数据", "峰值时段下单接口超时", "大促销售额损失",
        TECH, Department.TECHNOLOGY, SALES, 40, (3, 4), TreatmentStrategy.REDUCE,
        actions=(
            _Action("全链路压测", TECH, 20),
            _Action("弹性扩容预案", OPS, 25),
        ),
        kris=(_Kri("峰值 CPU 利用率", "核心集群峰值 CPU", A, "70", "85", "%", "52", CALM),),
    ),
    _Risk(
        T.TECHNICAL, "第三方统计 SDK 停止维护", "App 内嵌的统计 SDK 供应商已停止更新。",
        "供应商停止维护", "新系统版本上 SDK 失效", "部分运营报表缺数",
        TECH, Department.TECHNOLOGY, MARKETING, 150, (2, 2), TreatmentStrategy.ACCEPT,
        decision=_Decision(MANAGER, True, 5, 365),
        review_ago=140,
    ),
    _Risk(
        T.MARKET, "主要竞争对手发起价格战", "竞品对核心品类持续补贴，拉低行业价格。",
        "竞品融资后补贴扩张", "核心品类价格被迫下调", "毛利率下降、获客成本上升",
        MARKETING, Department.MARKETING, SALES, 180, (4, 3), TreatmentStrategy.REDUCE,
        actions=(
            _Action("推出差异化会员权益", MARKETING, 45, 40, True),
            _Action("核心品类成本优化", SALES, 60, 58),
        ),
        residual=(3, 3),
        kris=(
            _Kri("新客获取成本", "月度单个新客获取成本", A, "80", "120", "元", "55", SPIKE_PAST),
        ),
        review_ago=60,
    ),
    _Risk(
        T.MARKET, "获客过度依赖单一搜索渠道", "超过六成新客来自同一搜索引擎。",
        "渠道结构单一", "搜索平台规则或价格调整", "获客量骤降",
        MARKETING, Department.MARKETING, MARKETING, 260, (3, 3), TreatmentStrategy.REDUCE,
        actions=(
            _Action("拓展社交与内容渠道", MARKETING, 90, 80, True),
            _Action("建立推荐奖励计划", OPS, 100, 95),
        ),
        residual=(2, 3),
        kris=(_Kri("搜索渠道新客占比", "月度新客来源占比", A, "60", "75", "%", "48", CALM),),
        review_ago=100,
    ),
    _Risk(
        T.MARKET, "用户增长放缓", "近两个季度新增注册环比下降。",
        "市场趋于饱和", "年度增长目标无法达成", "估值与融资受影响",
        SALES, Department.SALES, MANAGER, 12, (3, 4),
    ),
    _Risk(
        T.OPERATIONAL, "客服高峰期响应超时", "晚间高峰在线客服排队时间过长。",
        "排班未覆盖晚高峰", "首次响应超过服务承诺", "投诉升级、满意度下降",
        CS, Department.CUSTOMER_SERVICE, CS, 120, (4, 3), TreatmentStrategy.REDUCE,
        actions=(
            _Action("晚高峰弹性排班", CS, 30, 28, True),
            _Action("智能客服分流常见问题", TECH, 90, None, True),
        ),
        kris=(_Kri("首次响应超时率", "超时的首次响应占比", A, "5", "10", "%", "2.5", SPIKE_NOW),),
        review_ago=100,
    ),
    _Risk(
        T.OPERATIONAL, "物流合作方交付延误", "主要快递合作方旺季延误率偏高。",
        "运力不足", "大面积延迟交付", "物流类投诉增加",
        OPS, Department.OPERATIONS, CS, 240, (3, 3), TreatmentStrategy.TRANSFER,
        counterparty="顺丰速运（合同约定延误赔付条款）",
        actions=(_Action("修订物流合同违约赔付条款", OPS, 30, 26, True),),
        residual=(3, 2),
        kris=(_Kri("延误订单占比", "超出承诺时效的订单占比", A, "3", "6", "%", "1.5", SPIKE_PAST),),
        review_ago=70,
    ),
    _Risk(
        T.OPERATIONAL, "关键岗位人员流失", "核心研发与运营岗位离职率上升。",
        "薪酬竞争力不足", "关键岗位空缺超过两个月", "项目延期、知识流失",
        HR, Department.HR, MANAGER, 160, (3, 4), TreatmentStrategy.REDUCE,
        actions=(
            _Action("关键岗位继任者计划", HR, 60, 55, True),
            _Action("核心员工长期激励方案", HR, 120, None),
        ),
        kris=(_Kri("核心员工离职率", "年化离职率", A, "10", "15", "%", "8", RISING),),
        review_ago=110,
    ),
    _Risk(
        T.OPERATIONAL, "仓库火灾", "华东仓储存大量电子产品。",
        "电池类商品集中存放", "仓库火灾", "库存全损",
        OPS, Department.OPERATIONS, FINANCE, 300, (1, 5), TreatmentStrategy.TRANSFER,
        counterparty="中国平安财产保险",
        actions=(_Action("投保财产一切险", FINANCE, 30, 20, True),),
        residual=(1, 5),
        review_ago=90,
    ),
    _Risk(
        T.OPERATIONAL, "内容审核遗漏", "用户评论区出现违规内容未被及时处理。",
        "审核规则覆盖不全", "违规内容被监管发现", "整改通知与罚款",
        OPS, Department.OPERATIONS, CS, 3,
    ),
    _Risk(
        T.LEGAL, "个人信息保护合规差距", "部分导入线索缺少营销同意记录（个人信息保护法）。",
        "历史数据未留存同意", "监管检查发现违规营销", "最高上年营业额 5% 罚款",
        MANAGER, Department.ADMINISTRATION, MARKETING, 110, (4, 5), TreatmentStrategy.REDUCE,
        actions=(
            _Action("完成个人信息保护影响评估", MANAGER, 30, 27, True),
            _Action("补录或清理无同意记录的线索", MARKETING, 60, None, True),
            _Action("营销系统强制校验同意", TECH, 90, None),
        ),
        kris=(
            _Kri("无同意营销触达", "每周无同意记录的触达", A, "6", "15", "次", "0", SPIKE_PAST),
        ),
        review_ago=35,
    ),
    _Risk(
        T.LEGAL, "广告用语违反广告法", "部分推广文案使用“最”“第一”等绝对化用语。",
        "文案缺少法务审核", "市场监管部门处罚", "罚款与下架",
        MARKETING, Department.MARKETING, MARKETING, 20, (2, 3), TreatmentStrategy.ACCEPT,
    ),
    _Risk(
        T.LEGAL, "供应商合同缺少知识产权条款", "设计外包合同未约定成果归属。",
        "合同模板陈旧", "外包方主张著作权", "设计素材无法使用",
        MANAGER, Department.ADMINISTRATION, FINANCE, 280, (2, 2), TreatmentStrategy.REDUCE,
        actions=(_Action("更新合同模板并补签协议", MANAGER, 40, 35, True),),
        residual=(1, 2),
        close_ago=150,
    ),
    _Risk(
        T.LEGAL, "数据跨境传输不合规", "海外客服外包涉及个人信息出境。",
        "外包方在境外", "未经安全评估的数据出境", "监管处罚、业务暂停",
        MANAGER, Department.ADMINISTRATION, TECH, 75, (2, 5), TreatmentStrategy.ACCEPT,
        decision=_Decision(BOARD, False, 7, reason="高风险不予接受：须完成出境安全评估"),
        replan=(
            TreatmentStrategy.AVOID,
            (_Action("客服外包回迁境内", CS, 60), _Action("终止境外数据访问", TECH, 45)),
        ),
    ),
    _Risk(
        T.FINANCIAL, "应收账款逾期", "企业客户账期延长，逾期比例上升。",
        "信用审核宽松", "大额应收无法收回", "现金流与利润受损",
        FINANCE, Department.FINANCE, FINANCE, 210, (3, 3), TreatmentStrategy.REDUCE,
        actions=(
            _Action("企业客户信用评级", FINANCE, 45, 40, True),
            _Action("逾期催收流程", FINANCE, 60, 50),
        ),
        residual=(2, 3),
        kris=(_Kri("90 天以上逾期占比", "逾期超 90 天应收", A, "5", "8", "%", "3.5", SPIKE_PAST),),
        review_ago=80,
    ),
    _Risk(
        T.FINANCIAL, "汇率波动推高进口成本", "进口商品以美元结算。",
        "美元结算、无对冲", "人民币大幅贬值", "进口成本上升、毛利下降",
        FINANCE, Department.FINANCE, SALES, 170, (3, 2), TreatmentStrategy.TRANSFER,
        counterparty="招商银行（远期结售汇）",
        actions=(_Action("签订远期结售汇协议", FINANCE, 20, 15, True),),
        residual=(3, 1),
        kris=(_Kri("美元兑人民币", "USD/CNY 中间价", A, "7.30", "7.45", "CNY", "7.12", RISING),),
        review_ago=40,
    ),
    _Risk(
        T.FINANCIAL, "现金流紧张", "扩张期经营现金流为负。",
        "投入集中在上半年", "现金覆盖不足三个月", "无法按期支付供应商",
        FINANCE, Department.FINANCE, MANAGER, 140, (2, 5), TreatmentStrategy.ACCEPT,
        decision=_Decision(
            BOARD, True, 6, 180,
            justification="扩张期投入已获董事会批准；授信额度可覆盖缺口，按月复核现金覆盖月数",
        ),
        kris=(_Kri("现金覆盖月数", "现金余额 / 月均净流出", B, "6", "3", "月", "8", RISING),),
        review_ago=28,
    ),
    _Risk(
        T.FINANCIAL, "市场费用超支", "投放费用增长快于销售额。",
        "投放缺少 ROI 约束", "全年市场费用超预算 20%", "利润目标无法达成",
        MARKETING, Department.MARKETING, FINANCE, 65, (4, 2), TreatmentStrategy.REDUCE,
        actions=(
            _Action("按渠道 ROI 设置投放上限", MARKETING, 20, 18, True),
            _Action("月度费用复盘", FINANCE, 30, None, True),
        ),
        kris=(_Kri("费用预算使用率", "年度市场预算已用比例", A, "80", "100", "%", "55", RISING),),
    ),
    _Risk(
        T.MARKET, "品牌负面舆情", "社交平台出现集中差评与维权帖。",
        "售后问题集中爆发", "负面话题登上热搜", "品牌声誉受损、销量下滑",
        MARKETING, Department.MARKETING, CS, 90, (3, 4), TreatmentStrategy.REDUCE,
        actions=(
            _Action("舆情监测与分级响应机制", MARKETING, 20, 15, True),
            _Action("售后问题专项整改", CS, 60, None, True),
        ),
        kris=(_Kri("负面舆情条数", "每周负面帖子数", A, "20", "50", "条", "6", SPIKE_NOW),),
        review_ago=15,
    ),
    _Risk(
        T.OPERATIONAL, "促销活动库存超卖", "秒杀活动库存扣减不一致导致超卖。",
        "库存扣减非原子操作", "秒杀超卖", "取消订单、投诉与赔付",
        TECH, Department.TECHNOLOGY, SALES, 230, (2, 3), TreatmentStrategy.REDUCE,
        actions=(_Action("库存扣减改为原子操作", TECH, 20, 15, True),),
        residual=(1, 3),
        close_ago=170,
        reopen_ago=25,
        reassess=(3, 3),
    ),
    _Risk(
        T.TECHNICAL, "旧版 App 停止安全更新", "仍有少量用户使用停止维护的旧版 App。",
        "旧版本不再发布补丁", "旧版漏洞被利用", "少量账户风险",
        TECH, Department.TECHNOLOGY, TECH, 190, (1, 3), TreatmentStrategy.REDUCE,
        actions=(_Action("强制升级并下线旧版接口", TECH, 30, 28, True),),
        residual=(1, 2),
        close_ago=120,
    ),
)  # fmt: skip


# --------------------------------------------------------------------------
# Running the plans.


class _Loader:
    def __init__(self, risks: Risks, now: datetime, seed: int) -> None:
        self.risks = risks
        self.now = now
        self.seed = seed
        self.runner = Runner(
            Keys(
                f"demo-risks:{seed}",
                request_id=request_ids_in(REQUEST_NAMESPACE),
                fingerprint=fixed(FINGERPRINT),
            )
        )

    def run(self, key: str, actor: Actor, ago: float, command: Command[Risks]) -> CommandResult:
        return self.runner.run(self.risks, key, actor, self.now - timedelta(days=ago), command)

    def risk(self, index: int, plan: _Risk, rng: random.Random) -> UUID:
        key = f"{index:02d}"
        risk_id = self.run(
            f"{key}:identify",
            plan.identified_by,
            plan.ago,
            lambda app, ctx: app.identify_risk(
                category=plan.category,
                title=plan.title,
                description=plan.description,
                owner=plan.owner.principal,
                department=plan.department,
                cause=plan.cause,
                event=plan.event,
                consequence=plan.consequence,
                ctx=ctx,
            ),
        ).id
        if plan.score is None:
            return risk_id
        assessed_ago = plan.ago - 1
        self._assess(f"{key}:assess", plan.owner, assessed_ago, risk_id, plan.score)
        if plan.strategy is None:
            return risk_id
        planned_ago = assessed_ago - 2
        action_ids = self._plan(
            f"{key}:plan", plan, planned_ago, risk_id, plan.strategy, plan.actions
        )
        actions = plan.actions
        if plan.decision is not None:
            self._decide(key, plan.decision, planned_ago, risk_id)
        if plan.replan is not None and plan.decision is not None:
            planned_ago -= plan.decision.after + 1
            strategy, actions = plan.replan
            action_ids = self._plan(f"{key}:replan", plan, planned_ago, risk_id, strategy, actions)
        self._work(key, plan, planned_ago, risk_id, actions, action_ids)
        for n, kri in enumerate(plan.kris):
            self._kri(f"{key}:kri{n}", plan, planned_ago, risk_id, kri, rng)
        if plan.review_ago is not None:
            note = rng.choice(REVIEW_NOTES)
            self.run(
                f"{key}:review",
                plan.owner,
                plan.review_ago,
                lambda app, ctx: app.record_risk_review(risk_id=risk_id, note=note, ctx=ctx),
            )
        if plan.close_ago is not None:
            self._close_and_reopen(key, plan, risk_id)
        return risk_id

    def _assess(
        self, key: str, actor: Actor, ago: float, risk_id: UUID, score: tuple[int, int]
    ) -> None:
        likelihood, impact = score
        self.run(
            key,
            actor,
            ago,
            lambda app, ctx: app.assess_risk(
                risk_id=risk_id, likelihood=likelihood, impact=impact, ctx=ctx
            ),
        )

    def _plan(
        self,
        key: str,
        plan: _Risk,
        ago: float,
        risk_id: UUID,
        strategy: TreatmentStrategy,
        actions: tuple[_Action, ...],
    ) -> list[UUID]:
        moment = self.now - timedelta(days=ago)
        drafts = [
            ActionDraft(a.title, a.owner.principal, (moment + timedelta(days=a.due_after)).date())
            for a in actions
        ]
        counterparty = plan.counterparty if strategy == TreatmentStrategy.TRANSFER else None
        result = self.run(
            key,
            plan.owner,
            ago,
            lambda app, ctx: app.plan_treatment(
                risk_id=risk_id,
                strategy=strategy,
                counterparty=counterparty,
                actions=drafts,
                ctx=ctx,
            ),
        )
        return [UUID(a) for a in result.extra["action_ids"]]

    def _decide(self, key: str, decision: _Decision, planned_ago: float, risk_id: UUID) -> None:
        ago = planned_ago - decision.after
        moment = self.now - timedelta(days=ago)
        expires = (moment + timedelta(days=decision.expires_after)).date()
        self.run(
            f"{key}:acceptance",
            decision.approver,
            ago,
            lambda app, ctx: app.decide_risk_acceptance(
                risk_id=risk_id,
                approved=decision.approved,
                expires_on=expires if decision.approved else None,
                reason=decision.reason,
                justification=decision.justification,
                ctx=ctx,
            ),
        )

    def _work(
        self,
        key: str,
        plan: _Risk,
        planned_ago: float,
        risk_id: UUID,
        actions: tuple[_Action, ...],
        action_ids: list[UUID],
    ) -> None:
        last_done = None
        for n, (action, action_id) in enumerate(zip(actions, action_ids, strict=True)):
            if action.started:
                self._start(f"{key}:action{n}:start", action, planned_ago - 1, risk_id, action_id)
        # Completions in the order they happened.
        done = sorted((a.done_after, n) for n, a in enumerate(actions) if a.done_after is not None)
        for done_after, n in done:
            last_done = planned_ago - done_after
            self._complete(
                f"{key}:action{n}:complete", actions[n], last_done, risk_id, action_ids[n]
            )
        if plan.residual is not None and last_done is not None:
            likelihood, impact = plan.residual
            self.run(
                f"{key}:residual",
                plan.owner,
                last_done - 1,
                lambda app, ctx: app.assess_residual_risk(
                    risk_id=risk_id, likelihood=likelihood, impact=impact, ctx=ctx
                ),
            )

    def _start(self, key: str, action: _Action, ago: float, risk_id: UUID, action_id: UUID) -> None:
        self.run(
            key,
            action.owner,
            ago,
            lambda app, ctx: app.start_risk_action(risk_id=risk_id, action_id=action_id, ctx=ctx),
        )

    def _complete(
        self, key: str, action: _Action, ago: float, risk_id: UUID, action_id: UUID
    ) -> None:
        self.run(
            key,
            action.owner,
            ago,
            lambda app, ctx: app.complete_risk_action(
                risk_id=risk_id, action_id=action_id, note="已完成并验收", ctx=ctx
            ),
        )

    def _kri(
        self,
        key: str,
        plan: _Risk,
        planned_ago: float,
        risk_id: UUID,
        kri: _Kri,
        rng: random.Random,
    ) -> None:
        kri_id = self.run(
            f"{key}:define",
            plan.owner,
            planned_ago,
            lambda app, ctx: app.define_kri(
                risk_id=risk_id,
                name=kri.name,
                metric=kri.metric,
                direction=kri.direction,
                amber=Decimal(kri.amber),
                red=Decimal(kri.red),
                unit=kri.unit,
                ctx=ctx,
            ),
        ).extra["kri_id"]
        # Weekly readings over the last (up to) sixteen weeks, the latest half a day ago.
        weeks = min(16, int((planned_ago - 1) // 7))
        for week, position in enumerate(_shape(kri.shape, weeks, rng)):
            self._reading(
                f"{key}:reading{week}",
                plan.owner,
                (weeks - week) * 7 - 6.5,
                risk_id,
                UUID(kri_id),
                _value(kri, position),
            )

    def _reading(
        self, key: str, actor: Actor, ago: float, risk_id: UUID, kri_id: UUID, value: Decimal
    ) -> None:
        self.run(
            key,
            actor,
            ago,
            lambda app, ctx: app.record_kri_reading(
                risk_id=risk_id, kri_id=kri_id, value=value, ctx=ctx
            ),
        )

    def _close_and_reopen(self, key: str, plan: _Risk, risk_id: UUID) -> None:
        assert plan.close_ago is not None
        self.run(
            f"{key}:close",
            plan.owner,
            plan.close_ago,
            lambda app, ctx: app.close_risk(
                risk_id=risk_id, reason="措施已落实，风险消除", ctx=ctx
            ),
        )
        if plan.reopen_ago is None:
            return
        self.run(
            f"{key}:reopen",
            MANAGER,
            plan.reopen_ago,
            lambda app, ctx: app.reopen_risk(
                risk_id=risk_id, reason="双十二秒杀再次出现超卖", ctx=ctx
            ),
        )
        if plan.reassess is not None:
            self._assess(f"{key}:reassess", plan.owner, plan.reopen_ago - 1, risk_id, plan.reassess)


REVIEW_NOTES = (
    "季度风险复核：措施按计划推进，等级不变。",
    "复核：指标在阈值内，继续监控。",
    "复核：关注近期指标波动，要求负责人两周内汇报。",
    "管理层例行复核，无新增风险因素。",
)


def _shape(shape: str, weeks: int, rng: random.Random) -> list[float]:
    """Where each weekly reading sits between the usual value (0) and red (1)."""
    calm = [max(0.0, rng.gauss(0.1, 0.08)) for _ in range(weeks)]
    if weeks < 3:
        return calm
    if shape == RISING:
        return [min(0.9, 0.1 + 0.75 * w / (weeks - 1) + rng.gauss(0, 0.04)) for w in range(weeks)]
    if shape == SPIKE_NOW:
        return [*calm[:-3], 0.7, 1.15, 1.3]
    if shape == SPIKE_PAST:
        middle = weeks // 2
        return [*calm[: middle - 1], 0.75, 1.2, 1.1, 0.6, *calm[middle + 3 :]][:weeks]
    return calm


def _value(kri: _Kri, position: float) -> Decimal:
    usual, red = Decimal(kri.usual), Decimal(kri.red)
    decimals = "." in kri.red or "." in kri.usual or "." in kri.amber
    places = Decimal("0.01") if decimals else Decimal("1")
    return (usual + (red - usual) * Decimal(str(round(position, 4)))).quantize(places)


def load_risks_demo(services: Services, *, now: datetime, seed: int = 7) -> int:
    """Load the demo risk register; returns how many risks it holds (made or found)."""
    loader = _Loader(services.risks, now, seed)
    for index, plan in enumerate(REGISTER):
        loader.risk(index, plan, random.Random(f"{seed}:{index}"))
    return len(REGISTER)
