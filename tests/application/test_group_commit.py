"""Group commit on the real stores: commands waiting for a log's turn share one
transaction, and each still gets its own answer.

The batch is made deterministic by holding the log's turn while the commands
queue up, then letting it go: the first to take the turn writes them all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from application.context import CommandResult
from application.errors import ConcurrentWriteConflict
from application.group_commit import GroupCommit
from application.services import Services
from domain.complaint import Complaint
from domain.customer import Customer
from domain.vocabulary import AcquisitionChannel, Department
from tests.application.support import AGENT, MARKETING, as_, investigating, receive, register
from tests.support.refusals import stored_event_count
from tests.support.threads import join, start_all

TIMEOUT = 30


@contextmanager
def held_turn(group: GroupCommit, writes: int) -> Iterator[None]:
    """Hold ``group``'s turn until ``writes`` writes wait in its queue."""
    group._turn.acquire()
    try:
        yield
        deadline = time.monotonic() + TIMEOUT
        while len(group._queue) < writes:
            assert time.monotonic() < deadline, f"only {len(group._queue)} writes queued"
            time.sleep(0.005)
    finally:
        group._turn.release()


def assign(services: Services, complaint_id: UUID, assignee: str) -> CommandResult:
    return services.complaints.assign_complaint(
        complaint_id, department=Department.CUSTOMER_SERVICE, assignee=assignee, ctx=as_(AGENT)
    )


def test_waiting_commands_share_one_transaction_and_a_conflict_fails_only_its_own(
    services: Services,
) -> None:
    contested = investigating(services)
    customer = register(services)
    before = len(services.complaints.history(contested, Complaint))
    complaints_before = stored_event_count(services.complaints)
    group = services.complaints.recorder.group  # type: ignore[attr-defined]
    batches = group.batches
    attempts: list[Callable[[], Any]] = [
        lambda: assign(services, contested, "first"),
        lambda: assign(services, contested, "second"),
        *[lambda: receive(services, customer) for _ in range(4)],
    ]
    with held_turn(group, len(attempts)):
        outcomes, threads = start_all(attempts)
    join(threads, TIMEOUT)

    assert group.batches == batches + 1, "the six commands were not written together"
    assigned, received = outcomes[:2], outcomes[2:]
    wins = [o for o in assigned if isinstance(o, CommandResult)]
    conflicts = [o for o in assigned if isinstance(o, ConcurrentWriteConflict)]
    assert (len(wins), len(conflicts)) == (1, 1), assigned
    assert all(isinstance(o, UUID) for o in received), received
    # The winner's event is stored, the loser's is not, and nothing else went missing.
    history = services.complaints.history(contested, Complaint)
    assert [e.version for e in history] == list(range(1, before + 2))
    winner = "first" if isinstance(assigned[0], CommandResult) else "second"
    assert history[-1].payload["assignee"] == winner
    for complaint_id in received:
        assert services.complaints.get_complaint(complaint_id).customer_id == customer
    new_events = stored_event_count(services.complaints) - complaints_before
    assert new_events == 1 + sum(len(services.complaints.history(c, Complaint)) for c in received)
    # Positions are each command's own: the answer names its last event.
    positions = [int(r.position.split(":")[1]) for r in wins]
    assert positions[0] > 0


def test_twins_with_one_key_in_one_batch_write_once_and_share_the_answer(
    services: Services,
) -> None:
    group = services.customers.recorder.group  # type: ignore[attr-defined]

    def sign_up() -> CommandResult:
        return services.customers.register_customer(
            name="Li Lei",
            email="li@example.com",
            phone=None,
            channel=AcquisitionChannel.REFERRAL,
            ctx=as_(MARKETING, key="signup-9"),
        )

    with held_turn(group, 2):
        outcomes, threads = start_all([sign_up, sign_up])
    join(threads, TIMEOUT)

    first, second = outcomes
    assert isinstance(first, CommandResult), first
    assert first == second
    assert stored_event_count(services.customers) == 2
    assert len(services.customers.history(first.id, Customer)) == 2


def test_a_lone_command_is_written_at_once(services: Services) -> None:
    group = services.customers.recorder.group  # type: ignore[attr-defined]
    batches, writes = group.batches, group.writes
    register(services)
    assert (group.batches - batches, group.writes - writes) == (1, 1)
