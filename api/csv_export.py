"""CSV for reporting consumers: a list route's rows as ``text/csv``, streamed.

A list route takes ``FormatDep`` and, when the caller asked for CSV
(``?format=csv``, or ``Accept: text/csv`` preferred over JSON), answers
``csv_response(ItemModel, fetch, after=...)`` instead of a page. ``fetch`` is the
very query the JSON page comes from, so the rows and filters are the same; the
stream pages through it by keyset, ``CHUNK`` rows a query, without the page
limit. Any list can use it (``/alerts`` too, when it comes): give the route
``FormatDep`` and ``responses=CSV_RESPONSE``.

The columns are the item model's fields in order; a nested object's fields are
flattened (``metadata.principal``), a list or a free-form object (an audit event's
``payload``) is one cell of JSON. Each cell is what the JSON answer holds: money as a
decimal string, times in ISO 8601 UTC, ``true``/``false``, empty for null.
"""

from __future__ import annotations

import csv
import io
import json
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol, Union, get_args, get_origin

from fastapi import Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

CHUNK = 500
"""Rows a query while streaming (tests make it small)."""
BOM = "\ufeff"
CSV_MEDIA_TYPE = "text/csv"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            CSV_MEDIA_TYPE: {
                "schema": {"type": "string"},
                "example": "id,version,status\r\n",
            }
        },
        "description": "JSON (a page), or with `?format=csv` or `Accept: text/csv` every "
        "row as CSV: a header row of the item's fields, then one row an item (UTF-8; "
        "`bom=true` prepends a byte-order mark for Excel)",
    }
}

Key = tuple[Any, ...]


class Fetch(Protocol):
    """One page of items after a sort key, and the key of the next page (None: no more)."""

    def __call__(
        self, *, limit: int, after: Key | None
    ) -> tuple[list[dict[str, Any]], Key | None]: ...


@dataclass(frozen=True)
class Format:
    csv: bool
    bom: bool


def _prefers_csv(accept: str) -> bool:
    """Whether ``text/csv`` is the Accept header's most preferred type (first of equals);
    ``*/*``, JSON, a missing header or types this API does not serve keep JSON."""
    best, best_q = "", 0.0
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media.lower() in (CSV_MEDIA_TYPE, "application/json", "*/*") and q > best_q:
            best, best_q = media.lower(), q
    return best == CSV_MEDIA_TYPE


def negotiated(
    request: Request,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="`csv` streams every row as CSV (as does `Accept: text/csv`)"),
    ] = None,
    bom: Annotated[
        bool, Query(description="With CSV: start with a UTF-8 byte-order mark (Excel)")
    ] = False,
) -> Format:
    """The answer's format: ``format`` if given, else what the Accept header prefers."""
    wants_csv = format == "csv" if format else _prefers_csv(request.headers.get("accept", ""))
    return Format(csv=wants_csv, bom=bom)


FormatDep = Annotated[Format, Depends(negotiated)]


def _nested(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (``Model`` or ``Model | None``), if it holds one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        models = [a for a in get_args(annotation) if _nested(a) is not None]
        return _nested(models[0]) if len(models) == 1 else None
    return None


def columns(model: type[BaseModel]) -> list[tuple[str, ...]]:
    """Each column's path into an item's JSON: its fields in order, nested ones flattened."""
    paths: list[tuple[str, ...]] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        inner = _nested(info.annotation)
        if inner is None:
            paths.append((key,))
        else:
            paths.extend((key, *path) for path in columns(inner))
    return paths


def _cell(item: dict[str, Any], path: tuple[str, ...]) -> str:
    value: Any = item
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def csv_lines(model: type[BaseModel], fetch: Fetch, after: Key | None) -> Iterator[str]:
    """The header line, then a line per item, querying ``CHUNK`` items at a time."""
    paths = columns(model)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([".".join(path) for path in paths])
    yield flush()
    while True:
        items, after = fetch(limit=CHUNK, after=after)
        for item in items:
            shown = model.model_validate(item).model_dump(mode="json", by_alias=True)
            writer.writerow([_cell(shown, path) for path in paths])
        yield flush()
        if after is None:
            return


def csv_response(
    model: type[BaseModel], fetch: Fetch, *, after: Key | None, fmt: Format, name: str
) -> StreamingResponse:
    """Every item from ``after`` on as a CSV download named ``name``.csv."""
    lines = csv_lines(model, fetch, after)

    def encoded() -> Iterator[bytes]:
        if fmt.bom:
            yield BOM.encode()
        for chunk in lines:
            yield chunk.encode()

    return StreamingResponse(
        encoded(),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
