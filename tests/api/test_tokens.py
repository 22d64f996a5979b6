"""The token lifecycle: create with an expiry, list (never the secret), revoke (at once,
also for a running server), expired tokens refused by name, a limit on failed
authentications per address, and a token table that evolves without losing tokens."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.cli import DEFAULT_TOKEN_DAYS, main
from api.limits import FailureLimit
from api.settings import Settings
from api.tokens import ID_LENGTH, TokenStore, _hash
from application.store import StoreConfig
from domain.vocabulary import Role
from tests.api.support import assert_problem


@pytest.fixture
def cli_env(store_config: StoreConfig, monkeypatch: pytest.MonkeyPatch) -> StoreConfig:
    """The CLI's environment names the store under test."""
    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(store_config.data_dir))
    if store_config.database_url:
        monkeypatch.setenv("OPSLEDGER_DATABASE_URL", store_config.database_url)
    else:
        monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)
    return store_config


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_create_list_revoke(
    cli_env: StoreConfig, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "token", "create", "--name", "lc-ana", "--role", "sales")
    assert code == 0
    token = out.strip()
    where = str(cli_env.data_dir.resolve()) if not cli_env.database_url else "PostgreSQL"
    assert "opsledger: store = " in err and where in err
    run(capsys, "token", "create", "--name", "lc-ana", "--role", "hr", "--expires", "0")
    run(capsys, "token", "create", "--name", "lc-bo", "--role", "sales", "--expires", "7")
    assert client.get("/customers", headers=bearer(token)).status_code == 200

    code, out, _ = run(capsys, "token", "list")
    assert code == 0
    assert token not in out and _hash(token) not in out
    lines = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    mine = [line for line in lines.values() if line[1] in ("lc-ana", "lc-bo")]
    assert sorted((line[1], line[2], line[3]) for line in mine) == [
        ("lc-ana", "hr", "active"),
        ("lc-ana", "sales", "active"),
        ("lc-bo", "sales", "active"),
    ]
    ana_id = _hash(token)[:ID_LENGTH]
    ana = lines[ana_id]
    assert ana[5] != "-", "last used is shown once the token was used"
    created, expires = (datetime.strptime(t, "%Y-%m-%dT%H:%MZ") for t in (ana[4], ana[6]))
    assert expires - created == timedelta(days=DEFAULT_TOKEN_DAYS)
    never = next(line for line in mine if line[2] == "hr")
    assert never[6] == "never"

    # Revoked by id: that token stops at once on the running app, the others go on.
    assert run(capsys, "token", "revoke", ana_id)[0] == 0
    assert_problem(client.get("/customers", headers=bearer(token)), 401, "invalid-token")
    code, out, _ = run(capsys, "token", "list")
    assert ana_id not in out
    code, out, _ = run(capsys, "token", "list", "--all")
    assert "revoked" in lines_of(out, ana_id)
    # Revoked by name: every token of that name; nothing left to revoke is exit 1.
    assert run(capsys, "token", "revoke", "lc-ana")[0] == 0
    code, _, err = run(capsys, "token", "revoke", "lc-ana")
    assert code == 1 and "no active token" in err
    code, out, _ = run(capsys, "token", "list")
    assert "lc-ana" not in out and "lc-bo" in out


def lines_of(listing: str, token_id: str) -> str:
    return next(line for line in listing.splitlines() if line.startswith(token_id))


def test_an_expired_token_is_refused_by_name(client: TestClient, store_config: StoreConfig) -> None:
    store = TokenStore(store_config)
    try:
        gone = store.issue("lc-old", [Role.SALES], expires_in=timedelta(seconds=-1))
        fresh = store.issue("lc-new", [Role.SALES], expires_in=timedelta(days=1))
    finally:
        store.close()
    problem = assert_problem(client.get("/customers", headers=bearer(gone)), 401, "token-expired")
    assert "expired" in problem["detail"]
    assert client.get("/customers", headers=bearer(fresh)).status_code == 200


@pytest.fixture
def strict(settings: Settings) -> Settings:
    return settings.model_copy(update={"auth_failures_per_minute": 3})


def test_failed_authentications_are_limited_per_address(
    strict: Settings, store_config: StoreConfig
) -> None:
    from api.main import create_app

    store = TokenStore(store_config)
    try:
        good = store.issue("lc-good", [Role.SALES])
    finally:
        store.close()
    with TestClient(create_app(strict)) as client:
        for _ in range(3):
            assert_problem(client.get("/customers", headers=bearer("olt_nope")), 401)
        problem = client.get("/customers", headers=bearer("olt_nope"))
        assert_problem(problem, 429, "too-many-failed-authentications")
        assert 1 <= int(problem.headers["retry-after"]) <= 60
        # The address is held back whatever it sends, until the window has passed.
        assert client.get("/customers", headers=bearer(good)).status_code == 429
        # Another address is not.
        other = TestClient(create_app(strict), client=("10.0.0.9", 5000))
        with other:
            assert other.get("/customers", headers=bearer(good)).status_code == 200


def test_the_failure_window_moves_on() -> None:
    now = [1000.0]
    limit = FailureLimit(2, window=60.0, clock=lambda: now[0])
    limit.failed("a")
    now[0] += 30
    limit.failed("a")
    assert limit.retry_after("a") == 30
    assert limit.retry_after("b") is None
    now[0] += 30
    assert limit.retry_after("a") is None


OLD_TABLE = (
    "CREATE TABLE opsledger_tokens (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "roles TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)"
)


def test_tokens_of_the_first_table_survive_its_migration(store_config: StoreConfig) -> None:
    """A store made before employee ids, expiry and last use: its tokens go on working."""
    old = "olt_from-the-first-version"
    row = (_hash(old), "lc-veteran", json.dumps(["auditor"]), "2026-01-01T00:00:00+00:00")
    insert = "INSERT INTO opsledger_tokens VALUES (?, ?, ?, ?, NULL)"
    if store_config.database_url:
        with psycopg.connect(store_config.database_url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS opsledger_tokens")
            conn.execute(OLD_TABLE)
            conn.execute(insert.replace("?", "%s"), row)
    else:
        store_config.data_dir.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(store_config.sqlite_path("auth")) as db:
            db.execute("DROP TABLE IF EXISTS opsledger_tokens")
            db.execute(OLD_TABLE)
            db.execute(insert, row)
    store = TokenStore(store_config)
    try:
        TokenStore(store_config).close()  # a second opening finds the columns there
        principal = store.principal(old)
        assert principal is not None and principal.name == "lc-veteran"
        (info,) = [i for i in store.infos() if i.name == "lc-veteran"]
        assert info.expires_at is None and info.last_used_at is not None
        assert info.status(datetime.now(UTC)) == "active"
    finally:
        store.close()
