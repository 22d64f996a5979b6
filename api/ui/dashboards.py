"""What each dashboard, list and the home page show, from the API's answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from api.ui import charts
from api.ui.client import Answer
from api.ui.forms import needs_fields, template_of
from api.ui.i18n import money, number, percent

if TYPE_CHECKING:
    from api.ui.pages import Page


Cell = str | tuple[str, str]
"""A table cell: its text, or (text, link) for a row that opens the list behind it."""


@dataclass
class Chart:
    title: str
    url: str
    columns: list[str]
    rows: list[list[Cell]]


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Cell]]


@dataclass
class Section:
    title: str
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    heat: list[dict[str, Any]] | None = None
    id: str = ""


def positions_text(answer: Answer) -> str:
    if answer.ok and isinstance(answer.body, dict):
        processed = answer.body.get("processed") or {}
        return ",".join(f"{v}" for _, v in sorted(processed.items()))
    return ""


def _f(v: Any) -> float:
    try:
        return float(v or 0)
    except (TypeError, ValueError):
        return 0.0


# --- Filters, from the API's own query parameters -----------------------------------------

API_PATHS = {
    "customers": "/dashboards/customers",
    "complaints": "/dashboards/complaints",
    "budgets": "/dashboards/budgets",
    "workforce": "/dashboards/workforce",
    "risks": "/dashboards/risks",
    "audit": "/audit/events",
}
SKIPPED = {"min_position", "limit", "cursor", "format", "bom", "order", "X-Min-Position"}


@dataclass
class FilterParam:
    name: str
    label: str
    kind: str
    choices: list[str]


def filter_params(
    page: Page, spec: dict[str, Any], name: str, *, listing: bool = False
) -> list[FilterParam]:
    """The query parameters the API route takes, as form fields."""
    path = f"/{name}" if listing else API_PATHS[name]
    operation = spec["paths"].get(path, {}).get("get", {})
    found = []
    for p in operation.get("parameters", []):
        if p.get("in") != "query" or p["name"] in SKIPPED:
            continue
        schema = p.get("schema", {})
        options = [o for o in schema.get("anyOf", [schema]) if o.get("type") != "null"]
        inner = options[0] if options else {}
        if "$ref" in inner:
            inner = spec["components"]["schemas"][inner["$ref"].rsplit("/", 1)[-1]]
        choices = [str(v) for v in inner.get("enum", [])]
        kind = "date" if p["name"] == "as_of" else inner.get("type", "string")
        label = (
            page.t("As of")
            if p["name"] == "as_of"
            else page.t(p["name"].replace("_", " ").capitalize())
        )
        found.append(FilterParam(p["name"], label, kind, choices))
    return found


# --- Home ---------------------------------------------------------------------------------


async def inbox(page: Page) -> tuple[list[dict[str, Any]] | None, dict[str, Any] | None]:
    """The caller's inbox (``GET /inbox``), each item with a link to its aggregate."""
    answer = await page.api.get("/inbox")
    spec = page.request.app.openapi()
    if answer.status == 404:  # no inbox in this build
        return None, None
    if not answer.ok:
        return None, answer.problem
    items = []
    for item in answer.body.get("items", []):
        collection = str(item.get("aggregate_type", "")).lower()
        collection = collection if collection.endswith("s") else collection + "s"
        # Alerts have no page of their own: their item names what they are about.
        known = collection in {"customers", "complaints", "budgets", "employees", "risks"}
        item["href"] = f"/ui/{collection}/{item.get('aggregate_id')}" if known else None
        roles = page.roles
        actions = []
        for action in item.get("actions", []):
            if action.get("method", "POST") != "POST":
                continue
            if action.get("roles") and not roles & set(action["roles"]):
                continue
            template = template_of(spec, str(action.get("path", "")))
            if template is None:
                continue
            # An action whose body needs fields opens its form on the aggregate's page.
            if needs_fields(spec, template):
                if item["href"] is None:
                    continue
                action["form"] = item["href"] + "?" + urlencode({"open": template})
            actions.append(action)
        item["actions"] = actions
        items.append(item)
    return items, None


