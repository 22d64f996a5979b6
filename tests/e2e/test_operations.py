"""Running it in production, for real: a PostgreSQL cluster of the test's own (initdb in a
temporary directory, its own port), ``opsledger serve`` and ``opsledger projections run``
as processes against it.

- the connection budget: a serving process holds at most 10 connections, idle and
  under load, a projection worker at most 5 (pg_stat_activity, by application_name);
- one Idempotency-Key sent many times at once never answers 503, and one key sent to
  two collections at once is accepted by one of them only;
- the database stopped mid-load: every answer is 503 problem+json with Retry-After
  within a bound, /health answers fast, /ready is 503; started again, the server
  recovers by itself;
- projection workers hot/cold: the cold one takes over within seconds when the hot
  one is killed with SIGKILL, and no event is lost or applied twice.

The cluster is never the machine's shared server: stopping that would break every
other test session.
"""

from __future__ import annotations

import functools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from api.tokens import TokenStore
from application.services import Services
from application.store import StoreConfig
from domain.vocabulary import Role
from tests.application.support import register as register_directly
from tests.e2e.test_serve import OPSLEDGER, PROBLEM_JSON, Server, serve
from tests.support.network import free_port

pytestmark = pytest.mark.e2e

PG_BIN = Path("/usr/lib/postgresql/15/bin")
API_BUDGET, WORKER_BUDGET = 10, 5
HOT = "this runner works on it now"
OUTAGE_BOUND = 10.0
"""Seconds within which any request answers while the database is down: the pool timeout
(1 s) and a retry, with room for a machine shared by many test runs."""
IN_FLIGHT_BOUND = 15.0
"""... and a request caught by the stop, with the machine busy (it hung ~28 s before)."""


