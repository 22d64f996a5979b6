"""`min_position` waits hold no worker thread, and each principal may have only a few
at once (issue 15: 50 waits held an unrelated read for 4.4 s)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from api.settings import Settings
from domain.vocabulary import Role
from tests.api.support import Api, assert_problem

WAIT = 1.5
FAR = "customers:999999999"  # a position no test reaches: the read waits its whole time


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"min_position_wait_seconds": WAIT, "max_waits_per_principal": 4}
    )


def test_fifty_waits_do_not_delay_an_unrelated_read(api: Api, client: TestClient) -> None:
    customer = api.register_customer()
    waiting = [api.tokens.issue(f"waiter-{n}", Role.OPERATIONS) for n in range(50)]

    def wait(token: str) -> httpx.Response:
        return client.get(
            "/customers",
            params={"min_position": FAR},
            headers={"Authorization": f"Bearer {token}"},
        )

    for token in waiting:  # each token's first use records it (a write): not what is timed
        assert client.get("/customers", headers={"Authorization": f"Bearer {token}"}).is_success
    api.get(f"/customers/{customer}", who=Role.OPERATIONS)
    with ThreadPoolExecutor(max_workers=len(waiting)) as pool:
        waits = [pool.submit(wait, token) for token in waiting]
        time.sleep(0.3)  # the waits have begun (they last WAIT seconds)
        started = time.monotonic()
        read = api.get(f"/customers/{customer}", who=Role.OPERATIONS)
        took = time.monotonic() - started
        answers = [w.result() for w in waits]
    assert read.status_code == 200
    assert took < 0.5 * WAIT, f"an unrelated read took {took:.2f} s behind the waits"
    for answer in answers:
        assert_problem(answer, 503, "projection-behind")
        assert answer.headers["retry-after"] == "1"


def test_one_principal_may_have_only_a_few_waits(api: Api, client: TestClient) -> None:
    token = api.tokens.issue("impatient", Role.OPERATIONS)

    def wait() -> httpx.Response:
        return client.get(
            "/customers",
            params={"min_position": FAR},
            headers={"Authorization": f"Bearer {token}"},
        )

    with ThreadPoolExecutor(max_workers=7) as pool:
        answers = [a.result() for a in [pool.submit(wait) for _ in range(7)]]
    refused = [a for a in answers if a.status_code == 429]
    assert len(refused) == 3, [a.status_code for a in answers]
    for answer in refused:
        assert_problem(answer, 429, "too-many-waits")
        assert answer.headers["retry-after"] == "1"
    assert sorted(a.status_code for a in answers if a.status_code != 429) == [503] * 4
    # Another principal is not held back by this one's waits, and once they have
    # answered the first may wait again.
    reached = api.get("/customers", who=Role.OPERATIONS, params={"min_position": "customers:0"})
    assert reached.status_code == 200
