"""The console's only way to the data: the API itself, called in-process.

Every page asks the same routes a curl user would, with the signed-in person's
bearer token: the same role checks, the same query layer, the same command path
(idempotency, principal, request id). Nothing here touches a table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.types import ASGIApp, Message


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def problem(self) -> dict[str, Any] | None:
        """The problem document of a refused request (RFC 9457), or None."""
        if self.ok:
            return None
        if isinstance(self.body, dict):
            return self.body
        return {"type": "error", "title": str(self.body), "status": self.status}


def _query(params: dict[str, Any] | None) -> bytes:
    if not params:
        return b""
    pairs = [(k, str(v)) for k, v in params.items() if v is not None and v != ""]
    return urlencode(pairs).encode()


class ApiClient:
    """Calls the app's own routes with one caller's token, never leaving the process."""

    def __init__(self, app: ASGIApp, token: str | None, request_id: str | None = None) -> None:
        self.app = app
        self.token = token
        self.request_id = request_id

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        body = b"" if json_body is None else json.dumps(json_body).encode()
        sent_headers = {"accept": "application/json", **(headers or {})}
        if self.token:
            sent_headers["authorization"] = f"Bearer {self.token}"
        if self.request_id:
            # The events a form's command writes record the page request's id.
            sent_headers["x-request-id"] = self.request_id
        if json_body is not None:
            sent_headers["content-type"] = "application/json"
        sent_headers["content-length"] = str(len(body))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": _query(params),
            "headers": [(k.lower().encode(), v.encode()) for k, v in sent_headers.items()],
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 0),
            "state": {},
        }
        done = False

        async def receive() -> Message:
            nonlocal done
            if not done:
                done = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        status = 500
        got_headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for key, value in message.get("headers", []):
                    got_headers[key.decode("latin-1").lower()] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        raw = b"".join(chunks)
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Answer(status, parsed, got_headers)

    async def get(self, path: str, **params: Any) -> Answer:
        return await self.request("GET", path, params=params)
