"""Per-request plumbing: request ids, the body size limit, one log line per request."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.methods import route_template
from api.problems import PROBLEM_JSON
from application import metrics

log = logging.getLogger("opsledger.access")

REQUEST_ID_HEADER = b"x-request-id"
MAX_REQUEST_ID_LENGTH = 200


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that hands over the already-read body, then waits as before."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


TIMED_OUT = object()

TITLES = {
    400: "The request is malformed",
    408: "The request body did not arrive in time",
    413: "The request body is too large",
    422: "The request has invalid fields",
}


def _fields_with_nul(query_string: bytes) -> list[str]:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return sorted({name for name, value in pairs if "\x00" in name + value})


async def _send_problem(send: Send, status: int, slug: str, detail: str, **extra: Any) -> None:
    """Answer a problem before any route ran (and close: the body may be unread)."""
    problem = {"type": slug, "title": TITLES[status], "status": status, "detail": detail, **extra}
    body = json.dumps(problem).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestMiddleware:
    """Gives every request an id (the client's ``X-Request-ID`` or a new one),
    refuses bodies over the limit with 413 and bodies that take longer than
    ``body_timeout`` seconds to arrive with 408 (the connection is closed: uvicorn's
    keep-alive timeout does not cover a body that never finishes), and logs one
    structured line."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, body_timeout: float = 30.0) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(REQUEST_ID_HEADER, b"").decode("latin-1").strip()
        request_id = given[:MAX_REQUEST_ID_LENGTH] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER, request_id.encode("latin-1")),
                ]
            await send(message)

        try:
            declared = headers.get(b"content-length", b"0").strip() or b"0"
            if nul_fields := _fields_with_nul(scope.get("query_string", b"")):
                # No text column of either database can hold NUL: refuse it here,
                # once for every query parameter.
                await _send_problem(
                    send_with_id,
                    422,
                    "invalid-request",
                    "query parameters may not contain a NUL character",
                    errors=[
                        {"field": name, "location": "query", "message": "contains NUL"}
                        for name in nul_fields
                    ],
                )
            elif not declared.isdigit():
                await _send_problem(
                    send_with_id, 400, "malformed-request", "Content-Length is not a number"
                )
            elif (body := await self._read_body_in_time(int(declared), receive)) is TIMED_OUT:
                await _send_problem(
                    send_with_id,
                    408,
                    "body-timeout",
                    f"the request body must arrive within {self.body_timeout:g} seconds",
                )
            elif body is None:
                await _send_problem(
                    send_with_id,
                    413,
                    "body-too-large",
                    f"bodies are limited to {self.max_body_bytes} bytes",
                )
            else:
                assert isinstance(body, bytes)
                await self.app(scope, _replay(body, receive), send_with_id)
        finally:
            self._log(scope, request_id, status, started)

    async def _read_body_in_time(self, declared: int, receive: Receive) -> bytes | object | None:
        try:
            return await asyncio.wait_for(self._read_body(declared, receive), self.body_timeout)
        except TimeoutError:
            return TIMED_OUT

    async def _read_body(self, declared: int, receive: Receive) -> bytes | None:
        """The whole body, or None when it is over the limit (declared or streamed):
        an oversized body is refused before any route sees it."""
        if declared > self.max_body_bytes:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    @staticmethod
    def _log(scope: Scope, request_id: str, status: int, started: float) -> None:
        state: dict[str, Any] = scope.get("state", {})
        route = scope.get("route")
        seconds = time.perf_counter() - started
        # The route's template, not the path: one series per route, whatever the ids.
        template = getattr(route, "path", None) or route_template(scope) or "unmatched"
        metrics.observe_request(scope["method"], template, status, seconds)
        fields = {
            "request_id": request_id,
            "principal": state.get("principal"),
            "method": scope["method"],
            "route": template,
            "path": scope["path"],
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        }
        log.info("%s %s %s", scope["method"], scope["path"], status, extra={"fields": fields})
