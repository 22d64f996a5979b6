"""Writers racing on the real stores: one wins, the others conflict, nothing is lost.

"Processes" are separate Services objects opened on the same store, each with its
own connections, as two server processes would be; "threads" share one Services.
Races are made deterministic by holding every writer between its load and its
save (or before its save) until all of them got there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import pytest

from application.base import OpsApplication
from application.context import CommandResult
from application.errors import ConcurrentWriteConflict, IdempotencyKeyReused
from application.services import Services
from application.store import StoreConfig
from domain.complaint import Complaint, ComplaintStatus
from domain.customer import Customer
from domain.vocabulary import AcquisitionChannel, Department, RootCause
from tests.application.support import (
    AGENT,
    MARKETING,
    OTHER_AGENT,
    as_,
    investigating,
    open_services,
    receive,
    register,
)
from tests.support.refusals import stored_event_count
from tests.support.threads import run_together

BARRIER_TIMEOUT = 30


@contextmanager
def writers(
    services: Services, store_config: StoreConfig, how: str, count: int
) -> Iterator[list[Services]]:
    """``count`` writers: separate Services ("processes") or the same one ("threads")."""
    if how == "threads":
        yield [services] * count
        return
    opened = [open_services(store_config) for _ in range(count)]
    try:
        yield opened
    finally:
        for other in opened:
            other.close()


def hold_after_load(app: OpsApplication, then: Callable[[], Any]) -> None:
    """Make ``app`` run ``then`` after loading an aggregate for a command, before saving."""
    load = app.load

    def load_then(*args: Any, **kwargs: Any) -> Any:
        loaded = load(*args, **kwargs)
        then()
        return loaded

    app.load = load_then  # type: ignore[method-assign]


def hold_before_save(app: OpsApplication, then: Callable[[], Any]) -> None:
    """Make ``app`` run ``then`` just before it saves a command's events."""
    save = app.save

    def then_save(*args: Any, **kwargs: Any) -> Any:
        then()
        return save(*args, **kwargs)

    app.save = then_save  # type: ignore[method-assign]


def assign_to(services: Services, complaint_id: UUID, assignee: str) -> CommandResult:
    return services.complaints.assign_complaint(
        complaint_id, department=Department.CUSTOMER_SERVICE, assignee=assignee, ctx=as_(AGENT)
    )


def assert_contiguous(services: Services, complaint_id: UUID) -> None:
    history = services.complaints.history(complaint_id, Complaint)
    assert [e.version for e in history] == list(range(1, len(history) + 1))


# Two writers, one complaint, deterministic interleaving.


def test_second_writer_from_the_same_version_conflicts(
    services: Services, store_config: StoreConfig
) -> None:
    complaint_id = investigating(services)
    before = services.complaints.history(complaint_id, Complaint)
    won: list[CommandResult] = []
    with writers(services, store_config, "processes", 1) as (other,):
        # The other process has loaded version 3 when this one commits version 4.
        hold_after_load(
            other.complaints, lambda: won.append(assign_to(services, complaint_id, "cs.zhou"))
        )

        with pytest.raises(ConcurrentWriteConflict) as raised:
            other.complaints.propose_resolution(
                complaint_id,
                root_cause=RootCause.PROCESS_GAP,
                plan="refund",
                ctx=as_(OTHER_AGENT),
            )

        assert raised.value.slug == "concurrent-write"
        after = services.complaints.history(complaint_id, Complaint)
        assert after[: len(before)] == before
        assert len(after) == len(before) + 1
        assert (after[-1].type, after[-1].version) == ("Assigned", 4)
        assert after[-1].metadata["principal"] == AGENT.principal
        assert won[0].version == 4
        complaint = other.complaints.get_complaint(complaint_id)
        assert complaint.assignee == "cs.zhou"
        assert complaint.status == ComplaintStatus.INVESTIGATING
        assert complaint.proposal is None

        # The loser reloads and retries: its command now lands on top.
        del other.complaints.load  # back to the class's own load
        retried = other.complaints.propose_resolution(
            complaint_id, root_cause=RootCause.PROCESS_GAP, plan="refund", ctx=as_(OTHER_AGENT)
        )
    assert retried.version == 5
    assert len(services.complaints.history(complaint_id, Complaint)) == len(before) + 2
    assert_contiguous(services, complaint_id)


