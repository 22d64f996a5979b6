"""GET /dashboards/*?as_of=T: the dashboard as it stood at T, rebuilt from the logs,
equals the one answered live at T; refusals of a future or malformed as_of."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from api import consistency
from api.deps import get_now
from domain.vocabulary import Role
from projections.queries.read_models import ReadModels
from tests.api import test_budgets_reads as budgets
from tests.api import test_customer_complaint_reads as customers
from tests.api import test_employees_reads as employees
from tests.api import test_risks_reads as risks
from tests.api.support import CS_A, Api, assert_problem
from tests.support.clock import Clock

START = datetime(budgets.YEAR, 6, 30, 12, 0, tzinfo=UTC)
DASHBOARDS: dict[str, dict[str, Any]] = {
    "customers": {},
    "complaints": {},
    "budgets": {"fiscal_year": budgets.YEAR},
    "workforce": {},
    "risks": {},
}
LOG_OF = {"workforce": "employees"}
"""The log whose position a dashboard's min_position names (its own name otherwise)."""


@pytest.fixture(autouse=True)
def patient_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """min_position waits longer than in production: the PostgreSQL server is shared."""
    monkeypatch.setattr(consistency, "WAIT_SECONDS", 30.0)


@pytest.fixture
def clock_start() -> datetime:
    return START


class Now:
    """The "now" read answers judge at: ``at`` when set, else the real time. (Events
    are recorded at the real time; the business clock only dates what they say.)"""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at or datetime.now(UTC)


@pytest.fixture
def now(api: Api, clock: Clock) -> Iterator[Now]:
    overrides = api.client.app.dependency_overrides  # type: ignore[attr-defined]
    overrides[get_now] = now = Now()
    yield now
    overrides.pop(get_now, None)


def get(api: Api, name: str, **params: Any) -> dict[str, Any]:
    response = api.get(f"/dashboards/{name}", params={**DASHBOARDS[name], **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def live(api: Api) -> dict[str, dict[str, Any]]:
    """Every dashboard, live, once the read models have caught up with every log."""
    heads = api.positions()
    get(api, "customers", min_position=f"customers:{heads['customers']}")  # complaints' base
    return {
        name: get(api, name, min_position=f"{log}:{heads[log]}")
        for name in DASHBOARDS
        for log in (LOG_OF.get(name, name),)
    }


def first_chapter(api: Api) -> str:
    """Something in every log; returns the sales budget (it spends more later)."""
    customers.story(api)
    sales = budgets.active(api, "sales", "warn")
    budgets.spend(api, sales, "6001", "200000.00", "SO-1")
    employees.small_company(api)
    risks.assessed(api, "Database outage", 4, 5)
    return sales


def second_chapter(api: Api, sales: str) -> None:
    """Later events in every log: none may show in an answer as of before them."""
    customer = api.register_customer(name="Zhao Lei", email="zhao.lei@example.cn")
    api.receive_complaint(customer)
    budgets.spend(api, sales, "6601", "90000.00", "INV-1")  # 90 %: a warning
    employees.hire(api, "Fu Min")
    risks.assessed(api, "Vendor lock-in", 2, 3)


def test_a_dashboard_as_of_t_is_the_one_answered_live_at_t(api: Api, now: Now) -> None:
    sales = first_chapter(api)
    now.at = t = datetime.now(UTC)  # every event so far was recorded before t
    at_t = live(api)
    now.at = None
    second_chapter(api, sales)
    later = live(api)
    for name in DASHBOARDS:
        assert later[name] != at_t[name], name  # the later events changed every dashboard
        past = get(api, name, as_of=t.isoformat())
        assert past == at_t[name], name
        assert get(api, name, as_of=t.isoformat()) == past, name  # kept, and the same
    # Naive timestamps are UTC; another offset is the same moment.
    naive = t.replace(tzinfo=None).isoformat()
    shanghai = t.astimezone(timezone(timedelta(hours=8))).isoformat()
    for as_of in (naive, shanghai):
        assert get(api, "complaints", as_of=as_of) == at_t["complaints"]


def test_a_day_is_its_end_today_is_now_and_before_the_first_event_is_empty(
    api: Api, now: Now
) -> None:
    first_chapter(api)
    now.at = moment = datetime.now(UTC)
    at_now = live(api)
    today = get(api, "customers", as_of=moment.date().isoformat())
    assert today == at_now["customers"]
    yesterday = moment.date() - timedelta(days=1)
    before = get(api, "customers", as_of=yesterday.isoformat())
    assert before["as_of"] == f"{yesterday.isoformat()}T23:59:59.999999Z"
    assert before["funnel"]["registered"] == 0
    assert before["processed"] == {"customers": "customers:0"}
    empty = get(api, "complaints", as_of=yesterday.isoformat())
    assert empty["processed"] == {"complaints": "complaints:0", "customers": "customers:0"}
    assert get(api, "risks", as_of=yesterday.isoformat())["as_of"] == yesterday.isoformat()


def test_as_of_keeps_a_few_stores_and_catches_a_kept_one_up(api: Api, now: Now) -> None:
    read_models: ReadModels = api.client.app.state.read_models  # type: ignore[attr-defined]
    history = read_models._history
    assert history is not None
    api.register_customer(name="Wang Fang", email="wang.fang@example.cn")
    start = datetime.now(UTC)
    moments = [start - timedelta(seconds=n) for n in range(history.keep + 2)]
    for moment in moments:
        get(api, "customers", as_of=moment.isoformat())
    assert len(history._kept) == history.keep
    assert ("customers", moments[0]) not in history._kept  # the least recently used went
    # A moment not yet past (now is an hour ahead): an event recorded later still counts.
    now.at = start + timedelta(hours=1)
    soon = (start + timedelta(minutes=30)).isoformat()
    assert get(api, "customers", as_of=soon)["funnel"]["registered"] == 1
    api.register_customer(name="Li Na", email="li.na@example.cn")
    assert get(api, "customers", as_of=soon)["funnel"]["registered"] == 2


@pytest.mark.parametrize("name", list(DASHBOARDS))
def test_a_future_or_malformed_as_of_or_one_with_min_position_is_422(
    api: Api, now: Now, name: str
) -> None:
    path = f"/dashboards/{name}"
    now.at = moment = datetime.now(UTC)
    for params in (
        {"as_of": (moment + timedelta(seconds=1)).isoformat()},
        {"as_of": (moment + timedelta(days=1)).date().isoformat()},
        {"as_of": "yesterday"},
        {"as_of": "2025-02-30"},
        {"as_of": "1066-10-14"},
        {"as_of": "9999-12-31"},
        {"as_of": "2026-06-30T12:00:00+25:00"},
        {"as_of": ""},
    ):
        assert_problem(api.get(path, params=params), 422, "invalid-request", fields=("as_of",))
    both = {"as_of": "2025-06-29", "min_position": "customers:0"}
    assert_problem(api.get(path, params=both), 422, fields=("min_position",))


def test_as_of_reads_need_a_token_like_live_ones(api: Api) -> None:
    response = api.get("/dashboards/customers", who=None, params={"as_of": "2025-06-29"})
    assert_problem(response, 401)
    assert api.get("/dashboards/risks", who=CS_A, params={"as_of": "2025-06-29"}).is_success
    assert api.get("/dashboards/budgets", who=Role.HR, params={"as_of": "2025-06-29"}).is_success
