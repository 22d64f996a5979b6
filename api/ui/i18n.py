"""Labels in English and 简体中文, money in CNY, and the language a request asks for.

The English text is the key: a label missing from ``ZH`` shows in English.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

LANGS = ("zh-CN", "en")

ZH: dict[str, str] = {
    # Navigation and frame
    "Home": "首页",
    "Dashboards": "仪表盘",
    "Lists": "列表",
    "Customers": "客户",
    "Complaints": "投诉",
    "Budgets": "预算",
    "Workforce": "人力",
    "Employees": "员工",
    "Risks": "风险",
    "Audit": "审计",
    "Audit explorer": "审计浏览",
    "Sign in": "登录",
    "Sign out": "退出登录",
    "Signed in as": "当前用户",
    "Roles": "角色",
    "Token": "令牌",
    "Paste the token that make run printed, or one from opsledger token create.": (
        "粘贴 make run 打印的令牌，或 opsledger token create 生成的令牌。"
    ),
    "The token is not valid.": "令牌无效。",
    "The form has expired. Please try again.": "表单已过期，请重试。",
    "opsledger console": "opsledger 运营控制台",
    "API documentation": "API 文档",
    "Language": "语言",
    # Home
    "Your inbox": "待办",
    "Nothing awaits you.": "暂无待办事项。",
    "Headline figures": "关键指标",
    "Open": "打开",
    "Since": "自",
    "Kind": "类型",
    "approval": "审批",
    "decision": "决定",
    "overdue": "逾期",
    "alert": "警报",
    # Generic
    "Filter": "筛选",
    "Apply": "应用",
    "Reset": "重置",
    "Next page": "下一页",
    "No rows.": "无数据。",
    "Numbers behind the chart": "图表数据",
    "As of": "截至",
    "Show as of a past date": "查看历史日期",
    "Now": "当前",
    "Live: refreshes when new events arrive": "实时：有新事件时自动刷新",
    "Updated": "已更新",
    "Count": "数量",
    "Total": "合计",
    "Status": "状态",
    "Value": "值",
    "Field": "字段",
    "Name": "名称",
    "Title": "标题",
    "Owner": "负责人",
    "Department": "部门",
    "Category": "类别",
    "Channel": "渠道",
    "Month": "月份",
    "Level": "等级",
    "Severity": "严重程度",
    "Registered": "注册时间",
    "Received": "受理时间",
    "Fiscal year": "财年",
    "Control": "控制方式",
    "Position": "职位",
    "Hired": "入职",
    "Open this": "查看",
    "Details": "详情",
    "You may not read this.": "您的角色无权查看此内容。",
    "Not found.": "未找到。",
    # Aggregate page
    "Current state": "当前状态",
    "State at version": "版本状态",
    "Version": "版本",
    "Show": "显示",
    "History": "历史记录",
    "Type": "类型",
    "Who": "操作人",
    "When": "时间",
    "Request id": "请求编号",
    "Command": "命令",
    "Commands you may run": "您可执行的命令",
    "No command is open to your roles here.": "您的角色在此无可执行命令。",
    "Run": "执行",
    "Done: version": "已完成：版本",
    "Refused": "已拒绝",
    "Rule": "规则",
    "JSON": "JSON",
    "optional": "可选",
    # Dashboards: customers
    "Customer funnel": "客户漏斗",
    "Funnel by channel": "各渠道漏斗",
    "Funnel by registration month": "按注册月份的漏斗",
    "registered": "注册",
    "activated": "激活",
    "converted": "转化",
    "loyal": "忠诚",
    "churned": "流失",
    "at_risk": "风险客户",
    "Activation rate": "激活率",
    "Conversion rate": "转化率",
    "Repeat-purchase rate": "复购率",
    "Churn rate": "流失率",
    "Revenue": "收入",
    "Satisfaction": "满意度",
    "CSAT": "客户满意度 (CSAT)",
    "NPS": "净推荐值 (NPS)",
    "answers": "份答复",
    # complaints
    "Backlog by status": "按状态的积压",
    "Backlog by age": "按时长的积压",
    "SLA attainment": "SLA 达成率",
    "SLA breaches": "SLA 违约",
    "First response": "首次响应",
    "Resolution": "解决",
    "Response and resolution times (hours)": "响应与解决时长（小时）",
    "median": "中位数",
    "p90": "P90",
    "Root-cause Pareto": "根因帕累托",
    "Root cause": "根因",
    "Cumulative share": "累计占比",
    "Backlog": "积压",
    "Reopen rate": "重开率",
    "Escalation rate": "升级率",
    "Per 1,000 active customers": "每千名活跃客户",
    # budgets
    "Budget vs actual by department": "各部门预算与实际",
    "Budget vs actual by category": "各类别预算与实际",
    "Budget": "预算",
    "Actual": "实际",
    "Variance": "差异",
    "Variance %": "差异 %",
    "Utilisation": "使用率",
    "Burn index": "消耗指数",
    "Forecast": "年末预测",
    "Elapsed share of the year": "本年已过比例",
    "Open warnings": "未解除预警",
    "Spending": "支出",
    "revenue": "收入",
    "cost": "成本",
    "expense": "费用",
    "spending": "支出",
    "Q": "搜索",
    "Campaign": "活动",
    "Segment": "分群",
    "Tier": "等级",
    "Received from": "受理起始",
    "Received until": "受理截止",
    "Registered from": "注册起始",
    "Registered until": "注册截止",
    "Cycle": "考核周期",
    "From": "起始",
    "Until": "截止",
    "Company-wide": "全公司",
    "Adjustments": "调整",
    "pending": "待批",
    "approved": "已批准",
    "rejected": "已拒绝",
    # workforce
    "Headcount by department": "各部门人数",
    "Headcount": "人数",
    "Hires": "入职",
    "Separations": "离职",
    "Turnover": "流失率",
    "Average headcount": "平均人数",
    "Rating distribution": "绩效评级分布",
    "Rating": "评级",
    "Appraisal cycle": "考核周期",
    "probation": "试用期",
    "active": "在职",
    "on_leave": "休假",
    # risks
    "Heat map: inherent": "热力图：固有风险",
    "Heat map: residual": "热力图：剩余风险",
    "Likelihood": "可能性",
    "Impact": "影响",
    "Register by level": "按等级的风险登记",
    "KRI status": "关键风险指标状态",
    "Open early warnings": "未解除的预警",
    "Overdue actions": "逾期措施",
    "Review backlog": "复核积压",
    "Above appetite": "超出风险偏好",
    "Risks in this cell": "此格中的风险",
    "low": "低",
    "medium": "中",
    "high": "高",
    "critical": "重大",
    "unassessed": "未评估",
    "green": "绿",
    "amber": "黄",
    "red": "红",
    "inherent": "固有",
    "residual": "剩余",
    # audit
    "Audit trail": "审计轨迹",
    "Tamper check": "防篡改校验",
    "Run the tamper check": "执行防篡改校验",
    "intact": "完好",
    "altered": "已被篡改",
    "Log": "日志",
    "Verified events": "已校验事件",
    "Problems": "问题",
    "Actor": "操作人",
    "Aggregate": "聚合",
    "Newest first": "最新优先",
    # statuses
    "open": "处理中",
    "closed": "已关闭",
    "received": "已受理",
    "acknowledged": "已确认",
    "assessed": "已评估",
    "resolution_proposed": "已提出方案",
    "resolution_approved": "方案已批准",
    "responded": "已答复",
    "escalated": "已升级",
    "pending_customer": "等待客户",
    "withdrawn": "已撤回",
    "draft": "草稿",
    "submitted": "已提交",
    "finance_reviewed": "财务已审",
    "management_approved": "管理层已批",
    "board_approved": "董事会已批",
    "identified": "已识别",
    "treated": "已处置",
    "accepted": "已接受",
    "hired": "试用期",
    "separated": "已离职",
    # roles
    "board": "董事会",
    "management": "管理层",
    "operations": "运营",
    "marketing": "市场",
    "sales": "销售",
    "customer_service": "客服",
    "finance": "财务",
    "hr": "人力资源",
    "technology": "技术",
    "auditor": "审计",
    "administration": "行政",
}


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The switch's choice, else the first of Accept-Language we speak, else English."""
    if cookie in LANGS:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return "en"


class Labels:
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, text: str) -> str:
        if self.lang == "zh-CN":
            return ZH.get(text, text)
        return text

    def value(self, raw: Any) -> str:
        """An enum value or key (``customer_service``) as a label."""
        text = str(raw)
        if self.lang == "zh-CN" and text in ZH:
            return ZH[text]
        return text.replace("_", " ")


def money(raw: Any) -> str:
    """``"1234567.5"`` → ``¥1,234,567.50``; anything else as it is."""
    if raw is None:
        return "—"
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return str(raw)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def percent(rate: Any, places: int = 1) -> str:
    """A rate (0..1) as a percentage."""
    if rate is None:
        return "—"
    try:
        return f"{float(rate) * 100:.{places}f}%"
    except (TypeError, ValueError):
        return str(rate)


def number(raw: Any) -> str:
    if raw is None:
        return "—"
    if isinstance(raw, bool):
        return "✓" if raw else "—"
    if isinstance(raw, int):
        return f"{raw:,}"
    if isinstance(raw, float):
        return f"{raw:,.1f}"
    return str(raw)
