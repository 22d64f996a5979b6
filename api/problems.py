"""Errors as application/problem+json (RFC 9457): one table from error type to status."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from application.errors import (
    AggregateNotFound,
    ApplicationError,
    ConcurrentWriteConflict,
    IdempotencyKeyReused,
    ReferencedAggregateNotFound,
    VersionMismatch,
)
from application.store import StoreUnavailable
from domain.errors import DomainError, InvalidValue, NotPermitted, RuleViolation

log = logging.getLogger("opsledger.api")

PROBLEM_JSON = "application/problem+json"

# The one place where an error type becomes an HTTP status (most specific first).
STATUS_BY_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (AggregateNotFound, 404),
    (ReferencedAggregateNotFound, 422),
    (VersionMismatch, 412),
    (ConcurrentWriteConflict, 409),
    (IdempotencyKeyReused, 422),
    (InvalidValue, 422),
    (NotPermitted, 403),
    (RuleViolation, 409),
)

# Errors that mean the store did not answer (down, unreachable, too slow), wherever
# they come from: eventsourcing's recorders, the token store's own pool, psycopg
# itself (its PoolTimeout is an OperationalError), or SQLite ("database is locked").
STORE_UNAVAILABLE: tuple[type[Exception], ...] = (
    StoreUnavailable,
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
)
RETRY_AFTER_SECONDS = 2

HTTP_SLUGS = {
    400: "malformed-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "invalid-request",
    503: "store-unavailable",
}


class Problem(Exception):
    """An error raised by the API layer itself (auth, headers, limits)."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": slug, "title": title, "status": status, "detail": detail, **extra}
    if status == 422:  # a ValidationProblem: its errors are always there, if none are named
        body.setdefault("errors", [])
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_for(error: Exception) -> int:
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status
    raise LookupError(type(error))


def _domain_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    extra: dict[str, Any] = dict(error.figures)
    if error.fields:
        extra["errors"] = [{"field": f, "message": error.detail} for f in error.fields]
    return problem_response(status_for(error), error.slug, error.title, error.detail, **extra)


def _application_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApplicationError)
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(error, ReferencedAggregateNotFound):
        extra["errors"] = [{"field": error.field, "message": error.detail}]
    if isinstance(error, VersionMismatch):
        extra["current_version"] = error.current_version
        headers["ETag"] = f'"{error.current_version}"'
    return problem_response(
        status_for(error), error.slug, error.title, error.detail, headers=headers, **extra
    )


def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = error.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(
            400,
            "malformed-json",
            "The body is not valid JSON",
            "the request body is not valid JSON",
        )
    fields = [
        {
            "field": ".".join(str(part) for part in e.get("loc", ()) if part != "body"),
            "location": str(e.get("loc", ("body",))[0]),
            "message": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in errors
    ]
    detail = "; ".join(f"{f['field'] or f['location']}: {f['message']}" for f in fields)
    return problem_response(
        422, "invalid-request", "The request has invalid fields", detail, errors=fields
    )


def _problem(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Problem)
    return problem_response(
        error.status, error.slug, error.title, error.detail, headers=error.headers, **error.extra
    )


def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    slug = HTTP_SLUGS.get(error.status_code, f"http-{error.status_code}")
    title = slug.replace("-", " ").capitalize()
    return problem_response(
        error.status_code, slug, title, str(error.detail), headers=dict(error.headers or {})
    )


def _store_unavailable(_: Request, error: Exception) -> JSONResponse:
    log.error("event store unavailable: %s", error)
    return problem_response(
        503,
        "store-unavailable",
        "The event store is unavailable",
        "the event store could not be reached; retry shortly",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(ApplicationError, _application_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error_type in STORE_UNAVAILABLE:
        app.add_exception_handler(error_type, _store_unavailable)
