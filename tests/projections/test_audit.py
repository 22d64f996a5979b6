"""The audit trail: the tamper check, listing with filters and paging, no personal data."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from application.services import Services
from application.store import StoreConfig
from projections.queries.audit import AuditFilter, list_events, verify_log
from projections.runner import ProjectionRunner
from projections.store import ReadModelStore
from tests.projections.support import (
    EMAILS,
    NAMES,
    PHONES,
    alter_event,
    customer_story,
    delete_event,
    event_count,
    mixed_history,
    positions_in_store,
    rows,
)

# verify_log


def _verify(services: Services, runner: ProjectionRunner, log: str) -> Any:
    return verify_log(getattr(services, log), runner.store("audit"))


def test_verify_finds_every_log_intact_after_projection(
    services: Services, runner: ProjectionRunner
) -> None:
    mixed_history(services, customers=3)
    runner.catch_up()
    for app in services.all():
        result = verify_log(app, runner.store("audit"))
        ids = positions_in_store(services)[app.name]
        assert result.problems == [], app.name
        assert result.verified == len(ids)
        assert result.projected_up_to == (ids[-1] if ids else 0)


@pytest.mark.parametrize("which", [0, 4, -1])
def test_verify_reports_an_altered_event_at_its_position(
    services: Services,
    store_config: StoreConfig,
    runner: ProjectionRunner,
    which: int,
) -> None:
    mixed_history(services, customers=2)
    runner.catch_up()
    ids = positions_in_store(services)["customers"]
    alter_event(store_config, "customers", ids[which])

    result = _verify(services, runner, "customers")
    assert [(p["kind"], p["log"], p["position"]) for p in result.problems] == [
        ("altered", "customers", ids[which])
    ]
    assert result.verified == ids.index(ids[which])
    # The other logs are untouched.
    assert _verify(services, runner, "complaints").problems == []


def test_verify_reports_a_deleted_event_as_missing(
    services: Services, store_config: StoreConfig, runner: ProjectionRunner
) -> None:
    mixed_history(services, customers=2)
    runner.catch_up()
    ids = positions_in_store(services)["complaints"]
    delete_event(store_config, "complaints", ids[2])

    result = _verify(services, runner, "complaints")
    assert [(p["kind"], p["position"]) for p in result.problems] == [("missing", ids[2])]


def test_verify_reports_the_last_projected_event_deleted_as_missing(
    services: Services, store_config: StoreConfig, runner: ProjectionRunner
) -> None:
    mixed_history(services, customers=2)
    runner.catch_up()
    ids = positions_in_store(services)["customers"]
    delete_event(store_config, "customers", ids[-1])

    result = _verify(services, runner, "customers")
    assert [(p["kind"], p["position"]) for p in result.problems] == [("missing", ids[-1])]


def test_verify_covers_what_was_projected_and_no_more(
    services: Services, store_config: StoreConfig, runner: ProjectionRunner
) -> None:
    mixed_history(services, customers=2)
    runner.catch_up()
    projected = positions_in_store(services)["customers"]
    mixed_history(services, customers=2, start=2)
    later = [n for n in positions_in_store(services)["customers"] if n not in projected]
    assert later
    # Even an event altered after it was written but before it was projected is
    # beyond what the trail vouches for.
    alter_event(store_config, "customers", later[0])

    result = _verify(services, runner, "customers")
    assert result.problems == []
    assert result.verified == len(projected)
    assert result.projected_up_to == projected[-1]

    # Once projected, the new events are verified too (their chain continues).
    runner.catch_up()
    result = _verify(services, runner, "customers")
    assert result.problems == []
    assert result.verified == len(projected) + len(later)


def test_the_chain_links_each_event_to_the_one_before(
    services: Services, runner: ProjectionRunner
) -> None:
    mixed_history(services, customers=2)
    runner.catch_up()
    hashes = [r["chain_hash"] for r in rows(runner.store("audit"))]
    assert len(set(hashes)) == len(hashes)
    assert all(len(h) == 64 for h in hashes)


# list_events


@pytest.fixture
def trail(services: Services, runner: ProjectionRunner) -> ReadModelStore:
    mixed_history(services, customers=4)
    runner.catch_up()
    return runner.store("audit")


EVERYTHING = AuditFilter()


def _all(
    store: ReadModelStore, where: AuditFilter = EVERYTHING, *, newest_first: bool = False
) -> list[dict[str, Any]]:
    events, key = list_events(store, where, newest_first=newest_first, limit=10_000, after=None)
    assert key is None
    return events


def _key(event: dict[str, Any]) -> tuple[str, str, int]:
    return (event["occurred_at"], event["log"], int(event["position"].split(":")[1]))


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_list_events_lists_every_event_oldest_first(
    services: Services, trail: ReadModelStore
) -> None:
    events = _all(trail)
    assert len(events) == event_count(services)
    assert [_key(e) for e in events] == sorted(_key(e) for e in events)
    listed = {(e["log"], int(e["position"].split(":")[1])) for e in events}
    stored = {(log, n) for log, ids in positions_in_store(services).items() for n in ids}
    assert listed == stored


def test_list_events_newest_first_is_the_reverse(trail: ReadModelStore) -> None:
    assert _all(trail, newest_first=True) == list(reversed(_all(trail)))


def test_list_events_carries_the_metadata(trail: ReadModelStore) -> None:
    event = next(e for e in _all(trail) if e["type"] == "PurchaseRecorded")
    assert event["log"] == "customers"
    assert event["position"].startswith("customers:")
    assert event["metadata"]["principal"] == "sales.sun"
    assert event["metadata"]["roles"] == ["sales"]
    assert event["metadata"]["command"] == "record_purchase"
    assert event["metadata"]["request_id"].startswith("req-")
    assert event["payload"]["amount"] == "199.90"
    assert len(event["chain_hash"]) == 64


def test_filter_by_aggregate(trail: ReadModelStore) -> None:
    everything = _all(trail)
    complaint = next(e for e in everything if e["log"] == "complaints")
    events = _all(trail, AuditFilter(aggregate_id=complaint["aggregate_id"]))
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    assert {e["aggregate_id"] for e in events} == {complaint["aggregate_id"]}
    assert events == [e for e in everything if e["aggregate_id"] == complaint["aggregate_id"]]


def test_filter_by_type_actor_and_log(trail: ReadModelStore) -> None:
    everything = _all(trail)
    registered = _all(trail, AuditFilter(type="Registered"))
    assert len(registered) == 4
    assert registered == [e for e in everything if e["type"] == "Registered"]

    by_agent = _all(trail, AuditFilter(actor="cs.li"))
    assert by_agent and by_agent == [e for e in everything if e["metadata"]["principal"] == "cs.li"]
    assert {e["log"] for e in by_agent} == {"complaints"}

    complaints = _all(trail, AuditFilter(log="complaints"))
    assert complaints == [e for e in everything if e["log"] == "complaints"]

    both = _all(trail, AuditFilter(actor="sales.sun", type="Activated", log="customers"))
    assert len(both) == 4
    assert _all(trail, AuditFilter(actor="nobody")) == []
    assert _all(trail, AuditFilter(type="NoSuchEvent")) == []


def test_filter_by_time_since_inclusive_until_exclusive(trail: ReadModelStore) -> None:
    everything = _all(trail)
    start, end = everything[5], everything[12]
    events = _all(trail, AuditFilter(since=_moment(start["occurred_at"])))
    assert events == [e for e in everything if e["occurred_at"] >= start["occurred_at"]]
    assert events[0] == start or events[0]["occurred_at"] == start["occurred_at"]

    events = _all(trail, AuditFilter(until=_moment(end["occurred_at"])))
    assert events == [e for e in everything if e["occurred_at"] < end["occurred_at"]]
    assert end not in events

    window = AuditFilter(since=_moment(start["occurred_at"]), until=_moment(end["occurred_at"]))
    events = _all(trail, window)
    assert events == [
        e for e in everything if start["occurred_at"] <= e["occurred_at"] < end["occurred_at"]
    ]
    assert 0 < len(events) < len(everything)


def test_filter_by_time_converts_other_time_zones_to_utc(trail: ReadModelStore) -> None:
    everything = _all(trail)
    start = everything[3]
    in_beijing = _moment(start["occurred_at"]).astimezone(
        _moment("2025-01-01T00:00:00+08:00").tzinfo
    )
    assert _all(trail, AuditFilter(since=in_beijing)) == _all(
        trail, AuditFilter(since=_moment(start["occurred_at"]))
    )
    later = _moment(everything[-1]["occurred_at"]) + timedelta(seconds=1)
    assert _all(trail, AuditFilter(since=later)) == []


def _pages(
    store: ReadModelStore, size: int, *, newest_first: bool, where: AuditFilter = EVERYTHING
) -> list[list[dict[str, Any]]]:
    pages, after = [], None
    while True:
        events, after = list_events(
            store, where, newest_first=newest_first, limit=size, after=after
        )
        pages.append(events)
        assert len(pages) < 1000
        if after is None:
            return pages


@pytest.mark.parametrize("size", [1, 2, 7])
@pytest.mark.parametrize("newest_first", [False, True])
def test_cursor_paging_covers_every_event_once(
    trail: ReadModelStore, size: int, newest_first: bool
) -> None:
    everything = _all(trail, newest_first=newest_first)
    pages = _pages(trail, size, newest_first=newest_first)
    assert all(len(page) == size for page in pages[:-1])
    assert 0 < len(pages[-1]) <= size
    paged = [e for page in pages for e in page]
    keys = [(e["log"], e["position"]) for e in paged]
    assert len(keys) == len(set(keys)), "an event appeared on two pages"
    assert paged == everything


def test_cursor_paging_with_a_filter(trail: ReadModelStore) -> None:
    where = AuditFilter(log="customers")
    pages = _pages(trail, 2, newest_first=True, where=where)
    assert [e for page in pages for e in page] == _all(trail, where, newest_first=True)


def test_an_exact_last_page_ends_the_paging(trail: ReadModelStore) -> None:
    total = len(_all(trail))
    events, after = list_events(trail, AuditFilter(), newest_first=False, limit=total, after=None)
    assert len(events) == total
    assert after is None


# Personal data stays out of the trail.


def test_registered_payload_names_the_subject_only(
    services: Services, runner: ProjectionRunner
) -> None:
    customer_id = customer_story(services, 1)  # with name, email and phone
    runner.catch_up()
    (registered,) = _all(runner.store("audit"), AuditFilter(type="Registered"))
    assert registered["payload"]["personal"] == {"subject": str(customer_id), "redacted": True}


def test_no_personal_data_anywhere_in_the_audit_table(
    services: Services, trail: ReadModelStore
) -> None:
    text = json.dumps(rows(trail), default=str)
    for secret in (*NAMES, *EMAILS, *PHONES, "example.cn", "138 0013"):
        assert secret not in text, secret
    assert "redacted" in text