async def headline(page: Page, name: str, label: str) -> dict[str, Any]:
    t = page.t
    answer = await page.api.get(f"/dashboards/{name}")
    area: dict[str, Any] = {"title": t(label), "href": f"/ui/dashboards/{name}", "tiles": []}
    if not answer.ok:
        area["problem"] = answer.problem
        return area
    d = answer.body
    if name == "customers":
        f = d["funnel"]
        area["tiles"] = [
            (t("registered"), number(f["registered"])),
            (t("Conversion rate"), percent(f["conversion_rate"])),
            (t("Revenue"), money(f["revenue"])),
        ]
    elif name == "complaints":
        area["tiles"] = [
            (t("Backlog"), number(d["open"])),
            (
                t("SLA attainment") + " · " + t("Resolution"),
                percent(d["sla_resolution"]["attainment"]),
            ),
            (
                t("SLA breaches"),
                number(d["sla_resolution"]["breached"] + d["sla_first_response"]["breached"]),
            ),
        ]
    elif name == "budgets":
        total = d.get("company", {}).get("spending") or _spending_total(d)
        area["tiles"] = [
            (t("Fiscal year"), str(d["fiscal_year"])),
            (t("Spending") + " · " + t("Actual"), money(total.get("actual"))),
            (t("Utilisation"), percent(total.get("utilisation"))),
        ]
    elif name == "workforce":
        area["tiles"] = [
            (t("Headcount"), number(d["headcount"]["total"])),
            (t("Turnover"), percent(d["movement"]["turnover"])),
            (t("Hires"), number(d["movement"]["hires"])),
        ]
    elif name == "risks":
        area["tiles"] = [
            (t("Open"), number(d["register"]["open"])),
            (t("Above appetite"), number(d["appetite"]["above_appetite"])),
            (t("Open early warnings"), number(d["early_warnings"]["open"])),
        ]
    return area


def _spending_total(d: dict[str, Any]) -> dict[str, Any]:
    return d.get("by_category", {}).get("spending", {})


# --- The five dashboards --------------------------------------------------------------------


def dashboard_context(page: Page, name: str, answer: Answer) -> dict[str, Any]:
    if not answer.ok:
        return {"body_problem": answer.problem, "sections": [], "tiles": [], "as_of": ""}
    d = answer.body
    builder = {
        "customers": customers,
        "complaints": complaints,
        "budgets": budgets,
        "workforce": workforce,
        "risks": risks,
    }[name]
    tiles, sections = builder(page, d)
    return {"as_of": d.get("as_of", ""), "tiles": tiles, "sections": sections, "body_problem": None}


STAGES = ("registered", "activated", "converted", "loyal")


def customers(page: Page, d: dict[str, Any]) -> tuple[list[Any], list[Section]]:
    t, v = page.t, page.t.value
    f = d["funnel"]
    tiles = [
        (t("registered"), number(f["registered"]), "/ui/lists/customers"),
        (t("Activation rate"), percent(f["activation_rate"]), None),
        (t("Conversion rate"), percent(f["conversion_rate"]), None),
        (t("Repeat-purchase rate"), percent(f["repeat_purchase_rate"]), None),
        (t("Churn rate"), percent(f["churn_rate"]), "/ui/lists/customers?status=churned"),
        (t("Revenue"), money(f["revenue"]), None),
        (t("CSAT"), _pct_value(d["satisfaction"]["csat_percent"]), None),
        (t("NPS"), number(d["satisfaction"]["nps"]), None),
    ]
    stages = [(t(s), float(f[s])) for s in STAGES]
    funnel = Chart(
        t("Customer funnel"),
        charts.funnel(t("Customer funnel"), stages),
        [t("Status"), t("Count")],
        [[t(s), number(f[s])] for s in STAGES],
    )
    channels = sorted(d["by_channel"])
    by_channel = Chart(
        t("Funnel by channel"),
        charts.bars(
            t("Funnel by channel"),
            [v(c) for c in channels],
            [(t(s), [d["by_channel"][c][s] for c in channels]) for s in STAGES],
        ),
        [t("Channel"), *[t(s) for s in STAGES], t("Revenue")],
        [
            [
                _to(v(c), "customers", channel=c),
                *[number(d["by_channel"][c][s]) for s in STAGES],
                money(d["by_channel"][c]["revenue"]),
            ]
            for c in channels
        ],
    )
    months = sorted(d["by_registration_month"])
    by_month = Chart(
        t("Funnel by registration month"),
        charts.line(
            t("Funnel by registration month"),
            months,
            [(t(s), [d["by_registration_month"][m][s] for m in months]) for s in STAGES],
        ),
        [t("Month"), *[t(s) for s in STAGES]],
        [[m, *[number(d["by_registration_month"][m][s]) for s in STAGES]] for m in months],
    )
    channel_links = Table(
        t("Channel"),
        [t("Channel"), t("registered")],
        [[v(c), number(d["by_channel"][c]["registered"])] for c in channels],
    )
    del channel_links
    return tiles, [
        Section(t("Customer funnel"), [funnel, by_channel]),
        Section(t("Funnel by registration month"), [by_month]),
    ]


