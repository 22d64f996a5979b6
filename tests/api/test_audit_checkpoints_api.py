"""GET /audit/checkpoints and the checkpoints in GET /audit/verify, over HTTP, with the
audit key configured: the worker signs as events arrive; a rewrite of the event and
audit tables together fails the signed checkpoint."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings
from application.store import StoreConfig
from domain.vocabulary import Role
from projections.checkpoints import Checkpoint
from projections.signing import Signer, fingerprint, generate_key_file, parse_public_key
from tests.api.support import Api, assert_problem
from tests.api.test_audit_api import customer_with_history, events, runner_of
from tests.projections import tampering


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "audit.key"
    generate_key_file(path)
    return path


@pytest.fixture
def settings(store_config: StoreConfig, key_file: Path) -> Settings:
    return Settings(
        database_url=store_config.database_url,
        data_dir=store_config.data_dir,
        pool_size=1,
        pool_timeout=15.0,  # two test processes share 2 cores
        log_level="WARNING",
        audit_key=key_file,
        # After every page applied: a checkpoint taken before the audit trail applied a
        # command's last event is followed by one at that event (with a larger count the
        # next would wait for more events, however long the test waits).
        checkpoint_every_events=1,
    )


def signed_checkpoints(api: Api, log: str, at_least: int) -> dict[str, Any]:
    """/audit/checkpoints once the worker has signed ``log`` at ``at_least`` or later."""
    deadline = time.monotonic() + 20
    while True:
        body: dict[str, Any] = api.get("/audit/checkpoints").json()
        mine = [c for c in body["checkpoints"] if c["log"] == log]
        if (mine and mine[-1]["position"] >= at_least) or time.monotonic() > deadline:
            return body
        runner_of(api).nudge()
        time.sleep(0.05)


def test_checkpoints_are_for_auditors_management_and_the_board(api: Api) -> None:
    for role in (Role.AUDITOR, Role.MANAGEMENT, Role.BOARD):
        assert api.get("/audit/checkpoints", who=role).status_code == 200
    assert_problem(api.get("/audit/checkpoints", who=Role.SALES), 403)
    assert_problem(api.get("/audit/checkpoints", who=None), 401)


def test_the_worker_signs_heads_shown_with_the_public_key(api: Api, key_file: Path) -> None:
    _, answer = customer_with_history(api)
    position = int(answer["position"].split(":")[1])
    body = signed_checkpoints(api, "customers", position)
    signer = Signer.from_file(key_file)
    assert body["public_key"] == signer.public_key
    assert body["fingerprint"] == fingerprint(signer.public_key) == signer.fingerprint
    key = parse_public_key(body["public_key"])
    customers = [c for c in body["checkpoints"] if c["log"] == "customers"]
    assert customers[-1]["position"] >= position
    for checkpoint in body["checkpoints"]:
        assert Checkpoint(**checkpoint).holds_for(key)
    only = api.get("/audit/checkpoints", params={"log": "customers"}).json()
    assert only["checkpoints"] == customers


def test_verify_reports_a_rewrite_of_both_tables_by_the_checkpoint(
    api: Api, store_config: StoreConfig
) -> None:
    customer_id, answer = customer_with_history(api)
    head = int(answer["position"].split(":")[1])
    signed_checkpoints(api, "customers", head)
    assert api.get("/audit/verify").json()["status"] == "intact"
    runner = runner_of(api)
    runner.stop()
    first = int(events(api, aggregate_id=customer_id)["events"][0]["position"].split(":")[1])
    services = api.client.app.state.services  # type: ignore[attr-defined]
    tampering.rewrite_both(store_config, services, runner.store("audit"), "customers", first)

    body = api.get("/audit/verify").json()
    assert body["status"] == "altered"
    problems = body["logs"]["customers"]["problems"]
    assert [p["kind"] for p in problems] == ["checkpoint_mismatch"]
    assert problems[0]["position"] >= first
    assert all(body["logs"][log]["problems"] == [] for log in body["logs"] if log != "customers")
