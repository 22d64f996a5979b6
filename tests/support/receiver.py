"""A real webhook receiver on 127.0.0.1 for the tests: it verifies each delivery's
signature with the ``standardwebhooks`` library (a verifier nobody here wrote),
answers 503 to the first ``fail_first`` attempts of each message, and counts."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    msg_id: str
    payload: dict[str, Any]
    at: float
    """time.time() when it arrived."""


@dataclass
class Receiver:
    url: str
    fail_first: int = 0
    secrets: list[str] = field(default_factory=list)
    """The signing secrets it accepts (set once the subscriptions answered them)."""
    attempts: Counter[str] = field(default_factory=Counter)
    """Requests per webhook-id, the 503s and the refused included."""
    accepted: list[Received] = field(default_factory=list)
    forged: int = 0
    """Requests whose signature did not verify."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        msg_id = headers.get("webhook-id", "")
        with self.lock:
            self.attempts[msg_id] += 1
            if self.attempts[msg_id] <= self.fail_first:
                return 503
            secrets = list(self.secrets)
        for secret in secrets:
            try:
                payload = Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            with self.arrived:
                self.accepted.append(Received(msg_id, payload, time.time()))
                self.arrived.notify_all()
            return 204
        with self.lock:
            self.forged += 1
        return 401

    def distinct(self) -> dict[str, Received]:
        """The first accepted delivery of each webhook-id."""
        with self.lock:
            out: dict[str, Received] = {}
            for received in self.accepted:
                out.setdefault(received.msg_id, received)
            return out

    def wait_for(self, count: int, timeout: float) -> dict[str, Received]:
        """Until ``count`` distinct messages arrived (or ``timeout``): what arrived."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len({r.msg_id for r in self.accepted}) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.arrived.wait(left)
        return self.distinct()


@contextmanager
def receiver(fail_first: int = 0) -> Iterator[Receiver]:
    """A receiver listening on a free loopback port until the block ends."""
    state: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            status = state[0].handle(body, {k.lower(): v for k, v in self.headers.items()})
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.append(
        Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook", fail_first=fail_first)
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def payload_types(received: dict[str, Received]) -> list[str]:
    return sorted(str(r.payload["type"]) for r in received.values())


def as_json(received: Received) -> str:
    return json.dumps(received.payload, sort_keys=True)
