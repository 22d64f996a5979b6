"""The web console in a real browser: Debian's Chromium, headless, driven by Playwright,
against ``opsledger serve --demo`` as a process (one server, one demo load, one browser
for the module).

Every page is opened by three roles with no console error and no request leaving
127.0.0.1; screenshots of every page at 1366x900 and 390x844 go to
``artifacts/screenshots/`` (CI keeps that folder).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import sync_playwright

from tests.e2e.test_serve import DEMO_SECONDS, Server, demo_tokens, serve

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = os.environ.get("OPSLEDGER_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}
PAGES = {
    "home": "/ui/",
    "dashboard-customers": "/ui/dashboards/customers",
    "dashboard-complaints": "/ui/dashboards/complaints",
    "dashboard-budgets": "/ui/dashboards/budgets",
    "dashboard-workforce": "/ui/dashboards/workforce",
    "dashboard-risks": "/ui/dashboards/risks",
    "list-customers": "/ui/lists/customers",
    "list-complaints": "/ui/lists/complaints",
    "list-budgets": "/ui/lists/budgets",
    "list-employees": "/ui/lists/employees",
    "list-risks": "/ui/lists/risks",
    "audit": "/ui/audit?verify=1",
}


@dataclass
class Console:
    server: Server
    tokens: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    tmp = tmp_path_factory.mktemp("console")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSLEDGER_")}
    env |= {"OPSLEDGER_DATA_DIR": str(tmp / "data"), "OPSLEDGER_LOG_LEVEL": "WARNING"}
    with serve(env, tmp, "--demo", ready_within=DEMO_SECONDS) as server:
        yield Console(server, demo_tokens(server))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"no Chromium at {CHROMIUM}: .ci/run installs it (apt-get install chromium)"
            )
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Watched:
    """A browser tab that records console errors and every request that leaves 127.0.0.1."""

    page: Any
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def check(self) -> None:
        assert self.errors == [], self.errors
        assert self.outside == [], self.outside


@pytest.fixture
def tab(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    watched = Watched(context.new_page())

    def on_console(message: Any) -> None:
        if message.type == "error":
            watched.errors.append(message.text)

    def on_request(request: Any) -> None:
        url = urlparse(request.url)
        if url.scheme in ("data", "blob", "about"):
            return
        if url.hostname != "127.0.0.1":
            watched.outside.append(request.url)

    watched.page.on("console", on_console)
    watched.page.on("pageerror", lambda error: watched.errors.append(str(error)))
    context.on("request", on_request)
    try:
        yield watched
    finally:
        context.close()


def sign_in(tab: Watched, console: Console, role: str) -> None:
    page = tab.page
    page.goto(console.url + "/ui/")
    assert "/ui/sign-in" in page.url
    assert page.locator("#token").get_attribute("type") == "password"
    page.fill("#token", console.tokens[role])
    page.click("#sign-in")
    page.wait_for_url(console.url + "/ui/")
    assert page.locator("#principal").inner_text() == f"demo-{role}"


def open_form(page: Any, command: str) -> Any:
    """The command's form on an aggregate page, its <details> opened."""
    form = page.locator(f'form[data-command="{command}"]')
    form.locator("xpath=..").locator("summary").click()
    return form


