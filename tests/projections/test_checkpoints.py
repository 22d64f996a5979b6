"""Signed checkpoints, and the tamper check against the event store, the trail and
every checkpoint: each tampering done in raw SQL, named at its first bad position."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from application.services import Services
from application.store import StoreConfig
from projections import checkpoints as checkpoints_module
from projections.audit import AuditTrail
from projections.checkpoints import Checkpointer
from projections.queries import audit as audit_queries
from projections.queries.read_models import ReadModels
from projections.runner import Checkpointing, ProjectionRunner
from projections.signing import Signer, generate_key_file, parse_public_key
from tests.projections import tampering
from tests.projections.support import (
    MANAGER,
    alter_event,
    ctx,
    delete_event,
    mixed_history,
    positions_in_store,
    small_pools,
)


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return Signer(generate_key_file(tmp_path / "audit.key"))


@pytest.fixture
def signing_runner(
    services: Services, store_config: StoreConfig, signer: Signer
) -> Iterator[ProjectionRunner]:
    logs = [app.name for app in services.all()]
    opened = ProjectionRunner(
        services,
        small_pools(store_config),
        [AuditTrail(logs)],
        checkpointing=Checkpointing(signer, every_events=5, minutes=60),
    )
    try:
        yield opened
    finally:
        opened.close()


def problems(runner: ProjectionRunner, services: Services, log: str) -> list[tuple[str, int]]:
    results = ReadModels.of(runner).verify_audit(services.all())
    (result,) = [r for r in results if r.log == log]
    return [(p["kind"], p["position"]) for p in result.problems]


def signed_history(services: Services, runner: ProjectionRunner) -> dict[str, list[int]]:
    mixed_history(services, customers=3)
    runner.catch_up()
    runner.checkpoint()
    return positions_in_store(services)


def test_a_checkpoint_signs_each_logs_head(
    services: Services, signing_runner: ProjectionRunner, signer: Signer
) -> None:
    ids = signed_history(services, signing_runner)
    made = {c.log: c for c in signing_runner.checkpoints.all()}
    assert {log for log, positions in ids.items() if positions} == set(made)
    for log, checkpoint in made.items():
        assert checkpoint.position == ids[log][-1]
        assert checkpoint.public_key == signer.public_key
        assert checkpoint.holds_for(parse_public_key(signer.public_key))
    # Nothing new: no new checkpoint.
    assert signing_runner.checkpoint() == []
    assert problems(signing_runner, services, "customers") == []


def test_a_forged_checkpoint_fails_its_signature(
    services: Services, signing_runner: ProjectionRunner, tmp_path: Path
) -> None:
    ids = signed_history(services, signing_runner)
    # A database admin re-signs with a key of their own: it does not hold under ours.
    forger = Signer(generate_key_file(tmp_path / "forger.key"))
    (checkpoint,) = signing_runner.checkpoints.all("customers")
    with signing_runner.checkpoints.store.transaction(commit=True) as cursor:
        cursor.execute(
            "UPDATE audit_checkpoints SET public_key = ?, signature = ? WHERE log = ?",
            (forger.public_key, forger.sign(checkpoint.message), "customers"),
        )
    assert problems(signing_runner, services, "customers") == [
        ("bad_signature", ids["customers"][-1])
    ]


@pytest.mark.parametrize("which", [0, 3])
def test_an_edited_payload_is_named_altered(
    services: Services, store_config: StoreConfig, signing_runner: ProjectionRunner, which: int
) -> None:
    ids = signed_history(services, signing_runner)
    alter_event(store_config, "customers", ids["customers"][which])
    found = problems(signing_runner, services, "customers")
    assert found[0] == ("altered", ids["customers"][which])
    assert ("checkpoint_mismatch", ids["customers"][-1]) in found


def test_a_deleted_event_is_named_missing(
    services: Services, store_config: StoreConfig, signing_runner: ProjectionRunner
) -> None:
    ids = signed_history(services, signing_runner)
    delete_event(store_config, "complaints", ids["complaints"][2])
    assert problems(signing_runner, services, "complaints")[0] == (
        "missing",
        ids["complaints"][2],
    )


def test_an_inserted_event_is_named_unexpected(
    services: Services, store_config: StoreConfig, signing_runner: ProjectionRunner
) -> None:
    ids = signed_history(services, signing_runner)
    tampering.insert_event(store_config, "customers", ids["customers"][4])
    assert problems(signing_runner, services, "customers")[0] == (
        "unexpected",
        ids["customers"][4],
    )


def test_a_reordering_is_named_reordered(
    services: Services, store_config: StoreConfig, signing_runner: ProjectionRunner
) -> None:
    ids = signed_history(services, signing_runner)
    first, second = ids["customers"][2], ids["customers"][6]
    tampering.swap_events(store_config, "customers", first, second)
    assert problems(signing_runner, services, "customers")[0] == ("reordered", first)


def test_a_truncated_tail_is_named_truncated(
    services: Services, store_config: StoreConfig, signing_runner: ProjectionRunner
) -> None:
    ids = signed_history(services, signing_runner)
    cut = ids["customers"][-3]
    tampering.delete_tail(store_config, signing_runner.store("audit"), "customers", cut)
    assert problems(signing_runner, services, "customers") == [
        ("truncated", cut),
        ("truncated", cut),
    ]


def test_rewriting_the_event_and_audit_tables_together_fails_the_checkpoint(
    services: Services, store_config: StoreConfig, signing_runner: ProjectionRunner
) -> None:
    mixed_history(services, customers=2)
    signing_runner.catch_up()
    signing_runner.checkpoint()
    early_position = {c.log: c.position for c in signing_runner.checkpoints.all()}["customers"]
    mixed_history(services, customers=2, start=2)
    signing_runner.catch_up()
    signing_runner.checkpoint()
    ids = positions_in_store(services)["customers"]
    target = next(i for i in ids if i > early_position)
    tampering.rewrite_both(
        store_config, services, signing_runner.store("audit"), "customers", target
    )
    # The trail agrees with the store now; only the signature catches it.
    results = ReadModels.of(signing_runner).verify_audit(services.all())
    (customers,) = [r for r in results if r.log == "customers"]
    assert [(p["kind"], p["position"]) for p in customers.problems] == [
        ("checkpoint_mismatch", ids[-1])
    ]
    assert f"after position {early_position}" in customers.problems[0]["detail"]


def test_erasure_keeps_the_chain_and_checkpoints_verifiable(
    services: Services, signing_runner: ProjectionRunner
) -> None:
    customer_ids = mixed_history(services, customers=3)
    signing_runner.catch_up()
    signing_runner.checkpoint()
    services.customers.erase_customer(customer_ids[0], reason="PIPL request", ctx=ctx(MANAGER))
    signing_runner.catch_up()
    assert signing_runner.checkpoint()  # the new head is signed too
    for app in services.all():
        assert problems(signing_runner, services, app.name) == [], app.name


def test_the_worker_signs_every_n_events(
    services: Services, signing_runner: ProjectionRunner
) -> None:
    signing_runner.start()
    mixed_history(services, customers=2)
    deadline = time.monotonic() + 20
    while not signing_runner.checkpoints.all() and time.monotonic() < deadline:
        signing_runner.nudge()
        time.sleep(0.05)
    assert signing_runner.checkpoints.all()


def test_the_checkpointer_is_due_by_events_or_by_time() -> None:
    now = [0.0]
    taken: list[Any] = []

    def take() -> list[Any]:
        taken.append(now[0])
        return []

    job = Checkpointer(take, every_events=10, minutes=1, clock=lambda: now[0])
    job.tick(9)
    assert taken == []
    job.tick(1)
    assert taken == [0.0]
    now[0] = 120.0
    job.tick(0)  # time is up, but nothing new: nothing to sign
    assert taken == [0.0]
    job.tick(1)
    assert taken == [0.0, 120.0]


def test_verify_reads_a_page_at_a_time(
    services: Services,
    store_config: StoreConfig,
    signing_runner: ProjectionRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audit_queries, "VERIFY_PAGE", 2)
    monkeypatch.setattr(checkpoints_module, "WALK_PAGE", 2)
    ids = signed_history(services, signing_runner)
    assert all(problems(signing_runner, services, app.name) == [] for app in services.all())
    tampering.delete_tail(
        store_config, signing_runner.store("audit"), "customers", ids["customers"][-2]
    )
    delete_event(store_config, "customers", ids["customers"][5])
    assert problems(signing_runner, services, "customers") == [
        ("missing", ids["customers"][5]),
        ("truncated", ids["customers"][-2]),
    ]
