"""The console's pages: sign-in, home, the five dashboards, lists, aggregates, audit.

Every figure comes from the API's own answer to the same question (``ApiClient``),
asked with the signed-in person's session token: a page never holds what the
person's roles may not read, and a refused read or command is shown in words,
with the rule's name.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.tokens import Principal
from api.ui import dashboards, session
from api.ui.client import Answer, ApiClient
from api.ui.forms import FormValueError, body_of, command_forms, find_form
from api.ui.i18n import LANGS, Labels, money, pick_language

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
DASHBOARDS = [
    ("customers", "Customers"),
    ("complaints", "Complaints"),
    ("budgets", "Budgets"),
    ("workforce", "Workforce"),
    ("risks", "Risks"),
]
LISTS = [
    ("customers", "Customers"),
    ("complaints", "Complaints"),
    ("budgets", "Budgets"),
    ("employees", "Employees"),
    ("risks", "Risks"),
]
COLLECTIONS = {name for name, _ in LISTS}
LANG_LABELS = [("zh-CN", "简体中文"), ("en", "English")]
MONEY_FIELDS = re.compile(
    r"(revenue|amount|budget|actual|compensation|spending|salary|planned|available|forecast)"
)
UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

R = TypeVar("R", bound=Response)
router = APIRouter(prefix="/ui", include_in_schema=False)
templates = Environment(
    loader=PackageLoader("api.ui", "templates"), autoescape=select_autoescape(["html"])
)


def fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "✓" if v else "✗"
    return str(v)


@dataclass
class Page:
    request: Request
    lang: str
    t: Labels
    principal: Principal | None
    api: ApiClient

    @classmethod
    def of(cls, request: Request) -> Page:
        lang = pick_language(
            request.cookies.get(session.LANG_COOKIE), request.headers.get("accept-language")
        )
        request_id = request.scope.get("state", {}).get("request_id")
        return cls(
            request,
            lang,
            Labels(lang),
            session.session_principal(request),
            ApiClient(request.app, session.session_token(request), request_id),
        )

    @property
    def roles(self) -> set[str]:
        return {r.value for r in self.principal.roles} if self.principal else set()

    def render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        here = self.request.url.path + (
            "?" + self.request.url.query if self.request.url.query else ""
        )
        csrf = context.pop("csrf", None) or session.csrf_for(self.request)
        html = templates.get_template(name).render(
            lang=self.lang,
            t=self.t,
            value=self.t.value,
            fmt=fmt,
            money=money,
            principal=self.principal,
            csrf=csrf,
            dashboards=DASHBOARDS,
            lists=LISTS,
            langs=LANG_LABELS,
            here=here,
            here_path=self.request.url.path,
            new_key=lambda: uuid.uuid4().hex,
            is_money=lambda key: bool(MONEY_FIELDS.search(str(key))),
            **context,
        )
        return secured(HTMLResponse(html, status_code=status))


def secured(response: R) -> R:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def to_sign_in(request: Request) -> Response:
    here = request.url.path + ("?" + request.url.query if request.url.query else "")
    return RedirectResponse("/ui/sign-in?" + urlencode({"next": here}), status_code=303)


def safe_next(target: str | None) -> str:
    """Only the console's own pages (no other host, no scheme-relative URL)."""
    if target and not target.startswith("//") and target.startswith(("/ui", "/docs", "/redoc")):
        return target
    return "/ui/"


async def form_of(request: Request) -> dict[str, str]:
    return dict(
        parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    )


# --- Sign in and out, language --------------------------------------------------------


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/ui/") -> Response:
    page = Page.of(request)
    value = session.presession_value(request)
    response = page.render(
        "sign_in.html", title=page.t("Sign in"), next=safe_next(next), csrf=value
    )
    session.set_presession(request, response, value)
    return response


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    page = Page.of(request)
    sent = await form_of(request)
    if not session.csrf_ok(request, sent.get("csrf")):
        error = page.t("The form has expired. Please try again.")
    else:
        signed_in = RedirectResponse(safe_next(sent.get("next")), status_code=303)
        if session.sign_in(request, signed_in, sent.get("token", "")) is not None:
            return secured(signed_in)
        error = page.t("The token is not valid.")
    value = session.presession_value(request)
    response = page.render(
        "sign_in.html",
        status=401,
        title=page.t("Sign in"),
        next=safe_next(sent.get("next")),
        error=error,
        csrf=value,
    )
    session.set_presession(request, response, value)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    sent = await form_of(request)
    if not session.csrf_ok(request, sent.get("csrf")):
        return to_sign_in(request)
    response = RedirectResponse("/ui/sign-in", status_code=303)
    session.sign_out(request, response)
    return secured(response)


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, next: str = "/ui/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGS:
        session.set_cookie(request, response, session.LANG_COOKIE, lang, 365 * 24 * 3600)
    return response