@dataclass
class Cluster:
    """A PostgreSQL cluster of this module's own."""

    base: Path
    port: int
    run_as: list[str]

    @property
    def data(self) -> Path:
        return self.base / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def pg_ctl(self, *args: str) -> None:
        command = [*self.run_as, str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stdout + done.stderr

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=60"
        )
        self.pg_ctl("-l", str(self.base / "log"), "-w", "-t", "30", "-o", options, "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    def connections(self, application_name: str, dbname: str = "opsledger") -> int:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                "AND datname = %s",
                (application_name, dbname),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL binaries at {PG_BIN}")
    base = Path(tempfile.mkdtemp(prefix="opsledger-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the cluster as postgres
        owner = pwd.getpwnam("postgres")
        os.chown(base, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    initdb = [*run_as, str(PG_BIN / "initdb"), "-D", str(base / "data")]
    done = subprocess.run(
        [*initdb, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    cluster = Cluster(base, free_port(), run_as)
    cluster.start()
    try:
        cluster.create_database("opsledger")
        yield cluster
    finally:
        subprocess.run(
            [*run_as, str(PG_BIN / "pg_ctl"), "-D", str(base / "data"), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


def environment(url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSLEDGER_")}
    env.update(
        OPSLEDGER_DATABASE_URL=url,
        OPSLEDGER_DATA_DIR=str(data_dir),
        OPSLEDGER_LOG_LEVEL="WARNING",
        OPSLEDGER_POOL_TIMEOUT="1",
        OPSLEDGER_CONNECT_TIMEOUT="1",
    )
    env.update({f"OPSLEDGER_{k.upper()}": v for k, v in settings.items()})
    return env


@dataclass
class Api:
    server: Server
    env: dict[str, str]
    tokens: dict[str, str]

    def post(self, path: str, body: Any, who: str, key: str | None = None) -> Any:
        auth = {"Authorization": f"Bearer {self.tokens[who]}"}
        if key is not None:
            auth["Idempotency-Key"] = key
        return httpx.post(f"{self.server.url}{path}", json=body, headers=auth, timeout=30)

    def get(self, path: str, who: str | None = "auditor", timeout: float = 30) -> Any:
        auth = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.get(f"{self.server.url}{path}", headers=auth, timeout=timeout)


@pytest.fixture(scope="module")
def api(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("operations")
    env = environment(cluster.url("opsledger"), tmp)
    with serve(env, tmp, ready_within=60) as server:
        # Made here rather than by the CLI (test_serve tries that): a process start each.
        store = TokenStore(StoreConfig(database_url=cluster.url("opsledger"), data_dir=tmp))
        try:
            tokens = {
                "marketing": store.issue("ops-marketing", [Role.MARKETING]),
                "auditor": store.issue("ops-auditor", [Role.AUDITOR]),
                "both": store.issue("ops-both", [Role.MARKETING, Role.CUSTOMER_SERVICE]),
            }
        finally:
            store.close()
        yield Api(server, env, tokens)


def customer(n: int | str) -> dict[str, str]:
    return {"name": f"Customer {n}", "email": f"c{n}@example.cn", "channel": "search"}


def register(api: Api, n: int | str, who: str = "marketing", key: str | None = None) -> Any:
    return api.post("/customers", customer(n), who, key)


def send_at_once(*sends: Callable[[], Any]) -> list[Any]:
    """Run the ``sends`` together, released by one barrier; their answers in order."""
    start = threading.Barrier(len(sends))

    def run(send: Callable[[], Any]) -> Any:
        start.wait()
        return send()

    with ThreadPoolExecutor(max_workers=len(sends)) as pool:
        return list(pool.map(run, sends))


def complaint(customer_id: str) -> dict[str, str]:
    return {
        "customer_id": customer_id,
        "channel": "email",
        "category": "delivery",
        "description": "the parcel came open",
        "remedy_sought": "a new one",
    }


# The connection budget.


def test_a_serving_process_holds_at_most_ten_connections_idle_and_under_load(
    api: Api, cluster: Cluster
) -> None:
    for n in range(3):
        assert register(api, f"idle-{n}").status_code == 201
    assert api.get("/ready", who=None).status_code == 200
    assert cluster.connections("opsledger-api") <= API_BUDGET

    most, done = 0, threading.Event()

    def sample() -> None:
        nonlocal most
        while not done.is_set():
            most = max(most, cluster.connections("opsledger-api"))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda n: register(api, f"load-{n}"), range(48)))
            reads = list(pool.map(lambda _: api.get("/customers?limit=5"), range(24)))
    finally:
        done.set()
        sampler.join()
    assert {a.status_code for a in answers} == {201}
    assert {r.status_code for r in reads} == {200}
    assert 0 < most <= API_BUDGET, most
    assert cluster.connections("opsledger-api") <= API_BUDGET


# Idempotency on PostgreSQL.


def test_one_key_sent_many_times_at_once_answers_the_first_answer_never_503(api: Api) -> None:
    for round_ in range(5):
        key = f"many-{round_}"
        answers = send_at_once(*[functools.partial(register, api, key, key=key)] * 6)
        statuses = [a.status_code for a in answers]
        assert set(statuses) <= {200, 201}, [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1, (round_, [a.text for a in answers])


def test_one_key_sent_to_two_collections_at_once_is_accepted_by_one(api: Api) -> None:
    customer_id = register(api, "two-collections").json()["id"]
    accepted_both = 0
    for round_ in range(6):
        key = f"both-{round_}"
        # The same principal sends both: a key is the principal's.
        answers = send_at_once(
            functools.partial(register, api, key, "both", key),
            functools.partial(api.post, "/complaints", complaint(customer_id), "both", key),
        )
        ok = [a for a in answers if a.status_code in (200, 201)]
        accepted_both += len(ok) == 2
        for answer in answers:
            if answer.status_code not in (200, 201):
                assert answer.status_code == 422, answer.text
                assert answer.json()["type"] == "idempotency-key-reused"
    assert accepted_both == 0


# The database stopped mid-load.


def test_an_outage_answers_503_at_once_and_recovers_by_itself(api: Api, cluster: Cluster) -> None:
    assert register(api, "before").status_code == 201
    answers: list[tuple[float, Any]] = []
    stop = threading.Event()

    def load(n: int) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                answer = register(api, f"outage-{n}-{started}")
            except httpx.TransportError as error:
                answer = error
            answers.append((time.monotonic() - started, answer))

    workers = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(0.5)
        cluster.stop()
        time.sleep(1.5)
        # Every store access answers 503 problem+json with Retry-After, within the bound:
        # the token lookup, a command (idempotency and events), a read model.
        for path, send in (
            ("command", lambda: register(api, "down", key="down-1")),
            ("read model", lambda: api.get("/customers")),
            ("aggregate", lambda: api.get(f"/customers/{'0' * 8}-0000-4000-8000-{'0' * 12}")),
            ("dashboard", lambda: api.get("/dashboards/customers")),
        ):
            started = time.monotonic()
            answer = send()
            took = time.monotonic() - started
            assert answer.status_code == 503, (path, answer.status_code, answer.text)
            assert answer.headers["content-type"].startswith(PROBLEM_JSON), path
            assert answer.headers["retry-after"].isdigit(), path
            assert answer.json()["type"] == "store-unavailable", (path, answer.text)
            assert took < OUTAGE_BOUND, (path, took)
        started = time.monotonic()
        health = api.get("/health", who=None)
        assert time.monotonic() - started < 2.5
        assert health.status_code == 503
        ready = api.get("/ready", who=None, timeout=10)
        assert ready.status_code == 503
        assert ready.headers["content-type"].startswith(PROBLEM_JSON)
        assert ready.json()["type"] == "not-ready"
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
        cluster.start()

    # Nothing but acknowledged commands and 503s, every one within the bound.
    assert answers
    for took, answer in answers:
        assert not isinstance(answer, Exception), answer
        assert answer.status_code in (201, 503), answer.text
        assert took < IN_FLIGHT_BOUND, (took, answer.status_code)
    assert any(a.status_code == 503 for _, a in answers)

    deadline = time.monotonic() + 20
    while register(api, f"after-{time.monotonic()}").status_code != 201:
        assert time.monotonic() < deadline, "no recovery"
        time.sleep(0.3)
    while (ready := api.get("/ready", who=None)).status_code != 200:
        assert time.monotonic() < deadline, ("not ready again", ready.text)
        time.sleep(0.3)
    assert api.get("/health", who=None).status_code == 200


# Hot/cold projection workers.


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [OPSLEDGER, "projections", "run"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def projected(url: str) -> tuple[int, int, int]:
    """(customers in the log, customer rows in the read model, audit events in the trail)."""
    with psycopg.connect(url, autocommit=True) as conn:
        head = conn.execute("SELECT count(*) FROM customers_events").fetchone()
        rows = conn.execute("SELECT count(*) FROM customer_rows").fetchone()
        audit = conn.execute("SELECT count(*) FROM audit_events WHERE log = 'customers'").fetchone()
    assert head and rows and audit
    return int(head[0]), int(rows[0]), int(audit[0])


def test_a_cold_projection_worker_takes_over_when_the_hot_one_is_killed(
    cluster: Cluster, tmp_path: Path
) -> None:
    url = cluster.create_database("hotcold")
    env = environment(url, tmp_path, log_level="INFO")
    store = StoreConfig(database_url=url, data_dir=tmp_path, pool_size=1, max_overflow=1)
    services = Services.open(store)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        register_directly(services, email="first@example.cn")

        def wait_until_projected(within: float) -> None:
            deadline = time.monotonic() + within
            while True:
                events, rows, audit = projected(url)
                if (rows, audit) == (registered, events):
                    return
                assert rows <= registered and audit <= events, "applied twice"
                assert time.monotonic() < deadline, (registered, events, rows, audit)
                time.sleep(0.1)

        registered = 1
        workers.append(start_worker(env, tmp_path / "a.log"))
        _wait_for_tables(url)
        wait_until_projected(30)
        assert cluster.connections("opsledger-projections", "hotcold") <= WORKER_BUDGET
        workers.append(start_worker(env, tmp_path / "b.log"))
        time.sleep(1.5)  # the second one starts cold
        for n in range(5):
            register_directly(services, email=f"hot-{n}@example.cn")
        registered += 5
        wait_until_projected(10)
        assert HOT in (tmp_path / "a.log").read_text()
        assert HOT not in (tmp_path / "b.log").read_text()  # cold while the first one lives
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        for n in range(5):
            register_directly(services, email=f"cold-{n}@example.cn")
        registered += 5
        started = time.monotonic()
        wait_until_projected(10)
        assert time.monotonic() - started < 10
        assert HOT in (tmp_path / "b.log").read_text()

        # A rebuild beside the hot worker: it switches in, and the worker goes on after it.
        rebuilt = subprocess.run(
            [OPSLEDGER, "projections", "rebuild", "customers_view"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert rebuilt.returncode == 0, rebuilt.stderr
        register_directly(services, email="after-rebuild@example.cn")
        registered += 1
        wait_until_projected(10)
        assert cluster.connections("opsledger-projections", "hotcold") <= WORKER_BUDGET
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait(timeout=15)
        services.close()


def _wait_for_tables(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            projected(url)
            return
        except psycopg.errors.UndefinedTable:
            assert time.monotonic() < deadline
            time.sleep(0.2)
