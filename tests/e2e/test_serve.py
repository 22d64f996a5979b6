"""The real thing: ``opsledger serve`` as a process, tokens from the real CLI, real HTTP.

Each test starts the server as few times as it can (it is the slow part) and
always stops it, so that no process outlives the test.
"""

from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from application.services import Services
from application.store import StoreConfig
from domain.vocabulary import Role
from tests.support.network import free_port

pytestmark = pytest.mark.e2e

OPSLEDGER = str(Path(sys.executable).with_name("opsledger"))
PROBLEM_JSON = "application/problem+json"
MIB = 1024 * 1024
STARTUP_SECONDS = 60.0
DEMO_SECONDS = 300.0


def environment(store_config: StoreConfig) -> dict[str, str]:
    """This process's environment without any OPSLEDGER_* setting, then the store's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSLEDGER_")}
    env["OPSLEDGER_DATA_DIR"] = str(store_config.data_dir)
    env["OPSLEDGER_LOG_LEVEL"] = "WARNING"
    env["OPSLEDGER_POOL_SIZE"] = "2"  # per application; test sessions share one PostgreSQL
    if store_config.database_url:
        env["OPSLEDGER_DATABASE_URL"] = store_config.database_url
    return env


def create_token(env: dict[str, str], name: str, *roles: Role) -> str:
    """``opsledger token create``: prints only the token."""
    args = [OPSLEDGER, "token", "create", "--name", name]
    for role in roles:
        args += ["--role", role.value]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    assert re.fullmatch(r"olt_[A-Za-z0-9_\-]+", lines[0]), done.stdout
    return lines[0]


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    stderr: Path
    lines: queue.Queue[str] = field(default_factory=queue.Queue)

    def diagnostics(self) -> str:
        return self.stderr.read_text(errors="replace")[-5000:]

    def next_line(self, deadline: float) -> str | None:
        try:
            return self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return None


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))


@contextmanager
def serve(env: dict[str, str], tmp_path: Path, *args: str, ready_within: float) -> Iterator[Server]:
    """``opsledger serve`` on a free port until /health answers; stopped afterwards, whatever
    happens in between."""
    port = free_port()
    stderr_path = tmp_path / f"serve-{port}.stderr"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [OPSLEDGER, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", stderr_path)
    assert process.stdout is not None
    threading.Thread(target=_pump, args=(process.stdout, server.lines), daemon=True).start()
    try:
        deadline = time.monotonic() + ready_within
        while True:
            assert process.poll() is None, f"the server exited:\n{server.diagnostics()}"
            assert time.monotonic() < deadline, f"no /health:\n{server.diagnostics()}"
            try:
                if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        assert process.poll() is not None


def store_positions(store_config: StoreConfig) -> dict[str, int]:
    services = Services.open(store_config)
    try:
        return {app.name: app.recorder.max_notification_id() or 0 for app in services.all()}
    finally:
        services.close()


class Client:
    """httpx against the running server, as one principal or another."""

    def __init__(self, url: str, tokens: dict[str, str]) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.tokens = tokens

    def post(self, path: str, body: Any, who: str, **headers: str) -> httpx.Response:
        auth = {"Authorization": f"Bearer {self.tokens[who]}", **headers}
        return self.http.post(path, json=body, headers=auth)

    def get(self, path: str, who: str = "auditor") -> httpx.Response:
        return self.http.get(path, headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def command(self, path: str, body: Any, who: str, request_id: str) -> dict[str, Any]:
        response = self.post(path, body, who, **{"X-Request-ID": request_id})
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        assert response.headers["x-request-id"] == request_id
        answer: dict[str, Any] = response.json()
        assert response.headers["etag"] == f'"{answer["version"]}"'
        return answer


def test_serve_over_real_http(store_config: StoreConfig, tmp_path: Path) -> None:
    env = environment(store_config)
    with serve(env, tmp_path, ready_within=STARTUP_SECONDS) as server:
        health = httpx.get(f"{server.url}/health", timeout=5).json()
        assert health["status"] == "ok"
        assert health["store"] == ("postgresql" if store_config.database_url else "sqlite")

        # Tokens made by the CLI while the server runs work at once.
        tokens = {
            "marketing": create_token(env, "e2e-marketing", Role.MARKETING),
            "sales": create_token(env, "e2e-sales", Role.SALES),
            "cs-a": create_token(env, "e2e-cs-a", Role.CUSTOMER_SERVICE),
            "cs-b": create_token(env, "e2e-cs-b", Role.CUSTOMER_SERVICE),
            "manager": create_token(env, "e2e-manager", Role.MANAGEMENT, Role.FINANCE),
            "auditor": create_token(env, "e2e-auditor", Role.AUDITOR),
        }
        client = Client(server.url, tokens)
        try:
            walk_a_complaint(client)
            refuse_oversized_bodies(client, server)
            race_without_if_match(client)
            race_with_one_idempotency_key(client)
        finally:
            client.http.close()
        assert server.process.poll() is None, server.diagnostics()


def walk_a_complaint(client: Client) -> None:
    customer = client.command(
        "/customers",
        {"name": "Chen Jing", "email": "chen.jing@example.cn", "channel": "referral"},
        "marketing",
        "e2e-register",
    )
    received = client.command(
        "/complaints",
        {
            "customer_id": customer["id"],
            "channel": "email",
            "category": "product_quality",
            "description": "the kettle leaks after a week",
            "remedy_sought": "a replacement",
        },
        "cs-a",
        "e2e-receive",
    )
    complaint = f"/complaints/{received['id']}"
    assert received["version"] == 1

    refused = client.post(f"{complaint}/approve-resolution", {}, "cs-a")
    assert refused.status_code == 409  # nothing proposed yet
    steps: list[tuple[str, dict[str, Any], str]] = [
        ("acknowledge", {"message": "sorry about that"}, "cs-a"),
        ("assess", {"severity": 2, "department": "customer_service", "assignee": "x"}, "cs-a"),
        ("propose-resolution", {"root_cause": "product_defect", "plan": "replace it"}, "cs-a"),
        ("approve-resolution", {}, "cs-b"),
        ("respond", {"message": "a new kettle is on its way"}, "cs-a"),
        ("customer-decision", {"accepted": True, "comment": "thanks"}, "cs-a"),
        ("close", {"note": "replaced"}, "cs-b"),
    ]
    version = received["version"]
    for command, body, who in steps:
        if command == "approve-resolution":
            own = client.post(f"{complaint}/{command}", body, "cs-a")
            assert own.status_code == 403
            assert own.headers["content-type"].startswith(PROBLEM_JSON)
            assert own.json()["type"] == "four-eyes-violation"
        answer = client.command(f"{complaint}/{command}", body, who, f"e2e-{command}")
        assert answer["version"] == version + 1
        assert answer["position"].startswith("complaints:")
        version = answer["version"]

    state = client.get(complaint).json()
    assert state["status"] == "closed"
    assert state["version"] == version

    history = client.get(f"{complaint}/events")
    assert history.status_code == 200
    events = history.json()["events"]
    assert [e["type"] for e in events] == [
        "Received",
        "Acknowledged",
        "Assessed",
        "ResolutionProposed",
        "ResolutionApproved",
        "Responded",
        "CustomerAccepted",
        "Closed",
    ]
    principals = ["e2e-cs-a"] + ["e2e-cs-b" if who == "cs-b" else "e2e-cs-a" for *_, who in steps]
    assert [e["metadata"]["principal"] for e in events] == principals
    request_ids = ["e2e-receive"] + [f"e2e-{command}" for command, *_ in steps]
    assert [e["metadata"]["request_id"] for e in events] == request_ids


def refuse_oversized_bodies(client: Client, server: Server) -> None:
    auth = {
        "Authorization": f"Bearer {client.tokens['marketing']}",
        "Content-Type": "application/json",
    }
    declared = client.http.post("/customers", content=b" " * (MIB + 1), headers=auth)
    assert declared.status_code == 413
    assert declared.headers["content-type"].startswith(PROBLEM_JSON)
    assert declared.json()["type"] == "body-too-large"
    streamed = post_chunked(server.url, "/customers", auth, MIB + 1)
    assert streamed.startswith(b"HTTP/1.1 413"), streamed[:200]
    assert PROBLEM_JSON.encode() in streamed.split(b"\r\n\r\n", 1)[0].lower()
    assert b"body-too-large" in streamed
    # The server still serves.
    assert client.get("/health").status_code == 200


def post_chunked(url: str, path: str, headers: dict[str, str], size: int) -> bytes:
    """POST ``size`` bytes with Transfer-Encoding: chunked and no Content-Length, over a
    raw socket (so that nothing adds a length), and answer the raw response."""
    host, port = url.removeprefix("http://").split(":")
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Transfer-Encoding: chunked"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    chunk = b" " * (64 * 1024)
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sent = 0
        try:
            while sent < size:
                part = chunk[: min(len(chunk), size - sent)]
                conn.sendall(b"%x\r\n%s\r\n" % (len(part), part))
                sent += len(part)
        except OSError:
            pass  # the server may answer and close before the whole body is sent
        response = b""
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                break
            if not data:
                break
            response += data
    return response


def race_without_if_match(client: Client) -> None:
    """Writers racing on one customer without If-Match: each gets 200 or 409, and every
    200 is one recorded purchase (no lost update)."""
    customer = client.command(
        "/customers",
        {"name": "Zhou Min", "phone": "+86 135 0000 1111", "channel": "search"},
        "marketing",
        "e2e-race-register",
    )
    path = f"/customers/{customer['id']}/purchases"
    start = threading.Barrier(8)

    def buy(n: int) -> httpx.Response:
        with httpx.Client(base_url=client.http.base_url, timeout=30) as own:
            start.wait()
            return own.post(
                path,
                json={"amount": f"{n + 1}.00", "order_ref": f"RACE-{n}"},
                headers={"Authorization": f"Bearer {client.tokens['sales']}"},
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(buy, range(8)))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 409}, [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["type"] == "concurrent-write"
    won = [n for n, a in enumerate(answers) if a.status_code == 200]
    assert won
    versions = sorted(answers[n].json()["version"] for n in won)
    assert len(set(versions)) == len(versions)
    state = client.get(f"/customers/{customer['id']}").json()
    assert state["purchases"] == len(won)
    assert Decimal(str(state["revenue"])) == sum(Decimal(n + 1) for n in won)


def race_with_one_idempotency_key(client: Client) -> None:
    """The same request with the same Idempotency-Key sent 10 times at once: one
    purchase is recorded and every sender gets the same answer."""
    customer = client.command(
        "/customers",
        {"name": "Sun Li", "email": "sun.li@example.cn", "channel": "content"},
        "marketing",
        "e2e-retry-register",
    )
    path = f"/customers/{customer['id']}/purchases"
    start = threading.Barrier(10)

    def retry(_: int) -> httpx.Response:
        with httpx.Client(base_url=client.http.base_url, timeout=30) as own:
            start.wait()
            return own.post(
                path,
                json={"amount": "49.00", "order_ref": "RETRY-1"},
                headers={
                    "Authorization": f"Bearer {client.tokens['sales']}",
                    "Idempotency-Key": "retry-retry-1",
                },
            )

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(retry, range(10)))
    assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1
    events = client.get(f"/customers/{customer['id']}/events").json()["events"]
    assert [e["type"] for e in events].count("PurchaseRecorded") == 1


# --- serve --demo ------------------------------------------------------------------------

DEMO_LINE = re.compile(r"^\s*([a-z_]+)\s+(olt_[A-Za-z0-9_\-]+)\s*$")


def demo_tokens(server: Server) -> dict[str, str]:
    """The role -> token lines the demo printed on stdout."""
    tokens: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while len(tokens) < len(Role):
        line = server.next_line(deadline)
        assert line is not None, f"demo tokens missing, got {tokens}:\n{server.diagnostics()}"
        match = DEMO_LINE.match(line)
        if match:
            tokens[match[1]] = match[2]
    return tokens


def test_serve_demo_prints_a_token_per_role_and_loads_once(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    env = environment(store_config)
    unknown = "/customers/00000000-0000-4000-8000-000000000000"

    with serve(env, tmp_path, "--demo", ready_within=DEMO_SECONDS) as server:
        first = demo_tokens(server)
        assert set(first) == {role.value for role in Role}
        assert len(set(first.values())) == len(Role)
        assert httpx.get(server.url + unknown, headers=bearer(first["auditor"])).status_code == 404
        check_inboxes(server, first)
    loaded = store_positions(store_config)
    assert loaded["customers"] > 0
    assert loaded["complaints"] > 0

    with serve(env, tmp_path, "--demo", ready_within=DEMO_SECONDS) as server:
        second = demo_tokens(server)
        assert set(second) == set(first)
        # A second run writes no event; its tokens replace the first run's.
        revoked = httpx.get(server.url + unknown, headers=bearer(first["auditor"]))
        assert revoked.status_code == 401
        assert httpx.get(server.url + unknown, headers=bearer(second["auditor"])).status_code == 404
    assert store_positions(store_config) == loaded


def check_inboxes(server: Server, tokens: dict[str, str]) -> None:
    """Once the policies and the scheduler have run over the demo, every role that acts
    has open alerts and something else awaiting it (auditors only read)."""
    deadline, missing = time.monotonic() + 120, None
    while time.monotonic() < deadline:
        answer = httpx.get(server.url + "/health", timeout=30)
        # /health answers 503 when the store is slow to answer (a loaded machine): wait.
        busy = answer.status_code != 200
        if busy or any(lag["events"] for lag in answer.json()["projections"].values()):
            time.sleep(1)  # the policies are still reacting to the demo's history
            continue
        missing = {}
        for role, token in tokens.items():
            answer = httpx.get(server.url + "/inbox", headers=bearer(token), timeout=30)
            kinds = {item["kind"] for item in answer.json()["items"]}
            if role == "auditor":
                assert kinds == set()
            elif "alert" not in kinds or (kinds == {"alert"} and role in ("board", "hr")):
                missing[role] = sorted(kinds)
        if not missing:
            break
        time.sleep(1)
    assert missing == {}, missing
    alerts = httpx.get(
        server.url + "/alerts?status=open", headers=bearer(tokens["auditor"]), timeout=30
    )
    assert alerts.status_code == 200 and alerts.json()["items"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
