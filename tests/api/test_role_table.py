"""The README's role table ("### Collections") is true: each row's roles are the
x-roles /openapi.json gives its commands, and every command is in exactly one row.

How a row is written (the README says so above the table, in a comment):

- the path cell holds paths in backquotes, separated by commas; the first is
  whole (``POST /budgets/{id}/lines``), a later one may start at ``/``: it
  replaces the last segment of the path before it (``/submit``,
  ``/actions/{action_id}/start``). Path parameters match whatever their names;
- the roles cell holds role names and the groups ``staff`` and ``department
  heads``, separated by commas, nothing else; who may act beyond the role (the
  owner, never the proposer, ...) goes to the third cell, which is not read;
- the row ``GET`` says reads are every role's: no GET operation has x-roles.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from domain.vocabulary import Department, Role

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "### Collections"
CODE = re.compile(r"`([^`]*)`")
PARAM = re.compile(r"{[^}/]*}")
METHODS = ("POST", "PUT", "PATCH", "DELETE")

# The README's two groups: staff is every role but auditor; the department heads are
# the roles named after a department, and management (for administration).
GROUPS: dict[str, frozenset[Role]] = {
    "staff": frozenset(Role) - {Role.AUDITOR},
    "department heads": frozenset(
        {Role(d.value) for d in Department if d.value in set(Role)} | {Role.MANAGEMENT}
    ),
}


@dataclass(frozen=True)
class Row:
    line: int
    commands: tuple[tuple[str, str], ...]
    """(method, path with its parameters as ``{}``), in the row's order."""
    roles: frozenset[Role]


def normalized(path: str) -> str:
    return PARAM.sub("{}", path)


def parse_paths(cell: str, line: int) -> tuple[tuple[str, str], ...]:
    entries = CODE.findall(cell)
    assert entries and CODE.sub("", cell).replace(",", "").strip() == "", (
        f"README line {line}: the path cell holds only paths in backquotes: {cell!r}"
    )
    commands: list[tuple[str, str]] = []
    for entry in entries:
        method, _, path = entry.partition(" ")
        if method in METHODS and path.startswith("/"):
            commands.append((method, path))
        elif entry.startswith("/") and commands:
            before_method, before = commands[-1]
            commands.append((before_method, before.rsplit("/", 1)[0] + entry))
        else:
            raise AssertionError(f"README line {line}: {entry!r} is no path of a command")
    return tuple((method, normalized(path)) for method, path in commands)


def parse_roles(cell: str, line: int) -> frozenset[Role]:
    roles: set[Role] = set()
    for word in (w.strip() for w in cell.split(",")):
        if word in GROUPS:
            roles |= GROUPS[word]
        elif word in set(Role):
            roles.add(Role(word))
        else:
            raise AssertionError(f"README line {line}: {word!r} is no role nor group")
    return frozenset(roles)


def role_table(text: str) -> tuple[list[Row], list[str]]:
    """The table's command rows, and the reads row's path cell."""
    lines = text.splitlines()
    start = lines.index(HEADING)
    header = next(n for n in range(start, len(lines)) if lines[n].startswith("| path |"))
    assert [c.strip() for c in lines[header].strip("|").split("|")][:2] == ["path", "roles"]
    rows, reads = [], []
    for n in range(header + 2, len(lines)):
        if not lines[n].startswith("|"):
            break
        path, roles, *_ = (c.strip() for c in lines[n].strip().strip("|").split("|"))
        if path.startswith("`GET`"):
            reads.append(path)
            continue
        rows.append(Row(n + 1, parse_paths(path, n + 1), parse_roles(roles, n + 1)))
    return rows, reads


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The real app's /openapi.json (no store is opened to answer it)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("role-table"))
    response = TestClient(create_app(settings)).get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def commands_of(spec: dict[str, Any]) -> dict[tuple[str, str], frozenset[Role]]:
    """Every operation with x-roles, by (method, normalized path)."""
    return {
        (method.upper(), normalized(path)): frozenset(Role(r) for r in operation["x-roles"])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if "x-roles" in operation
    }


def test_each_row_s_roles_are_its_commands_x_roles(spec: dict[str, Any]) -> None:
    rows, _ = role_table(README.read_text(encoding="utf-8"))
    commands = commands_of(spec)

    def named(roles: frozenset[Role] | None) -> list[str] | str:
        return "no such command" if roles is None else sorted(r.value for r in roles)

    wrong = [
        (
            f"README line {row.line}: {' '.join(command)}",
            named(row.roles),
            named(commands.get(command)),
        )
        for row in rows
        for command in row.commands
        if commands.get(command) != row.roles
    ]
    assert wrong == []  # (where, the README's roles, the x-roles)


def test_every_command_is_in_exactly_one_row(spec: dict[str, Any]) -> None:
    rows, reads = role_table(README.read_text(encoding="utf-8"))
    listed = Counter(command for row in rows for command in row.commands)
    commands = commands_of(spec)
    posts = {("POST", normalized(path)) for path, item in spec["paths"].items() if "post" in item}
    assert posts <= set(commands)  # every POST is a command, with its roles
    assert sorted(set(commands) - set(listed)) == []  # none left out
    assert [command for command, n in listed.items() if n > 1] == []
    assert len(reads) == 1  # and the reads: every role's, no x-roles on any GET
    assert [path for path, item in spec["paths"].items() if "x-roles" in item.get("get", {})] == []


def test_the_parser_reads_rows_as_the_readme_explains() -> None:
    text = "\n".join(
        [
            HEADING,
            "",
            "| path | roles | who, beyond the role |",
            "|---|---|---|",
            "| `POST /budgets`, `POST /budgets/{id}/lines`, `/submit` | department heads | |",
            "| `POST /risks/{risk_id}/reopen`, `/actions/{action_id}/start`, `/complete` "
            "| staff | the owner |",
            "| `POST /x/{id}/a` | finance, management | never the requester |",
            "| `GET` any of the above | every role, auditors included | |",
            "",
        ]
    )
    rows, reads = role_table(text)

    assert [row.commands for row in rows] == [
        (("POST", "/budgets"), ("POST", "/budgets/{}/lines"), ("POST", "/budgets/{}/submit")),
        (
            ("POST", "/risks/{}/reopen"),
            ("POST", "/risks/{}/actions/{}/start"),
            ("POST", "/risks/{}/actions/{}/complete"),
        ),
        (("POST", "/x/{}/a"),),
    ]
    assert rows[0].roles == GROUPS["department heads"] and Role.BOARD not in rows[0].roles
    assert rows[1].roles == frozenset(Role) - {Role.AUDITOR}
    assert rows[2].roles == {Role.FINANCE, Role.MANAGEMENT}
    assert len(reads) == 1


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("| `POST /x` | the risk's owner | |", "no role nor group"),
        ("| `/submit` | finance | |", "no path of a command"),
        ("| `POST /x` (answers `x_id`) | finance | |", "only paths in backquotes"),
    ],
)
def test_a_row_written_otherwise_fails(row: str, message: str) -> None:
    text = "\n".join([HEADING, "| path | roles | who |", "|---|---|---|", row, ""])
    with pytest.raises(AssertionError, match=message):
        role_table(text)