# --- Home -------------------------------------------------------------------------------


@router.get("/")
async def home(request: Request) -> Response:
    page = Page.of(request)
    if page.principal is None:
        return to_sign_in(request)
    inbox, inbox_problem = await dashboards.inbox(page)
    areas = [await dashboards.headline(page, name, label) for name, label in DASHBOARDS]
    return page.render(
        "home.html",
        title=page.t("Home"),
        active="home",
        inbox=inbox,
        inbox_problem=inbox_problem,
        areas=areas,
        flash=request.query_params.get("done"),
    )


# --- Dashboards -------------------------------------------------------------------------


@router.get("/dashboards/{name}")
async def dashboard(request: Request, name: str) -> Response:
    page = Page.of(request)
    if page.principal is None:
        return to_sign_in(request)
    if name not in dict(DASHBOARDS):
        return page.render("base.html", status=404, title=page.t("Not found."))
    params = {k: v for k, v in request.query_params.items() if k != "fragment" and v}
    # The log heads before the figures: any event after them makes the page refresh.
    logs = await live_logs(page)
    answer = await page.api.get(f"/dashboards/{name}", **params)
    # Drawing the charts takes a while: not on the event loop.
    context = await run_in_threadpool(dashboards.dashboard_context, page, name, answer)
    context["filter_params"] = dashboards.filter_params(page, request.app.openapi(), name)
    context["current"] = params
    context["live_url"] = request.url.path + "?" + urlencode({**params, "fragment": "1"})
    context["positions"] = dashboards.positions_text(answer)
    context["logs"] = json.dumps(logs["logs"], separators=(",", ":"), ensure_ascii=False)
    if request.query_params.get("fragment"):
        html = templates.get_template("dashboard_body.html").render(
            t=page.t, value=page.t.value, fmt=fmt, **context
        )
        response = HTMLResponse(html)
        response.headers["X-Positions"] = context["positions"]
        return secured(response)
    return page.render(
        "dashboard.html",
        title=page.t(dict(DASHBOARDS)[name]),
        active=f"dashboard-{name}",
        **context,
    )


@router.get("/live")
async def live(request: Request) -> Response:
    """How far each log has got: the page fetches its figures again when this moves."""
    page = Page.of(request)
    if page.principal is None:
        return secured(JSONResponse({"signed_in": False}, status_code=401))
    return secured(JSONResponse({"signed_in": True, **await live_logs(page)}))


async def live_logs(page: Page) -> dict[str, Any]:
    """Each log's head, and whether every projection has caught up with them."""
    health = await page.api.get("/health")
    body = health.body if isinstance(health.body, dict) else {}
    lag = body.get("projections", {})
    caught_up = all(p.get("events", 0) == 0 for p in lag.values())
    return {"logs": body.get("logs", {}), "caught_up": caught_up}


# --- Lists ------------------------------------------------------------------------------


@router.get("/lists/{collection}")
async def listing(request: Request, collection: str) -> Response:
    page = Page.of(request)
    if page.principal is None:
        return to_sign_in(request)
    if collection not in COLLECTIONS:
        return page.render("base.html", status=404, title=page.t("Not found."))
    params = {k: v for k, v in request.query_params.items() if v}
    context = await dashboards.list_context(page, collection, params)
    context["filter_params"] = dashboards.filter_params(
        page, request.app.openapi(), collection, listing=True
    )
    context["current"] = params
    return page.render(
        "list.html",
        title=page.t(dict(LISTS)[collection]),
        active=f"list-{collection}",
        **context,
    )


# --- Audit ------------------------------------------------------------------------------


@router.get("/audit")
async def audit(request: Request) -> Response:
    page = Page.of(request)
    if page.principal is None:
        return to_sign_in(request)
    params = {k: v for k, v in request.query_params.items() if v and k != "verify"}
    params.setdefault("order", "desc")
    events = await page.api.get("/audit/events", **{"limit": 50, **params})
    verify: Answer | None = None
    if request.query_params.get("verify"):
        verify = await page.api.get("/audit/verify")
    rows = []
    if events.ok:
        for e in events.body["events"]:
            collection = e["log"] if e["log"] in COLLECTIONS else None
            e["href"] = f"/ui/{collection}/{e['aggregate_id']}" if collection else "#"
            rows.append(e)
    next_href = None
    if events.ok and events.body.get("next_cursor"):
        next_href = "/ui/audit?" + urlencode({**params, "cursor": events.body["next_cursor"]})
    return page.render(
        "audit.html",
        title=page.t("Audit explorer"),
        active="audit",
        events=rows,
        events_problem=events.problem,
        verify=verify.body if verify is not None and verify.ok else None,
        verify_problem=verify.problem if verify is not None else None,
        verify_href="/ui/audit?" + urlencode({**params, "verify": "1"}),
        next_href=next_href,
        filter_params=dashboards.filter_params(page, request.app.openapi(), "audit"),
        current=params,
    )