def shoot(tab: Watched, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def test_every_page_renders_for_three_roles_offline_and_without_errors(
    console: Console, tab: Watched
) -> None:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    tab.page.goto(console.url + "/ui/sign-in")
    for viewport, (width, height) in VIEWPORTS.items():
        tab.page.set_viewport_size({"width": width, "height": height})
        shoot(tab, f"sign-in-{viewport}")
    for role in ("management", "customer_service", "auditor"):
        sign_in(tab, console, role)
        for name, path in PAGES.items():
            for viewport, (width, height) in VIEWPORTS.items():
                if role != "management" and viewport == "phone":
                    continue
                tab.page.set_viewport_size({"width": width, "height": height})
                answer = tab.page.goto(console.url + path)
                assert answer is not None and answer.status == 200, (role, path)
                assert tab.page.locator("h1").inner_text(), (role, path)
                assert "Refused" not in tab.page.locator("main").inner_text() or (
                    name == "audit" and role == "customer_service"
                ), (role, path)
                if role == "management":
                    shoot(tab, f"{name}-{viewport}")
        tab.page.set_viewport_size({"width": 1366, "height": 900})
        tab.page.click("#sign-out")
        tab.page.wait_for_url(re.compile(r".*/ui/sign-in.*"))
    tab.check()


def test_the_dashboards_draw_charts_with_their_numbers(console: Console, tab: Watched) -> None:
    sign_in(tab, console, "management")
    page = tab.page
    page.goto(console.url + "/ui/dashboards/budgets")
    images = page.locator("figure.chart img")
    assert images.count() >= 3
    assert all(
        src.startswith("data:image/svg+xml")
        for src in images.evaluate_all("n => n.map(i => i.src)")
    )
    # Money in CNY with thousands separators, in the table behind a chart.
    assert re.search(
        r"¥\d{1,3}(,\d{3})+\.\d\d", page.locator("figure.chart table").first.text_content() or ""
    )
    tab.check()


def test_a_heat_map_cell_drills_down_to_a_risk_and_its_history(
    console: Console, tab: Watched
) -> None:
    sign_in(tab, console, "management")
    page = tab.page
    page.goto(console.url + "/ui/dashboards/risks")
    cell = page.locator("#heat-inherent a").first
    count = int(cell.inner_text())
    cell.click()
    page.wait_for_url(re.compile(r".*/ui/lists/risks\?.*likelihood=.*"))
    rows = page.locator("#list tbody tr")
    assert rows.count() == count
    rows.first.locator("a").click()
    page.wait_for_url(re.compile(r".*/ui/risks/[0-9a-f-]{36}$"))
    history = page.locator("#history .timeline li")
    assert history.count() >= 1
    first = page.locator("#history .timeline li").last.inner_text()
    assert "Who:" in first and "Request id:" in first and "Command:" in first
    for viewport, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        shoot(tab, f"aggregate-risk-{viewport}")
    page.set_viewport_size({"width": 1366, "height": 900})
    # The state at the first version.
    page.locator("#history .timeline li").last.locator("a").first.click()
    assert page.locator("#state h2").inner_text().startswith("State at version 1")
    tab.check()


def test_an_approval_from_the_inbox_and_a_four_eyes_refusal_in_words(
    console: Console, tab: Watched
) -> None:
    sign_in(tab, console, "customer_service")
    page = tab.page
    page.goto(console.url + "/ui/lists/complaints?status=investigating")
    page.locator("#list tbody tr a").first.click()
    complaint = page.url
    # Graded 2, its resolution plan needs another person's approval (§5.2).
    form = open_form(page, "reassess_complaint")
    form.locator('input[name="f.severity"]').fill("2")
    form.locator('textarea[name="f.reason"]').fill("Affects every order of the customer")
    form.locator("button[type=submit]").click()
    assert "Done: version" in page.locator(".flash").inner_text()
    form = open_form(page, "propose_resolution")
    form.locator('select[name="f.root_cause"]').select_option("process_gap")
    form.locator('textarea[name="f.plan"]').fill("Refund the duplicate charge")
    form.locator("button[type=submit]").click()
    assert "Done: version" in page.locator(".flash").inner_text()
    # The proposer may not approve their own plan: refused, in words, with the rule's name.
    open_form(page, "approve_resolution").locator("button[type=submit]").click()
    problem = page.locator(".problem")
    assert problem.locator(".slug").inner_text() == "four-eyes-violation"
    assert "Refused" in problem.inner_text()
    shoot(tab, "aggregate-complaint-refused-desktop")
    page.click("#sign-out")
    # Management finds the plan in its inbox (a read model: it may lag a moment) and
    # approves it with one click there.
    sign_in(tab, console, "management")
    complaint_id = complaint.rsplit("/", 1)[-1]
    item = page.locator(f'#inbox li:has(a[href$="{complaint_id}"])')
    for _ in range(40):
        if item.count():
            break
        page.wait_for_timeout(500)
        page.goto(console.url + "/ui/")
    assert item.count() == 1, page.locator("#inbox").inner_text()
    assert item.locator(".badge").inner_text() == "approval"
    shoot(tab, "home-inbox-desktop")
    item.locator('button[data-action="approve-resolution"]').click()
    assert "Done: version" in page.locator(".flash").inner_text()
    page.goto(complaint)
    assert "ResolutionApproved" in page.locator("#history").inner_text()
    assert "demo-management" in page.locator("#history li").first.inner_text()
    tab.check()


def test_a_dashboard_refreshes_itself_when_new_events_arrive(
    console: Console, tab: Watched
) -> None:
    sign_in(tab, console, "management")
    page = tab.page
    page.goto(console.url + "/ui/dashboards/customers")
    registered = page.locator(".tile-value").first
    before = int(registered.inner_text().replace(",", ""))
    page.evaluate("document.getElementById('live').dataset.marker = 'same page'")
    answer = httpx.post(
        console.url + "/customers",
        headers={"Authorization": f"Bearer {console.tokens['marketing']}"},
        json={"name": "王芳", "email": "wang.fang@example.cn", "channel": "search"},
    )
    assert answer.status_code == 201, answer.text
    for _ in range(60):  # the page polls every 5 s; wait up to 30 s
        if int(registered.inner_text().replace(",", "")) > before:
            break
        page.wait_for_timeout(500)
    assert int(registered.inner_text().replace(",", "")) == before + 1
    # The figures changed without a page load: the marker set on the page is still there.
    assert page.evaluate("document.getElementById('live').dataset.marker") == "same page"
    tab.check()


def test_sign_out_ends_the_session_and_forms_need_their_csrf_token(
    console: Console, tab: Watched
) -> None:
    sign_in(tab, console, "auditor")
    cookies = {c["name"]: c["value"] for c in tab.page.context.cookies()}
    session = cookies["opsledger_session"]
    cookie = next(c for c in tab.page.context.cookies() if c["name"] == "opsledger_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # A form posted without its CSRF token does nothing (here: signs nobody out).
    forged = httpx.post(
        console.url + "/ui/sign-out", cookies={"opsledger_session": session}, data={"csrf": "x"}
    )
    assert forged.status_code == 303
    assert (
        httpx.get(console.url + "/ui/", cookies={"opsledger_session": session}).status_code == 200
    )
    tab.page.click("#sign-out")
    tab.page.wait_for_url(re.compile(r".*/ui/sign-in.*"))
    assert tab.page.context.cookies() == [] or all(
        c["name"] != "opsledger_session" for c in tab.page.context.cookies()
    )
    # The old cookie, replayed, no longer opens anything: the session token is revoked.
    replayed = httpx.get(console.url + "/ui/", cookies={"opsledger_session": session})
    assert replayed.status_code == 303 and "/ui/sign-in" in replayed.headers["location"]
    tab.page.goto(console.url + "/ui/dashboards/risks")
    assert "/ui/sign-in" in tab.page.url
    tab.check()


def test_languages_switch_and_follow_accept_language(console: Console, browser: Any) -> None:
    context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    page = context.new_page()
    try:
        page.goto(console.url + "/ui/sign-in")
        assert page.locator("h1").inner_text() == "登录"
        page.fill("#token", console.tokens["management"])
        page.click("#sign-in")
        page.goto(console.url + "/ui/dashboards/risks")
        assert page.locator("h1").inner_text() == "风险"
        page.screenshot(path=str(SCREENSHOTS / "dashboard-risks-zh-desktop.png"), full_page=True)
        page.click('a[lang="en"]')
        assert page.locator("h1").inner_text() == "Risks"
    finally:
        context.close()


def test_docs_and_redoc_work_offline_with_authorize(console: Console, tab: Watched) -> None:
    page = tab.page
    page.goto(console.url + "/docs")
    page.locator(".btn.authorize").wait_for()
    shoot(tab, "docs-desktop", full_page=False)  # the documentation is very long
    page.goto(console.url + "/redoc")
    page.get_by_text("Download OpenAPI specification").wait_for()
    shoot(tab, "redoc-desktop", full_page=False)
    tab.check()