def _to(label: str, collection: str, **filters: Any) -> tuple[str, str]:
    """A table's row label that opens the list behind it."""
    return (label, f"/ui/lists/{collection}?" + urlencode(filters))


def _pct_value(p: Any) -> str:
    return "—" if p is None else f"{p:.1f}%"


def complaints(page: Page, d: dict[str, Any]) -> tuple[list[Any], list[Section]]:
    t, v = page.t, page.t.value
    fr, rs = d["sla_first_response"], d["sla_resolution"]
    tiles = [
        (t("Complaints"), number(d["complaints"]), "/ui/lists/complaints"),
        (t("Backlog"), number(d["open"]), None),
        (t("SLA attainment") + " · " + t("First response"), percent(fr["attainment"]), None),
        (t("SLA attainment") + " · " + t("Resolution"), percent(rs["attainment"]), None),
        (t("SLA breaches"), number(fr["breached"] + rs["breached"]), None),
        (t("Reopen rate"), percent(d.get("reopen_rate")), None),
        (t("Escalation rate"), percent(d.get("escalation_rate")), None),
        (t("Per 1,000 active customers"), number(d.get("per_1000_active_customers")), None),
    ]
    statuses = list(d["backlog"]["by_status"].items())
    ages = list(d["backlog"]["by_age"].items())
    by_status = Chart(
        t("Backlog by status"),
        charts.bars(
            t("Backlog by status"),
            [v(s) for s, _ in statuses],
            [(t("Count"), [n for _, n in statuses])],
        ),
        [t("Status"), t("Count")],
        [[_to(v(s), "complaints", status=s), number(n)] for s, n in statuses],
    )
    by_age = Chart(
        t("Backlog by age"),
        charts.bars(
            t("Backlog by age"), [v(a) for a, _ in ages], [(t("Count"), [n for _, n in ages])]
        ),
        [t("Backlog by age"), t("Count")],
        [[v(a), number(n)] for a, n in ages],
    )
    groups = sorted(d["by_channel"])
    sla = Chart(
        t("SLA attainment"),
        charts.bars(
            t("SLA attainment"),
            [v(g) for g in groups],
            [
                (
                    t("First response"),
                    [
                        _f(d["by_channel"][g]["sla_first_response"]["attainment"]) * 100
                        for g in groups
                    ],
                ),
                (
                    t("Resolution"),
                    [_f(d["by_channel"][g]["sla_resolution"]["attainment"]) * 100 for g in groups],
                ),
            ],
            percent=True,
        ),
        [t("Channel"), t("First response"), t("Resolution"), t("SLA breaches")],
        [
            [
                v(g),
                percent(d["by_channel"][g]["sla_first_response"]["attainment"]),
                percent(d["by_channel"][g]["sla_resolution"]["attainment"]),
                number(
                    d["by_channel"][g]["sla_first_response"]["breached"]
                    + d["by_channel"][g]["sla_resolution"]["breached"]
                ),
            ]
            for g in groups
        ],
    )
    cats = sorted(d["by_category"])
    times = Chart(
        t("Response and resolution times (hours)"),
        charts.bars(
            t("Response and resolution times (hours)"),
            [v(c) for c in cats],
            [
                (
                    t("First response") + " " + t("median"),
                    [_f(d["by_category"][c]["first_response"]["median_hours"]) for c in cats],
                ),
                (
                    t("Resolution") + " " + t("median"),
                    [_f(d["by_category"][c]["resolution"]["median_hours"]) for c in cats],
                ),
                (
                    t("Resolution") + " " + t("p90"),
                    [_f(d["by_category"][c]["resolution"]["p90_hours"]) for c in cats],
                ),
            ],
        ),
        [
            t("Category"),
            t("First response") + " " + t("median"),
            t("First response") + " " + t("p90"),
            t("Resolution") + " " + t("median"),
            t("Resolution") + " " + t("p90"),
        ],
        [
            [
                v(c),
                number(d["by_category"][c]["first_response"]["median_hours"]),
                number(d["by_category"][c]["first_response"]["p90_hours"]),
                number(d["by_category"][c]["resolution"]["median_hours"]),
                number(d["by_category"][c]["resolution"]["p90_hours"]),
            ]
            for c in cats
        ],
    )
    pareto_rows = d.get("root_cause_pareto", [])
    pareto = Chart(
        t("Root-cause Pareto"),
        charts.pareto(
            t("Root-cause Pareto"),
            [v(r["root_cause"]) for r in pareto_rows],
            [r["count"] for r in pareto_rows],
            t("Count"),
        ),
        [t("Root cause"), t("Count"), t("Cumulative share")],
        [
            [v(r["root_cause"]), number(r["count"]), percent(r["cumulative_share"])]
            for r in pareto_rows
        ],
    )
    return tiles, [
        Section(t("Backlog"), [by_status, by_age]),
        Section(t("SLA attainment"), [sla, times]),
        Section(t("Root-cause Pareto"), [pareto]),
    ]


