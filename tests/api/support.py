"""Helpers for the HTTP tests: principals and tokens, requests, problem checks,
and the event store's position (a refused request must not move it)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx2 as httpx  # Starlette's test client answers httpx2 responses
from fastapi.testclient import TestClient

from api.schemas.common import Problem, ValidationProblem
from api.tokens import TokenStore
from domain.vocabulary import Role

PROBLEM_JSON = "application/problem+json"
POSITION = re.compile(r"^(?P<log>[a-z_]+):(?P<n>[0-9]+)$")

# One principal per role; customer service has two, for the four-eyes rule.
PRINCIPALS: dict[str, tuple[Role, ...]] = {
    "board-bai": (Role.BOARD,),
    "mgmt-meng": (Role.MANAGEMENT,),
    "ops-ou": (Role.OPERATIONS,),
    "mkt-ma": (Role.MARKETING,),
    "sales-su": (Role.SALES,),
    "cs-anna": (Role.CUSTOMER_SERVICE,),
    "cs-bo": (Role.CUSTOMER_SERVICE,),
    "fin-fan": (Role.FINANCE,),
    "hr-he": (Role.HR,),
    "tech-tang": (Role.TECHNOLOGY,),
    "audit-an": (Role.AUDITOR,),
    # Holds every role: gets past any role check, so that what is tested is the body.
    "root-all": tuple(Role),
}
CS_A = "cs-anna"
CS_B = "cs-bo"
MANAGER = "mgmt-meng"
DEFAULT_PRINCIPAL: dict[Role, str] = {}
for _name, _roles in PRINCIPALS.items():
    if len(_roles) == 1:
        DEFAULT_PRINCIPAL.setdefault(_roles[0], _name)

Who = Role | str | None


class Tokens:
    """Bearer tokens issued through the real TokenStore, one per principal (lazily)."""

    def __init__(self, store: TokenStore) -> None:
        self.store = store
        self._issued: dict[str, str] = {}

    def issue(self, name: str, *roles: Role) -> str:
        return self.store.issue(name, roles)

    def principal_of(self, who: Role | str) -> str:
        return DEFAULT_PRINCIPAL[who] if isinstance(who, Role) else who

    def __getitem__(self, who: Role | str) -> str:
        name = self.principal_of(who)
        if name not in self._issued:
            self._issued[name] = self.store.issue(name, PRINCIPALS[name])
        return self._issued[name]


_NO_BODY: Any = object()


class Api:
    """A TestClient that knows the principals and the event store behind the app."""

    def __init__(self, client: TestClient, tokens: Tokens) -> None:
        self.client = client
        self.tokens = tokens

    # Requests.

    def headers(self, who: Who, headers: Mapping[str, Any] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}
        out.update(headers or {})
        return out

    def request(
        self,
        method: str,
        path: str,
        *,
        who: Who,
        json: Any = _NO_BODY,
        content: bytes | None = None,
        headers: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        kwargs: dict[str, Any] = {"headers": self.headers(who, headers), "params": params}
        if json is not _NO_BODY:
            kwargs["json"] = json
        if content is not None:
            kwargs["content"] = content
        return self.client.request(method, path, **kwargs)

    def get(self, path: str, *, who: Who = Role.AUDITOR, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, who=who, **kwargs)

    def post(self, path: str, body: Any = _NO_BODY, *, who: Who, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, who=who, json=body, **kwargs)

    def ok(self, path: str, body: Any = None, *, who: Who, **kwargs: Any) -> dict[str, Any]:
        """POST a command that must succeed: 200/201 with id, version, position and ETag."""
        response = self.post(path, {} if body is None else body, who=who, **kwargs)
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        answer: dict[str, Any] = response.json()
        assert {"id", "version", "position"} <= answer.keys()
        assert response.headers["etag"] == f'"{answer["version"]}"'
        return answer

    # The event store.

    def settle(self) -> None:
        """Until the app's runner has applied every event: the policies react to events
        by writing others (docs/policies.md), so a log moves a moment after a command."""
        runner = self.client.app.state.projections  # type: ignore[attr-defined]
        deadline = time.monotonic() + 10
        while not runner.idle() and time.monotonic() < deadline:
            runner.nudge()
            time.sleep(0.005)

    def positions(self) -> dict[str, int]:
        """The max notification id of every application's log, once the policies have
        reacted to what was written before."""
        self.settle()
        services = self.client.app.state.services  # type: ignore[attr-defined]
        return {app.name: app.recorder.max_notification_id() or 0 for app in services.all()}

    @contextmanager
    def no_new_events(self) -> Iterator[None]:
        before = self.positions()
        yield
        after = self.positions()
        assert after == before, f"a refused request wrote events: {before} -> {after}"

    def refused(
        self,
        method: str,
        path: str,
        status: int,
        type_: str | None = None,
        *,
        who: Who,
        fields: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Send a request that must be refused with a problem, and write nothing."""
        with self.no_new_events():
            response = self.request(method, path, who=who, **kwargs)
        return assert_problem(response, status, type_, fields=fields)

    # Reads.

    def state(self, collection: str, aggregate_id: str, **params: Any) -> dict[str, Any]:
        response = self.get(f"/{collection}/{aggregate_id}", params=params or None)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert response.headers["etag"] == f'"{body["version"]}"'
        return body

    def events(self, collection: str, aggregate_id: str) -> list[dict[str, Any]]:
        response = self.get(f"/{collection}/{aggregate_id}/events")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["id"] == aggregate_id
        assert response.headers["etag"] == f'"{body["version"]}"'
        events: list[dict[str, Any]] = body["events"]
        assert [e["version"] for e in events] == list(range(1, len(events) + 1))
        return events

    # Making things.

    def register_customer(self, **overrides: Any) -> str:
        body = {"name": "Li Lei", "email": "li.lei@example.cn", "channel": "search"}
        body.update(overrides)
        answer = self.ok("/customers", body, who=Role.MARKETING)
        return str(answer["id"])

    def receive_complaint(self, customer_id: str | None = None, **overrides: Any) -> str:
        body = {
            "customer_id": customer_id or self.register_customer(),
            "channel": "phone",
            "category": "delivery",
            "description": "The parcel arrived two weeks late and damaged.",
            "remedy_sought": "refund of the shipping fee",
        }
        body.update(overrides)
        answer = self.ok("/complaints", body, who=CS_A)
        return str(answer["id"])

    def investigating_complaint(self, severity: int = 2) -> str:
        """A complaint received, acknowledged and assessed: under investigation."""
        complaint_id = self.receive_complaint()
        self.ok(f"/complaints/{complaint_id}/acknowledge", {"message": "we are on it"}, who=CS_A)
        self.ok(
            f"/complaints/{complaint_id}/assess",
            {"severity": severity, "department": "customer_service", "assignee": CS_A},
            who=CS_A,
        )
        return complaint_id