def test_stale_save_conflicts_even_for_a_command_the_winner_would_allow(
    services: Services, store_config: StoreConfig
) -> None:
    """Both writers assign; both would be valid alone, yet only the first is kept."""
    complaint_id = investigating(services)
    with writers(services, store_config, "processes", 1) as (other,):
        hold_after_load(other.complaints, lambda: assign_to(services, complaint_id, "first"))

        with pytest.raises(ConcurrentWriteConflict):
            assign_to(other, complaint_id, "second")

    history = services.complaints.history(complaint_id, Complaint)
    assert [e.payload.get("assignee") for e in history if e.type == "Assigned"] == ["first"]
    assert services.complaints.get_complaint(complaint_id).assignee == "first"
    assert_contiguous(services, complaint_id)


# Many writers released together.


@pytest.mark.parametrize("how", ["processes", "threads"])
def test_writers_racing_from_the_same_version_exactly_one_wins(
    services: Services, store_config: StoreConfig, how: str
) -> None:
    count = 3
    complaint_id = investigating(services)
    before = len(services.complaints.history(complaint_id, Complaint))
    loaded_by_all = threading.Barrier(count, timeout=BARRIER_TIMEOUT)
    with writers(services, store_config, how, count) as apps:
        for app in {id(a): a for a in apps}.values():
            hold_after_load(app.complaints, loaded_by_all.wait)

        outcomes = run_together(
            [
                lambda app=app, i=i: assign_to(app, complaint_id, f"agent-{i}")  # type: ignore[misc]
                for i, app in enumerate(apps)
            ]
        )

    wins = [o for o in outcomes if isinstance(o, CommandResult)]
    conflicts = [o for o in outcomes if isinstance(o, ConcurrentWriteConflict)]
    others = [o for o in outcomes if o not in wins and o not in conflicts]
    assert others == []
    assert (len(wins), len(conflicts)) == (1, count - 1)
    history = services.complaints.history(complaint_id, Complaint)
    assert len(history) == before + 1
    assert wins[0].version == before + 1
    winner = next(i for i, o in enumerate(outcomes) if isinstance(o, CommandResult))
    assert history[-1].payload["assignee"] == f"agent-{winner}"
    assert services.complaints.get_complaint(complaint_id).assignee == f"agent-{winner}"
    assert_contiguous(services, complaint_id)


@pytest.mark.parametrize("how", ["processes", "threads"])
def test_free_running_writers_lose_nothing_and_duplicate_nothing(
    services: Services, store_config: StoreConfig, how: str
) -> None:
    count, tries = 3, 6
    complaint_id = investigating(services)
    before = len(services.complaints.history(complaint_id, Complaint))
    start = threading.Barrier(count, timeout=BARRIER_TIMEOUT)

    def writer(app: Services, n: int) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            for k in range(tries):
                try:
                    results.append((f"w{n}-{k}", assign_to(app, complaint_id, f"w{n}-{k}")))
                except ConcurrentWriteConflict:
                    conflicts.append(f"w{n}-{k}")

        return run

    results: list[tuple[str, CommandResult]] = []
    conflicts: list[str] = []
    with writers(services, store_config, how, count) as apps:
        outcomes = run_together([writer(app, n) for n, app in enumerate(apps)])

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert len(results) + len(conflicts) == count * tries
    history = services.complaints.history(complaint_id, Complaint)
    assert len(history) == before + len(results)
    new_events = history[before:]
    # Every win is stored once, at the version its answer named; no loser is stored.
    assert sorted((e.version, e.payload["assignee"]) for e in new_events) == sorted(
        (r.version, assignee) for assignee, r in results
    )
    assert not {e.payload["assignee"] for e in new_events} & set(conflicts)
    assert_contiguous(services, complaint_id)


# The same Idempotency-Key sent twice at once.


@pytest.mark.parametrize("how", ["processes", "threads"])
def test_same_key_at_once_creates_one_customer_and_both_get_its_answer(
    services: Services, store_config: StoreConfig, how: str
) -> None:
    both_about_to_save = threading.Barrier(2, timeout=BARRIER_TIMEOUT)
    with writers(services, store_config, how, 2) as apps:
        for app in {id(a): a for a in apps}.values():
            hold_before_save(app.customers, both_about_to_save.wait)

        outcomes = run_together(
            [
                lambda app=app: app.customers.register_customer(  # type: ignore[misc]
                    name="Li Lei",
                    email="li@example.com",
                    phone=None,
                    channel=AcquisitionChannel.REFERRAL,
                    ctx=as_(MARKETING, key="signup-7"),
                )
                for app in apps
            ]
        )

    first, second = outcomes
    assert isinstance(first, CommandResult), first
    assert first == second
    assert first.created is True
    assert stored_event_count(services.customers) == 2
    assert len(services.customers.history(first.id, Customer)) == 2


