"""``opsledger projections rebuild [NAME]`` on the store under test."""

from __future__ import annotations

import pytest

from api.cli import main
from application.services import Services
from application.store import StoreConfig
from tests.projections.support import event_count, make_runner, mixed_history, rows


def test_rebuild_the_audit_trail_from_the_command_line(
    services: Services,
    store_config: StoreConfig,
    environment: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mixed_history(services, customers=2)
    runner = make_runner(services, store_config)
    try:
        runner.catch_up()
        incremental = rows(runner.store("audit"))
        # An operator may rebuild again and again: each one works (the third fails
        # today: see test_runner.py::test_a_runner_opens_after_any_number_of_rebuilds).
        for attempt in range(3):
            assert main(["projections", "rebuild", "audit"]) == 0, (attempt, capsys.readouterr())
            assert f"rebuilt audit from {event_count(services)} events" in capsys.readouterr().err
            assert rows(runner.store("audit")) == incremental
    finally:
        runner.close()


def test_rebuilding_an_unknown_projection_says_which_exist(
    services: Services, environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["projections", "rebuild", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "nonsense" in err and "audit" in err