def budgets(page: Page, d: dict[str, Any]) -> tuple[list[Any], list[Section]]:
    t, v = page.t, page.t.value
    spending = _spending_total(d)
    tiles = [
        (
            t("Fiscal year"),
            str(d["fiscal_year"]),
            f"/ui/lists/budgets?fiscal_year={d['fiscal_year']}",
        ),
        (t("Spending") + " · " + t("Budget"), money(spending.get("budget")), None),
        (t("Spending") + " · " + t("Actual"), money(spending.get("actual")), None),
        (t("Utilisation"), percent(spending.get("utilisation")), None),
        (t("Burn index"), number(spending.get("burn_index")), None),
        (t("Elapsed share of the year"), percent(d.get("elapsed_share")), None),
        (t("Open warnings"), number(d["warnings"]["open"]), None),
    ]
    depts = sorted(d["by_department"])
    dept_spend = [(dp, d["by_department"][dp].get("spending", {})) for dp in depts]
    by_dept = Chart(
        t("Budget vs actual by department"),
        charts.bars(
            t("Budget vs actual by department") + " (" + t("Spending") + ")",
            [v(dp) for dp, _ in dept_spend],
            [
                (t("Budget"), [_f(s.get("budget")) for _, s in dept_spend]),
                (t("Actual"), [_f(s.get("actual")) for _, s in dept_spend]),
            ],
            money=True,
        ),
        [
            t("Department"),
            t("Budget"),
            t("Actual"),
            t("Variance"),
            t("Variance %"),
            t("Utilisation"),
        ],
        [
            [
                _to(v(dp), "budgets", department=dp, fiscal_year=d["fiscal_year"]),
                money(s.get("budget")),
                money(s.get("actual")),
                money(s.get("variance")),
                number(s.get("variance_percent")),
                percent(s.get("utilisation")),
            ]
            for dp, s in dept_spend
        ],
    )
    cats = list(d["by_category"].items())
    by_cat = Chart(
        t("Budget vs actual by category"),
        charts.bars(
            t("Budget vs actual by category"),
            [v(c) for c, _ in cats],
            [
                (t("Budget"), [_f(s.get("budget")) for _, s in cats]),
                (t("Actual"), [_f(s.get("actual")) for _, s in cats]),
                (t("Forecast"), [_f(s.get("forecast")) for _, s in cats]),
            ],
            money=True,
        ),
        [
            t("Category"),
            t("Budget"),
            t("Actual"),
            t("Variance"),
            t("Utilisation"),
            t("Burn index"),
            t("Forecast"),
            t("Open warnings"),
        ],
        [
            [
                v(c),
                money(s.get("budget")),
                money(s.get("actual")),
                money(s.get("variance")),
                percent(s.get("utilisation")),
                number(s.get("burn_index")),
                money(s.get("forecast")),
                number(s.get("open_warnings")),
            ]
            for c, s in cats
        ],
    )
    util = Chart(
        t("Utilisation"),
        charts.bars(
            t("Utilisation") + " · " + t("Elapsed share of the year"),
            [v(dp) for dp, _ in dept_spend],
            [
                (t("Utilisation"), [_f(s.get("utilisation")) * 100 for _, s in dept_spend]),
                (
                    t("Elapsed share of the year"),
                    [_f(d.get("elapsed_share")) * 100 for _ in dept_spend],
                ),
            ],
            percent=True,
        ),
        [t("Department"), t("Utilisation")],
        [[v(dp), percent(s.get("utilisation"))] for dp, s in dept_spend],
    )
    adjustments = Table(
        t("Adjustments"),
        [t("Status"), t("Count"), t("Total")],
        [[t(k), number(x["count"]), money(x["amount"])] for k, x in d["adjustments"].items()],
    )
    warnings = Table(
        t("Open warnings"),
        [t("Department"), "line", t("Category"), t("Kind"), t("Total")],
        [
            [v(w["department"]), w["line"], v(w["category"]), v(w["kind"]), money(w["amount"])]
            for w in d["warnings"]["open_items"]
        ],
    )
    stages = Table(
        t("Budget"),
        [t("Status"), t("Count"), t("Revenue"), t("Spending")],
        [
            [v(s), number(x["budgets"]), money(x["revenue"]), money(x["spending"])]
            for s, x in d["by_stage"].items()
        ],
    )
    return tiles, [
        Section(t("Budget vs actual by department"), [by_dept, util]),
        Section(t("Budget vs actual by category"), [by_cat], [adjustments, stages, warnings]),
    ]