def assert_problem(
    response: httpx.Response,
    status: int,
    type_: str | None = None,
    *,
    fields: tuple[str, ...] = (),
) -> dict[str, Any]:
    """An RFC 9457 problem with this status (and type, and offending fields)."""
    assert response.status_code == status, (status, response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    problem: dict[str, Any] = response.json()
    for key, kind in (("type", str), ("title", str), ("status", int), ("detail", str)):
        assert isinstance(problem.get(key), kind), (key, problem)
    assert problem["status"] == status
    assert problem["type"] and problem["title"] and problem["detail"]
    # As the OpenAPI document declares it (generated clients parse it so).
    (ValidationProblem if status == 422 else Problem).model_validate(problem)
    if type_ is not None:
        assert problem["type"] == type_, problem
    if fields:
        named = {error["field"] for error in problem.get("errors") or ()}
        for field in fields:
            assert any(n == field or n.endswith(f".{field}") for n in named), (field, problem)
    return problem


def assert_position(answer: Mapping[str, Any], log: str) -> int:
    match = POSITION.match(answer["position"])
    assert match is not None, answer
    assert match["log"] == log, answer
    return int(match["n"])


def some_id() -> str:
    return str(uuid.uuid4())


REASON = {"reason": "as agreed with the customer on the phone"}
BUDGET_LINES: list[dict[str, Any]] = [
    {"code": "6001", "category": "revenue", "amount": "500000.00", "description": "sales"},
    {"code": "6601", "category": "expense", "amount": "100000.00", "monthly": None},
    {
        "code": "6401",
        "category": "cost",
        "amount": "400000.00",
        "monthly": ["33333.33"] * 11 + ["33333.37"],
    },
]

# A valid body for every command, by path template with its parameters named ``{id}``
# (see ``normalized``); ``"{customer_id}"``-like values are filled in by ``sample_body``.
SAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "/customers": {"name": "Zhang Wei", "email": "zhang.wei@example.cn", "channel": "search"},
    "/customers/{id}/activate": {},
    "/customers/{id}/purchases": {
        "amount": "99.50",
        "order_ref": "ORD-2024-0001",
        "purchased_at": "2024-05-01T10:00:00+08:00",
    },
    "/customers/{id}/membership": {"tier": "gold"},
    "/customers/{id}/segment": {"segment": "champions"},
    "/customers/{id}/offers": {"offer": "spring coupon", "channel": "email"},
    "/customers/{id}/consent": {"service": True, "marketing": True},
    "/customers/{id}/surveys": {
        "survey": "csat-2024q2",
        "csat": 4,
        "nps": 9,
        "comment": "quick delivery",
    },
    "/customers/{id}/follow-ups": {"channel": "phone", "note": "called back"},
    "/customers/{id}/at-risk": REASON,
    "/customers/{id}/churn": REASON,
    "/customers/{id}/reactivate": REASON,
    "/customers/{id}/erase": {"reason": "PIPL erasure request"},
    "/complaints": {
        "customer_id": "{customer_id}",
        "channel": "online_chat",
        "category": "billing",
        "description": "charged twice for one order",
        "remedy_sought": "refund the second charge",
    },
    "/complaints/{id}/acknowledge": {"message": "we are looking into it"},
    "/complaints/{id}/assess": {
        "severity": 2,
        "department": "customer_service",
        "assignee": "cs-anna",
    },
    "/complaints/{id}/reassess": {"severity": 1, "reason": "a second charge showed up"},
    "/complaints/{id}/assign": {"department": "finance", "assignee": "fin-fan"},
    "/complaints/{id}/propose-resolution": {
        "root_cause": "system_failure",
        "analysis": "the payment gateway retried a timed-out charge",
        "plan": "refund the duplicate charge",
        "compensation": "20.00",
    },
    "/complaints/{id}/approve-resolution": {},
    "/complaints/{id}/respond": {"message": "we refunded the duplicate charge"},
    "/complaints/{id}/customer-decision": {"accepted": True, "comment": "thanks"},
    "/complaints/{id}/final-decision": {"decision": "refund stands, no more"},
    "/complaints/{id}/close": {"note": "customer satisfied", "knowledge_article": "KB-7"},
    "/complaints/{id}/reopen": REASON,
    "/complaints/{id}/wait-for-customer": REASON,
    "/complaints/{id}/resume": {},
    "/complaints/{id}/withdraw": REASON,
    "/risks": {
        "category": "technical",
        "title": "Payment gateway outage",
        "description": "The single payment provider fails during a sale.",
        "owner": "tech-tang",
        "department": "technology",
        "cause": "one provider, no failover",
        "event": "checkout unavailable for hours",
        "consequence": "lost orders and complaints",
    },
    "/risks/{id}/assess": {"likelihood": 4, "impact": 4},
    "/risks/{id}/treatment": {
        "strategy": "reduce",
        "counterparty": None,
        "actions": [{"title": "add a second provider", "owner": "dev-du", "due": "2030-06-30"}],
    },
    "/risks/{id}/actions/{id}/start": {},
    "/risks/{id}/actions/{id}/complete": {"completed_on": "2026-01-15", "note": "done"},
    "/risks/{id}/acceptance": {"approved": True, "expires_on": "2030-12-31", "reason": "cheap"},
    "/risks/{id}/residual": {"likelihood": 2, "impact": 3},
    "/risks/{id}/kris": {
        "name": "errors",
        "metric": "failed checkouts",
        "direction": "above",
        "amber": "5",
        "red": "10",
        "unit": "‰",
    },
    "/risks/{id}/kri-readings": {
        "kri_id": "{kri_id}",
        "value": "7",
        "observed_at": "2026-01-15T10:00:00+08:00",
    },
    "/risks/{id}/reviews": {"note": "still relevant", "reviewed_on": "2026-01-15"},
    "/risks/{id}/close": REASON,
    "/risks/{id}/reopen": REASON,
    "/employees": {
        "name": "Chen Jing",
        "department": "operations",
        "position": "operations specialist",
        "manager_id": None,
        "hire_date": "2018-04-01",
        "prior_service_years": "1.5",
        "birthday": "1991-08-08",
    },
    "/employees/{id}/confirm": {"date": "2018-07-01"},
    "/employees/{id}/transfer": {
        "department": "sales",
        "position": "account manager",
        "manager_id": None,
        "date": "2026-01-01",
    },
    "/employees/{id}/separate": {"date": "2026-12-31", "reason": "moved abroad"},
    "/employees/{id}/trainings": {
        "course": "first aid",
        "kind": "skills",
        "hours": "4",
        "completed_on": "2026-01-15",
        "plan_year": 2026,
    },
    "/employees/{id}/appraisals/{id}/goals": {
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "goals": [
            {
                "title": "Raise activation",
                "metric": "activation rate",
                "target": "40",
                "unit": "%",
                "deadline": "2026-12-31",
                "weight": 100,
            }
        ],
    },
    "/employees/{id}/appraisals/{id}/reviews": {
        "kind": "manager",
        "reviewer_id": None,
        "score": 4,
        "comment": "steady",
    },
    "/employees/{id}/appraisals/{id}/finalize": {
        "rating": 4,
        "feedback": "a good year",
        "improvement_plan": None,
        "improvement_plan_due": None,
    },
    "/employees/{id}/appraisals/{id}/improvement-plan": {
        "plan": "pair weekly",
        "due": "2027-03-31",
    },
    "/employees/{id}/rewards": {
        "cycle": "2026",
        "bonus": "5000.00",
        "promotion_to": "senior specialist",
        "honorary_title": None,
    },
    "/employees/{id}/benefits": {
        "kind": "holiday_benefit",
        "date": "2026-02-01",
        "occasion": "spring festival",
        "amount": "300.00",
    },
    "/employees/{id}/leave-requests": {"start": "2026-07-01", "end": "2026-07-03", "days": 3},
    "/employees/{id}/leave-requests/{id}/approve": {},
    "/employees/{id}/leave-requests/{id}/reject": REASON,
    "/employees/{id}/leave-requests/{id}/start": {"date": "2026-07-01"},
    "/employees/{id}/leave-requests/{id}/return": {"date": "2026-07-04"},
    "/employees/{id}/leave-requests/{id}/cancel": {},
    "/budgets": {
        "department": "marketing",
        "fiscal_year": 2025,
        "control": "warn",
        "lines": BUDGET_LINES,
    },
    "/budgets/fiscal-years/{id}/management-approval": {},
    "/budgets/fiscal-years/{id}/board-approval": {},
    "/budgets/{id}/lines": {"lines": BUDGET_LINES},
    "/budgets/{id}/submit": {},
    "/budgets/{id}/finance-review": {"approved": True, "reason": None},
    "/budgets/{id}/management-approval": {"approved": True, "reason": None},
    "/budgets/{id}/board-approval": {"approved": True, "reason": "within the plan"},
    "/budgets/{id}/actuals": {
        "line": "6601",
        "amount": "1000.00",
        "document_ref": "INV-2025-0001",
        "date": "2025-06-01",
        "description": "train tickets",
    },
    "/budgets/{id}/adjustments": {
        "from_line": "6401",
        "to_line": "6601",
        "amount": "1000.00",
        "reason": "an extra trade fair",
    },
    "/budgets/{id}/adjustments/{id}/approve": {},
    "/budgets/{id}/adjustments/{id}/reject": REASON,
    "/budgets/{id}/close": {},
}


PATH_PARAM = re.compile(r"\{([^}]+)\}")


def normalized(template: str) -> str:
    """A path template with every parameter called ``{id}``."""
    return PATH_PARAM.sub("{id}", template)


def sample_body(template: str, customer_id: str | None = None, **ids: str) -> dict[str, Any]:
    """The sample body of ``template``, its ``"{name}"`` values replaced by ``ids[name]``
    (``customer_id`` for ``"{customer_id}"``), or by a fresh UUID."""
    known = {"customer_id": customer_id, **ids}
    body = dict(SAMPLE_BODIES[normalized(template)])
    for field, value in body.items():
        placeholder = PATH_PARAM.fullmatch(value) if isinstance(value, str) else None
        if placeholder is not None:
            body[field] = known.get(placeholder[1]) or some_id()
    return body
