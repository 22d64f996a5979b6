"""CSV for reporting consumers: every list and /audit/events as text/csv, the same rows
and filters as the JSON pages, streamed in chunks, a header row, an optional BOM, and
no personal data of erased customers."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from api import consistency, csv_export
from api.schemas.reads.employees import EmployeeListItemOut
from domain.vocabulary import Role
from projections.queries.read_models import ReadModels
from tests.api.support import CS_A, Api, assert_problem, sample_body

ROOT = "root-all"
LISTS = ("/customers", "/complaints", "/budgets", "/employees", "/risks")


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two rows a query, so that a few rows take several; and patient min_position waits
    (the PostgreSQL server is shared)."""
    monkeypatch.setattr(csv_export, "CHUNK", 2)
    monkeypatch.setattr(consistency, "WAIT_SECONDS", 30.0)


def fresh(api: Api) -> None:
    """Wait until the read models hold every event written so far (min_position)."""
    positions = api.positions()
    for path, log in (
        ("/customers", "customers"),
        ("/complaints", "complaints"),
        ("/budgets", "budgets"),
        ("/employees", "employees"),
        ("/risks", "risks"),
    ):
        if positions.get(log):
            response = api.get(path, params={"min_position": f"{log}:{positions[log]}"})
            assert response.status_code == 200, response.text
    audit = max(positions.values())
    log = next(name for name, n in positions.items() if n == audit)
    response = api.get("/audit/events", params={"min_position": f"{log}:{audit}", "limit": 1})
    assert response.status_code == 200, response.text