# --- One aggregate ----------------------------------------------------------------------


def id_name_of(spec: dict[str, Any], collection: str) -> str | None:
    for template in spec["paths"]:
        match = re.fullmatch(rf"/{collection}/{{(\w+)}}", template)
        if match:
            return match[1]
    return None


@router.get("/{collection}/{aggregate_id}")
async def aggregate(request: Request, collection: str, aggregate_id: str) -> Response:
    return await aggregate_page(request, collection, aggregate_id)


async def aggregate_page(
    request: Request,
    collection: str,
    aggregate_id: str,
    problem: dict[str, Any] | None = None,
    opened: str | None = None,
) -> Response:
    """One aggregate's page; after a refused command, with the problem and its form open."""
    opened = opened or request.query_params.get("open")
    page = Page.of(request)
    if page.principal is None:
        return to_sign_in(request)
    if collection not in COLLECTIONS or not UUID_TEXT.match(aggregate_id):
        return page.render("base.html", status=404, title=page.t("Not found."))
    version = request.query_params.get("version")
    version = version if version and version.isdigit() else None
    state = await page.api.get(f"/{collection}/{aggregate_id}", version=version)
    history = await page.api.get(f"/{collection}/{aggregate_id}/events")
    if not state.ok or not history.ok:
        return page.render(
            "base.html",
            status=state.status if not state.ok else history.status,
            title=page.t(dict(LISTS)[collection]),
            problem=state.problem or history.problem,
        )
    spec = request.app.openapi()
    id_name = id_name_of(spec, collection) or "id"
    forms = command_forms(spec, collection, id_name, page.roles)
    for form in forms:
        form.label = page.t.value(form.name)
        form.open = form.template == opened
    body = state.body
    title = (
        body.get("title")
        or body.get("name")
        or f"{page.t(dict(LISTS)[collection])} {aggregate_id[:8]}"
    )
    return page.render(
        "aggregate.html",
        title=str(title),
        active=f"list-{collection}",
        state=body,
        version=version,
        latest=history.body["version"],
        events=history.body["events"],
        commands=forms,
        aggregate_id=aggregate_id,
        problem=problem,
        flash=request.query_params.get("done"),
    )


@router.post("/act")
async def act(request: Request) -> Response:
    """A command form: the same POST the API takes, with a key that makes a resubmitted
    form (a double click, a reload) answer the first result instead of acting twice."""
    page = Page.of(request)
    if page.principal is None:
        return to_sign_in(request)
    sent = await form_of(request)
    back = safe_next(sent.get("back"))
    if not session.csrf_ok(request, sent.get("csrf")):
        return RedirectResponse(back, status_code=303)
    headers = {}
    if sent.get("idempotency_key"):
        headers["idempotency-key"] = sent["idempotency_key"][:255]
    if "path" in sent:  # an inbox action: the path is the API's own
        path, body, template = sent["path"], None, None
        if not path.startswith("/") or path.startswith("//"):
            return RedirectResponse(back, status_code=303)
    else:
        collection = back.split("/")[2] if back.count("/") >= 3 else ""
        spec = request.app.openapi()
        id_name = id_name_of(spec, collection) or "id"
        forms = command_forms(spec, collection, id_name, page.roles)
        template = sent.get("template", "")
        form = find_form(forms, template)
        if form is None:
            return RedirectResponse(back, status_code=303)
        try:
            path_params, body = body_of(form, sent)
        except FormValueError as error:
            problem = {
                "type": "invalid-request",
                "title": page.t("Refused"),
                "status": 422,
                "detail": f"{error.field} {error}",
            }
            return await aggregate_page(request, collection, sent.get("id", ""), problem, template)
        values = {id_name: sent.get("id", ""), **path_params}
        path = template.format_map(values)
        if sent.get("if_match"):
            headers["if-match"] = f'"{sent["if_match"]}"'
    answer = await page.api.request(
        "POST", path, json_body=body if body is not None else {}, headers=headers
    )
    if answer.ok:
        done = f"{page.t('Done: version')} {answer.body.get('version')}"
        target = back + ("&" if "?" in back else "?") + urlencode({"done": done})
        return secured(RedirectResponse(target, status_code=303))
    if template is None:
        inbox, _ = await dashboards.inbox(page)
        areas = [await dashboards.headline(page, name, label) for name, label in DASHBOARDS]
        return page.render(
            "home.html",
            title=page.t("Home"),
            active="home",
            inbox=inbox,
            areas=areas,
            problem=answer.problem,
        )
    collection = back.split("/")[2]
    # The page drops the query (a version shown): the refusal is about the current state.
    request.scope["query_string"] = b""
    return await aggregate_page(request, collection, sent.get("id", ""), answer.problem, template)
