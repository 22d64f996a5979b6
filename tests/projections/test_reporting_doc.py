"""docs/reporting.md's table of read-model tables is true: every table the projections
create is there, under its read model, with exactly the columns of its DDL."""

from __future__ import annotations

import re
from pathlib import Path

from projections.audit import AuditTrail
from projections.budgets import BudgetsView
from projections.complaints import ComplaintsView
from projections.customers import CustomersView
from projections.employees import EmployeesView
from projections.projection import Projection
from projections.risks import RisksView

DOC = Path(__file__).resolve().parents[2] / "docs" / "reporting.md"
PROJECTIONS: tuple[type[Projection], ...] = (
    AuditTrail,
    CustomersView,
    ComplaintsView,
    BudgetsView,
    EmployeesView,
    RisksView,
)
CREATE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*)\)$", re.S)
NOT_COLUMNS = ("PRIMARY KEY", "UNIQUE", "FOREIGN KEY", "CHECK")


def ddl_columns(statement: str) -> tuple[str, list[str]] | None:
    match = CREATE.match(statement)
    if match is None:
        return None
    parts = re.split(r",(?![^(]*\))", match[2])
    names = [
        p.split()[0] for p in (part.strip() for part in parts) if not p.startswith(NOT_COLUMNS)
    ]
    return match[1], names


def documented() -> dict[str, tuple[str, list[str]]]:
    """Table -> (read model, columns in the order the doc names them: key first)."""
    rows: dict[str, tuple[str, list[str]]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `(\w+)` \(`(\w+)`\) \| (.*) \| (.*) \|$", line)
        if match is None:
            continue
        cells = re.sub(r"\([^)]*\)", "", f"{match[3]}, {match[4]}")  # drop the notes
        rows[match[1]] = (match[2], re.findall(r"`(\w+)`", cells))
    return rows


def test_the_reporting_doc_lists_every_read_model_table_and_column() -> None:
    doc = documented()
    seen = set()
    for projection in PROJECTIONS:
        for statement in projection.tables:
            found = ddl_columns(statement)
            if found is None:
                continue
            table, columns = found
            seen.add(table)
            assert table in doc, f"docs/reporting.md does not list {table}"
            view, listed = doc[table]
            assert view == projection.name, table
            assert sorted(listed) == sorted(columns), table
    assert seen == set(doc), "the doc lists a table no projection creates"
    assert {"customer_rows", "audit_events", "budget_lines"} <= seen