def workforce(page: Page, d: dict[str, Any]) -> tuple[list[Any], list[Section]]:
    t, v = page.t, page.t.value
    h, m = d["headcount"], d["movement"]
    tiles = [
        (t("Headcount"), number(h["total"]), "/ui/lists/employees"),
        (t("Average headcount"), number(m["average_headcount"]), None),
        (t("Hires"), number(m["hires"]), None),
        (t("Separations"), number(m["separations"]), None),
        (t("Turnover"), percent(m["turnover"]), None),
    ]
    depts = sorted(h["by_department"])
    kinds = ("probation", "active", "on_leave")
    head = Chart(
        t("Headcount by department"),
        charts.bars(
            t("Headcount by department"),
            [v(dp) for dp in depts],
            [(t(k), [h["by_department"][dp][k] for dp in depts]) for k in kinds],
            stacked=True,
        ),
        [t("Department"), *[t(k) for k in kinds], t("Total")],
        [
            [
                _to(v(dp), "employees", department=dp),
                *[number(h["by_department"][dp][k]) for k in kinds],
                number(h["by_department"][dp]["total"]),
            ]
            for dp in depts
        ],
    )
    mdepts = sorted(m["by_department"])
    turnover = Chart(
        t("Turnover"),
        charts.bars(
            t("Turnover"),
            [v(dp) for dp in mdepts],
            [(t("Turnover"), [_f(m["by_department"][dp]["turnover"]) * 100 for dp in mdepts])],
            percent=True,
        ),
        [t("Department"), t("Hires"), t("Separations"), t("Average headcount"), t("Turnover")],
        [
            [
                v(dp),
                number(x["hires"]),
                number(x["separations"]),
                number(x["average_headcount"]),
                percent(x["turnover"]),
            ]
            for dp, x in sorted(m["by_department"].items())
        ],
    )
    cycles = sorted(d["appraisals"]["by_cycle"])
    ratings = [str(r) for r in range(1, 6)]
    rating = Chart(
        t("Rating distribution"),
        charts.bars(
            t("Rating distribution"),
            ratings,
            [
                (
                    f"{t('Appraisal cycle')} {c}",
                    [
                        d["appraisals"]["by_cycle"][c]["rating_distribution"].get(r, 0)
                        for r in ratings
                    ],
                )
                for c in cycles
            ],
        ),
        [t("Appraisal cycle"), *ratings],
        [
            [
                c,
                *[
                    number(d["appraisals"]["by_cycle"][c]["rating_distribution"].get(r, 0))
                    for r in ratings
                ],
            ]
            for c in cycles
        ],
    )
    return tiles, [
        Section(t("Headcount"), [head, turnover]),
        Section(t("Rating distribution"), [rating]),
    ]