def json_items(api: Api, path: str, key: str = "items", **params: Any) -> list[dict[str, Any]]:
    """Every item of the JSON list, page by page (two a page)."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 2, **params, **({"cursor": cursor} if cursor else {})}
        response = api.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body[key]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def csv_table(response: Any) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the rows of a CSV answer (no BOM)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert not text.startswith("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header, *rows = list(reader)
    assert all(len(row) == len(header) for row in rows)
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def as_csv(
    item: dict[str, Any], nested: tuple[str, ...] = (), header: list[str] | None = None
) -> dict[str, str]:
    """What the CSV row of a JSON item must be: ``nested`` objects flattened with dotted
    names (a null one: its columns in ``header`` empty), anything else one cell."""
    row: dict[str, str] = {}
    for key, value in item.items():
        if key not in nested:
            row[key] = cell(value)
        elif value is None:
            row.update({c: "" for c in header or () if c.startswith(f"{key}.")})
        else:
            row.update({f"{key}.{name}": cell(inner) for name, inner in value.items()})
    return row


def test_customers_csv_has_every_row_of_the_json_pages_and_their_filters(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [
        api.register_customer(
            name=f"客户 {n}", email=f"c{n}@example.cn", campaign="spring" if n % 2 else "autumn"
        )
        for n in range(7)
    ]
    api.ok(
        f"/customers/{ids[1]}/purchases", {"amount": "1234.50", "order_ref": "O-1"}, who=Role.SALES
    )
    api.ok(f"/customers/{ids[3]}/erase", {"reason": "PIPL erasure request"}, who=CS_A)
    fresh(api)
    limits: list[int] = []
    customers = ReadModels.customers

    def spy(self: ReadModels, listing: Any, *, limit: int, after: Any) -> Any:
        limits.append(limit)
        return customers(self, listing, limit=limit, after=after)

    monkeypatch.setattr(ReadModels, "customers", spy)

    header, rows = csv_table(api.get("/customers", headers={"Accept": "text/csv"}))
    assert limits == [2, 2, 2, 2], "7 rows stream in queries of CHUNK rows"
    items = json_items(api, "/customers")
    assert header == list(items[0])
    assert rows == [as_csv(item) for item in items]
    assert len(rows) == 7
    assert rows[1]["revenue"] == "1234.50" and rows[1]["activated"] == "false"
    assert rows[0]["registered_at"].endswith("Z")

    _, spring = csv_table(api.get("/customers", params={"format": "csv", "campaign": "spring"}))
    assert [r["id"] for r in spring] == [ids[1], ids[3], ids[5]]
    assert spring == [as_csv(item) for item in json_items(api, "/customers", campaign="spring")]
    _, found = csv_table(api.get("/customers", params={"format": "csv", "q": "客户 5"}))
    assert [r["id"] for r in found] == [ids[5]]


def test_erased_customers_personal_data_is_in_no_csv(api: Api) -> None:
    kept = api.register_customer(name="Wang Fang", email="wang.fang@example.cn")
    gone = api.register_customer(name="Liu Yang", email="liu.yang@example.cn", phone="+86 139")
    api.receive_complaint(gone)
    api.ok(f"/customers/{gone}/erase", {"reason": "PIPL erasure request"}, who=CS_A)
    fresh(api)
    customers = api.get("/customers", params={"format": "csv"})
    _, rows = csv_table(customers)
    erased = next(r for r in rows if r["id"] == gone)
    assert (erased["name"], erased["email"], erased["phone"], erased["erased"]) == (
        "",
        "",
        "",
        "true",
    )
    assert next(r for r in rows if r["id"] == kept)["name"] == "Wang Fang"
    for path in ("/customers", "/complaints", "/audit/events"):
        text = api.get(path, params={"format": "csv"}).text
        assert gone in text, path
        for personal in ("Liu Yang", "liu.yang@example.cn", "+86 139"):
            assert personal not in text, (path, personal)


def test_audit_events_csv_flattens_the_metadata_and_keeps_the_filters(api: Api) -> None:
    first = api.register_customer()
    api.register_customer()
    api.ok(f"/customers/{first}/activate", who=Role.OPERATIONS)
    fresh(api)
    header, rows = csv_table(api.get("/audit/events", headers={"Accept": "text/csv"}))
    events = json_items(api, "/audit/events", key="events")
    assert len(rows) == len(events) >= 3
    assert rows == [as_csv(event, nested=("metadata",)) for event in events]
    assert header[:7] == [
        "log",
        "position",
        "aggregate_id",
        "version",
        "type",
        "topic",
        "occurred_at",
    ]
    assert "metadata.principal" in header and "metadata" not in header
    assert json.loads(rows[0]["payload"]) == events[0]["payload"]
    assert json.loads(rows[0]["metadata.roles"]) == events[0]["metadata"]["roles"]

    query = {"format": "csv", "aggregate_id": first, "order": "desc"}
    _, mine = csv_table(api.get("/audit/events", params=query))
    versions = [int(r["version"]) for r in mine]
    assert versions == sorted(versions, reverse=True) and versions[-1] == 1 and len(versions) > 1
    assert {r["aggregate_id"] for r in mine} == {first}
    expected = json_items(api, "/audit/events", key="events", aggregate_id=first, order="desc")
    assert mine == [as_csv(event, nested=("metadata",)) for event in expected]


def test_every_list_answers_csv_with_its_json_rows(api: Api) -> None:
    customer = api.register_customer()
    api.receive_complaint(customer)
    for path in ("/budgets", "/employees", "/risks"):
        api.ok(path, sample_body(path), who=ROOT)
    fresh(api)
    risk = json_items(api, "/risks")
    api.ok(f"/risks/{risk[0]['id']}/assess", {"likelihood": 4, "impact": 4}, who=ROOT)
    fresh(api)
    for path in LISTS:
        items = json_items(api, path)
        assert items, path
        nested = ("inherent", "residual") if path == "/risks" else ()
        header, rows = csv_table(api.get(path, params={"format": "csv"}))
        assert rows == [as_csv(item, nested, header) for item in items], path
        if not nested:
            assert header == list(items[0]), path
    header, rows = csv_table(api.get("/risks", params={"format": "csv"}))
    assert {"inherent.likelihood", "inherent.impact", "residual.likelihood"} <= set(header)
    assert rows[0]["inherent.likelihood"] == "4" and rows[0]["residual.likelihood"] == ""
    assert rows[0]["department"] == "technology"


def test_bom_on_request_and_an_empty_list_is_its_header(api: Api) -> None:
    response = api.get("/employees", params={"format": "csv", "bom": "true"})
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response.headers["content-disposition"] == 'attachment; filename="employees.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows == [list(EmployeeListItemOut.model_fields)]
    assert rows[0][:4] == ["id", "version", "status", "name"]


@pytest.mark.parametrize(
    ("accept", "params", "is_csv"),
    [
        (None, {}, False),
        ("*/*", {}, False),
        ("text/html", {}, False),
        ("application/json", {}, False),
        ("text/csv", {"format": "json"}, False),
        ("text/csv;q=0.5, application/json", {}, False),
        ("application/json;q=0.4, text/csv", {}, True),
        ("text/csv, application/json", {}, True),
        ("application/json", {"format": "csv"}, True),
    ],
)
def test_csv_is_asked_for_by_format_or_accept(
    api: Api, accept: str | None, params: dict[str, str], is_csv: bool
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = api.get("/risks", headers=headers, params=params)
    assert response.status_code == 200, response.text
    kind = response.headers["content-type"]
    assert kind.startswith("text/csv") if is_csv else kind.startswith("application/json")


def test_refusals_stay_problems_in_csv(api: Api) -> None:
    assert_problem(api.get("/customers", params={"format": "xml"}), 422, fields=("format",))
    assert_problem(
        api.get("/customers", params={"format": "csv", "cursor": "nonsense"}),
        422,
        fields=("cursor",),
    )
    assert_problem(api.get("/audit/events", who=Role.SALES, params={"format": "csv"}), 403)
    assert_problem(api.get("/risks", who=None, headers={"Accept": "text/csv"}), 401)


def test_openapi_documents_csv_beside_json(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in (*LISTS, "/audit/events"):
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv"}, path
        names = {p["name"] for p in paths[path]["get"]["parameters"]}
        assert {"format", "bom"} <= names, path
