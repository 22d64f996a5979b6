"""The operator's view of a real server process (issue 15): a body that never finishes
gets 408 and its connection closed, every line on stderr is a JSON object (uvicorn's
too), an unknown OPSLEDGER_* variable is warned about, /metrics needs no token, and a
token revoked with the CLI stops at once on the running server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.tokens import TokenStore
from application.store import StoreConfig
from domain.vocabulary import Role
from tests.e2e.test_serve import OPSLEDGER, STARTUP_SECONDS, serve

pytestmark = pytest.mark.e2e

BODY_TIMEOUT = 1.0


def stalled_post(url: str) -> socket.socket:
    """A POST whose body stops after 10 of its 100 declared bytes."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(
        b"POST /customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n" + b'{"name": "'
    )
    return sock


def answer_and_close(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (10 s at most)."""
    data = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"the connection is still open after 10 s: {data!r}")


def test_an_operator_s_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSLEDGER_")}
    env.update(
        OPSLEDGER_DATA_DIR=str(tmp_path / "var"),
        OPSLEDGER_LOG_LEVEL="INFO",
        OPSLEDGER_BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT),
        OPSLEDGER_POOL_SIZ="3",  # a typo
    )
    with serve(env, tmp_path, ready_within=STARTUP_SECONDS) as server:
        tokens = TokenStore(StoreConfig(database_url=None, data_dir=tmp_path / "var"))
        try:  # made in this process, revoked below with the CLI (one CLI start is enough)
            token = tokens.issue("ops-olga", [Role.OPERATIONS])
        finally:
            tokens.close()
        http = httpx.Client(base_url=server.url, timeout=10)
        auth = {"Authorization": f"Bearer {token}", "X-Request-ID": "e2e-olga-1"}

        # Bodies that never finish: each answered 408 and closed, within the timeout.
        started = time.monotonic()
        stalled = [stalled_post(server.url) for _ in range(10)]
        answers = [answer_and_close(sock) for sock in stalled]
        for sock in stalled:
            sock.close()
        assert time.monotonic() - started < BODY_TIMEOUT + 8
        for answer in answers:
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408"), answer
            assert json.loads(body)["type"] == "body-timeout"
        # The server goes on serving.
        assert http.get("/customers", headers=auth).status_code == 200
        assert http.head("/customers", headers=auth).status_code == 200

        metrics = http.get("/metrics")  # no token
        assert metrics.status_code == 200
        assert 'opsledger_http_requests_total{method="POST",route="unmatched"' not in metrics.text
        assert 'route="/customers",status="200"' in metrics.text

        # Revoked with the CLI while the server runs: refused at the next request.
        revoked = subprocess.run(
            [OPSLEDGER, "token", "revoke", "ops-olga"], env=env, capture_output=True, text=True
        )
        assert revoked.returncode == 0, revoked.stderr
        assert str(tmp_path / "var") in revoked.stderr  # which store it used
        refused = http.get("/customers", headers=auth)
        assert refused.status_code == 401 and refused.json()["type"] == "invalid-token"
        http.close()
        time.sleep(0.2)  # the access lines are written
        lines = server.stderr.read_text().splitlines()

    entries: list[dict[str, Any]] = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"a log line that is not JSON: {line!r}") from None
    loggers = {entry["logger"] for entry in entries}
    assert {"opsledger", "opsledger.access"} <= loggers
    assert any(logger.startswith("uvicorn") for logger in loggers), loggers
    warnings = [e["message"] for e in entries if e["level"] == "WARNING"]
    assert any("OPSLEDGER_POOL_SIZ " in w and "OPSLEDGER_POOL_SIZE" in w for w in warnings)
    (access,) = [e for e in entries if e.get("request_id") == "e2e-olga-1" and e["status"] == 401]
    assert access["route"] == "/customers" and access["method"] == "GET"
    assert isinstance(access["duration_ms"], float)
    (served,) = [
        e
        for e in entries
        if e.get("request_id") == "e2e-olga-1" and e["status"] == 200 and e["method"] == "GET"
    ]
    assert served["principal"] == "ops-olga"
    timed_out = [e for e in entries if e.get("status") == 408]
    assert len(timed_out) == 10