LEVEL_OF_SCORE = [(4, "low"), (9, "medium"), (16, "high"), (25, "critical")]


def _level(score: int) -> str:
    return next(level for limit, level in LEVEL_OF_SCORE if score <= limit)


def risks(page: Page, d: dict[str, Any]) -> tuple[list[Any], list[Section]]:
    t, v = page.t, page.t.value
    reg = d["register"]
    tiles = [
        (t("Risks"), number(reg["risks"]), "/ui/lists/risks"),
        (t("Open"), number(reg["open"]), "/ui/lists/risks"),
        (t("Above appetite"), number(d["appetite"]["above_appetite"]), None),
        (t("Overdue actions"), number(d["overdue_actions"]["count"]), None),
        (t("Review backlog"), number(d["review_backlog"]["count"]), None),
        (t("Open early warnings"), number(d["early_warnings"]["open"]), None),
    ]
    sections = []
    for key, title in (
        ("inherent", t("Heat map: inherent")),
        ("residual", t("Heat map: residual")),
    ):
        counts = d["heat_maps"][key]["counts"]
        rows = []
        for li in range(5, 0, -1):
            cells = []
            for im in range(1, 6):
                n = counts[li - 1][im - 1] if len(counts) >= li and len(counts[li - 1]) >= im else 0
                href = "/ui/lists/risks?" + urlencode(
                    {"map": key, "likelihood": li, "impact": im, "status_open": "1"}
                )
                cells.append({"impact": im, "count": n, "level": _level(li * im), "href": href})
            rows.append({"likelihood": li, "cells": cells})
        sections.append(Section(title, heat=rows, id=f"heat-{key}"))
    levels = list(reg["by_level"].items())
    by_level = Chart(
        t("Register by level"),
        charts.bars(
            t("Register by level"),
            [v(lv) for lv, _ in levels],
            [
                (t("Open"), [x["open"] for _, x in levels]),
                (t("closed"), [x["closed"] for _, x in levels]),
            ],
            stacked=True,
        ),
        [t("Level"), t("Open"), t("closed"), t("Total")],
        [
            [
                _to(v(lv), "risks", level=lv),
                number(x["open"]),
                number(x["closed"]),
                number(x["total"]),
            ]
            for lv, x in levels
        ],
    )
    kri = d["kri_status"]["by_status"]
    kri_chart = Chart(
        t("KRI status"),
        charts.pie(t("KRI status"), [(t(s), kri[s]) for s in ("green", "amber", "red")]),
        [t("Status"), t("Count")],
        [[t(s), number(kri[s])] for s in ("green", "amber", "red")],
    )
    warnings = Table(
        t("Open early warnings"),
        [t("Risks"), "KRI", t("Value"), "threshold", t("When")],
        [
            [w["risk_title"], w["kri_name"], w["value"], w["threshold"], w["raised_at"]]
            for w in d["early_warnings"]["items"]
        ],
    )
    overdue = Table(
        t("Overdue actions"),
        [t("Risks"), t("Title"), t("Owner"), "due", "days overdue"],
        [
            [a["risk_title"], a["title"], a["owner"], a["due"], number(a["days_overdue"])]
            for a in d["overdue_actions"]["items"]
        ],
    )
    sections.append(Section(t("Register by level"), [by_level, kri_chart], [warnings, overdue]))
    return tiles, sections


