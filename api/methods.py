"""OPTIONS and HEAD for every path, and an ``Allow`` that lists all of a path's methods.

FastAPI routes answer only the methods they declare, and a path with a GET and a
POST route is two routes: Starlette's 405 names the methods of the first one only.
This middleware looks at every route of the path instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Table = list[tuple[re.Pattern[str], str, set[str]]]


def _routes(
    routes: Iterable[Any], prefix: str = ""
) -> Iterator[tuple[re.Pattern[str], str, set[str]]]:
    """(path pattern, path template, methods) of every route, inside included routers too."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:  # FastAPI's included router: its routes, under its prefix
            context = getattr(route, "include_context", None)
            yield from _routes(inner.routes, prefix + getattr(context, "prefix", ""))
        elif isinstance(getattr(route, "path_regex", None), re.Pattern):
            pattern = route.path_regex
            if prefix:
                pattern = re.compile("^" + re.escape(prefix) + pattern.pattern.lstrip("^"))
            yield pattern, prefix + route.path, set(getattr(route, "methods", None) or ())


def _table(scope: Scope) -> Table:
    app = scope.get("app")
    table: Table | None = getattr(app, "_opsledger_methods", None)
    if table is None:
        table = list(_routes(getattr(getattr(app, "router", None), "routes", ())))
        app._opsledger_methods = table  # type: ignore[union-attr]
    return table


def route_template(scope: Scope) -> str | None:
    """The path template of the route the request is for (whatever its method), for
    requests answered before routing (408, 413, ...); None if no route has the path."""
    for pattern, template, _ in _table(scope):
        if pattern.match(scope["path"]):
            return template
    return None


def allowed_methods(scope: Scope) -> list[str]:
    """Every method some route of the app answers on the request's path."""
    path = scope["path"]
    methods: set[str] = set()
    for pattern, _, route_methods in _table(scope):
        if pattern.match(path):
            methods |= route_methods
    if not methods:
        return []
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    return sorted(methods)


class MethodsMiddleware:
    """``OPTIONS`` answers 204 with ``Allow``; ``HEAD`` is the GET without its body;
    a 405 names every method of the path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in ("OPTIONS", "HEAD"):
            # Most requests: the path's methods (every route tried) only for a 405.
            await self.app(scope, receive, self._naming_methods(scope, send))
            return
        allowed = allowed_methods(scope)
        if method == "OPTIONS" and allowed:
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [(b"allow", ", ".join(allowed).encode())],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        head = method == "HEAD" and "GET" in allowed
        inner = {**scope, "method": "GET"} if head else scope

        naming = self._naming_methods(scope, send)

        async def send_fixed(message: Message) -> None:
            if head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await naming(message)

        try:
            await self.app(inner, receive, send_fixed)
        finally:
            if head and "route" in inner:  # for the access line and the metrics
                scope["route"] = inner["route"]

    @staticmethod
    def _naming_methods(scope: Scope, send: Send) -> Send:
        """``send``, with a 405's ``Allow`` naming every method of the path."""

        async def naming(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                allowed = allowed_methods(scope)
                if allowed:
                    message["headers"] = [
                        *[(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"],
                        (b"allow", ", ".join(allowed).encode()),
                    ]
            await send(message)

        return naming
