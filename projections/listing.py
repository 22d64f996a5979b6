"""Keyset paging over read-model tables: filters, text search, a stable order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from projections.store import ReadModelStore


@dataclass(frozen=True)
class Listing:
    """A query on one table: equality filters, range conditions and an order."""

    table: str
    order: tuple[str, ...]
    equal: dict[str, Any] = field(default_factory=dict)
    at_least: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] = field(default_factory=dict)
    search: tuple[tuple[str, ...], str] | None = None
    """Columns to search and the text sought (case-insensitive substring)."""


def conditions(listing: Listing, prefix: str = "") -> tuple[list[str], list[Any]]:
    """The listing's filters as SQL conditions and their parameters; None filters are left out.

    ``prefix`` qualifies the columns (``"c."``) where the table is joined.
    """
    clauses: list[str] = []
    params: list[Any] = []
    for operator, values in (("=", listing.equal), (">=", listing.at_least), ("<", listing.before)):
        for column, value in values.items():
            if value is not None:
                clauses.append(f"{prefix}{column} {operator} ?")
                params.append(value)
    if listing.search is not None and listing.search[1]:
        columns, text = listing.search
        clauses.append(
            "(" + " OR ".join(f"LOWER({prefix}{c}) LIKE ? ESCAPE '\\'" for c in columns) + ")"
        )
        params.extend([f"%{_literal(text.lower())}%"] * len(columns))
    return clauses, params


def where(listing: Listing, prefix: str = "") -> tuple[str, list[Any]]:
    """The listing's filters as a WHERE clause (empty when there are none)."""
    clauses, params = conditions(listing, prefix)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def page(
    store: ReadModelStore,
    listing: Listing,
    *,
    limit: int,
    after: tuple[Any, ...] | None = None,
    descending: bool = False,
) -> tuple[list[dict[str, Any]], tuple[Any, ...] | None]:
    """One page of rows after the sort key ``after``; and the key of the next page, if any."""
    clauses, params = conditions(listing)
    if after is not None:
        keys = ", ".join(listing.order)
        marks = ", ".join("?" * len(listing.order))
        clauses.append(f"({keys}) {'<' if descending else '>'} ({marks})")
        params.extend(after)
    direction = "DESC" if descending else "ASC"
    sql = (
        f"SELECT * FROM {listing.table}"
        + (" WHERE " + " AND ".join(clauses) if clauses else "")
        + " ORDER BY "
        + ", ".join(f"{c} {direction}" for c in listing.order)
        + " LIMIT ?"
    )
    rows = store.read(sql, [*params, limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_key = tuple(rows[-1][c] for c in listing.order) if more and rows else None
    return rows, next_key


def _literal(text: str) -> str:
    """Text for LIKE that matches only itself: % and _ are not wildcards here."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