# --- Lists ----------------------------------------------------------------------------------

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "customers": [
        ("name", "Name"),
        ("status", "Status"),
        ("channel", "Channel"),
        ("tier", "tier"),
        ("purchases", "purchases"),
        ("revenue", "Revenue"),
        ("registered_at", "Registered"),
    ],
    "complaints": [
        ("category", "Category"),
        ("status", "Status"),
        ("channel", "Channel"),
        ("severity", "Severity"),
        ("assignee", "assignee"),
        ("received_at", "Received"),
        ("resolution_breached", "SLA breaches"),
    ],
    "budgets": [
        ("department", "Department"),
        ("fiscal_year", "Fiscal year"),
        ("status", "Status"),
        ("control", "Control"),
        ("spending_budget", "Budget"),
        ("spending_actual", "Actual"),
        ("pending_adjustments", "Adjustments"),
    ],
    "employees": [
        ("name", "Name"),
        ("department", "Department"),
        ("position", "Position"),
        ("status", "Status"),
        ("hire_date", "Hired"),
    ],
    "risks": [
        ("title", "Title"),
        ("status", "Status"),
        ("level", "Level"),
        ("category", "Category"),
        ("owner", "Owner"),
        ("open_actions", "open actions"),
        ("open_early_warnings", "Open early warnings"),
    ],
}
UI_ONLY = {"map", "likelihood", "impact", "status_open"}


def _cell(page: Page, key: str, value: Any) -> str:
    if key.endswith(("revenue", "_budget", "_actual")):
        return money(value)
    if key.endswith("_at") and value:
        return str(value)
    if key in ("status", "channel", "category", "level", "department", "tier"):
        return page.t.value(value) if value is not None else "—"
    return number(value) if not isinstance(value, str) else value


async def list_context(page: Page, collection: str, params: dict[str, str]) -> dict[str, Any]:
    t = page.t
    api_params = {k: v for k, v in params.items() if k not in UI_ONLY}
    cell = None
    if collection == "risks" and {"map", "likelihood", "impact"} <= params.keys():
        cell = (params["map"], params["likelihood"], params["impact"])
    items: list[dict[str, Any]] = []
    next_cursor = None
    if cell is None:
        answer = await page.api.get(f"/{collection}", limit=50, **api_params)
        if not answer.ok:
            return {"problem": answer.problem, "columns": [], "rows": []}
        items, next_cursor = answer.body["items"], answer.body.get("next_cursor")
    else:
        # The heat map's cell: the risk register's open risks with that score, from every page.
        cursor = None
        while True:
            answer = await page.api.get("/risks", limit=500, cursor=cursor, **api_params)
            if not answer.ok:
                return {"problem": answer.problem, "columns": [], "rows": []}
            for item in answer.body["items"]:
                scores = (
                    item["inherent"]
                    if cell[0] == "inherent"
                    else (item["residual"] or item["inherent"])
                )
                if item["status"] == "closed" or not scores:
                    continue
                if str(scores["likelihood"]) == cell[1] and str(scores["impact"]) == cell[2]:
                    items.append(item)
            cursor = answer.body.get("next_cursor")
            if not cursor:
                break
    columns = COLUMNS[collection]
    rows = [
        {
            "href": f"/ui/{collection}/{item['id']}",
            "cells": [_cell(page, key, item.get(key)) or item["id"][:8] for key, _ in columns],
        }
        for item in items
    ]
    next_href = None
    if next_cursor:
        next_href = f"/ui/lists/{collection}?" + urlencode({**params, "cursor": next_cursor})
    note = None
    if cell:
        heat = t("Heat map: inherent") if cell[0] == "inherent" else t("Heat map: residual")
        where = f"{t('Likelihood')} {cell[1]}, {t('Impact')} {cell[2]}"
        note = f"{t('Risks in this cell')}: {heat} · {where}"
    return {
        "columns": [t(label) for _, label in columns],
        "rows": rows,
        "next_href": next_href,
        "note": note,
        "extra": {k: params[k] for k in UI_ONLY if k in params},
    }