@pytest.mark.parametrize("how", ["processes", "threads"])
def test_same_key_at_once_on_one_complaint_writes_once_and_both_get_its_answer(
    services: Services, store_config: StoreConfig, how: str
) -> None:
    complaint_id = receive(services, register(services))
    both_about_to_save = threading.Barrier(2, timeout=BARRIER_TIMEOUT)
    with writers(services, store_config, how, 2) as apps:
        for app in {id(a): a for a in apps}.values():
            hold_before_save(app.complaints, both_about_to_save.wait)

        outcomes = run_together(
            [
                lambda app=app: app.complaints.acknowledge_complaint(  # type: ignore[misc]
                    complaint_id, message="on it", ctx=as_(AGENT, key="ack-7")
                )
                for app in apps
            ]
        )

    first, second = outcomes
    assert isinstance(first, CommandResult), first
    assert first == second
    assert first.version == 2
    assert len(services.complaints.history(complaint_id, Complaint)) == 2


def test_same_key_at_once_for_different_requests_refuses_the_loser(
    services: Services, store_config: StoreConfig
) -> None:
    both_about_to_save = threading.Barrier(2, timeout=BARRIER_TIMEOUT)
    with writers(services, store_config, "processes", 2) as apps:
        for app in apps:
            hold_before_save(app.customers, both_about_to_save.wait)

        outcomes = run_together(
            [
                lambda app=app, n=n: app.customers.register_customer(  # type: ignore[misc]
                    name=f"Customer {n}",
                    email=f"c{n}@example.com",
                    phone=None,
                    channel=AcquisitionChannel.SEARCH,
                    ctx=as_(MARKETING, key="signup-8", fingerprint=f"fp-{n}"),
                )
                for n, app in enumerate(apps)
            ]
        )

    wins = [o for o in outcomes if isinstance(o, CommandResult)]
    refused = [o for o in outcomes if isinstance(o, IdempotencyKeyReused)]
    assert (len(wins), len(refused)) == (1, 1), outcomes
    assert stored_event_count(services.customers) == 2


def test_same_key_from_many_at_once_never_looks_like_an_outage(
    services: Services, store_config: StoreConfig
) -> None:
    """On PostgreSQL the losers' pipelines can abort before the key's uniqueness
    error arrives: they still get the winner's answer, never a store error."""
    senders, rounds = 4, 15
    for round_ in range(rounds):
        about_to_save = threading.Barrier(senders, timeout=BARRIER_TIMEOUT)
        with writers(services, store_config, "processes", senders) as apps:
            for app in apps:
                hold_before_save(app.customers, about_to_save.wait)
            outcomes = run_together(
                [
                    lambda app=app, round_=round_: app.customers.register_customer(  # type: ignore[misc]
                        name="Han Mei",
                        email=f"han{round_}@example.com",
                        phone=None,
                        channel=AcquisitionChannel.SEARCH,
                        ctx=as_(MARKETING, key=f"signup-many-{round_}"),
                    )
                    for app in apps
                ]
            )
        assert all(isinstance(o, CommandResult) for o in outcomes), (round_, outcomes)
        assert all(o == outcomes[0] for o in outcomes), outcomes
    assert stored_event_count(services.customers) == 2 * rounds


def _forget_claims(services: Services) -> None:
    """What a store written before claims were kept looks like: keys, no claims."""
    claims = services.key_claims
    if claims.datastore is not None:
        with claims.datastore.transaction(commit=True) as cursor:
            cursor.execute("DELETE FROM opsledger_idempotency_claims")
    else:
        with claims._sqlite() as db:
            db.execute("DELETE FROM opsledger_idempotency_claims")


def test_a_key_remembered_before_claims_were_kept_still_belongs_to_its_collection(
    services: Services,
) -> None:
    customer = register(services, ctx=as_(MARKETING, key="old-key"))
    _forget_claims(services)
    with pytest.raises(IdempotencyKeyReused, match="/customers"):
        receive(services, customer, ctx=as_(MARKETING, key="old-key"))
    # Another principal's key of the same text is theirs; a fresh key goes anywhere.
    receive(services, customer, ctx=as_(AGENT, key="old-key"))
    receive(services, customer, ctx=as_(MARKETING, key="new-key"))
